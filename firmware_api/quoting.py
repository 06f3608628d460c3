"""Render Python values as MicroPython source literals that cannot break out.

Every value that reaches the board passes through `literal()`. The result is
printable ASCII on one line: no quote, newline, Ctrl-C (0x03), Ctrl-D (0x04)
or other byte can end the literal early or reach the REPL as a control key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

Literal = None | bool | int | float | str | bytes | list | tuple | dict


def literal(value: object) -> str:
    """Source text for `value`, safe to splice into a statement."""
    return _render(value, set())


def _render(value: object, open_containers: set[int]) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(int(value))  # int subclasses (IntEnum) render as plain numbers
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot send a non-finite float ({value!r}) to the board")
        return repr(float(value))
    if isinstance(value, str):
        return _quote_str(value)
    if isinstance(value, (bytes, bytearray)):
        return "b" + _quote_str("".join(chr(b) for b in value), byte_string=True)
    if not isinstance(value, (tuple, list, Mapping)):
        raise TypeError(f"cannot render {type(value).__name__} as a board literal")
    if id(value) in open_containers:
        raise ValueError(f"cannot render a {type(value).__name__} that contains itself")
    open_containers.add(id(value))
    try:
        if isinstance(value, tuple):
            inner = ", ".join(_render(v, open_containers) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, list):
            return "[" + ", ".join(_render(v, open_containers) for v in value) + "]"
        items = ", ".join(f"{_render(k, open_containers)}: {_render(v, open_containers)}" for k, v in value.items())
        return "{" + items + "}"
    finally:
        open_containers.discard(id(value))


def _quote_str(text: str, *, byte_string: bool = False) -> str:
    """Single-quoted literal with every non-printable or non-ASCII character escaped."""
    out = ["'"]
    for ch in text:
        code = ord(ch)
        if ch in ("\\", "'"):
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif byte_string:
            raise ValueError("byte strings hold values 0-255 only")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append("'")
    return "".join(out)


def is_identifier(name: str) -> bool:
    """True for a plain ASCII Python identifier (what may be called by name)."""
    return name.isascii() and name.isidentifier()
