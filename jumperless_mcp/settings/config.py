"""Server settings from, in rising priority: defaults, a TOML file, the environment, command-line flags.

The file is `config.toml` in the platformdirs user config directory (`~/.config/jumperless-mcp` on
Linux), or the path in `JUMPERLESS_CONFIG` / `--config`. Every top-level key has an environment variable:

    port = "auto"              # JUMPERLESS_PORT: auto, emulator, emulator:legacy, usb:<location> or a path
    read_only = false          # JUMPERLESS_READ_ONLY: list and run only tools that change nothing
    allow_python = false       # JUMPERLESS_ALLOW_PYTHON: enable exec_python (arbitrary code on the board)
    max_voltage = 8.0          # JUMPERLESS_MAX_VOLTAGE: highest DAC / rail setpoint accepted
    min_voltage = -8.0         # JUMPERLESS_MIN_VOLTAGE: lowest
    timeout = 10.0             # JUMPERLESS_TIMEOUT: seconds per board round trip
    log_level = "info"         # JUMPERLESS_LOG_LEVEL: debug, info, warning, error (stderr only)
    emulator_if_no_board = false  # JUMPERLESS_EMULATOR_IF_NO_BOARD: serve a virtual board when none is found
    parts = ""                 # JUMPERLESS_PARTS: parts file for the virtual board
    http = "127.0.0.1:8765"    # JUMPERLESS_HTTP / --http: serve Streamable HTTP on HOST:PORT instead of stdio
    http_token = "..."         # JUMPERLESS_HTTP_TOKEN: bearer token HTTP clients must send (needed off loopback)
    confirm = "risky"          # JUMPERLESS_CONFIRM: ask a person first (MCP elicitation): off, risky, all
    confirm_above_volts = 5.0  # JUMPERLESS_CONFIRM_ABOVE_VOLTS: a rail/DAC set beyond +/- this asks
    confirm_above_vpp = 5.0    # JUMPERLESS_CONFIRM_ABOVE_VPP: a wavegen amplitude above this asks
    confirm_mark_tools = false # JUMPERLESS_CONFIRM_MARK_TOOLS: _meta["anthropic/requiresUserInteraction"]
    safe_state = true          # JUMPERLESS_SAFE_STATE: rails/DACs to 0 V, wavegen and PWM off when the agent leaves
    idle_safe_after = 1800     # JUMPERLESS_IDLE_SAFE_AFTER: ...and after this many idle seconds if energised (0: never)
    audit_log = true           # JUMPERLESS_AUDIT_LOG: append every tool call to the audit log (JSON Lines)
    audit_dir = ""             # JUMPERLESS_AUDIT_DIR: its folder (default: the user log directory)
    record = ""                # JUMPERLESS_RECORD: write the serial exchange to this file (several boards: FILE.NAME)

Several boards (a federation) are listed in `[boards.NAME]` tables; the file is the only place for them
besides `--board NAME=SELECTOR` flags, which replace the file's list when given. The schema is in
`jumperless_mcp.settings.board_config`:

    [boards.bench-a]
    port = "usb:1-1.4"
    max_voltage = 5.0                # per-board limits override the top-level ones
    [boards.lab]
    url = "http://lab-pc:8765/mcp"   # a remote `jumperless-mcp serve --http`
    token_env = "LAB_TOKEN"

Errors from the file name its path and the line of the offending key.

This module is the loader, the top of `settings`: it merges the sources and asks `board_config` for the board
list. The records it builds (`Config`, `ConfigError`, `BoardEntry`) live in `settings.model`, the parsed file in
`settings.config_file`; `Config` and `ConfigError` are also importable from here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from platformdirs import PlatformDirs

from jumperless_mcp.settings import board_config
from jumperless_mcp.settings.config_file import ConfigFile
from jumperless_mcp.settings.model import KINDS, RELATED_KEYS, Config, ConfigError, convert_setting

CONFIG_ENV = "JUMPERLESS_CONFIG"


def default_config_path() -> Path:
    return PlatformDirs("jumperless-mcp", appauthor=False).user_config_path / "config.toml"


def env_name(key: str) -> str:
    return "JUMPERLESS_" + key.upper()


def from_mapping(values: Mapping[str, Any], source: str) -> dict[str, object]:
    unknown = sorted(set(values) - set(KINDS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown setting in {source}", ", ".join(sorted(KINDS)))
    return {key: convert_setting(key, value, source) for key, value in values.items()}


def config_file_path(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The settings file in use: `--config`, else JUMPERLESS_CONFIG, else the platformdirs default."""
    environ = os.environ if environ is None else environ
    chosen = path or environ.get(CONFIG_ENV) or None
    return Path(chosen) if chosen else default_config_path()


def load(
    flags: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    path: str | Path | None = None,
) -> Config:
    """The merged configuration; `flags` holds only the options given on the command line.

    `flags["board"]` is a list of `NAME=SELECTOR` strings (from `--board`); when given, they replace the
    file's `[boards]` list.
    """
    environ = os.environ if environ is None else environ
    flags = dict(flags or {})
    board_flags = flags.pop("board", None)
    chosen = path or environ.get(CONFIG_ENV) or None
    file_path = config_file_path(path, environ)
    file: ConfigFile | None = None
    settings: dict[str, object] = {}
    sources: dict[str, str] = {}
    if file_path.is_file():
        file = ConfigFile(file_path)
        settings, sources = file.settings()
    elif chosen:
        raise ConfigError("config", f"{file_path} does not exist", "a path to a TOML file")
    file_keys = set(settings)
    for key in KINDS:
        if env_name(key) in environ:
            settings[key] = convert_setting(key, environ[env_name(key)], env_name(key))
            sources[key] = env_name(key)
            file_keys.discard(key)
    given = from_mapping({k: v for k, v in flags.items() if v is not None}, "the command line")
    settings.update(given)
    sources.update(dict.fromkeys(given, "the command line"))
    file_keys -= set(given)
    try:
        config = replace(Config(), **settings, file_keys=frozenset(file_keys)).validated()  # type: ignore[arg-type]
        check_parts(config)
    except ConfigError as exc:
        origin = next((sources[k] for k in RELATED_KEYS.get(exc.parameter, (exc.parameter,)) if k in sources), None)
        raise exc.located(origin) from None
    if board_flags:
        boards = board_config.from_flags(board_flags, config, environ)  # type: ignore[arg-type]
    elif file is not None and "boards" in file.document:
        boards = board_config.from_file(file, config, environ)
    else:
        boards = ()
    return replace(config, boards=boards)


def check_parts(config: Config) -> None:
    """A parts file for a virtual board that will be served must load: a bad one is a start-up error."""
    port = (config.port or "auto").strip()
    if not config.parts or not (port.startswith("emulator") or (port == "auto" and config.emulator_if_no_board)):
        return
    from jumperless_mcp.emulator.parts import PartsFileError, load_parts  # the emulator only when it is used

    try:
        load_parts(config.parts)
    except (PartsFileError, ValueError, RecursionError) as exc:
        message = f"{config.parts}: values nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError("parts", message, "a parts TOML file (see `jumperless-mcp emulate --parts`)") from None
