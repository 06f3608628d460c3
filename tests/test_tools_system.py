"""System and logic-analyzer tools, in process on virtual boards of both personas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from conftest import LEGACY_TIME_SCALE
from mcp_harness import Harness, serve

from firmware_api.versions import Family
from jumperless_mcp.emulator import VirtualBoard

UART_BRIDGES = [["NANO_D0", "RP_UART_TX"], ["NANO_D1", "RP_UART_RX"]]
CHANNELS = {"jumperlos": "raw-repl", "legacy": "main-oneliner"}


def _scale(persona: str) -> float:
    return LEGACY_TIME_SCALE if persona == "legacy" else 1.0


@pytest.fixture(params=["jumperlos", "legacy"])
async def any_mcp(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """Each test using this runs on both personas."""
    with VirtualBoard(request.param, fs_dir=tmp_path / "fs", time_scale=_scale(request.param)) as board:
        async with serve(board) as harness:
            yield harness


@pytest.fixture(params=["jumperlos", "legacy"])
async def python_mcp(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """A server with allow_python on, on both personas."""
    with VirtualBoard(request.param, fs_dir=tmp_path / "fs", time_scale=_scale(request.param)) as board:
        async with serve(board, allow_python=True) as harness:
            yield harness


async def _tools(h: Harness) -> dict:
    return {tool.name: tool for tool in (await h.client.list_tools()).tools}


# --- board_info ----------------------------------------------------------------------------------


async def test_board_info_reports_the_board_and_a_fresh_ping(any_mcp: Harness) -> None:
    h = any_mcp
    persona = h.vboard.persona.name
    info = await h.ok("board_info")
    assert info["firmware"] == h.vboard.firmware
    assert info["family"] == persona
    assert info["channel"] == CHANNELS[persona]
    assert info["ports"]["main"] == h.vboard.main_path and info["ports"]["repl"] == h.vboard.repl_path
    assert info["health"] == "healthy" and info["connected"] is True
    assert info["last_latency_ms"] is not None and info["last_latency_ms"] > 0
    assert info["virtual"] is True and info["current_slot"] == 0
    assert info["core2_paused"] is False and info["last_error"] is None
    assert info["settings"] == {
        "read_only": False,
        "allow_python": False,
        "min_voltage": -8.0,
        "max_voltage": 8.0,
        "timeout": 10.0,
    }
    await h.board.switch_slot(3)
    again = await h.ok("board_info")
    assert again["current_slot"] == 3
    assert again["calls"] > info["calls"]


async def test_board_info_shows_the_settings_that_limit_tools(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, read_only=True, max_voltage=5.0, min_voltage=0.0, timeout=4.0) as h:
        settings = (await h.ok("board_info"))["settings"]
    assert settings == {
        "read_only": True,
        "allow_python": False,
        "min_voltage": 0.0,
        "max_voltage": 5.0,
        "timeout": 4.0,
    }


# --- board_messages ------------------------------------------------------------------------------


async def test_board_messages_keeps_unsolicited_main_port_lines(jos_mcp: Harness) -> None:
    h = jos_mcp
    assert (await h.ok("board_messages"))["messages"] == []
    h.vboard.inject("main", b"\x0e\r\n\t connect nodes\r\n\x0f")
    await anyio.sleep(0.2)
    first = await h.ok("board_messages", clear=True)
    assert "connect nodes" in first["messages"] and first["collected"] is True and first["cleared"] is True
    assert first["count"] == len(first["messages"])
    assert (await h.ok("board_messages"))["messages"] == []


async def test_board_messages_not_collected_on_the_legacy_channel(legacy_mcp: Harness) -> None:
    h = legacy_mcp
    h.vboard.inject("main", b"\r\n\t connect nodes\r\n")
    await anyio.sleep(0.2)
    result = await h.ok("board_messages")
    assert result["collected"] is False and result["messages"] == []


# --- Arduino -------------------------------------------------------------------------------------


async def test_arduino_reset_reaches_the_board(any_mcp: Harness) -> None:
    h = any_mcp
    result = await h.ok("arduino_reset")
    assert result["reset"] is True and result["virtual"] is True and "no Arduino" in result["note"]
    assert h.vboard.model.arduino_resets == 1
    await h.ok("arduino_reset")
    assert h.vboard.model.arduino_resets == 2


async def test_uart_connect_arduino_bridges_and_removes(any_mcp: Harness) -> None:
    h = any_mcp
    made = await h.ok("uart_connect_arduino", connect=True)
    assert made["connected"] is True and made["ok"] is True
    assert [(b["node1"], b["node2"]) for b in made["bridges"]] == [("RP_UART_TX", "NANO_D0"), ("RP_UART_RX", "NANO_D1")]
    bridges = (await h.ok("get_bridges"))["bridges"]
    assert sorted(bridges) == UART_BRIDGES
    assert (await h.ok("is_connected", node1="UART_TX", node2="D0"))["connected"] is True
    assert (await h.ok("uart_connect_arduino"))["ok"] is True  # connect is the default, and repeating is harmless
    assert sorted((await h.ok("get_bridges"))["bridges"]) == UART_BRIDGES

    removed = await h.ok("uart_connect_arduino", connect=False)
    assert removed["connected"] is False and removed["ok"] is True
    assert (await h.ok("get_bridges"))["count"] == 0


async def test_uart_connect_arduino_leaves_nothing_half_made(jos_mcp: Harness) -> None:
    """D1 on the top rail and UART_RX on GND: UART_RX-D1 would merge GND and the rail, so JumperlOS never routes it."""
    h = jos_mcp
    await h.ok("connect", node1="D1", node2="TOP_RAIL")
    await h.ok("connect", node1="UART_RX", node2=30)
    await h.ok("connect", node1=30, node2="GND")
    before = sorted((await h.ok("get_bridges"))["bridges"])
    refused = await h.error("uart_connect_arduino", connect=True)
    assert refused["kind"] == "refused" and refused["connected"] is False and "NANO_D1" in refused["error"]
    assert sorted((await h.ok("get_bridges"))["bridges"]) == before  # UART_TX-D0 was taken back too


# --- Python context, core 2 ----------------------------------------------------------------------


async def test_python_context_toggle_and_get(jos_mcp: Harness) -> None:
    h = jos_mcp
    assert (await h.ok("python_context_get"))["context"] == "global"
    toggled = await h.ok("python_context_toggle")
    assert toggled == {"previous": "global", "context": "python"}
    assert h.vboard.model.context == "python"
    assert (await h.ok("python_context_get"))["context"] == "python"
    assert (await h.ok("python_context_toggle"))["context"] == "global"
    assert h.vboard.model.context == "global"


async def test_python_context_is_jumperlos_only(legacy_mcp: Harness) -> None:
    h = legacy_mcp
    names = await h.tool_names()
    assert "python_context_get" not in names and "python_context_toggle" not in names
    assert (await h.error("python_context_toggle"))["kind"] == "unavailable"


async def test_core2_pause_and_resume(any_mcp: Harness) -> None:
    h = any_mcp
    assert (await h.ok("core2_pause")) == {"paused": True}
    assert h.vboard.model.core2_paused is True
    assert h.runner.context.memory.core2_paused is True
    assert (await h.ok("board_info"))["core2_paused"] is True
    assert (await h.ok("core2_resume")) == {"paused": False}
    assert h.vboard.model.core2_paused is False
    assert h.runner.context.memory.core2_paused is False
    tools = await _tools(h)
    assert "slot" in tools["core2_pause"].description and "LED" in tools["core2_pause"].description


# --- status text ---------------------------------------------------------------------------------


async def test_board_status_text(any_mcp: Harness) -> None:
    h = any_mcp
    await h.ok("connect", node1=20, node2=21)
    bridges = await h.ok("board_status_text", what="bridges")
    assert bridges["what"] == "bridges" and "20,21" in bridges["text"] and "\x1b" not in bridges["text"]
    assert "20,21" in (await h.ok("board_status_text", what="paths"))["text"]
    for what in ("crossbars", "chip_status"):
        assert (await h.ok("board_status_text", what=what))["text"].strip()
    nets = await h.error("board_status_text", what="nets")
    assert nets["kind"] == "invalid_argument" and nets["parameter"] == "what" and '"bridges"' in nets["allowed"]


# --- exec_python ---------------------------------------------------------------------------------


async def test_exec_python_is_off_by_default(any_mcp: Harness) -> None:
    h = any_mcp
    assert "exec_python" not in await h.tool_names()
    refused = await h.error("exec_python", code="connect(20, 21)")
    assert refused["kind"] == "unavailable" and "allow-python" in refused["error"]
    assert h.vboard.model.netlist.bridges == []


async def test_exec_python_runs_code_when_allowed(python_mcp: Harness) -> None:
    h = python_mcp
    tools = await _tools(h)
    annotations = tools["exec_python"].annotations
    assert annotations.read_only_hint is False and annotations.destructive_hint is True
    assert annotations.open_world_hint is False
    result = await h.ok("exec_python", code="print(6 * 7)")
    assert result["stdout"].strip() == "42" and result["channel"] == CHANNELS[h.vboard.persona.name]
    await h.ok("exec_python", code="connect(20, 21)\nprint('done')")
    assert [(b.a, b.b) for b in h.vboard.model.netlist.bridges] == [(20, 21)]


async def test_exec_python_returns_firmware_tracebacks(python_mcp: Harness) -> None:
    h = python_mcp
    failed = await h.error("exec_python", code="raise ValueError('boom')")
    assert failed["kind"] == "firmware_error"
    assert failed["exception"] == "ValueError" and failed["firmware_message"] == "boom"
    assert (await h.ok("exec_python", code="print('still alive')"))["stdout"].strip() == "still alive"


async def test_exec_python_timeout_interrupts(python_mcp: Harness) -> None:
    h = python_mcp
    slow = await h.error("exec_python", code="import time\ntime.sleep(5)", timeout=0.5)
    assert slow["kind"] == "board_timeout" and slow["retryable"] is True
    assert (await h.ok("exec_python", code="print(1)"))["stdout"].strip() == "1"


async def test_exec_python_compound_statements_need_the_raw_repl(legacy_board: VirtualBoard) -> None:
    async with serve(legacy_board, allow_python=True) as h:
        refused = await h.error("exec_python", code="for i in range(2):\n    print(i)")
        assert refused["kind"] == "invalid_argument" and refused["parameter"] == "code"
        empty = await h.error("exec_python", code="")
        assert empty["parameter"] == "code"


# --- logic analyzer ------------------------------------------------------------------------------


async def test_logic_analyzer_status_stop_and_capture(any_mcp: Harness) -> None:
    h = any_mcp
    assert await h.ok("la_status") == {"capturing": False}
    # H4: la_stop_capture returns a bool (mp_obj_new_bool in both families), False when nothing captured
    assert await h.ok("la_stop") == {"was_capturing": False, "capturing": False, "stop_returned": False}
    tools = await _tools(h)
    if h.board.family is Family.JUMPERLOS:  # the analyzer's port is the REPL there (tests/test_logic_capture*.py)
        capture = await h.error("la_capture", samples=100)
        assert capture["kind"] == "unsupported_by_firmware" and capture["retryable"] is False
        assert "5.3.x-5.5.x only" in capture["error"]
    else:
        assert (await h.ok("la_capture", samples=100))["samples"] == 100
    assert "5.3.x-5.5.x only" in tools["la_capture"].description
    assert tools["la_status"].annotations.read_only_hint is True
    assert tools["la_stop"].annotations.read_only_hint is False


async def test_open_world_hints(jos_mcp: Harness) -> None:
    tools = await _tools(jos_mcp)
    assert tools["arduino_reset"].annotations.open_world_hint is True
    assert tools["uart_connect_arduino"].annotations.open_world_hint is True
    assert tools["board_info"].annotations.read_only_hint is True
    assert tools["board_info"].annotations.open_world_hint is False
