"""Several boards behind one server: the federation of local and remote boards.

Owns: each board as a member with its own tools (`members`), boards served by another jumperless-mcp over HTTP
(`remote_board`), the union of their tools under one name space (`federation`) and the live board list that
follows config reloads and plugged boards (`board_list`).

May import: `tools`, `tooling`, `bench`, `settings`, `link`, `firmware_api`, `jumperless_mcp.errors`; the
emulator's parts loader lazily, for a virtual member's parts file.
"""
