"""How the board's MicroPython prints a float: float32 values, formatted per firmware family.

Both families store floats as float32. 5.3.x embeds MicroPython 1.25, whose `repr(float)` is `%.7g`
(`py/objfloat.c float_print`, precision 7). JumperlOS embeds 1.28, whose repr searches for a short
decimal that parses back to the same float32 (`py/formatfloat.c`, MICROPY_FLOAT_FORMAT_IMPL_APPROX, the
default for single-precision builds): up to 9 significant digits, no exponent below 1e16. That search is
not "the shortest round trip" (3333.3333 prints as 3333.3332), so it is reproduced here step by step in
float32 arithmetic, as the C code runs it, and checked against the values measured on real builds
(`../shared/reference/micropython-floats.md`).

The family in force is the one of the VM running on the calling thread (`running_family`), so a float
the `jumperless` module returns prints the way its board's firmware would.
"""

from __future__ import annotations

import math
import struct
import threading

from firmware_api.versions import Family

_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")
_LEGACY_PRECISION = 7  # MicroPython 1.25 float_print with MICROPY_OBJ_REPR_A
_SAFE_DIGITS = 6  # digits a float32 always holds
_MAX_DIGITS = 9  # digits that pin down any float32
_MAX_EXP_ZEROS = 16  # repr writes 1e15 as 1000000000000000.0, 1e16 with an exponent
_MANTISSA_MAX = 0x19999998  # py/parsenum.c: a uint32 mantissa that can take one more digit
_LOG10_2 = _F32.unpack(_F32.pack(0.3010299956639812))[0]

_state = threading.local()


def to_float32(value: float) -> float:
    """Round to the nearest float32 (beyond its range: ±inf, as the board stores such values)."""
    try:
        return _F32.unpack(_F32.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _bits(value: float) -> int:
    return _U32.unpack(_F32.pack(value))[0]


def _from_bits(bits: int) -> float:
    return _F32.unpack(_U32.pack(bits & 0xFFFFFFFF))[0]


# --- which family prints -------------------------------------------------------------------------------------------
def running_family() -> Family | None:
    """The family of the VM running code on this thread, if any."""
    return getattr(_state, "family", None)


def set_running_family(family: Family | None) -> None:
    """The VM running code on this thread is `family`'s (each virtual board runs its code on its own thread)."""
    _state.family = family


def float_repr(value: float, family: Family | None = None) -> str:
    """`repr(value)` on the board: the float32 nearest `value`, printed as the family's MicroPython does.

    With no family given, the running VM's; outside any VM, 5.3.x's `%.7g`.
    """
    family = family or running_family() or Family.LEGACY
    single = to_float32(float(value))
    if family is Family.JUMPERLOS:
        return _with_decimal_point(_format_repr(single))
    return _with_decimal_point(_format_legacy(single))


def _with_decimal_point(text: str) -> str:
    """PF_FLAG_ALWAYS_DECIMAL: floats always show a '.', unless written with an exponent or inf/nan."""
    return text if any(c in text for c in ".en") else text + ".0"


def _format_legacy(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        return ("-" if value < 0 else "") + ("inf" if math.isinf(value) else "nan")
    return format(value, f".{_LEGACY_PRECISION}g")


# --- MicroPython 1.28 (APPROX) -------------------------------------------------------------------------------------
def _pow5(exponent: int) -> float:
    """powf(5, n), taken as correctly rounded."""
    return to_float32(5.0**exponent)


def _decimal_exp(value: float, exponent: int) -> float:
    """value * 10**exponent in float32 the way py/parsenum.c mp_decimal_exp does it: the power of two goes
    straight into the exponent bits, the power of five is a float32 multiply (or divide, for 5**1..5**10)."""
    if exponent == 0 or value == 0:
        return value
    bits = _bits(value)
    biased = ((bits >> 23) + exponent) & 0xFF  # an 8-bit bitfield: wraps like the C struct does
    scaled = _from_bits((bits & ~(0xFF << 23)) | (biased << 23))
    if -10 <= exponent < 0:
        return to_float32(scaled / _pow5(-exponent))
    return to_float32(scaled * _pow5(exponent))


def parse_float(text: str) -> float:
    """py/parsenum.c mp_parse_float_internal for an unsigned decimal: a uint32 mantissa, then mp_decimal_exp."""
    mantissa, exponent, extra = 0, 0, 0
    zeros_int = zeros_frac = 0
    in_fraction = False
    body, _, exp_text = text.lower().partition("e")
    for char in body:
        if char == ".":
            in_fraction = True
            continue
        digit = ord(char) - ord("0")
        if digit == 0 or mantissa >= _MANTISSA_MAX:
            if in_fraction:
                zeros_frac += 1
            else:
                zeros_int += 1
            continue
        for count, fractional in ((zeros_int, False), (zeros_frac, True)):
            for _ in range(count):
                mantissa, extra = _accept_digit(mantissa, 0, extra, fractional)
        zeros_int = zeros_frac = 0
        mantissa, extra = _accept_digit(mantissa, digit, extra, in_fraction)
    if exp_text:
        exponent = int(exp_text)
    return to_float32(_decimal_exp(to_float32(float(mantissa)), exponent + extra + zeros_int))


def _accept_digit(mantissa: int, digit: int, extra: int, fractional: bool) -> tuple[int, int]:
    if mantissa < _MANTISSA_MAX:
        return 10 * mantissa + digit, extra - (1 if fractional else 0)
    return mantissa, extra + (0 if fractional else 1)


def _render(mantissa: int, digits: int, trailing: int, exponent: int) -> str:
    """py/formatfloat.c mp_format_mantissa in 'g' mode: an integer mantissa of `digits` digits times
    10**(exponent - digits + 1), written plainly when the exponent allows, else as d.ddde±XX."""
    if mantissa >= 10**digits:  # rounding carried into an extra digit
        mantissa //= 10
        exponent += 1
    prefix, point = "", 0  # point: index of the digit the decimal point follows
    if exponent > 0 and exponent < _MAX_EXP_ZEROS:
        point = exponent
        if point >= digits:
            trailing = point - (digits - 1)
        exponent = 0
    elif -4 <= exponent < 0:
        dropped = 0
        while exponent < 0 and mantissa % 10 == 0:
            mantissa //= 10
            dropped += 1
            exponent += 1
        digits -= dropped
        prefix = "0." + "0" * (dropped - exponent - 1)
        point = -1  # the prefix holds the point
        exponent = 0
    text = str(mantissa % 10**digits).zfill(digits) if digits > 0 else ""
    has_point = point < 0
    if point >= 0 and point + 1 < digits:
        text = text[: point + 1] + "." + text[point + 1 :]
        has_point = True
    if trailing:
        left = point - (digits - 1) if point >= 0 else 255
        for _ in range(trailing):
            if left == 0:
                text += "."
                has_point = True
            left -= 1
            text += "0"
    text = prefix + text
    if has_point:
        text = text.rstrip("0").rstrip(".")
    if exponent:
        text += f"e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
    return text


def _decimal_exponent(value: float) -> int:
    """The power of ten of the leading digit, found as the C code finds it (float32 powers of ten)."""
    if value == 0:
        return 0
    binary = ((_bits(value) >> 23) & 0xFF) - 127
    exponent = int(to_float32(binary * _LOG10_2))
    above_one = value >= 1.0
    while (value >= _decimal_exp(1.0, exponent + above_one)) == above_one:
        exponent += 1 if above_one else -1
    return exponent


def _format_repr(value: float) -> str:
    """mp_format_float(value, 'g', MP_FLOAT_REPR_PREC) of 1.28, single precision, APPROX."""
    sign = "-" if math.copysign(1.0, value) < 0 and not math.isnan(value) else ""
    value = abs(value)
    if math.isinf(value) or math.isnan(value):
        return sign + ("inf" if math.isinf(value) else "nan")
    exponent = _decimal_exponent(value)
    digits = _SAFE_DIGITS
    while True:
        text, exact = _try_digits(value, digits, exponent)
        if exact or digits >= _MAX_DIGITS:
            return sign + text
        digits += 1


def _try_digits(value: float, digits: int, exponent: int) -> tuple[str, bool]:
    """One pass of the search with `digits` digits: (text, whether it parses back to `value`)."""
    trailing = _MAX_DIGITS - digits
    scale = 0 if value == 0 else digits - exponent - 1
    mantissa = 1
    if digits > _SAFE_DIGITS and scale > 1:  # float32 cannot scale to 7+ digits: the last ones come as zeros
        shift = 2 if digits > _SAFE_DIGITS + 1 and scale > 2 else 1
        mantissa, scale = 10**shift, scale - shift
    mantissa *= int(to_float32(_decimal_exp(value, scale) + 0.5))

    def attempt(candidate: int) -> tuple[str, float]:
        text = _render(candidate, digits, trailing, exponent)
        return text, to_float32(parse_float(text) - value)

    text, diff = attempt(mantissa)
    if diff == 0:
        return text, True
    best_diff, best = diff, mantissa
    step = 1 << (3 * (digits - _SAFE_DIGITS)) if digits > _SAFE_DIGITS else 1
    for _ in range(3 + 3 * (_MAX_DIGITS - _SAFE_DIGITS)):  # a dichotomic search around the first guess
        mantissa += step if math.copysign(1.0, diff) < 0 else -step
        text, diff = attempt(mantissa)
        if diff == 0:
            return text, True
        delta = to_float32(abs(diff) - abs(best_diff))
        if math.copysign(1.0, delta) < 0 or (delta == 0 and mantissa % 10 == 0):
            best_diff, best = diff, mantissa
        if step > 1:
            step >>= 1
            continue
        if digits < _MAX_DIGITS:
            return text, False  # no exact text with this many digits: the caller tries one more
        return (text if mantissa == best else _render(best, digits, trailing, exponent)), True
    return text, True
