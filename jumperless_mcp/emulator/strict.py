"""MicroPython's argument checks and conversions, as the firmware's `jumperless` functions meet them.

Every function the virtual board exports is a `FirmwareFunction` built from its `FunctionSig` in the
generated firmware table (`firmware_api.firmware_table`): positional-only with the firmware's exact
arity, keywords refused unless the C function is declared `_KW`, and each positional argument converted
the way the C body converts it before the implementation sees it. Messages are MicroPython's at
`MICROPY_ERROR_REPORTING_DETAILED`, the level all three firmware trees build with (JOS
`lib/micropython/port/mpconfigport.h`:290, upstream :300, V5 `RP23V50firmware/lib/micropython/port/
mpconfigport.h`:135); the texts are those of MicroPython v1.25/v1.28 `py/argcheck.c`, `py/obj.c`,
`py/objstr.c` and `py/runtime.c` (identical in both versions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from firmware_api.c_module import FunctionSig
from jumperless_mcp.emulator.floats import to_float32
from jumperless_mcp.emulator.fwtypes import FirmwareObject, NodeObject

MAX_ARGS = 0xFFFF  # MP_OBJ_FUN_ARGS_MAX: the "maximum" of `_VAR` and `_KW` functions
MACHINE_WORD = (-(2**31), 2**31)  # mp_int_t on the RP2350
NODE_NAME_LIMIT = 32  # find_node_value's upper_name[32]: names of 32+ bytes are never found (JOS mjc :765)
_STRTOL_DECIMAL = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+")  # what strtol(name, &end, 10) consumes whole
_CPYTHON_TYPE_NAMES = {"builtin_function_or_method": "function", "method": "bound_method"}


def type_name(value: object) -> str:
    """mp_obj_get_type_str(): the MicroPython name of a value's type, as error messages show it."""
    name = type(value).__name__
    return _CPYTHON_TYPE_NAMES.get(name, name)


# --- conversions (py/obj.c) -------------------------------------------------------------------------------------
def get_int(value: object) -> int:
    """mp_obj_get_int(): ints and bools, and objects with an int conversion (the firmware's own types)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return machine_word(value)
    if isinstance(value, FirmwareObject) or _user_conversion(value, "__int__"):
        return machine_word(int(value))  # type: ignore[call-overload]
    raise TypeError(f"can't convert {type_name(value)} to int")


def machine_word(value: int) -> int:
    """mp_obj_int_get_checked(): a long int that does not fit in 32 bits raises."""
    if not MACHINE_WORD[0] <= value < MACHINE_WORD[1]:
        raise OverflowError("overflow converting long int to machine word")
    return value


def get_float(value: object) -> float:
    """mp_obj_get_float(), rounded to the firmware's single precision (mp_float_t is float)."""
    if isinstance(value, (bool, int, float)):
        return to_float32(float(value))
    if isinstance(value, FirmwareObject) or _user_conversion(value, "__float__"):
        return to_float32(float(value))  # type: ignore[arg-type]
    raise TypeError(f"can't convert {type_name(value)} to float")


def get_str(value: object) -> str:
    """mp_obj_str_get_str(): str, or the bytes of a bytes object (read as UTF-8 here)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="surrogateescape")
    raise TypeError(f"can't convert '{type_name(value)}' object to str implicitly")


def is_true(value: object) -> bool:
    """mp_obj_is_true(): Python truthiness (firmware objects define their own)."""
    return bool(value)


def get_array(value: object) -> list[object]:
    """mp_obj_get_array(): only a tuple or a list."""
    if isinstance(value, (list, tuple)):
        return list(value)
    raise TypeError(f"object '{type_name(value)}' isn't a tuple or list")


def _user_conversion(value: object, method: str) -> bool:
    """A user class with __int__/__float__ (MicroPython maps INT_MAYBE/FLOAT_MAYBE to them); not float/str."""
    return not isinstance(value, (float, complex, str, bytes, bytearray)) and hasattr(type(value), method)


# --- nodes (JOS mjc get_node_value :1768, find_node_value :760; V5 :1049, :438) -------------------------------
def find_node_value(name: str, node_names: Mapping[str, int]) -> int:
    """A node id for a string, or -1: integers 1-200 as strtol reads them, then the firmware's own names."""
    if len(name.encode("utf-8", errors="surrogateescape")) >= NODE_NAME_LIMIT:
        return -1
    upper = "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in name)  # ASCII only, as the C loop
    if _STRTOL_DECIMAL.fullmatch(upper) and 1 <= int(upper) <= 200:
        return int(upper)
    return node_names.get(upper, -1)


def node_value(value: object, node_names: Mapping[str, int]) -> int:
    """get_node_value(): a node object gives its id, an int passes unchecked, a string is looked up."""
    if isinstance(value, NodeObject):
        return value.value
    if isinstance(value, int) and not isinstance(value, bool):  # mp_obj_is_int: a bool is not an int
        return machine_word(value)
    if isinstance(value, str):
        found = find_node_value(value, node_names)
        if found == -1:
            raise ValueError("Unknown node name")
        return found
    raise TypeError("Expected node, int, or string")


# --- argument counts (py/argcheck.c mp_arg_check_num_sig) ---------------------------------------------------------
def check_count(min_args: int, max_args: int | None, n_args: int, n_kw: int, takes_kw: bool) -> None:
    """The arity check every builtin function runs before its C body."""
    high = MAX_ARGS if max_args is None else max_args
    if n_kw and not takes_kw:
        raise TypeError("function doesn't take keyword arguments")
    if min_args == high:
        if n_args != min_args:
            raise TypeError(f"function takes {min_args} positional arguments but {n_args} were given")
    elif n_args < min_args:
        raise TypeError(f"function missing {min_args - n_args} required positional arguments")
    elif n_args > high:
        raise TypeError(f"function expected at most {high} arguments, got {n_args}")


# --- keyword arguments of `_KW` functions (py/argcheck.c mp_arg_parse_all) ----------------------------------------
NULL: object = type("MP_OBJ_NULL", (), {"__repr__": lambda self: "MP_OBJ_NULL"})()  # a default "not given" (not None)


@dataclass(frozen=True)
class KwArg:
    """One `mp_arg_t` of a `_KW` function's allowed_args: name, MP_ARG_INT/BOOL/OBJ, flags, default."""

    name: str
    kind: str = "obj"  # "int" (mp_obj_get_int), "bool" (mp_obj_is_true) or "obj" (as given)
    default: object = None
    required: bool = False
    kw_only: bool = False


def parse_all(positional: tuple[object, ...], keywords: Mapping[str, object], allowed: tuple[KwArg, ...]):  # type: ignore[no-untyped-def]
    """mp_arg_parse_all(): positional then keyword values for `allowed`, converted, as a name -> value dict."""
    values: dict[str, object] = {}
    used = 0
    for index, arg in enumerate(allowed):
        if index < len(positional):
            if arg.kw_only:
                raise TypeError("extra positional arguments given")
            given = positional[index]
        elif arg.name in keywords:
            used += 1
            given = keywords[arg.name]
        elif arg.required:
            raise TypeError(f"'{arg.name}' argument required")
        else:
            values[arg.name] = arg.default
            continue
        values[arg.name] = get_int(given) if arg.kind == "int" else is_true(given) if arg.kind == "bool" else given
    if len(positional) > len(allowed):
        raise TypeError("extra positional arguments given")
    if used < len(keywords):
        raise TypeError("extra keyword arguments given")
    return values


def keyword_args(*allowed: KwArg, print_style: bool = False) -> Callable[[Callable], Callable]:  # type: ignore[type-arg]
    """Mark an implementation of a `_KW` function with its allowed_args.

    print-style (`mp_arg_parse_all(0, NULL, kw_args, ...)`): the positional arguments are values, every allowed
    argument is keyword-only, and the implementation also gets `keywords_used` (the C body's `kw_args->used`).
    """

    def mark(function: Callable) -> Callable:  # type: ignore[type-arg]
        function.kw_spec = allowed  # type: ignore[attr-defined]
        function.print_style = print_style  # type: ignore[attr-defined]
        return function

    return mark


def converts_itself(*positions: int) -> Callable[[Callable], Callable]:  # type: ignore[type-arg]
    """Mark arguments an implementation converts itself, where the C body's order of checks matters.

    E.g. `dac_set` maps its channel (ValueError) before converting the voltage (TypeError); the table's kind
    still describes the argument, the implementation applies it in the C order.
    """

    def mark(function: Callable) -> Callable:  # type: ignore[type-arg]
        function.raw_positions = frozenset(positions)  # type: ignore[attr-defined]
        return function

    return mark


# --- the function objects -----------------------------------------------------------------------------------------
Converter = Callable[[object], object]


class FirmwareFunction:
    """A builtin function of the firmware's module: checks the call like MicroPython, converts, then runs.

    One object per C function object, so aliases that share it are the same object (`is`), as on the board.
    """

    __slots__ = ("_converters", "_implementation", "_sig")

    def __init__(self, sig: FunctionSig, implementation: Callable[..., object], converters: tuple[Converter, ...]):
        self._sig = sig
        self._implementation = implementation
        self._converters = converters
        if sig.keywords and not hasattr(implementation, "kw_spec"):
            raise TypeError(f"{sig.c_function} takes keywords: its implementation needs @keyword_args")

    def __call__(self, *args: object, **kwargs: object) -> object:
        sig = self._sig
        high = None if sig.keywords else sig.max_args  # `_KW`: the macro's maximum is MP_OBJ_FUN_ARGS_MAX
        check_count(sig.min_args, high, len(args), len(kwargs), bool(sig.keywords))
        if sig.keywords:
            spec = self._implementation.kw_spec  # type: ignore[attr-defined]
            if self._implementation.print_style:  # type: ignore[attr-defined]
                parsed = parse_all((), kwargs, spec)
                return self._implementation(*args, keywords_used=len(kwargs), **parsed)
            return self._implementation(**parse_all(args, kwargs, spec))
        converted = [convert(arg) for convert, arg in zip(self._converters, args, strict=False)]
        return self._implementation(*converted, *args[len(converted) :])

    def __repr__(self) -> str:
        return "<function>"  # mp_obj_print_helper: a builtin has no print slot, so `<%q>` of its type


FirmwareFunction.__name__ = FirmwareFunction.__qualname__ = "function"
FirmwareFunction.__module__ = "builtins"  # type(f) prints as <class 'function'>, as MicroPython's does


def converters_for(
    kinds: tuple[str, ...], node_names: Mapping[str, int], raw_positions: frozenset[int] = frozenset()
) -> tuple[Converter, ...]:
    """One converter per positional argument kind of the table ("object" and "sequence" pass as given)."""
    table: dict[str, Converter] = {
        "int": get_int,
        "float": get_float,
        "str": get_str,
        "truthy": is_true,
        "node": lambda value: node_value(value, node_names),
    }
    return tuple(
        _as_given if index in raw_positions else table.get(kind, _as_given) for index, kind in enumerate(kinds)
    )


def _as_given(value: object) -> object:
    return value
