"""Every MCP tool, declared once per subsystem module; `ALL_TOOLS` is what the server offers.

May import: `tooling`, `bench`, `settings`, `link`, `firmware_api`, `jumperless_mcp.errors`.
"""

from __future__ import annotations

from jumperless_mcp.tooling.tool_spec import ToolSpec
from jumperless_mcp.tools import (
    bench_build,
    capture,
    connections,
    digital,
    files,
    leds,
    logic_analyzer,
    measure,
    oled,
    pictures,
    power,
    probe,
    slots,
    system,
    wavegen,
)

SUBSYSTEMS = (
    connections,
    power,
    digital,
    wavegen,
    oled,
    probe,
    slots,
    leds,
    files,
    system,
    logic_analyzer,
    pictures,
    capture,
    bench_build,
    measure,
)
ALL_TOOLS: tuple[ToolSpec, ...] = tuple(spec for module in SUBSYSTEMS for spec in module.TOOLS)


def _check_unique() -> None:
    seen: set[str] = set()
    for spec in ALL_TOOLS:
        if spec.name in seen:
            raise ValueError(f"tool {spec.name} is declared twice")
        seen.add(spec.name)


_check_unique()
