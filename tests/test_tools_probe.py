"""Probe, probe buttons, switch and click wheel tools, in process on both personas, with a scripted probe."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from mcp_harness import Harness

from firmware_api.values import ProbeButton

JOS_ONLY = {"probe_switch_position", "clickwheel_status", "probe_tap"}
BOTH = {"probe_read", "probe_button", "clickwheel_input"}


@contextmanager
def later(seconds: float, action, *args: object) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Do `action(*args)` from another thread after a delay, as a person would touch the probe."""
    timer = threading.Timer(seconds, action, args=args)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()


# --- listing -----------------------------------------------------------------------------------------


async def test_tools_listed_per_family(jos_mcp: Harness, legacy_mcp: Harness) -> None:
    jos, legacy = await jos_mcp.tool_names(), await legacy_mcp.tool_names()
    assert jos >= JOS_ONLY | BOTH
    assert legacy >= BOTH
    assert not JOS_ONLY & legacy
    error = await legacy_mcp.error("probe_tap", node=12)
    assert error["kind"] == "unavailable" and "JumperlOS" in error["error"]


async def test_annotations_and_schemas(jos_mcp: Harness) -> None:
    tools = {tool.name: tool for tool in (await jos_mcp.client.list_tools()).tools}
    read = tools["probe_read"]
    assert read.annotations.read_only_hint is True
    assert read.input_schema["properties"]["timeout"] == {
        "type": "number",
        "minimum": 1,
        "maximum": 600.0,
        "default": 30.0,
        "description": "Seconds to wait for a touch when blocking (1-600).",
    }
    assert read.input_schema["properties"]["blocking"]["default"] is False
    assert "board_timeout" in read.description and "retryable" in read.description
    assert tools["clickwheel_input"].annotations.read_only_hint is False
    assert tools["probe_tap"].annotations.read_only_hint is False
    assert "consume" not in tools["probe_button"].input_schema["required"]
    assert "default" not in tools["probe_button"].input_schema["properties"]["consume"]


# --- probe_read ------------------------------------------------------------------------------------


async def _non_blocking_reads(h: Harness, row_pad: str) -> None:
    assert await h.ok("probe_read") == {"pad": "NO_PAD", "row": None, "touched": False, "blocking": False}
    h.vboard.probe.touch(12)
    h.vboard.probe.touch("D13")
    assert await h.ok("probe_read") == {"pad": row_pad, "row": 12, "touched": True, "blocking": False}
    assert await h.ok("probe_read", blocking=False) == {
        "pad": "NANO_D13",
        "row": None,
        "touched": True,
        "blocking": False,
    }
    assert (await h.ok("probe_read"))["touched"] is False  # each touch is read once


async def test_probe_read_non_blocking_jumperlos(jos_mcp: Harness) -> None:
    await _non_blocking_reads(jos_mcp, "PAD_12")


async def test_probe_read_non_blocking_legacy(legacy_mcp: Harness) -> None:
    # V5 mjc jl_get_pad_name :396 returns the first pad_mappings name, PAD_12, on 5.3.x too (audit §1.1 #15)
    await _non_blocking_reads(legacy_mcp, "PAD_12")


async def test_blocking_read_waits_for_a_touch_with_progress(jos_mcp: Harness) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    started = time.monotonic()
    with later(2.6, jos_mcp.vboard.probe.touch, 7):
        result = await jos_mcp.client.call_tool(
            "probe_read", {"blocking": True, "timeout": 20}, progress_callback=on_progress
        )
    elapsed = time.monotonic() - started
    assert not result.is_error, result.content
    assert result.structured_content == {"pad": "PAD_7", "row": 7, "touched": True, "blocking": True}
    assert 2.5 <= elapsed < 10
    assert len(seen) >= 2, seen
    assert all(total == 20 for _, total, _ in seen)
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
    assert "probe_read" in (seen[0][2] or "") and "waiting" in (seen[0][2] or "")


async def test_blocking_read_legacy(legacy_mcp: Harness) -> None:
    with later(0.8, legacy_mcp.vboard.probe.touch, 33):
        result = await legacy_mcp.ok("probe_read", blocking=True, timeout=20)
    assert result == {"pad": "PAD_33", "row": 33, "touched": True, "blocking": True}


async def _times_out_then_works(h: Harness) -> None:
    started = time.monotonic()
    error = await h.error("probe_read", blocking=True, timeout=1)
    assert 1.0 <= time.monotonic() - started < 8
    assert error["kind"] == "board_timeout"
    assert error["retryable"] is True
    assert "1 s" in error["error"]
    # the interrupted read is gone and the board answers: the next touch goes to the next read
    assert (await h.ok("probe_read"))["touched"] is False
    h.vboard.probe.touch(5)
    assert (await h.ok("probe_read", blocking=True, timeout=5))["row"] == 5
    assert (await h.ok("clickwheel_input", action="up"))["clicks"] == 1


async def test_blocking_read_times_out_retryable_jumperlos(jos_mcp: Harness) -> None:
    await _times_out_then_works(jos_mcp)


async def test_blocking_read_times_out_retryable_legacy(legacy_mcp: Harness) -> None:
    await _times_out_then_works(legacy_mcp)


async def test_timeout_range_checked_before_sending(jos_mcp: Harness) -> None:
    for bad in (0.5, 601, "ten"):
        error = await jos_mcp.error("probe_read", blocking=True, timeout=bad)
        assert error["kind"] == "invalid_argument" and error["parameter"] == "timeout"
        assert error["sent_to_board"] is False
    error = await jos_mcp.error("probe_read", blocking="yes")
    assert error["parameter"] == "blocking"


# --- probe_button ----------------------------------------------------------------------------------


async def test_probe_button_jumperlos(jos_mcp: Harness) -> None:
    assert await jos_mcp.ok("probe_button") == {"button": "NONE", "pressed": False, "blocking": False}
    jos_mcp.vboard.probe.press("CONNECT")
    # without consume the press stays pending: it reads the same twice
    assert (await jos_mcp.ok("probe_button"))["button"] == "CONNECT"
    assert (await jos_mcp.ok("probe_button", consume=True))["button"] == "CONNECT"
    assert (await jos_mcp.ok("probe_button", consume=True))["button"] == "NONE"
    with later(0.8, jos_mcp.vboard.probe.press, "REMOVE"):
        result = await jos_mcp.ok("probe_button", blocking=True, timeout=10, consume=True)
    assert result == {"button": "REMOVE", "pressed": True, "blocking": True}
    assert not jos_mcp.vboard.probe.buttons  # consumed on the board


async def test_probe_button_legacy(legacy_mcp: Harness) -> None:
    assert (await legacy_mcp.ok("probe_button"))["button"] == "NONE"
    legacy_mcp.vboard.probe.press("REMOVE")
    error = await legacy_mcp.error("probe_button", consume=True)
    assert error["kind"] == "invalid_argument" and error["parameter"] == "consume"
    assert list(legacy_mcp.vboard.probe.buttons) != []  # refused before anything reached the board
    assert await legacy_mcp.ok("probe_button") == {"button": "REMOVE", "pressed": True, "blocking": False}
    # 5.3.x reports the button state without taking the press (like consume=false on JumperlOS)
    assert (await legacy_mcp.ok("probe_button"))["button"] == "REMOVE"
    assert list(legacy_mcp.vboard.probe.buttons) == [ProbeButton.REMOVE]


async def test_probe_button_blocking_timeout(jos_mcp: Harness) -> None:
    error = await jos_mcp.error("probe_button", blocking=True, timeout=1, consume=True)
    assert error["kind"] == "board_timeout" and error["retryable"] is True
    jos_mcp.vboard.probe.press("CONNECT")
    assert (await jos_mcp.ok("probe_button", consume=True))["button"] == "CONNECT"


# --- switch, clickwheel, tap -------------------------------------------------------------------------


async def test_switch_position(jos_mcp: Harness) -> None:
    assert await jos_mcp.ok("probe_switch_position") == {"position": "measure", "value": 0}
    jos_mcp.vboard.probe.switch_position = 1
    assert await jos_mcp.ok("probe_switch_position") == {"position": "select", "value": 1}
    jos_mcp.vboard.probe.switch_position = -1
    assert (await jos_mcp.ok("probe_switch_position"))["position"] == "unknown"


async def test_clickwheel_input_and_status(jos_mcp: Harness) -> None:
    wheel = jos_mcp.vboard.probe
    status = await jos_mcp.ok("clickwheel_status")
    assert status == {"position": 0, "direction": "none", "button": "idle", "initialized": True}
    assert await jos_mcp.ok("clickwheel_input", action="up", clicks=3) == {"action": "up", "clicks": 3, "position": 3}
    assert wheel.wheel_position == 3
    for _ in range(2):  # the status reads the direction without taking it
        assert (await jos_mcp.ok("clickwheel_status"))["direction"] == "up"
    assert wheel.wheel_direction == 1
    assert (await jos_mcp.ok("clickwheel_input", action="down"))["position"] == 2
    assert (await jos_mcp.ok("clickwheel_status"))["direction"] == "down"
    await jos_mcp.ok("clickwheel_input", action="press")
    assert (await jos_mcp.ok("clickwheel_status"))["button"] == "released"
    wheel.wheel_button = 4
    assert (await jos_mcp.ok("clickwheel_status"))["button"] == "double-clicked"


async def test_clickwheel_input_legacy(legacy_mcp: Harness) -> None:
    result = await legacy_mcp.ok("clickwheel_input", action="down", clicks=2)
    assert result == {"action": "down", "clicks": 2, "position": None}
    assert legacy_mcp.vboard.probe.wheel_position == -2
    assert legacy_mcp.vboard.probe.wheel_direction == 2


async def test_clickwheel_input_checks_arguments(jos_mcp: Harness) -> None:
    for args, parameter in (
        ({"action": "left"}, "action"),
        ({"action": "up", "clicks": 0}, "clicks"),
        ({"action": "up", "clicks": 101}, "clicks"),
        ({"clicks": 2}, "action"),
    ):
        error = await jos_mcp.error("clickwheel_input", **args)
        assert error["kind"] == "invalid_argument" and error["parameter"] == parameter, (args, error)
    assert jos_mcp.vboard.probe.wheel_position == 0


async def test_probe_tap(jos_mcp: Harness) -> None:
    assert await jos_mcp.ok("probe_tap", node="d13") == {"node": "NANO_D13", "sent": True}
    assert await jos_mcp.ok("probe_tap", node=12) == {"node": "12", "sent": True}
    error = await jos_mcp.error("probe_tap", node="ROW_99")
    assert error["kind"] == "invalid_argument" and error["parameter"] == "node"
    # the virtual board's probe_tap does nothing, as older JumperlOS builds: no touch is queued
    assert (await jos_mcp.ok("probe_read"))["touched"] is False
