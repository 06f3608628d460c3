"""How an MCP tool is declared, validated, run and found, apart from any one tool.

Owns: `ToolSpec` (one declaration per tool), the context a tool runs with, `ToolRunner` (input validation,
safety checks, errors as MCP results), the tool table, search and directory, and the deferred discovery tools.

May import: `bench`, `settings`, `link`, `firmware_api`, `jumperless_mcp.errors`.
"""
