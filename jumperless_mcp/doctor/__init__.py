"""`jumperless-mcp doctor`: is this machine and this board ready, and if not, what to do about it.

Owns: the checks (`system_checks`: Python, packages, serial permissions, ModemManager/brltty, udev rules;
`port_checks`: the boards found and who holds their ports; `board_checks`: firmware, channel, REPL), the
environment they read (`environment`, injectable so tests can simulate a machine) and the report (`report`).
Read-only: nothing on the system or the board is changed (the board gets the handshake and one `print(1)`).

May import: `jumperless_mcp.link`, `settings`, `errors`, `version`, `firmware_api`. Only `cli` imports it.
"""
