"""A config file as parsed TOML that can say, for any key, the file and line it was written on.

tomllib keeps no line numbers; `KeyLines` finds them again so every error from the file can point at its line.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from jumperless_mcp.settings.model import FILE_KEYS, KINDS, ConfigError, convert_setting

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
            if key not in KINDS:
                raise ConfigError(key, f"{where}: unknown setting", ", ".join(FILE_KEYS))
            values[key] = convert_setting(key, value, where)
            sources[key] = where
        return values, sources
