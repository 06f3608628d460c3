"""Turn a validated call into MicroPython source, with every value quoted.

`build_call("connect", Family.JUMPERLOS, "D13", 20)` checks each argument
against the catalog (node names, ranges, kinds) and returns a `Call` whose
`source` is e.g. `connect(83, 20)`. Nothing user-supplied is ever pasted:
function names come from the catalog and values go through `literal()`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from firmware_api import nodes
from firmware_api.catalog import Arg, ArgKind, Function, lookup
from firmware_api.errors import ArgumentError, UnsupportedByFirmware
from firmware_api.quoting import literal
from firmware_api.versions import Family

DAC_CHANNEL_NODES = {nodes.DAC0: 0, nodes.DAC1: 1, nodes.TOP_RAIL: 2, nodes.BOTTOM_RAIL: 3}
WAVE_NAMES = {
    "sine": 0, "sin": 0,
    "triangle": 1, "tri": 1,
    "sawtooth": 2, "saw": 2, "ramp": 2,
    "square": 3, "sq": 3,
    "arbitrary": 4, "arb": 4,
}  # fmt: skip


@dataclass(frozen=True)
class Call:
    """A firmware call whose arguments are already in the firmware's terms."""

    function: Function
    args: tuple[object, ...]

    @property
    def source(self) -> str:
        """The call as source text; trailing arguments left at their defaults are omitted."""
        args = list(self.args)
        declared = list(self.function.args)
        while args and not declared[len(args) - 1].required and _same(args[-1], declared[len(args) - 1].default):
            args.pop()
        return f"{self.function.name}({', '.join(literal(a) for a in args)})"

    @property
    def print_source(self) -> str:
        """A statement that prints the result's repr, for `parse_reply`."""
        return f"print(repr({self.source}))"


def _same(value: object, default: object) -> bool:
    return type(value) is type(default) and value == default


def build_call(name: str, family: Family, *args: object, **kwargs: object) -> Call:
    """Validate arguments against the catalog entry and build the call."""
    try:
        function = lookup(name, family)
    except KeyError:
        raise UnsupportedByFirmware(f"{name}() is not available on {family.name} firmware") from None
    values = bind(function, args, kwargs)
    return Call(function, tuple(coerce(arg, value) for arg, value in zip(function.args, values, strict=True)))


def bind(function: Function, args: Sequence[object], kwargs: Mapping[str, object]) -> list[object]:
    """Match positional and keyword values to the declared arguments, filling defaults."""
    declared = function.args
    if len(args) > len(declared):
        raise ArgumentError(function.name, f"takes at most {len(declared)} arguments, got {len(args)}")
    known = {a.name for a in declared}
    for key in kwargs:
        if key not in known:
            raise ArgumentError(key, f"unknown argument of {function.name}()", ", ".join(sorted(known)) or "none")
    values: list[object] = []
    for index, arg in enumerate(declared):
        if index < len(args):
            if arg.name in kwargs:
                raise ArgumentError(arg.name, "given both by position and by name")
            values.append(args[index])
        elif arg.name in kwargs:
            values.append(kwargs[arg.name])
        elif not arg.required:
            values.append(arg.default)
        else:
            raise ArgumentError(arg.name, f"missing required argument of {function.name}()")
    return values


def coerce(arg: Arg, value: object) -> object:
    """Check one value and convert it to what the firmware expects."""
    if not arg.required and value == arg.default and type(value) is type(arg.default):
        return value
    converter = _CONVERTERS[arg.kind]
    return converter(arg, value)


def _node(arg: Arg, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ArgumentError(arg.name, f"expected a node number or name, got {type(value).__name__}",
                            "1-60, D0-D13, A0-A7, GND, TOP_RAIL, DAC0, ADC0, GPIO_1, ...")  # fmt: skip
    try:
        return nodes.resolve_node(value)
    except ValueError as exc:
        raise ArgumentError(arg.name, str(exc)) from None


def _ranged_int(arg: Arg, value: object, lo: int, hi: int, allowed: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        else:
            raise ArgumentError(arg.name, f"expected an integer, got {value!r}", allowed or f"{lo}-{hi}")
    if not lo <= value <= hi:
        raise ArgumentError(arg.name, f"{value} is out of range", allowed or f"{lo}-{hi}")
    return value


def _int(arg: Arg, value: object) -> int:
    lo = int(arg.minimum) if arg.minimum is not None else -(2**31)
    hi = int(arg.maximum) if arg.maximum is not None else 2**31 - 1
    return _ranged_int(arg, value, lo, hi)


def _float(arg: Arg, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(arg.name, f"expected a number, got {value!r}", _range_text(arg))
    number = float(value)
    if not math.isfinite(number):
        raise ArgumentError(arg.name, f"{value!r} is not a finite number", _range_text(arg))
    if (arg.minimum is not None and number < arg.minimum) or (arg.maximum is not None and number > arg.maximum):
        raise ArgumentError(arg.name, f"{number:g} is out of range", _range_text(arg))
    return number


def _range_text(arg: Arg) -> str:
    lo = "-inf" if arg.minimum is None else f"{arg.minimum:g}"
    hi = "inf" if arg.maximum is None else f"{arg.maximum:g}"
    return f"{lo} to {hi}"


def _bool(arg: Arg, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ArgumentError(arg.name, f"expected true or false, got {value!r}", "true, false")


def _str(arg: Arg, value: object) -> str:
    if not isinstance(value, str):
        raise ArgumentError(arg.name, f"expected text, got {type(value).__name__}")
    return value


def _json(arg: Arg, value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            raise ArgumentError(arg.name, f"not valid JSON: {exc}") from None
        return value
    raise ArgumentError(arg.name, f"expected a JSON document, got {type(value).__name__}")


def _dac_channel(arg: Arg, value: object) -> int:
    allowed = "0-3, DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL"
    if isinstance(value, str) and not value.strip().isdigit():
        try:
            node_id = nodes.resolve_node(value)
        except ValueError:
            node_id = None
        if node_id not in DAC_CHANNEL_NODES:
            raise ArgumentError(arg.name, f"{value!r} is not a DAC channel", allowed)
        return DAC_CHANNEL_NODES[node_id]
    return _ranged_int(arg, value, 0, 3, allowed)


def _gpio_pin(arg: Arg, value: object) -> int:
    try:
        return nodes.gpio_pin_for(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ArgumentError(arg.name, str(exc), "1-10, 20-27, GPIO_1-GPIO_8, UART_TX, UART_RX") from None


def _pwm_pin(arg: Arg, value: object) -> int:
    try:
        return nodes.pwm_pin_for(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ArgumentError(arg.name, str(exc), "1-8, 131-138, GPIO_1-GPIO_8") from None


def _wave(arg: Arg, value: object) -> int:
    allowed = "0-4, " + ", ".join(sorted(WAVE_NAMES))
    if isinstance(value, str):
        key = value.strip().lower()
        if key not in WAVE_NAMES:
            raise ArgumentError(arg.name, f"unknown wave {value!r}", allowed)
        return WAVE_NAMES[key]
    return _ranged_int(arg, value, 0, 4, allowed)


_CONVERTERS = {
    ArgKind.NODE: _node,
    ArgKind.SLOT: lambda arg, v: _ranged_int(arg, v, 0, 7),
    ArgKind.DAC_CHANNEL: _dac_channel,
    ArgKind.ADC_CHANNEL: lambda arg, v: _ranged_int(arg, v, 0, 3),
    ArgKind.INA_SENSOR: lambda arg, v: _ranged_int(arg, v, 0, 1),
    ArgKind.GPIO_PIN: _gpio_pin,
    ArgKind.PWM_PIN: _pwm_pin,
    ArgKind.WAVE: _wave,
    ArgKind.FLOAT: _float,
    ArgKind.INT: _int,
    ArgKind.BOOL: _bool,
    ArgKind.STR: _str,
    ArgKind.JSON: _json,
}
