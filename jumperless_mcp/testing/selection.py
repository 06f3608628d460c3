"""Which boards a test session was given, and whether a board meets a test's `jumperless` marker.

Boards: `--jumperless-port` may be repeated; each value is a target (any form `Board.open` takes: `emulator`,
`emulator:legacy`, `/dev/ttyACM0`, `usb:1-1.4`, ...) or `NAME=TARGET`. Unnamed boards are called `board1`,
`board2`, ... by position. Without the option, `JUMPERLESS_PORT` gives one board, `board1`.

Firmware requirements are comma-separated clauses such as `>=5.7`, `<5.6`, `==5.3.2.4`, `!=5.7.5` or a bare
version (`5.7`: the 5.7 series). A clause compares only as many parts as it names, so `>=5.7` and `<=5.7` both
take 5.7.0.13, and `<5.7` does not.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.link.personas import EMULATOR_PERSONAS

ENV_VAR = "JUMPERLESS_PORT"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
FAMILY_WORDS = {"jumperlos": Family.JUMPERLOS, "legacy": Family.LEGACY}
PERSONAS = tuple(dict.fromkeys((*FAMILY_WORDS, *EMULATOR_PERSONAS)))
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
CLAUSE = re.compile(r"\s*(>=|<=|==|!=|>|<)?\s*([0-9]+(?:\.[0-9]+)*)\s*")
MARKER_HELP = (
    "jumperless(firmware=None, persona=None, board=None): needs a Jumperless (skipped when none is configured); "
    "skipped unless the board's firmware matches (e.g. '>=5.7', '<5.6', '5.7') and its persona is one of "
    + ", ".join(PERSONAS)
)


class SelectionError(ValueError):
    """A port list or marker that cannot be understood; the message names the parameter and the allowed forms.
    The plugin turns it into a usage error or a failed setup: a test never sees it."""


def parse_ports(values: Iterable[str]) -> dict[str, str]:
    """`--jumperless-port` values (or the one `JUMPERLESS_PORT` value) as {name: target}, in the order given."""
    boards: dict[str, str] = {}
    for position, raw in enumerate(values, start=1):
        text = raw.strip()
        name, sep, target = text.partition("=")
        if not sep or not NAME.fullmatch(name.strip()):
            name, target = f"board{position}", text
        name, target = name.strip(), target.strip()
        if not target:
            raise SelectionError(f"--jumperless-port: {raw!r} names no target; use TARGET or NAME=TARGET")
        if name in boards:
            raise SelectionError(f"--jumperless-port: the name {name!r} is given twice")
        boards[name] = target
    return boards


@dataclass(frozen=True)
class Requirement:
    """What a `@pytest.mark.jumperless(...)` test needs of its board."""

    firmware: str | None = None
    persona: str | None = None
    board: str | None = None

    @classmethod
    def from_marker(cls, args: tuple[object, ...], kwargs: Mapping[str, object]) -> Requirement:
        unknown = sorted(set(kwargs) - {"firmware", "persona", "board"})
        if args or unknown:
            raise SelectionError(
                "jumperless marker: takes only the keywords firmware, persona and board"
                + (f" (got {', '.join(unknown)})" if unknown else " (got positional arguments)")
            )
        firmware, persona, board = kwargs.get("firmware"), kwargs.get("persona"), kwargs.get("board")
        for key, value in (("firmware", firmware), ("persona", persona), ("board", board)):
            if value is not None and not isinstance(value, str):
                raise SelectionError(f"jumperless marker: {key} must be a string, got {value!r}")
        if isinstance(firmware, str):
            clauses(firmware)  # checked now: a typo is an error, not a skip
        if persona is not None and persona not in PERSONAS:
            raise SelectionError(f"jumperless marker: persona {persona!r} is not one of {', '.join(PERSONAS)}")
        return cls(firmware, persona, board)  # type: ignore[arg-type]

    def unmet(self, version: FirmwareVersion | None, virtual_persona: str | None) -> str | None:
        """Why a board with this firmware (and, if virtual, this persona) does not qualify; None if it does."""
        if self.firmware is not None:
            if version is None:
                return f"needs firmware {self.firmware}; the board's version is unknown"
            failed = [text for text, test in clauses(self.firmware) if not test(version)]
            if failed:
                return f"needs firmware {self.firmware}; the board runs {version} (fails {', '.join(failed)})"
        if self.persona is not None:
            if self.persona in FAMILY_WORDS:
                family = version.family if version is not None else None
                if family is not FAMILY_WORDS[self.persona]:
                    have = {v: k for k, v in FAMILY_WORDS.items()}.get(family, "unknown")  # type: ignore[arg-type]
                    return f"needs the {self.persona} persona; the board is {have} (firmware {version})"
            elif virtual_persona is None:
                return f"needs the virtual board's {self.persona} persona; this is a real board"
            elif virtual_persona != self.persona:
                return f"needs the {self.persona} persona; the virtual board is {virtual_persona}"
        return None


def clauses(spec: str) -> list[tuple[str, Callable[[FirmwareVersion], bool]]]:
    """A firmware requirement as (clause text, test) pairs; SelectionError names the forms when it is malformed."""
    found = []
    for text in spec.split(","):
        match = CLAUSE.fullmatch(text)
        if match is None:
            raise SelectionError(
                f"jumperless marker: firmware {spec!r} is not understood; use clauses such as '>=5.7', '<5.6', "
                "'==5.3.2.4', '!=5.7.5' or '5.7', separated by commas"
            )
        op, wanted = match.group(1) or "==", tuple(int(p) for p in match.group(2).split("."))
        found.append((f"{op}{match.group(2)}", _test(OPERATORS[op], wanted)))
    return found


def _test(compare: Callable[[Any, Any], Any], wanted: tuple[int, ...]) -> Callable[[FirmwareVersion], bool]:
    def test(version: FirmwareVersion) -> bool:
        have = (*version.parts, *(0,) * len(wanted))[: len(wanted)]
        return bool(compare(have, wanted))

    return test
