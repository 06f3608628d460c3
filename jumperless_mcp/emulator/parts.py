"""Virtual parts placed on the breadboard, read from a TOML parts file.

Format (documented in the README):

    [[resistor]]
    name = "R1"          # optional
    between = [10, 20]   # two breadboard rows, Nano pins or rail strips, by number or name
    ohms = "10k"         # a number, or text with k / M / R suffix: "4.7k", "1M", "220", "4R7"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from firmware_api import nodes

# Where a physical part can sit: the rows, the Nano header, and the rail strips.
PLACEABLE = frozenset(
    [
        *nodes.ROWS,
        *range(69, 100),
        nodes.GND,
        nodes.TOP_RAIL,
        nodes.BOTTOM_RAIL,
        nodes.TOP_RAIL_GND,
        nodes.BOTTOM_RAIL_GND,
    ]
)
_OHMS = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([rRkKmM]?)\s*([0-9]*)\s*(?:ohms?|Ω)?\s*$")
_SCALE = {"": 1.0, "r": 1.0, "k": 1e3, "m": 1e6}


class PartsFileError(ValueError):
    """A parts file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Resistor:
    name: str
    a: int
    b: int
    ohms: float


def parse_ohms(value: object) -> float:
    """10000, "10k", "4.7k", "4k7", "1M", "220R" -> ohms."""
    if isinstance(value, bool):
        raise ValueError("resistance must be a number or text like '10k'")
    if isinstance(value, (int, float)):
        ohms = float(value)
    elif isinstance(value, str):
        match = _OHMS.match(value)
        if not match:
            raise ValueError(f"cannot read resistance {value!r} (use e.g. 220, '4.7k', '4k7', '1M')")
        number, suffix, tail = match.groups()
        if tail and "." in number:
            raise ValueError(f"cannot read resistance {value!r}")
        ohms = float(f"{number}.{tail}" if tail else number) * _SCALE[suffix.lower()]
    else:
        raise ValueError(f"resistance must be a number or text, got {type(value).__name__}")
    if not ohms > 0:
        raise ValueError(f"resistance must be positive, got {value!r}")
    return ohms


def load_parts(path: str | Path) -> list[Resistor]:
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PartsFileError(f"{path}: {exc}") from None
    return parse_parts(document, source=str(path))


def parse_parts(document: dict, source: str = "<parts>") -> list[Resistor]:
    unknown = set(document) - {"resistor"}
    if unknown:
        raise PartsFileError(f"{source}: unknown part kind(s) {sorted(unknown)}; supported: resistor")
    parts: list[Resistor] = []
    for index, entry in enumerate(document.get("resistor", []), start=1):
        where = f"{source}: resistor #{index}"
        if not isinstance(entry, dict):
            raise PartsFileError(f"{where}: expected a table")
        extra = set(entry) - {"name", "between", "ohms"}
        if extra:
            raise PartsFileError(f"{where}: unknown key(s) {sorted(extra)}; allowed: name, between, ohms")
        between = entry.get("between")
        if not isinstance(between, list) or len(between) != 2:
            raise PartsFileError(f"{where}: 'between' must list exactly two places, e.g. [10, 20]")
        ends: list[int] = []
        for place in between:
            try:
                node_id = nodes.resolve_node(place)
            except (ValueError, TypeError) as exc:
                raise PartsFileError(f"{where}: {exc}") from None
            if node_id not in PLACEABLE:
                raise PartsFileError(
                    f"{where}: {place!r} is not a breadboard place (rows 1-60, Nano pins, rail strips)"
                )
            ends.append(node_id)
        if ends[0] == ends[1]:
            raise PartsFileError(f"{where}: both ends are on {between[0]!r}")
        try:
            ohms = parse_ohms(entry.get("ohms"))
        except ValueError as exc:
            raise PartsFileError(f"{where}: {exc}") from None
        parts.append(Resistor(str(entry.get("name", f"R{index}")), ends[0], ends[1], ohms))
    return parts
