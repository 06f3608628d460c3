"""Turn a validated call into MicroPython source, with every value quoted.

`build_call("connect", Family.JUMPERLOS, "D13", 20)` checks each argument
against the catalog (node names, ranges, kinds) and returns a `Call` whose
`source` is e.g. `connect(83, 20)`. Nothing user-supplied is ever pasted:
function names come from the catalog and values go through `literal()`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from firmware_api import nodes
from firmware_api.catalog import Arg, ArgKind, Function, lookup
from firmware_api.errors import ArgumentError, UnsupportedByFirmware
from firmware_api.quoting import literal
from firmware_api.versions import Family

DAC_CHANNEL_NODES = {nodes.DAC0: 0, nodes.DAC1: 1, nodes.TOP_RAIL: 2, nodes.BOTTOM_RAIL: 3}
DAC_CHANNEL_NAMES = {channel: nodes.canonical_name(node_id) for node_id, channel in DAC_CHANNEL_NODES.items()}
WAVE_NAMES = {
    "sine": 0,
    "sin": 0,
    "triangle": 1,
    "tri": 1,
    "sawtooth": 2,
    "saw": 2,
    "ramp": 2,
    "square": 3,
    "sq": 3,
    "arbitrary": 4,
    "arb": 4,
}


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


def build_call(name: str, family: Family, /, *args: object, **kwargs: object) -> Call:
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
        raise ArgumentError(
            function.name, f"takes at most {len(declared)} arguments, got {len(args)}", signature(function)
        )
    known = {a.name for a in declared}
    for key in kwargs:
        if key not in known:
            raise ArgumentError(key, f"unknown argument of {function.name}()", ", ".join(sorted(known)) or "none")
    values: list[object] = []
    for index, arg in enumerate(declared):
        if index < len(args):
            if arg.name in kwargs:
                raise ArgumentError(arg.name, "given both by position and by name", allowed_values(arg))
            values.append(args[index])
        elif arg.name in kwargs:
            values.append(kwargs[arg.name])
        elif not arg.required:
            values.append(arg.default)
        else:
            raise ArgumentError(arg.name, f"missing required argument of {function.name}()", allowed_values(arg))
    return values


def signature(function: Function) -> str:
    """`name(arg, arg=default)`, for messages that list what a function takes."""
    parts = [a.name if a.required else f"{a.name}={a.default!r}" for a in function.args]
    return f"{function.name}({', '.join(parts)})"


NODE_ALLOWED = "1-60, D0-D13, A0-A7, GND, TOP_RAIL, DAC0, ADC0, GPIO_1, ..."
DAC_ALLOWED = "0-3, DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL"
GPIO_ALLOWED = "1-10, 20-27, GPIO_1-GPIO_8, UART_TX, UART_RX"
PWM_ALLOWED = "1-8, 131-138, GPIO_1-GPIO_8"
_DIGITS = re.compile(r"-?[0-9]+")


def allowed_values(arg: Arg) -> str:
    """What an argument accepts, in words, for error messages."""
    fixed = {
        ArgKind.NODE: NODE_ALLOWED,
        ArgKind.SLOT: "0-7",
        ArgKind.DAC_CHANNEL: DAC_ALLOWED,
        ArgKind.ADC_CHANNEL: "0-3",
        ArgKind.INA_SENSOR: "0-1",
        ArgKind.GPIO_PIN: GPIO_ALLOWED,
        ArgKind.PWM_PIN: PWM_ALLOWED,
        ArgKind.WAVE: "0-4, " + ", ".join(sorted(WAVE_NAMES)),
        ArgKind.BOOL: "true, false",
        ArgKind.STR: "any text",
        ArgKind.JSON: "a JSON document (object, array, or its text)",
    }
    if arg.kind in fixed:
        return fixed[arg.kind]
    if arg.kind is ArgKind.FLOAT:
        return _range_text(arg)
    lo, hi = _int_bounds(arg)
    return f"{lo}-{hi}"


def _int_bounds(arg: Arg) -> tuple[int, int]:
    lo = int(arg.minimum) if arg.minimum is not None else -(2**31)
    hi = int(arg.maximum) if arg.maximum is not None else 2**31 - 1
    return lo, hi


def coerce(arg: Arg, value: object) -> object:
    """Check one value and convert it to what the firmware expects."""
    if not arg.required and value == arg.default and type(value) is type(arg.default):
        return value
    converter = _CONVERTERS[arg.kind]
    return converter(arg, value)


def _node(arg: Arg, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str, nodes.Node)):
        raise ArgumentError(arg.name, f"expected a node number or name, got {type(value).__name__}", NODE_ALLOWED)
    try:
        return nodes.resolve_node(value)
    except ValueError as exc:
        raise ArgumentError(arg.name, str(exc), NODE_ALLOWED) from None


def _ranged_int(arg: Arg, value: object, lo: int, hi: int, allowed: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
            value = int(value.strip())
        else:
            raise ArgumentError(arg.name, f"expected an integer, got {value!r}", allowed or f"{lo}-{hi}")
    if not lo <= value <= hi:
        raise ArgumentError(arg.name, f"{value} is out of range", allowed or f"{lo}-{hi}")
    return value


def _int(arg: Arg, value: object) -> int:
    lo, hi = _int_bounds(arg)
    return _ranged_int(arg, value, lo, hi)


def _float(arg: Arg, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(arg.name, f"expected a number, got {value!r}", _range_text(arg))
    try:
        number = float(value)
    except OverflowError:
        raise ArgumentError(arg.name, f"{value} is out of range", _range_text(arg)) from None
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
        raise ArgumentError(arg.name, f"expected text, got {type(value).__name__}", allowed_values(arg))
    return value


def _json(arg: Arg, value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            raise ArgumentError(arg.name, f"not valid JSON: {exc}", allowed_values(arg)) from None
        return value
    raise ArgumentError(arg.name, f"expected a JSON document, got {type(value).__name__}", allowed_values(arg))


def _dac_channel(arg: Arg, value: object) -> int:
    allowed = DAC_ALLOWED
    if isinstance(value, str) and not _DIGITS.fullmatch(value.strip()):
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
        raise ArgumentError(arg.name, str(exc), GPIO_ALLOWED) from None


def _pwm_pin(arg: Arg, value: object) -> int:
    try:
        return nodes.pwm_pin_for(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ArgumentError(arg.name, str(exc), PWM_ALLOWED) from None


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
