"""The logic analyzer: whether it is capturing, and stopping it. Captures themselves are not readable here."""

from __future__ import annotations

from typing import Any

from firmware_api.catalog import by_name
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import BOOLEAN, ToolSpec, firmware_range

SUBSYSTEM = "logic_analyzer"
LA_UNTIL = by_name()["la_stop_capture"][0].until
NOT_READABLE = (
    "The firmware's Python logic-analyzer functions (la_set_trigger, la_capture_single_sample, "
    "la_start_continuous_capture, la_set_sample_rate, la_set_num_samples, la_enable_channel...) are partly stubs, "
    "and real captures stream to a desktop logic-analyzer client over the board's logic-analyzer USB interface "
    "(on 5.3.x the port named 'JL Logic Analyzer'), not over the Python channel; this server does not read that "
    "interface. So no samples can be returned here."
)
HINT = (
    " Use la_status / la_stop to see or end a capture started from the board or a desktop client; to watch a "
    "signal, bridge it to an ADC and use adc_read, or read a GPIO with the digital tools."
)


async def _la_status(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"capturing": bool(await ctx.board.la_is_capturing())}


async def _la_stop(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        before = batch.la_is_capturing()
        stopped = batch.la_stop_capture()  # a bool (JOS mjc :5811, V5 :3279); not relied on: read back instead
        after = batch.la_is_capturing()
    return {"was_capturing": bool(before.value), "capturing": bool(after.value), "stop_returned": stopped.value}


async def _la_capture(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    raise ToolFailure(
        "capturing logic-analyzer samples is not supported: " + NOT_READABLE + HINT, "unsupported_by_firmware"
    )


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="la_status",
        subsystem=SUBSYSTEM,
        description="Whether the board's logic analyzer is capturing now (la_is_capturing). While it runs, the "
        "firmware's main loop mostly waits, so the board answers slowly; la_stop ends it.",
        params=(),
        output={"capturing": BOOLEAN},
        run=_la_status,
        text=lambda r: "capturing" if r["capturing"] else "not capturing",
        **firmware_range("la_is_capturing"),
    ),
    ToolSpec(
        name="la_stop",
        subsystem=SUBSYSTEM,
        description="Stop a logic-analyzer capture (la_stop_capture) and read back that it stopped. Harmless when "
        "nothing is capturing. stop_returned is the firmware's own answer (a bool). JumperlOS "
        f"{LA_UNTIL} and later have no logic analyzer: there the la_* tools are not listed.",
        params=(),
        output={"was_capturing": BOOLEAN, "capturing": BOOLEAN, "stop_returned": BOOLEAN},
        run=_la_stop,
        text=lambda r: "capture stopped" if r["was_capturing"] else "nothing was capturing",
        mutates=True,
        **firmware_range("la_is_capturing", "la_stop_capture"),
    ),
    ToolSpec(
        name="la_capture",
        subsystem=SUBSYSTEM,
        description="NOT SUPPORTED: always an error of kind 'unsupported_by_firmware', explaining why. "
        + NOT_READABLE
        + HINT,
        params=(),
        output={"samples": {"type": "array"}},
        run=_la_capture,
    ),
]
