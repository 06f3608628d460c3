"""Firmware values (enums, pads, bytes, tuples) as plain JSON for tool results."""

from __future__ import annotations

import base64
import enum
import math
from collections.abc import Mapping

from firmware_api.values import GPIOPull, ProbePad

PULL_WORDS = {GPIOPull.PULLUP: "up", GPIOPull.PULLDOWN: "down", GPIOPull.NONE: "none", GPIOPull.BUS_KEEPER: "keeper"}


def to_json(value: object) -> object:
    """A JSON-ready value: enum names (HIGH, OUTPUT, CONNECT), pad names, base64 for bytes."""
    if value is None or (isinstance(value, (bool, int, str)) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, GPIOPull):
        return PULL_WORDS[value]
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, ProbePad):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    return str(value)
