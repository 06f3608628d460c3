"""Integer arguments as JSON delivers them: JSON Schema's "integer" also admits 1.0, so parsers take it as 1."""

from __future__ import annotations

from jumperless_mcp.errors import ArgumentError


def whole(value: object, parameter: str, allowed: str) -> int:
    """`value` as an int: ints as they are, integral floats (0.0, 255.0) as ints; anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ArgumentError(parameter, f"expected a whole number, got {value!r}", allowed)
