"""Printed reprs back to typed values, and tracebacks back to typed errors.

The host prints `repr(result)` on the board; `parse_reply(kind, text)` turns
that text into the value the catalog promises for the function.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable

from firmware_api import nodes, python_ast
from firmware_api.catalog import Returns
from firmware_api.errors import FirmwareError, NonFiniteReading, ReplyParseError, firmware_error
from firmware_api.values import NO_PAD, GPIODirection, GPIOPull, GPIOState, ProbeButton, ProbePad

TRACEBACK_HEADER = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(?::\s?(.*))?$")


def parse_reply(kind: Returns, text: str) -> object:
    """Parse one printed repr according to the declared return kind."""
    cleaned = text.strip()
    try:
        return _PARSERS[kind](cleaned)
    except (ReplyParseError, NonFiniteReading):
        raise
    except (ValueError, SyntaxError, KeyError, TypeError, RecursionError, MemoryError) as exc:
        raise ReplyParseError(f"cannot read {cleaned!r} as {kind.value}: {exc}") from None


def parse_float(text: str) -> float:
    """A finite float; NonFiniteReading for MicroPython's `nan` / `inf` (see that class)."""
    lowered = text.strip().lower()
    if lowered.lstrip("+-") in ("nan", "inf"):
        raise NonFiniteReading(lowered)
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?", lowered):
        raise ReplyParseError(f"not a number: {text!r}")
    return float(lowered)


def parse_int(text: str) -> int:
    if not re.fullmatch(r"[-+]?\d+", text.strip()):
        raise ReplyParseError(f"not an integer: {text!r}")
    return int(text)


def parse_bool(text: str) -> bool:
    mapping = {"True": True, "False": False, "1": True, "0": False}
    if text not in mapping:
        raise ReplyParseError(f"not a bool: {text!r}")
    return mapping[text]


def parse_connection_state(text: str) -> bool:
    mapping = {"CONNECTED": True, "DISCONNECTED": False, "True": True, "False": False}
    if text not in mapping:
        raise ReplyParseError(f"not a connection state: {text!r}")
    return mapping[text]


def _enum_parser(enum_type: type, extra: dict[str, object] | None = None) -> Callable[[str], object]:
    def parse(text: str) -> object:
        if extra and text in extra:
            return extra[text]
        try:
            return enum_type[text]
        except KeyError:
            allowed = ", ".join(m.name for m in enum_type)
            raise ReplyParseError(f"not a {enum_type.__name__} ({allowed}): {text!r}") from None

    return parse


def parse_probe_pad(text: str) -> ProbePad:
    row = text[4:] if text.startswith("PAD_") else text
    if row.isdigit():
        return ProbePad(text, int(row))
    if text == NO_PAD.name:
        return NO_PAD
    if not re.fullmatch(r"[A-Z0-9_]+", text):
        raise ReplyParseError(f"not a probe pad: {text!r}")
    return ProbePad(text)


def parse_node(text: str) -> int:
    try:
        return nodes.resolve_node(text)
    except ValueError as exc:
        raise ReplyParseError(f"not a node: {text!r}") from exc


def parse_literal(text: str) -> object:
    try:
        return ast.literal_eval(python_ast.parse(text.strip(), mode="eval"))
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as exc:
        raise ReplyParseError(f"not a Python literal: {text!r} ({exc})") from None


def parse_optional_dict(text: str) -> dict[object, object] | None:
    """A dict (get_net_current's {current_mA, voltage, from_node, to_node}), or None.

    MicroPython prints a non-finite float as a bare `nan` / `inf`, which `ast.literal_eval` refuses, so the
    values are read with a literal reader that also knows those two names."""
    if text.strip() == "None":
        return None
    try:
        value = _literal_value(python_ast.parse(text.strip(), mode="eval").body)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as exc:
        raise ReplyParseError(f"not a Python literal: {text!r} ({exc})") from None
    if not isinstance(value, dict):
        raise ReplyParseError(f"expected a dict or None, got {text!r}")
    return value


def _literal_value(node: ast.expr) -> object:
    """`ast.literal_eval` for the shapes the firmware prints, plus MicroPython's `nan` and `inf`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in ("nan", "inf"):
        return float(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        number = _literal_value(node.operand)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ValueError(f"a sign before {number!r}")
        return -number if isinstance(node.op, ast.USub) else number
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ValueError("** in a dict")
        return {_literal_value(k): _literal_value(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal_value(item) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    raise ValueError(f"not a literal: {ast.dump(node)[:60]}")


def parse_str(text: str) -> str:
    value = parse_literal(text)
    if not isinstance(value, str):
        raise ReplyParseError(f"expected a string repr, got {text!r}")
    return value


def parse_json(text: str) -> object:
    """get_state() returns a str of JSON; accept its repr or the bare JSON."""
    text = text.strip()
    document = parse_str(text) if text[:1] in ("'", '"') else text
    try:
        return json.loads(document)
    except ValueError as exc:
        raise ReplyParseError(f"not a JSON document: {text!r} ({exc})") from None


def parse_optional_float(text: str) -> float | None:
    return None if text == "None" else parse_float(text)


def parse_bytes(text: str) -> bytes | None:
    """bytes; None when the firmware has no buffer to give (oled_get_framebuffer with the OLED disconnected)."""
    if text.strip() == "None":
        return None
    value = parse_literal(text)
    if not isinstance(value, (bytes, bytearray)):
        raise ReplyParseError(f"expected bytes, got {text!r}")
    return bytes(value)


def parse_none(text: str) -> None:
    if text not in ("None", ""):
        raise ReplyParseError(f"expected None, got {text!r}")
    return None


_PARSERS: dict[Returns, Callable[[str], object]] = {
    Returns.NONE: parse_none,
    Returns.FLOAT: parse_float,
    Returns.OPTIONAL_FLOAT: parse_optional_float,
    Returns.INT: parse_int,
    Returns.BOOL: parse_bool,
    Returns.STR: parse_str,
    Returns.GPIO_STATE: _enum_parser(GPIOState),
    Returns.GPIO_DIRECTION: _enum_parser(GPIODirection),
    Returns.GPIO_PULL: _enum_parser(GPIOPull, {"NO_PULL": GPIOPull.NONE}),
    Returns.CONNECTION_STATE: parse_connection_state,
    Returns.PROBE_PAD: parse_probe_pad,
    Returns.PROBE_BUTTON: _enum_parser(ProbeButton),
    Returns.NODE: parse_node,
    Returns.JSON: parse_json,
    Returns.LITERAL: parse_literal,
    Returns.OPTIONAL_DICT: parse_optional_dict,
    Returns.BYTES: parse_bytes,
}


def find_traceback(output: str) -> tuple[str, FirmwareError | None]:
    """Split printed output into what came before a traceback and the error it reports.

    Accepts both line-ending styles (`\\n` on the REPL port, `\\r\\n` on the main port).
    """
    normalized = output.replace("\r\n", "\n").replace("\r", "\n")
    start = normalized.find(TRACEBACK_HEADER)
    if start < 0:
        return normalized, None
    before, block = normalized[:start], normalized[start:]
    return before, parse_traceback(block)


def parse_traceback(block: str) -> FirmwareError:
    """The typed error for a MicroPython traceback (or a bare `Type: message` line)."""
    lines = [line for line in block.replace("\r", "").split("\n") if line.strip()]
    for line in reversed(lines):
        if line.startswith((" ", "\t")) or line == TRACEBACK_HEADER:
            continue
        match = _EXCEPTION_LINE.match(line.strip())
        if match:
            exc_type = match.group(1).rsplit(".", 1)[-1]
            return firmware_error(exc_type, (match.group(2) or "").strip(), block.strip())
        break
    return firmware_error("Error", lines[-1].strip() if lines else "unknown error", block.strip())
