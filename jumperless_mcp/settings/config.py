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
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import PlatformDirs

from jumperless_mcp.errors import ArgumentError

if TYPE_CHECKING:
    from jumperless_mcp.settings.board_config import BoardEntry

FIRMWARE_MIN_VOLTS, FIRMWARE_MAX_VOLTS = -8.0, 8.0
LOG_LEVELS = ("debug", "info", "warning", "error")
CONFIG_ENV = "JUMPERLESS_CONFIG"
HTTP_FORMS = "HOST:PORT or PORT (loopback) with PORT 0-65535 (0: any free port), e.g. 8765, 127.0.0.1:8765, [::1]:8765"


class ConfigError(ArgumentError):
    """A setting with a bad value; names the setting and where it came from."""

    def __init__(self, parameter: str, message: str, allowed: str | None = None) -> None:
        self.message = message
        super().__init__(parameter, message, allowed)

    @classmethod
    def from_argument(cls, exc: ArgumentError) -> ConfigError:
        """The same complaint as a ConfigError, so it can be located in a file or on the command line."""
        message = str(exc).removeprefix(f"{exc.parameter}: ")
        if exc.allowed:
            message = message.removesuffix(f" (allowed: {exc.allowed})")
        return cls(exc.parameter, message, exc.allowed)

    def located(self, where: str | None, parameter: str | None = None) -> ConfigError:
        """The same error said to come from `where` (a file and line), optionally under another key name."""
        message = f"{where}: {self.message}" if where else self.message
        return ConfigError(parameter or self.parameter, message, self.allowed)


@dataclass(frozen=True)
class Config:
    port: str | None = None
    read_only: bool = False
    allow_python: bool = False
    max_voltage: float = FIRMWARE_MAX_VOLTS
    min_voltage: float = FIRMWARE_MIN_VOLTS
    timeout: float = 10.0
    log_level: str = "info"
    emulator_if_no_board: bool = False
    parts: str | None = None
    http: str | None = None
    http_token: str | None = field(default=None, repr=False)
    boards: tuple[BoardEntry, ...] = ()
    # The settings whose value is written in the config file (not overridden by the environment or a flag):
    # a hot reload may loosen a limit only where the file says so (board_list.ReloadGuard).
    file_keys: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def validated(self) -> Config:
        if self.port is not None:
            check_port(self.port)
        if not FIRMWARE_MIN_VOLTS <= self.min_voltage < self.max_voltage <= FIRMWARE_MAX_VOLTS:
            raise ConfigError(
                "max_voltage",
                f"limits {self.min_voltage:g}..{self.max_voltage:g} V are not an interval inside the firmware's",
                f"{FIRMWARE_MIN_VOLTS:g} <= min_voltage < max_voltage <= {FIRMWARE_MAX_VOLTS:g}",
            )
        if self.timeout <= 0:
            raise ConfigError("timeout", f"{self.timeout:g} is not a positive number of seconds", "> 0")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError("log_level", f"unknown level {self.log_level!r}", ", ".join(LOG_LEVELS))
        self.http_address()  # the format only: http_serve.check_exposure decides who may bind where
        return self

    def http_address(self) -> tuple[str, int] | None:
        """(host, port) to serve Streamable HTTP on, or None for stdio; IPv6 hosts come without brackets."""
        return None if self.http is None else parse_http_address(self.http)


def check_port(text: str) -> None:
    """A port setting in one of the forms `targets` knows, or a path; a typo is a ConfigError with a hint."""
    from jumperless_mcp.link.targets import Target  # the port forms live there; it needs pyserial's port listing

    try:
        Target(text)
    except ArgumentError as exc:
        raise ConfigError.from_argument(exc) from None


def parse_http_address(text: str) -> tuple[str, int]:
    """HOST:PORT; a bare PORT (or :PORT) means loopback, so nothing is exposed unless a host is named."""
    bare = text.strip().lstrip(":")
    if bare.isdigit():
        text = f"127.0.0.1:{bare}"
    match = re.fullmatch(r"(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]\s/@]+)):(?P<port>\d{1,5})", text.strip())
    if match is None:
        hint = "; put IPv6 hosts in brackets" if text.count(":") > 1 and "[" not in text else ""
        raise ConfigError("http", f"{text!r} is not HOST:PORT{hint}", HTTP_FORMS)
    port = int(match["port"])
    if port > 65535:
        raise ConfigError("http", f"port {port} is out of range", HTTP_FORMS)
    if match["v6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["v6"])), port
        except ValueError:
            raise ConfigError("http", f"{match['v6']!r} is not an IPv6 address", HTTP_FORMS) from None
    return match["host"], port


def default_config_path() -> Path:
    return PlatformDirs("jumperless-mcp", appauthor=False).user_config_path / "config.toml"


def env_name(key: str) -> str:
    return "JUMPERLESS_" + key.upper()


# Settings with a scalar value (environment variable, flag, top-level key); the board list is none of these.
_KINDS = {f.name: f.type for f in fields(Config) if f.name != "boards"}
_FILE_KEYS = (*sorted(_KINDS), "boards")
# validated() names max_voltage for a bad interval; either end may be the one the user set.
RELATED_KEYS = {"max_voltage": ("max_voltage", "min_voltage")}


def convert_setting(key: str, value: object, source: str) -> object:
    kind = str(_KINDS[key])
    try:
        if "bool" in kind:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if "float" in kind:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)  # type: ignore[arg-type]
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError(value)
        text = str(value).strip()
        return text.lower() if key == "log_level" else (text or None)
    except (TypeError, ValueError):
        allowed = "true, false" if "bool" in kind else "a number" if "float" in kind else "text"
        shown = "****" if key == "http_token" else repr(value)
        raise ConfigError(key, f"{source}: {shown} is not valid", allowed) from None


def from_mapping(values: Mapping[str, Any], source: str) -> dict[str, object]:
    unknown = sorted(set(values) - set(_KINDS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown setting in {source}", ", ".join(sorted(_KINDS)))
    return {key: convert_setting(key, value, source) for key, value in values.items()}


_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""


class KeyLines:
    """Line numbers of keys and table headers in a TOML text (tomllib gives none once parsed).

    A line-based scan, good for hand-written config files: `[a.b]` / `[[a.b]]` headers (bare or quoted
    names), `key = ...` and dotted `a.b.key = ...` assignments; lines inside multi-line strings are
    skipped. `line(path)` falls back to the nearest enclosing table or key that has a line.
    """

    _HEADER = re.compile(r"\s*\[{1,2}(?P<path>[^\[\]]*)\]{1,2}\s*(?:#.*)?$")
    _KEY = re.compile(rf"\s*(?P<path>{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
    _PART = re.compile(r"""[A-Za-z0-9_-]+|"([^"]*)"|'([^']*)'""")

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:
                if line.count(in_string) % 2:
                    in_string = None
                continue
            header = self._HEADER.match(line)
            key = None if header else self._KEY.match(line)
            if header:
                table = self._split(header["path"])
                self.lines.setdefault(table, number)
            elif key:
                path = table + self._split(key["path"])
                for end in range(len(table) + 1, len(path) + 1):  # a.b.c = 1 also defines tables a and a.b
                    self.lines.setdefault(path[:end], number)
            for quotes in ('"""', "'''"):
                if line.count(quotes) % 2:
                    in_string = quotes
                    break

    @classmethod
    def _split(cls, dotted: str) -> tuple[str, ...]:
        parts = []
        for match in cls._PART.finditer(dotted):
            quoted = match.group(1) if match.group(1) is not None else match.group(2)
            parts.append(match.group(0) if quoted is None else quoted)
        return tuple(parts)

    def line(self, path: tuple[str, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


class ConfigFile:
    """A parsed config file that can say where each key was written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
            self.document = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("config", f"cannot read {path}: {exc}", "a TOML file") from None
        except RecursionError:  # tomllib recurses once per level of nested arrays or inline tables
            raise ConfigError("config", f"cannot read {path}: values nested too deeply", "a TOML file") from None
        self.keys = KeyLines(text)

    def where(self, *path: str) -> str:
        number = self.keys.line(path)
        return f"{self.path} line {number}" if number else str(self.path)

    def settings(self) -> tuple[dict[str, object], dict[str, str]]:
        """The top-level settings and, for each, the file and line it came from."""
        values: dict[str, object] = {}
        sources: dict[str, str] = {}
        for key, value in self.document.items():
            if key == "boards":
                continue
            where = self.where(key)
            if key not in _KINDS:
                raise ConfigError(key, f"{where}: unknown setting", ", ".join(_FILE_KEYS))
            values[key] = convert_setting(key, value, where)
            sources[key] = where
        return values, sources


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
    for key in _KINDS:
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

    from jumperless_mcp.settings import board_config

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
