"""Server settings from, in rising priority: defaults, a TOML file, the environment, command-line flags.

The file is `config.toml` in the platformdirs user config directory (`~/.config/jumperless-mcp` on
Linux), or the path in `JUMPERLESS_CONFIG` / `--config`. Every key has an environment variable:

    port = "auto"              # JUMPERLESS_PORT: auto, emulator, emulator:legacy, usb:<location> or a path
    read_only = false          # JUMPERLESS_READ_ONLY: list and run only tools that change nothing
    allow_python = false       # JUMPERLESS_ALLOW_PYTHON: enable exec_python (arbitrary code on the board)
    max_voltage = 8.0          # JUMPERLESS_MAX_VOLTAGE: highest DAC / rail setpoint accepted
    min_voltage = -8.0         # JUMPERLESS_MIN_VOLTAGE: lowest
    timeout = 10.0             # JUMPERLESS_TIMEOUT: seconds per board round trip
    log_level = "info"         # JUMPERLESS_LOG_LEVEL: debug, info, warning, error (stderr only)
    emulator_if_no_board = false  # JUMPERLESS_EMULATOR_IF_NO_BOARD: serve a virtual board when none is found
    parts = ""                 # JUMPERLESS_PARTS: parts file for the virtual board
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import PlatformDirs

from jumperless_mcp.errors import ArgumentError

FIRMWARE_MIN_VOLTS, FIRMWARE_MAX_VOLTS = -8.0, 8.0
LOG_LEVELS = ("debug", "info", "warning", "error")
CONFIG_ENV = "JUMPERLESS_CONFIG"


class ConfigError(ArgumentError):
    """A setting with a bad value; names the setting and where it came from."""


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

    def validated(self) -> Config:
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
        return self


def default_config_path() -> Path:
    return PlatformDirs("jumperless-mcp", appauthor=False).user_config_path / "config.toml"


def env_name(key: str) -> str:
    return "JUMPERLESS_" + key.upper()


_KINDS = {f.name: f.type for f in fields(Config)}


def _convert(key: str, value: object, source: str) -> object:
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
        text = str(value).strip()
        return text.lower() if key == "log_level" else (text or None)
    except (TypeError, ValueError):
        allowed = "true, false" if "bool" in kind else "a number" if "float" in kind else "text"
        raise ConfigError(key, f"{value!r} from {source} is not valid", allowed) from None


def from_mapping(values: Mapping[str, Any], source: str) -> dict[str, object]:
    unknown = sorted(set(values) - set(_KINDS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown setting in {source}", ", ".join(sorted(_KINDS)))
    return {key: _convert(key, value, source) for key, value in values.items()}


def load(
    flags: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    path: str | Path | None = None,
) -> Config:
    """The merged configuration; `flags` holds only the options given on the command line."""
    environ = os.environ if environ is None else environ
    chosen = path or environ.get(CONFIG_ENV) or None
    file = Path(chosen) if chosen else default_config_path()
    settings: dict[str, object] = {}
    if file.is_file():
        try:
            document = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("config", f"cannot read {file}: {exc}", "a TOML file") from None
        settings.update(from_mapping(document, str(file)))
    elif chosen:
        raise ConfigError("config", f"{file} does not exist", "a path to a TOML file")
    for key in _KINDS:
        if env_name(key) in environ:
            settings[key] = _convert(key, environ[env_name(key)], env_name(key))
    settings.update(from_mapping({k: v for k, v in (flags or {}).items() if v is not None}, "the command line"))
    return replace(Config(), **settings).validated()  # type: ignore[arg-type]
