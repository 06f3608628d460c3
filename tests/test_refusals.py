"""Refusals come first and integral floats are whole numbers (issue 14 point 6, findings F5 and F9).

"Nothing was sent" is read from the virtual board itself: its runtime records every source it runs, so a
refusal that reaches the board, even only to read the bridges, shows up there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from mcp_harness import Harness

from firmware_api import nodes
from firmware_api.versions import Family
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.tools.integers import whole
from jumperless_mcp.tools.leds import color_value

MUTATING = re.compile(r"\b(connect|disconnect|nodes_clear)\(")  # "disconnect(" holds no word-bounded "connect("
NEVER = [("GND", "TOP_RAIL"), ("TOP_RAIL", "DAC0"), ("BOTTOM_RAIL", "DAC1"), ("GPIO_1", "TOP_RAIL")]


@contextmanager
def board_runs(h: Harness) -> Iterator[list[str]]:
    """Every piece of Python the virtual board runs while inside the block."""
    runtime = h.vboard.runtime
    ran: list[str] = []
    runtime.recorder = ran.append
    try:
        yield ran
    finally:
        runtime.recorder = None


def bridges(h: Harness) -> set[frozenset[int]]:
    with h.vboard.model.lock:
        return {frozenset((b.a, b.b)) for b in h.vboard.model.netlist.bridges}


# --- F9: refusal order --------------------------------------------------------------------------------


async def test_never_allowed_bridges_are_refused_before_anything_reaches_the_board(h: Harness) -> None:
    await h.ok("connect", node1=5, node2="GND")  # the board has bridges to read, and the session is open
    for node1, node2 in NEVER:
        with board_runs(h) as ran:
            error = await h.error("connect", node1=node1, node2=node2)
        assert error["kind"] == "forbidden_connection" and error["parameter"] == "node2", error
        assert ran == [], f"{node1}-{node2} reached the board before its refusal: {ran}"
    assert bridges(h) == {frozenset((5, nodes.GND))}


async def test_joining_two_supply_nets_through_a_row_is_refused_unsent(h: Harness) -> None:
    """Row 5 on GND, then 5-TOP_RAIL: the bridges are read, `connect` is never sent (JumperlOS used to send it,
    find it unrouted and take it back; 5.3.x would report it as made)."""
    await h.ok("connect", node1=5, node2="GND")
    await h.ok("connect", node1=20, node2="TOP_RAIL")
    for node1, node2 in [(5, "TOP_RAIL"), (20, 5), ("BOTTOM_RAIL", 20)]:
        with board_runs(h) as ran:
            error = await h.error("connect", node1=node1, node2=node2)
        assert error["kind"] == "forbidden_connection" and error["parameter"] == "node2", error
        assert "would join" in error["error"] and "nothing was sent" in error["error"]
        assert ran and not any(MUTATING.search(source) for source in ran), ran
    assert bridges(h) == {frozenset((5, nodes.GND)), frozenset((20, nodes.TOP_RAIL))}
    # the firmware's one exception: JumperlOS lets GND share a net with DAC0 (5.3.x does not)
    if h.board.family is Family.JUMPERLOS:
        assert (await h.ok("connect", node1=5, node2="DAC0"))["ok"] is True
    else:
        assert (await h.error("connect", node1=5, node2="DAC0"))["kind"] == "forbidden_connection"


# --- F5: integral floats ------------------------------------------------------------------------------


async def test_integral_floats_are_taken_as_whole_numbers(jos_mcp: Harness) -> None:
    h = jos_mcp
    pixel = await h.ok("overlay_set_pixel", x=5, y=4, color=255.0)
    assert pixel["color"] == "#0000FF"
    await h.ok("overlay_set_pixel", x=6, y=4, color=0.0)
    box = await h.ok("overlay_set", name="box", x=1, y=1, width=2, height=1, colors=[0.0, 16777215.0])
    assert box["index"] >= 0
    assert next(o for o in h.vboard.model.overlays if o.name == "box").colors == [0, 0xFFFFFF]
    for row in (1, 2, 3):
        await h.ok("connect", node1=row, node2=row + 30)
    await h.ok("undo")  # position 2 of 4: the window reaches both sides
    assert await h.ok("history", around=1.0) == await h.ok("history", around=1)
    assert (await h.ok("clickwheel_input", action="up", clicks=2.0))["clicks"] == 2
    assert (await h.ok("wavegen_configure", output=1.0))["output"] == "DAC1"
    # the same parsers without the runner's checks in front (the Board API and meta-tools can reach them)
    history = h.runner.spec("history")
    assert history is not None
    direct = await history.run(h.runner.context, {"around": 1.0})
    assert [e["position"] for e in direct["entries"]] == [1, 2, 3]


def test_colour_and_count_parsers_refuse_what_is_not_a_whole_number() -> None:
    assert color_value(255.0, "color") == 255 and color_value(" #00FF00", "color") == 0x00FF00
    assert whole(3.0, "around", "0-20") == 3 and type(whole(3.0, "around", "0-20")) is int
    for bad in (1.5, True, None, [1], {"r": 1}, float("nan"), float("inf")):
        with pytest.raises(ArgumentError) as caught:
            color_value(bad, "color")
        assert caught.value.parameter == "color" and "RRGGBB" in (caught.value.allowed or ""), bad
        with pytest.raises(ArgumentError) as caught:
            whole(bad, "around", "0-20")
        assert caught.value.parameter == "around" and caught.value.allowed == "0-20", bad
    with pytest.raises(ArgumentError):
        color_value(16777216.0, "color")
