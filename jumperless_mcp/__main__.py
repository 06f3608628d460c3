from jumperless_mcp.cli import main

raise SystemExit(main())
