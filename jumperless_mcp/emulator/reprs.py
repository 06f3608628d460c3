"""What the board's `print()`, `repr()` and REPL echo write for a value.

CPython and MicroPython agree on most reprs; the differences a host or a user sees are floats (float32,
printed per family: see `floats`) and strings (MicroPython escapes every non-ASCII character, as
`ascii()` does: `py/objstrunicode.c uni_print_quoted`). Containers are printed element by element so
the floats inside them print right too. Dicts keep CPython's insertion order (MicroPython prints hash order).
"""

from __future__ import annotations

from firmware_api.versions import Family
from jumperless_mcp.emulator.floats import float_repr


def mp_repr(value: object, family: Family) -> str:
    return _repr(value, family, set())


def mp_str(value: object, family: Family) -> str:
    """str(value) as print() writes it: strings as they are, everything else as repr, floats per family."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) or type(value) in _CONTAINERS:
        return _repr(value, family, set())
    return str(value)


def _repr(value: object, family: Family, active: set[int]) -> str:
    if isinstance(value, float):
        return float_repr(value, family)
    if type(value) is str:
        return ascii(value)
    kind = type(value)
    if kind not in _CONTAINERS:
        return repr(value)
    if id(value) in active:  # MicroPython would recurse until it runs out of stack
        return "[...]" if kind is list else "{...}"
    active.add(id(value))
    try:
        return _CONTAINERS[kind](value, family, active)
    finally:
        active.discard(id(value))


def _items(values: object, family: Family, active: set[int]) -> str:
    return ", ".join(_repr(item, family, active) for item in values)  # type: ignore[attr-defined]


def _tuple(value: tuple, family: Family, active: set[int]) -> str:  # type: ignore[type-arg]
    return "(" + _items(value, family, active) + ("," if len(value) == 1 else "") + ")"


def _dict(value: dict, family: Family, active: set[int]) -> str:  # type: ignore[type-arg]
    pairs = (f"{_repr(k, family, active)}: {_repr(v, family, active)}" for k, v in value.items())
    return "{" + ", ".join(pairs) + "}"


def _set(value: set, family: Family, active: set[int]) -> str:  # type: ignore[type-arg]
    return "{" + _items(value, family, active) + "}" if value else "set()"


def _frozenset(value: frozenset, family: Family, active: set[int]) -> str:  # type: ignore[type-arg]
    return "frozenset(" + (_set(set(value), family, active) if value else "") + ")"


_CONTAINERS = {
    list: lambda value, family, active: "[" + _items(value, family, active) + "]",
    tuple: _tuple,
    dict: _dict,
    set: _set,
    frozenset: _frozenset,
}
