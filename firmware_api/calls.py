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
from firmware_api.catalog import Arg, ArgKind, Firmware, Function, by_name, lookup
from firmware_api.errors import ArgumentError, UnsupportedByFirmware
from firmware_api.quoting import literal
from firmware_api.versions import Family, FirmwareVersion

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
        """The call as source text, positional only.

        A trailing argument is left out only when the firmware accepts the call without it and its value is
        what the firmware uses then (`Arg.firmware_default`); everything else is sent, so `disconnect(n, -1)`
        keeps its -1.
        """
        args = list(self.args)
        declared = self.function.args
        while args and _firmware_default(declared[len(args) - 1], args[-1]):
            args.pop()
        return f"{self.function.name}({', '.join(literal(a) for a in args)})"

    @property
    def print_source(self) -> str:
        """A statement that prints the result's repr, for `parse_reply`."""
        return f"print(repr({self.source}))"


def _firmware_default(arg: Arg, value: object) -> bool:
    """Whether sending nothing for `arg` means exactly `value` to the firmware."""
    return arg.omittable and _same(value, arg.firmware_default)


def _same(value: object, default: object) -> bool:
    return type(value) is type(default) and value == default


def family_of(firmware: Firmware) -> Family:
    return firmware.family if isinstance(firmware, FirmwareVersion) else firmware


def build_call(name: str, firmware: Firmware, /, *args: object, **kwargs: object) -> Call:
    """Validate arguments against the catalog entry and build the call.

    `firmware` is a family, or the connected firmware's version: then a function outside its version range
    (`Function.since/until`) is `UnsupportedByFirmware` before anything is sent.
    """
    try:
        function = lookup(name, firmware)
    except KeyError:
        raise UnsupportedByFirmware(_unsupported(name, firmware)) from None
    values = bind(function, args, kwargs)
    coerced = tuple(coerce(arg, value) for arg, value in zip(function.args, values, strict=True))
    _check_counts(function, coerced)
    return Call(function, coerced)


def _unsupported(name: str, firmware: Firmware) -> str:
    if isinstance(firmware, FirmwareVersion):
        family = firmware.family
        for entry in by_name().get(name, ()):
            if entry.available_in(family) and entry.requirement():
                return f"{name}() is not in firmware {firmware}: it needs firmware {entry.requirement()}"
        return f"{name}() is not available on firmware {firmware}"
    return f"{name}() is not available on {firmware.name} firmware"


def _check_counts(function: Function, values: Sequence[object]) -> None:
    """A list argument with `count_of` must hold exactly the product of those arguments (overlay colours)."""
    by_arg = dict(zip((a.name for a in function.args), values, strict=True))
    for arg in function.args:
        if not arg.count_of:
            continue
        wanted = math.prod(int(by_arg[name]) for name in arg.count_of)  # type: ignore[call-overload]
        got = _item_count(by_arg[arg.name])
        if got != wanted:
            shape = " x ".join(f"{name} {by_arg[name]}" for name in arg.count_of)
            raise ArgumentError(arg.name, f"{got} value(s) given; {shape} needs exactly {wanted}", f"{wanted} values")


def _item_count(value: object) -> int:
    if isinstance(value, (list, tuple)):
        return sum(_item_count(v) if isinstance(v, (list, tuple)) else 1 for v in value)
    return 1


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
        ArgKind.COLORS: f"a list of 0xRRGGBB integers (0-16777215), flat or row by row, at most {MAX_COLORS}",
    }
    if arg.kind in fixed:
        return fixed[arg.kind]
    if arg.kind is ArgKind.FLOAT:
        return _range_text(arg)
    if arg.kind is ArgKind.STR_OR_FLOAT:
        return f"text, or a number {_range_text(arg)}"
    lo, hi = _int_bounds(arg)
    if arg.kind is ArgKind.STR_OR_INT:
        return f"text, or an integer {lo}-{hi}"
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


def _str_or_int(arg: Arg, value: object) -> str | int:
    """Text as it is (a digit string stays text: the firmware tells the two apart by type), else an integer."""
    if isinstance(value, str):
        return value
    lo, hi = _int_bounds(arg)
    return _ranged_int(arg, value, lo, hi, allowed_values(arg))


def _str_or_float(arg: Arg, value: object) -> str | float:
    """Text as it is, else a number within the argument's (float32-safe) bounds."""
    return value if isinstance(value, str) else _float(arg, value)


def _json(arg: Arg, value: object) -> str:
    """The document as JSON text. NaN and Infinity are refused: they are not JSON, and the firmware's reader says no."""
    if isinstance(value, (dict, list)):
        # Real characters, not \uXXXX escapes (no surrogate pairs for the firmware's JSON reader); `literal()`
        # escapes them into the Python source.
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError as exc:  # allow_nan=False: "Out of range float values are not JSON compliant"
            problem = "holds a NaN or infinite number, which JSON cannot write" if "float" in str(exc) else str(exc)
            raise ArgumentError(arg.name, problem, allowed_values(arg)) from None
    if isinstance(value, str):
        try:
            json.loads(value, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise ArgumentError(arg.name, f"not valid JSON: {exc}", allowed_values(arg)) from None
        except ValueError as exc:
            raise ArgumentError(arg.name, str(exc), allowed_values(arg)) from None
        return value
    raise ArgumentError(arg.name, f"expected a JSON document, got {type(value).__name__}", allowed_values(arg))


def _no_constant(name: str) -> object:
    """json.loads accepts NaN, Infinity and -Infinity; JSON (and the firmware's reader) does not."""
    raise ValueError(f"not valid JSON: {name} is not a JSON number")


MAX_COLORS = 300  # the LED grid is 30 x 10


def _colors(arg: Arg, value: object) -> list[object]:
    """A list of colour ints, or of rows (lists) of them, sent as a list literal (mp_obj_get_array wants one)."""
    allowed = allowed_values(arg)
    if not isinstance(value, (list, tuple)) or not value:
        raise ArgumentError(arg.name, f"expected a non-empty list of colours, got {value!r:.60}", allowed)
    out: list[object] = []
    for item in value:
        if isinstance(item, (list, tuple)):
            if not item:
                raise ArgumentError(arg.name, "a row of colours is empty", allowed)
            out.append([_color(arg, c, allowed) for c in item])
        else:
            out.append(_color(arg, item, allowed))
    if _item_count(out) > MAX_COLORS:
        raise ArgumentError(arg.name, f"{_item_count(out)} colours is more than the grid holds", allowed)
    return out


def _color(arg: Arg, value: object, allowed: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(arg.name, f"expected a 0xRRGGBB integer, got {value!r:.60}", allowed)
    lo, hi = _int_bounds(arg)
    if not lo <= value <= hi:
        raise ArgumentError(arg.name, f"colour {value} is out of range", allowed)
    return value


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
    ArgKind.COLORS: _colors,
    ArgKind.STR_OR_INT: _str_or_int,
    ArgKind.STR_OR_FLOAT: _str_or_float,
}
