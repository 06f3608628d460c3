"""Virtual parts placed on the breadboard, read from a TOML parts file.

Format (documented in the README):

    [[resistor]]
    name = "R1"          # optional
    between = [10, 20]   # two breadboard rows, Nano pins or rail strips, by number or name
    ohms = "10k"         # a number, or text with k / M / R suffix: "4.7k", "1M", "220", "4R7"

    [[capacitor]]
    name = "C1"          # optional
    between = [11, "GND"]
    farads = "1u"        # a number in farads, or text with p / n / u / m suffix: "100n", "4.7u", "4u7", "1uF"

    [[diode]]
    name = "D1"          # optional
    between = [12, 13]   # anode, cathode
    vf = 0.65            # optional: forward volts at 1 mA (default 0.65)
    n = 1.8              # optional: emission coefficient (default 1.8); the saturation current follows from vf

A diode follows Shockley's equation (circuit.py solves it by Newton iteration).
A capacitor gives the time model (transient.py) its RC charge and discharge; the DC model leaves it open.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from firmware_api import nodes
from jumperless_mcp.emulator.circuit import THERMAL_VOLTS

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
_FARADS = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([pnuµm]?)\s*([0-9]*)\s*F?\s*$")
_FARAD_SCALE = {"": 1.0, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3}
KINDS = ("resistor", "capacitor", "diode")
DEFAULT_VF = 0.65  # volts at 1 mA: a small-signal silicon diode (1N4148-like)
DEFAULT_EMISSION = 1.8
VF_AT_AMPS = 1e-3


class PartsFileError(ValueError):
    """A parts file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Resistor:
    name: str
    a: int
    b: int
    ohms: float


@dataclass(frozen=True)
class Capacitor:
    name: str
    a: int
    b: int
    farads: float


@dataclass(frozen=True)
class Diode:
    name: str
    a: int  # anode
    b: int  # cathode
    vf: float  # forward volts at VF_AT_AMPS
    emission: float

    @property
    def saturation_amps(self) -> float:
        """Is such that the diode conducts VF_AT_AMPS at vf (Shockley, 300 K)."""
        return VF_AT_AMPS / math.expm1(self.vf / (self.emission * THERMAL_VOLTS))


Part = Resistor | Capacitor | Diode


def parse_farads(value: object) -> float:
    """1e-6, "1u", "100n", "4.7uF", "4u7", "22p" -> farads."""
    if isinstance(value, bool):
        raise ValueError("'farads' must be a number or text like '1u'")
    if isinstance(value, (int, float)):
        farads = float(value)
    elif isinstance(value, str):
        match = _FARADS.match(value)
        if not match or (match.group(3) and ("." in match.group(1) or not match.group(2))):
            raise ValueError(f"cannot read 'farads' {value!r} (use e.g. 1e-6, '1u', '100n', '4.7uF', '4u7')")
        number, suffix, tail = match.groups()
        farads = float(f"{number}.{tail}" if tail else number) * _FARAD_SCALE[suffix]
    elif value is None:
        raise ValueError("'farads' is missing (e.g. farads = \"1u\")")
    else:
        raise ValueError(f"'farads' must be a number or text, got {type(value).__name__}")
    if not 0 < farads < 10:
        raise ValueError(f"'farads' must be above 0 and below 10 F, got {value!r}")
    return farads


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


def load_parts(path: str | Path) -> list[Part]:
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PartsFileError(f"{path}: {exc}") from None
    return parse_parts(document, source=str(path))


def parse_parts(document: dict, source: str = "<parts>") -> list[Part]:
    unknown = set(document) - set(KINDS)
    if unknown:
        raise PartsFileError(f"{source}: unknown part kind(s) {sorted(unknown)}; supported: {', '.join(KINDS)}")
    parts: list[Part] = []
    for kind, value_key, prefix in (("resistor", "ohms", "R"), ("capacitor", "farads", "C")):
        entries = document.get(kind, [])
        if not isinstance(entries, list):
            raise PartsFileError(f"{source}: '{kind}' must be an array of tables ([[{kind}]])")
        for index, entry in enumerate(entries, start=1):
            where = f"{source}: {kind} #{index}"
            if not isinstance(entry, dict):
                raise PartsFileError(f"{where}: expected a table")
            extra = set(entry) - {"name", "between", value_key}
            if extra:
                raise PartsFileError(f"{where}: unknown key(s) {sorted(extra)}; allowed: name, between, {value_key}")
            a, b = _ends(entry.get("between"), where)
            try:
                value = parse_ohms(entry.get("ohms")) if kind == "resistor" else parse_farads(entry.get("farads"))
            except ValueError as exc:
                raise PartsFileError(f"{where}: {exc}") from None
            name = str(entry.get("name", f"{prefix}{index}"))
            parts.append(Resistor(name, a, b, value) if kind == "resistor" else Capacitor(name, a, b, value))
    parts.extend(_diodes(document.get("diode", []), source))
    return parts


def _diodes(entries: object, source: str) -> list[Diode]:
    if not isinstance(entries, list):
        raise PartsFileError(f"{source}: 'diode' must be an array of tables ([[diode]])")
    diodes = []
    for index, entry in enumerate(entries, start=1):
        where = f"{source}: diode #{index}"
        if not isinstance(entry, dict):
            raise PartsFileError(f"{where}: expected a table")
        extra = set(entry) - {"name", "between", "vf", "n"}
        if extra:
            raise PartsFileError(f"{where}: unknown key(s) {sorted(extra)}; allowed: name, between, vf, n")
        a, k = _ends(entry.get("between"), where)
        vf = _number(entry.get("vf", DEFAULT_VF), "vf", 0.05, 5.0, where)
        emission = _number(entry.get("n", DEFAULT_EMISSION), "n", 0.5, 4.0, where)
        diodes.append(Diode(str(entry.get("name", f"D{index}")), a, k, vf, emission))
    return diodes


def _number(value: object, key: str, low: float, high: float, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise PartsFileError(f"{where}: '{key}' must be a number from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _ends(between: object, where: str) -> tuple[int, int]:
    if not isinstance(between, list) or len(between) != 2:
        raise PartsFileError(f"{where}: 'between' must list exactly two places, e.g. [10, 20]")
    ends: list[int] = []
    for place in between:
        try:
            node_id = nodes.resolve_node(place)
        except (ValueError, TypeError) as exc:
            raise PartsFileError(f"{where}: {exc}") from None
        if node_id not in PLACEABLE:
            raise PartsFileError(f"{where}: {place!r} is not a breadboard place (rows 1-60, Nano pins, rail strips)")
        ends.append(node_id)
    if ends[0] == ends[1]:
        raise PartsFileError(f"{where}: both ends are on {between[0]!r}")
    return ends[0], ends[1]
