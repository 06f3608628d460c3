"""The federation's board list: `[boards.NAME]` tables in the config file, or `--board NAME=SELECTOR` flags.

Each board gets a name (its tools are offered as `NAME_tool` when there are several) and either a port on
this machine or the URL of another `jumperless-mcp serve --http`:

    [boards.bench-a]
    port = "usb:1-1.4"          # USB location (`jumperless-mcp ports`), a port path, "emulator" or "emulator:PERSONA"
    read_only = true            # optional per-board limits, override the top-level settings
    max_voltage = 5.0
    min_voltage = 0.0
    timeout = 5
    allow_python = false
    safe_state = false          # this board is left as it is when the agent leaves (the top-level setting: on)

    [boards.bench-b]
    port = "emulator"
    persona = "legacy"          # emulator only: jumperlos (default), jumperlos-upstream, jumperlos-5.7.5 or legacy
    parts = "divider.toml"      # emulator only: parts file, relative to the config file's directory

    [boards.lab]
    url = "http://lab-pc:8765/mcp"   # a remote jumperless-mcp serve --http
    token_env = "LAB_TOKEN"          # or token = "..." (the remote's bearer token)
    read_only = true                 # remote: hides the remote's mutating tools (readOnlyHint false) locally
    timeout = 30                     # remote: seconds per call round trip on top of the tool's own timeout

Rules: exactly one of `port` / `url`; `url` is http:// or https:// with a host; `token` and `token_env`
not both, and the variable `token_env` names must be set; without either, a remote uses
`JUMPERLESS_REMOTE_TOKEN` if set. `persona` and `parts` only with an emulator port. Voltage limits,
`allow_python` and `safe_state` of a remote board are set on the remote server, not here. Names are lowercase kebab- or
snake-case, at most 20 characters, and no two may give the same wire prefix (`bench-a` and `bench_a`).

`--board NAME=SELECTOR` (repeatable) gives the list on the command line instead; when any is given the
file's `[boards]` are ignored. SELECTOR is anything `port` or `url` accepts; URL tokens come from
`JUMPERLESS_REMOTE_TOKEN`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from jumperless_mcp.link.personas import DEFAULT_PERSONA, EMULATOR_PERSONAS, emulator_selectors
from jumperless_mcp.settings.config_file import ConfigFile
from jumperless_mcp.settings.model import RELATED_KEYS, BoardEntry, Config, ConfigError, convert_setting

SINGLE_NAME = "board"  # the member name when the server drives one board it was not given a name for
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
MAX_NAME_LENGTH = 20  # wire names are prefix_tool, <= 64 characters even when a remote nests its own prefix
NAME_RULE = "lowercase kebab- or snake-case starting with a letter, at most 20 characters (e.g. bench-a, lab_2)"
REMOTE_TOKEN_ENV = "JUMPERLESS_REMOTE_TOKEN"
BOARD_FORMS = f"NAME=usb:<location>, NAME=<port path>, {emulator_selectors('NAME=')}, NAME=http(s)://HOST[:PORT]/mcp"
LIMIT_KEYS = ("read_only", "allow_python", "max_voltage", "min_voltage", "timeout", "safe_state")
LOCAL_ONLY = ("port", "persona", "parts", "allow_python", "max_voltage", "min_voltage", "safe_state")
REMOTE_ONLY = ("url", "token", "token_env")
BOARD_KEYS = tuple(sorted({*LIMIT_KEYS, *LOCAL_ONLY, *REMOTE_ONLY}))
REMOTE_KEYS = ", ".join(k for k in BOARD_KEYS if k not in LOCAL_ONLY)
LOCAL_KEYS = ", ".join(k for k in BOARD_KEYS if k not in REMOTE_ONLY)


def board_label(name: str) -> str:
    """How logs name a board: `the board` for the single unnamed one (never "board board"), else `board NAME`."""
    return "the board" if name == SINGLE_NAME else f"board {name}"


class _Place:
    """Where a board was defined, so every error can name the key, the file and the line."""

    origin: str
    base_dir: Path

    def param(self, key: str | None) -> str:
        raise NotImplementedError

    def where(self, key: str | None) -> str:
        raise NotImplementedError

    def error(self, key: str | None, message: str, allowed: str | None) -> ConfigError:
        return ConfigError(self.param(key), f"{self.where(key)}: {message}", allowed)


class _InFile(_Place):
    def __init__(self, file: ConfigFile, name: str) -> None:
        self.file, self.name = file, name
        self.origin = file.where("boards", name)
        self.base_dir = file.path.parent

    def param(self, key: str | None) -> str:
        return dotted("boards", self.name, *([key] if key else []))

    def where(self, key: str | None) -> str:
        return self.file.where("boards", self.name, *([key] if key else []))


class _InFlag(_Place):
    origin = "--board"

    def __init__(self, text: str) -> None:
        self.text = text
        self.base_dir = Path.cwd()

    def param(self, key: str | None) -> str:
        return "--board"

    def where(self, key: str | None) -> str:
        return f"--board {self.text}"

    def error(self, key: str | None, message: str, allowed: str | None) -> ConfigError:
        return super().error(key, message, BOARD_FORMS if allowed is None else f"{allowed}; forms: {BOARD_FORMS}")


def dotted(*path: str) -> str:
    """A TOML key path as written: `boards.bench-a.port`, quoting names that are not bare keys."""
    return ".".join(part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"' for part in path)


def from_file(file: ConfigFile, base: Config, environ: Mapping[str, str]) -> tuple[BoardEntry, ...]:
    """The `[boards]` tables of a config file, each checked, with `base` (the merged settings) under them."""
    boards = file.document["boards"]
    if not isinstance(boards, dict):
        raise ConfigError("boards", f"{file.where('boards')}: boards must be tables", "[boards.NAME] tables")
    entries: list[tuple[BoardEntry, _Place]] = []
    for name, table in boards.items():
        place = _InFile(file, name)
        _check_name(name, place)
        if not isinstance(table, dict):
            raise place.error(None, f"board {name} must be a table, not {table!r}", "[boards.NAME] tables")
        entries.append((_entry(name, table, place, base, environ), place))
    return _unique(entries)


def from_flags(flags: Sequence[str], base: Config, environ: Mapping[str, str]) -> tuple[BoardEntry, ...]:
    """Boards from `--board NAME=SELECTOR` flags (they replace the file's list)."""
    entries: list[tuple[BoardEntry, _Place]] = []
    for text in flags:
        place = _InFlag(text)
        name, equals, selector = text.partition("=")
        name, selector = name.strip(), selector.strip()
        if not equals or not name or not selector:
            raise place.error(None, "expected NAME=SELECTOR", None)
        _check_name(name, place)
        key = "url" if selector.startswith(("http://", "https://")) or "://" in selector else "port"
        entries.append((_entry(name, {key: selector}, place, base, environ), place))
    return _unique(entries)


def _check_name(name: str, place: _Place) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise place.error(None, f"{name!r} is not a valid board name", NAME_RULE)
    if len(name) > MAX_NAME_LENGTH:
        raise place.error(None, f"board name {name!r} is longer than {MAX_NAME_LENGTH} characters", NAME_RULE)


def _unique(placed: list[tuple[BoardEntry, _Place]]) -> tuple[BoardEntry, ...]:
    seen: dict[str, tuple[BoardEntry, _Place]] = {}
    for entry, place in placed:
        other, other_place = seen.setdefault(entry.prefix, (entry, place))
        if other is not entry:
            clash = (
                "is already used by" if other.name == entry.name else f"gives the same wire prefix {entry.prefix} as"
            )
            raise place.error(
                None,
                f"board name {entry.name} {clash} {other.name} ({other_place.where(None)})",
                "distinct names; - and _ count as the same character",
            )
    return tuple(entry for entry, _ in placed)


def _text(table: Mapping[str, object], key: str, place: _Place, allowed: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise place.error(key, f"{key} must be a non-empty string, not {value!r}", allowed)
    return value.strip()


def _entry(
    name: str, table: Mapping[str, object], place: _Place, base: Config, environ: Mapping[str, str]
) -> BoardEntry:
    unknown = sorted(set(table) - set(BOARD_KEYS))
    if unknown:
        raise place.error(unknown[0], f"unknown key {unknown[0]!r} for board {name}", ", ".join(BOARD_KEYS))
    if ("port" in table) == ("url" in table):
        problem = "has both port and url" if "port" in table else "needs a port or a url"
        allowed = "exactly one of port (a board on this machine), url (a remote jumperless-mcp serve --http)"
        raise place.error("url" if "url" in table else None, f"board {name} {problem}", allowed)
    overrides: dict[str, object] = {}
    for key in LIMIT_KEYS:
        if key in table:
            try:
                overrides[key] = convert_setting(key, table[key], place.where(key))
            except ConfigError as exc:
                raise ConfigError(place.param(key), exc.message, exc.allowed) from None
    if "url" in table:
        selector, token, changes = _remote(name, table, place, environ)
    else:
        selector, token, changes = _local(name, table, place)
    try:
        config = replace(base, **overrides, **changes).validated()  # type: ignore[arg-type]
    except ConfigError as exc:
        key = next((k for k in RELATED_KEYS.get(exc.parameter, (exc.parameter,)) if k in table), None)
        raise place.error(key, exc.message, exc.allowed) from None
    written = frozenset(table) if isinstance(place, _InFile) else frozenset()
    return BoardEntry(name, selector, config, token, place.origin, written)


def _remote(
    name: str, table: Mapping[str, object], place: _Place, environ: Mapping[str, str]
) -> tuple[str, str | None, dict[str, object]]:
    for key in LOCAL_ONLY:
        if key in table:
            why = "set limits on the remote server" if key in LIMIT_KEYS else f"{key} is only for a local port"
            raise place.error(key, f"{key} cannot be set for remote board {name}: {why}", REMOTE_KEYS)
    url = _text(table, "url", place, "http://HOST:PORT/mcp or https://...")
    parts = urlsplit(url)
    try:
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise place.error("url", f"{url!r}: {exc}", "http://HOST:PORT/mcp or https://...") from None
    if parts.scheme not in ("http", "https") or not host:
        raise place.error("url", f"{url!r} is not an http:// or https:// URL with a host", "http://HOST:PORT/mcp")
    if "token" in table and "token_env" in table:
        raise place.error("token_env", "token and token_env are both set", "one of token, token_env")
    if "token" in table:
        token: str | None = _text(table, "token", place, "the remote's bearer token")
    elif "token_env" in table:
        variable = _text(table, "token_env", place, "the name of an environment variable holding the token")
        token = environ.get(variable) or None
        if token is None:
            raise place.error(
                "token_env",
                f"environment variable {variable} (token_env of board {name}) is not set",
                f"set {variable}, or give token = ...",
            )
    else:
        token = environ.get(REMOTE_TOKEN_ENV) or None
    return url, token, {"port": None, "parts": None}


def _local(name: str, table: Mapping[str, object], place: _Place) -> tuple[str, None, dict[str, object]]:
    for key in REMOTE_ONLY:
        if key in table:
            raise place.error(key, f"{key} is only for a remote board (url = ...), not a port", LOCAL_KEYS)
    port = _text(table, "port", place, f"usb:<location>, a port path, {emulator_selectors()}")
    emulator = port == "emulator" or port.startswith("emulator:")
    if not emulator:
        for key in ("persona", "parts"):
            if key in table:
                raise place.error(key, f'{key} needs port = "emulator" (board {name} has {port!r})', LOCAL_KEYS)
        if port == "usb:":
            raise place.error("port", "usb: needs a location", "usb:<location> as listed by `jumperless-mcp ports`")
        return port, None, {"port": port, "parts": None}
    personas = ", ".join(EMULATOR_PERSONAS)
    persona = port.partition(":")[2] or None
    if persona is not None and persona not in EMULATOR_PERSONAS:
        raise place.error("port", f"unknown emulator persona in {port!r}", emulator_selectors())
    if "persona" in table:
        chosen = table["persona"]
        if chosen not in EMULATOR_PERSONAS:
            raise place.error("persona", f"unknown emulator persona {chosen!r}", personas)
        if persona is not None and chosen != persona:
            raise place.error("persona", f"persona {chosen!r} contradicts port {port!r}", personas)
        persona = str(chosen)
    selector = "emulator" if persona in (None, DEFAULT_PERSONA) else f"emulator:{persona}"
    parts = None
    if "parts" in table:
        parts = _parts(table, place)
    return selector, None, {"port": selector, "parts": parts}


def _parts(table: Mapping[str, object], place: _Place) -> str:
    from jumperless_mcp.emulator.parts import PartsFileError, load_parts

    path = Path(_text(table, "parts", place, "a parts TOML file")).expanduser()
    path = path if path.is_absolute() else (place.base_dir / path)
    if not path.is_file():
        raise place.error(
            "parts", f"parts file {path} does not exist", "a parts TOML file, relative to the config file"
        )
    try:
        load_parts(path)
    except PartsFileError as exc:
        raise place.error("parts", str(exc), "a parts TOML file (see `jumperless-mcp emulate --parts`)") from None
    return str(path.resolve())
