"""What the settings are: the `Config` record, the boards of a federation (`BoardEntry`), their checks and
conversions; no file, environment or flag is read here.

The bottom of `settings`: `config_file`, `board_config` and the loader in `config` all build these records.
`Config` and `BoardEntry` name each other (a board's settings; the server's board list), so they live together.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, fields

from jumperless_mcp.errors import ArgumentError

FIRMWARE_MIN_VOLTS, FIRMWARE_MAX_VOLTS = -8.0, 8.0
LOG_LEVELS = ("debug", "info", "warning", "error")
CONFIRM_MODES = ("off", "risky", "all")  # tooling/confirm.py says what each asks about
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
    confirm: str = "risky"  # who asks a person first: off, risky (energise, wipe, run code), all (every change)
    confirm_above_volts: float = 5.0  # a rail or DAC set beyond +/- this asks (with confirm = risky)
    confirm_above_vpp: float = 5.0  # a waveform generator amplitude above this (Vpp) asks
    confirm_mark_tools: bool = False  # mark the tools that may ask with _meta["anthropic/requiresUserInteraction"]
    safe_state: bool = True  # rails/DACs to 0 V, wavegen and PWM off when the agent leaves (serving/safe_shutdown.py)
    idle_safe_after: float = 1800.0  # seconds without a tool call, something energised -> safe state; 0 = never
    audit_log: bool = True  # every tool call appended to a JSON Lines log (tooling/audit.py)
    audit_dir: str | None = None  # its folder; None: platformdirs.user_log_dir("jumperless-mcp")
    record: str | None = None  # write each board's serial exchange to this JSON Lines file (link/recording.py)
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
        if self.confirm not in CONFIRM_MODES:
            raise ConfigError("confirm", f"unknown mode {self.confirm!r}", ", ".join(CONFIRM_MODES))
        for key in ("confirm_above_volts", "confirm_above_vpp"):
            if not getattr(self, key) >= 0:  # a nan fails too
                raise ConfigError(key, f"{getattr(self, key):g} is not a number of volts >= 0", ">= 0")
        if not 0 <= self.idle_safe_after < float("inf"):  # a nan fails too
            raise ConfigError(
                "idle_safe_after", f"{self.idle_safe_after:g} is not a number of seconds >= 0", ">= 0 (0: never)"
            )
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


@dataclass(frozen=True)
class BoardEntry:
    """One board of the federation; `config` is the server's settings with this board's overrides."""

    name: str
    selector: str
    config: Config
    token: str | None = field(default=None, repr=False)
    origin: str = ""
    written: frozenset[str] = field(default=frozenset(), compare=False, repr=False)  # keys of its own file table

    @property
    def remote(self) -> bool:
        return self.selector.startswith(("http://", "https://"))

    @property
    def prefix(self) -> str:
        """The start of this board's wire names: `bench-a` gives `bench_a`."""
        return self.name.replace("-", "_")


# Settings with a scalar value (environment variable, flag, top-level key); the board list is none of these.
KINDS = {f.name: f.type for f in fields(Config) if f.name != "boards"}
FILE_KEYS = (*sorted(KINDS), "boards")
# validated() names max_voltage for a bad interval; either end may be the one the user set.
RELATED_KEYS = {"max_voltage": ("max_voltage", "min_voltage")}


def convert_setting(key: str, value: object, source: str) -> object:
    kind = str(KINDS[key])
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
        return text.lower() if key in ("log_level", "confirm") else (text or None)
    except (TypeError, ValueError):
        allowed = "true, false" if "bool" in kind else "a number" if "float" in kind else "text"
        shown = "****" if key == "http_token" else repr(value)
        raise ConfigError(key, f"{source}: {shown} is not valid", allowed) from None
