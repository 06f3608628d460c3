"""Configuration: the config file, environment variables and flags (`config`) and the board table (`board_config`).

May import: `link` (port forms and persona names), `firmware_api`, `jumperless_mcp.errors`; the emulator's parts
loader lazily, only to check a parts file a virtual board will use.
"""
