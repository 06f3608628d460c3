"""The server as a whole: what it advertises, read-only mode, and errors that never become protocol crashes."""

from __future__ import annotations

import re
from pathlib import Path

from mcp import Client
from mcp_harness import Harness, serve
from result_schemas import error_details

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.multiboard.board_list import open_bench
from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember
from jumperless_mcp.serving.server import build_server, federation_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.tool_spec import firmware_tool
from jumperless_mcp.tools import ALL_TOOLS


async def test_initialize_advertises_tools_with_list_changed_and_instructions(jos_mcp: Harness) -> None:
    client = jos_mcp.client
    assert client.protocol_version == "2025-11-25"  # the handshake era, as Claude Code speaks it
    assert client.server_info is not None and client.server_info.name == "jumperless-mcp"
    tools = client.server_capabilities.tools
    assert tools is not None and tools.list_changed is True
    assert client.instructions and "board_info" in client.instructions


async def test_every_tool_is_fully_declared(jos_mcp: Harness) -> None:
    tools = (await jos_mcp.client.list_tools()).tools
    assert len(tools) >= 42
    for tool in tools:
        assert re.fullmatch(r"[a-z0-9_]{1,64}", tool.name), tool.name
        assert len(tool.description or "") >= 30, tool.name
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False, tool.name
        for name, prop in schema["properties"].items():
            assert "type" in prop or "enum" in prop or "anyOf" in prop, (tool.name, name)
        assert set(schema["required"]) <= set(schema["properties"]), tool.name
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        hints = tool.annotations
        assert hints is not None
        assert None not in (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint)
        assert not (hints.read_only_hint and hints.destructive_hint), tool.name


async def test_annotations_follow_what_the_tool_does(jos_mcp: Harness) -> None:
    tools = {tool.name: tool.annotations for tool in (await jos_mcp.client.list_tools()).tools}
    assert tools["get_netlist"].read_only_hint and not tools["get_netlist"].destructive_hint
    assert not tools["connect"].read_only_hint and not tools["connect"].destructive_hint
    assert tools["clear_connections"].destructive_hint and tools["apply_netlist"].destructive_hint
    assert tools["adc_read"].read_only_hint


async def test_subsystems_cover_the_firmware() -> None:
    subsystems = {spec.subsystem for spec in ALL_TOOLS}
    assert {"connections", "power", "digital", "wavegen", "oled", "probe", "slots", "leds", "files", "system"} <= (
        subsystems
    )


async def test_unknown_tool_is_an_error_result_not_a_protocol_crash(jos_mcp: Harness) -> None:
    error = await jos_mcp.error("make_coffee")
    assert error["kind"] == "unknown_tool" and "connect" in error["allowed"]


async def test_read_only_mode_lists_and_runs_only_tools_that_change_nothing(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, read_only=True) as h:
        listed = (await h.client.list_tools()).tools
        assert listed and all(tool.annotations.read_only_hint for tool in listed)
        names = {tool.name for tool in listed}
        assert {"get_netlist", "adc_read", "dac_get"} <= names and not {"connect", "dac_set"} & names
        error = await h.error("connect", node1=1, node2=2)
        assert error["kind"] == "unavailable" and "read-only" in error["error"]
        assert jos_board.model.netlist.bridges == []


async def test_unplugged_board_gives_a_retryable_error_then_recovers(tmp_path: Path) -> None:
    """Through stable links, as udev gives a real board: a replugged board's pty is new, and its old number may
    belong to another process by then (tests run in parallel)."""
    board = VirtualBoard("jumperlos", fs_dir=tmp_path / "fs", link_dir=tmp_path / "links").start()
    links = {role: board.stable_path(role) for role in ("main", "repl")}
    try:
        async with serve(board, ports=links) as h:
            await h.ok("connect", node1=1, node2=2)
            board.unplug()
            error = await h.error("adc_read")
            assert error["retryable"] is True and error["kind"] in ("board_disconnected", "board_not_found")
            board.replug()
            assert (await h.ok("is_connected", node1=1, node2=2))["connected"] is True
    finally:
        board.stop()


async def test_node_ids_the_firmware_does_not_know_are_caught_on_the_host(jos_mcp: Harness) -> None:
    calls = jos_mcp.board.health().calls
    error = await jos_mcp.error("get_path_between", node1=1, node2=999)
    assert error["kind"] == "invalid_argument" and error["parameter"] == "node2"
    assert jos_mcp.board.health().calls == calls


async def test_firmware_exceptions_come_back_with_their_message(jos_board: VirtualBoard) -> None:
    """A tool declared on a firmware function that raises on the board (the virtual board has no apps)."""
    run_app = firmware_tool("run_app", "run_app", "system", "Start an on-board app by name (blocks until it exits).")
    async with serve(jos_board) as h:
        server, _ = build_server(h.board, Config(), tools=[run_app])
        async with Client(server, mode="legacy") as client:
            result = await client.call_tool("run_app", {"name": "File Manager"})
    error = error_details(result)
    assert error["kind"] == "firmware_error" and error["exception"] == "NotImplementedError"
    assert "not emulated" in error["firmware_message"] and error["retryable"] is False


async def test_a_server_without_a_board_starts_and_says_why_on_each_call(tmp_path: Path) -> None:
    config = Config(port=str(tmp_path / "no-such-port"), timeout=2.0)
    async with (
        open_bench(config) as federation,
        Client(federation_server(federation, environ={}), mode="legacy") as client,
    ):
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"connect", "node_voltage", "boards"} <= names  # family unknown: everything is offered
        result = await client.call_tool("adc_read", {})
        error = error_details(result)
        assert error["kind"] == "board_not_found"
        assert error["retryable"] is True
        assert "no-such-port" in error["error"]
        health = (await client.call_tool("boards", {})).structured_content["boards"]
        assert health[0]["level"] == "down" and "no-such-port" in health[0]["last_error"]


def _single_board(federation: Federation) -> Board:
    [member] = federation.members
    assert isinstance(member, LocalMember)
    return member.board


async def test_emulator_if_no_board_serves_the_virtual_board() -> None:
    config = Config(port="auto", emulator_if_no_board=True)
    async with open_bench(config, scan=lambda: []) as federation:
        board = _single_board(federation)
        assert board.virtual_board is not None and board.firmware
        async with Client(federation_server(federation, environ={}), mode="legacy") as client:
            result = await client.call_tool("dac_get", {"channel": "DAC0"})
            assert not result.is_error and result.structured_content["voltage"] == 0.0


async def test_without_the_fallback_auto_does_not_invent_a_board() -> None:
    async with open_bench(Config(port="auto"), scan=lambda: []) as federation:
        board = _single_board(federation)
        assert board.virtual_board is None and board.family is None
