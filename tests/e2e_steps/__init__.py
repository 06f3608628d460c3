"""End-to-end steps per subsystem: each module has STEPS, run in order against one spawned server.

A step is (tool, arguments, check): `check(result)` asserts on the structured result, or, when the
step is expected to fail, `Fails(kind)`. Each module sets up the board state it needs itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Check = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Fails:
    kind: str
    parameter: str | None = None


@dataclass(frozen=True)
class Step:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    check: Check | Fails | None = None


def near(value: float, expected: float, tolerance: float = 0.02) -> bool:
    return abs(value - expected) <= tolerance
