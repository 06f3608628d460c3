"""Configuration: the config file, environment variables and flags (`config`) and the board table (`board_config`).

Bottom up: the records and their checks (`model`: `Config`, `ConfigError`, `BoardEntry`), the TOML file with the
line of each key (`config_file`), the board table (`board_config`), the loader that merges them all (`config`).

May import: `link` (port forms and persona names), `firmware_api`, `jumperless_mcp.errors`; the emulator's parts
loader lazily, only to check a parts file a virtual board will use.
"""
