"""Deferred discovery: the two list modes, their triggers, and tools_search / tools_describe_many / tools_call."""

from __future__ import annotations

import dataclasses
import logging
import threading
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, types
from mcp_harness import Harness, board_calls, serve, session_with_capabilities
from result_schemas import error_details
from stdio_harness import DIVIDER, server_env, spawn

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import build_server, directory_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.deferred import CAPABILITY, FORCE_ENV, META_TOOLS, ListMode, forced_by_env, list_mode
from jumperless_mcp.tooling.tool_context import ServerMemory, ToolContext
from jumperless_mcp.tooling.tool_directory import ToolDirectory
from jumperless_mcp.tooling.tool_runner import ToolRunner
from jumperless_mcp.tooling.tool_search import SearchIndex, ToolText, concepts
from jumperless_mcp.tools import ALL_TOOLS

QUERIES = Path(__file__).resolve().parent.parent / "benchmarks" / "search_queries.toml"
FORCING = ["1", "true", "TRUE", "yes", "Yes", "on", "ON", " 1 ", "\ttrue\n"]
NOT_FORCING = ["0", "false", "no", "off", "", "   ", "maybe", "2", "enabled"]
DEFERRED = {CAPABILITY: {}}


@pytest.fixture
async def discovery(jos_board: VirtualBoard) -> AsyncIterator[Harness]:
    """A client that asked for deferred tools, on a JumperlOS virtual board."""
    async with serve(jos_board, experimental=DEFERRED) as h:
        yield h


async def listed(server: Any) -> set[str]:
    async with Client(server, mode="legacy") as client:
        return {tool.name for tool in (await client.list_tools()).tools}


# --- choosing the mode ---------------------------------------------------------------------------------------


def test_the_environment_forces_discovery_only_with_1_true_yes_on() -> None:
    for value in FORCING:
        assert forced_by_env({FORCE_ENV: value}), repr(value)
    for value in NOT_FORCING:
        assert not forced_by_env({FORCE_ENV: value}), repr(value)
    assert not forced_by_env({})


def test_the_capability_chooses_discovery_with_any_value() -> None:
    def caps(experimental: dict[str, Any] | None) -> types.ClientCapabilities:
        return types.ClientCapabilities(experimental=experimental)

    for experimental in ({CAPABILITY: {}}, {CAPABILITY: {"version": 2}}, {"other": {}, CAPABILITY: {}}):
        assert list_mode(caps(experimental), forced=False)[0] is ListMode.DISCOVERY
    for experimental in (None, {}, {"other": {}}, {"x-deferred": {}}):
        assert list_mode(caps(experimental), forced=False)[0] is ListMode.FULL
    assert list_mode(None, forced=False)[0] is ListMode.FULL
    assert list_mode(None, forced=True) == (ListMode.DISCOVERY, f"{FORCE_ENV} set in the environment")


async def test_each_environment_value_gives_the_right_tool_list(jos_board: VirtualBoard) -> None:
    """Through the real server: the forcing values list the three meta-tools, the others every board tool."""
    config = Config().validated()
    async with Board(jos_board.info()) as board:
        _, runner = build_server(board, config, environ={})
        full = {spec.name for spec in runner.offered()} | {"boards"}
        assert len(full) > 50 and not full & set(META_TOOLS)
        for value in FORCING:
            server, _ = build_server(board, config, environ={FORCE_ENV: value})
            assert await listed(server) == set(META_TOOLS), repr(value)
        for value in NOT_FORCING:
            server, _ = build_server(board, config, environ={FORCE_ENV: value})
            assert await listed(server) == full, repr(value)
        server, _ = build_server(board, config, environ={"PATH": "/usr/bin"})
        assert await listed(server) == full


async def test_the_client_capability_gives_discovery_mode_and_the_log_says_why(
    jos_board: VirtualBoard, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jumperless_mcp")
    config = Config().validated()
    async with Board(jos_board.info()) as board:
        server, runner = build_server(board, config, environ={})
        for experimental in (DEFERRED, {CAPABILITY: {"any": "value"}}):
            async with session_with_capabilities(server, experimental) as session:
                assert {t.name for t in (await session.list_tools()).tools} == set(META_TOOLS)
        assert f"discovery mode: client capability experimental.{CAPABILITY}" in caplog.text
        async with session_with_capabilities(server, {"some-other-extension": {}}) as session:
            assert len((await session.list_tools()).tools) == len(runner.offered()) + 1  # and boards
        assert "full mode: default" in caplog.text

        caplog.clear()
        forced, _ = build_server(board, config, environ={FORCE_ENV: "yes"})
        assert await listed(forced) == set(META_TOOLS)
        assert f"{FORCE_ENV}='yes': discovery mode for every client" in caplog.text
        assert f"discovery mode: {FORCE_ENV} set in the environment" in caplog.text
        caplog.clear()
        build_server(board, config, environ={FORCE_ENV: "maybe"})
        assert "is not one of 1/on/true/yes: not forcing" in caplog.text


async def test_discovery_mode_lists_the_meta_tools_with_schemas_and_annotations(discovery: Harness) -> None:
    tools = {tool.name: tool for tool in (await discovery.client.list_tools()).tools}
    assert list(tools) == list(META_TOOLS)
    search, describe, call = (tools[name] for name in META_TOOLS)
    assert search.input_schema["required"] == ["query"] and describe.input_schema["required"] == ["names"]
    assert call.input_schema["required"] == ["name"] and call.output_schema is None  # any tool's result
    assert search.annotations.read_only_hint and describe.annotations.read_only_hint
    assert call.annotations.destructive_hint and not call.annotations.read_only_hint


async def test_board_tools_stay_callable_by_name_in_discovery_mode(discovery: Harness) -> None:
    assert (await discovery.ok("dac_set", channel="TOP_RAIL", voltage=3.3))["voltage"] == pytest.approx(3.3)
    assert discovery.vboard.model.power["top_rail"] == pytest.approx(3.3)
    assert (await discovery.error("dac_set", channel="TOP_RAIL", voltage=99))["parameter"] == "voltage"


# --- tools_search ---------------------------------------------------------------------------------------------


async def test_search_finds_the_tool_for_plain_bench_tasks(discovery: Harness) -> None:
    tasks = {
        "measure the voltage on row 12": "measure_node",
        "put 5 volts on the top rail": "dac_set",
        "is D13 connected to the LED row?": "is_connected",
        "blink GPIO 3": "pwm_start",
        "read the ADC": "adc_read",
        "show hello on the display": "oled_print",
    }
    with board_calls(discovery) as sent:
        for query, tool in tasks.items():
            found = await discovery.ok("tools_search", query=query)
            assert found["query"] == query
            assert found["matches"][0]["name"] == tool, (query, found["matches"][:3])
            first = found["matches"][0]
            assert first["description"] and "\n" not in first["description"] and first["subsystem"]
    assert sent == []  # searching never talks to the board


async def test_search_limit_and_a_query_nothing_matches(discovery: Harness) -> None:
    assert len((await discovery.ok("tools_search", query="voltage", limit=2))["matches"]) == 2
    assert len((await discovery.ok("tools_search", query="voltage"))["matches"]) == 8
    assert len((await discovery.ok("tools_search", query="voltage", limit=50))["matches"]) > 8
    nothing = await discovery.result("tools_search", query="zzqx flibbertigibbet")
    assert not nothing.is_error and nothing.structured_content["matches"] == []
    assert "no tool matched" in nothing.content[0].text


async def test_search_only_returns_tools_this_server_offers(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, experimental=DEFERRED, read_only=True) as h:
        names = [m["name"] for m in (await h.ok("tools_search", query="wire row 3 to row 4", limit=50))["matches"]]
        assert names and "connect" not in names and "is_connected" in names
    async with serve(jos_board, experimental=DEFERRED) as h:
        python = await h.ok("tools_search", query="run micropython code on the board", limit=50)
        assert "exec_python" not in [m["name"] for m in python["matches"]]  # off unless allow_python


async def test_bad_search_input_is_an_error_naming_the_parameter(discovery: Harness) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"query": ""}, "query"),
        ({"query": "   \n"}, "query"),
        ({}, "query"),
        ({"query": 12}, "query"),
        ({"query": "adc", "limit": 0}, "limit"),
        ({"query": "adc", "limit": 51}, "limit"),
        ({"query": "adc", "limit": "many"}, "limit"),
        ({"query": "adc", "board": "a"}, "board"),
    ]
    for arguments, parameter in cases:
        error = await discovery.error("tools_search", **arguments)
        assert error["kind"] == "invalid_argument" and error["parameter"] == parameter, (arguments, error)
        assert error["error"].startswith(f"{parameter}: ") and error["sent_to_board"] is False


def test_search_quality_on_the_kept_query_set() -> None:
    """A floor under the benchmark's figures, so a change that makes search worse fails here."""
    queries = tomllib.loads(QUERIES.read_text())["query"]
    assert len(queries) >= 40
    index = SearchIndex(listing.search_text() for listing in ToolDirectory.single(_runner_without_board()).listings())
    hits1 = hits3 = 0
    for query in queries:
        names = [match.name for match in index.search(query["text"], 3)]
        hits1 += names[0] in query["expect"] if names else 0
        hits3 += any(name in query["expect"] for name in names)
    assert hits1 / len(queries) >= 0.65 and hits3 / len(queries) >= 0.9, (hits1, hits3, len(queries))


# --- tools_describe_many ------------------------------------------------------------------------------------


async def test_describe_gives_the_same_definitions_as_the_full_list(jos_board: VirtualBoard) -> None:
    async with serve(jos_board) as full:
        full_tools = {tool.name: tool for tool in (await full.client.list_tools()).tools}
    async with serve(jos_board, experimental=DEFERRED) as h:
        described = await h.ok("tools_describe_many", names=["connect", "adc_read", "gpio_write"])
    assert [tool["name"] for tool in described["tools"]] == ["connect", "adc_read", "gpio_write"]
    for tool in described["tools"]:
        expected = full_tools[tool["name"]].model_dump(mode="json", by_alias=True, exclude_none=True)
        assert tool == expected
        assert {"description", "inputSchema", "outputSchema", "annotations"} <= set(tool)
    assert described["unknown"] == [] and described["unavailable"] == []


async def test_describe_reports_unknown_and_unavailable_names(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, experimental=DEFERRED) as h:
        result = await h.ok("tools_describe_many", names=["dac_set", "dac_sett", "make_coffee", "exec_python"])
        assert [tool["name"] for tool in result["tools"]] == ["dac_set"]
        assert result["unknown"] == [
            {"name": "dac_sett", "did_you_mean": ["dac_set", "dac_get"]},
            {"name": "make_coffee", "did_you_mean": []},
        ]
        assert result["unavailable"][0]["name"] == "exec_python"
        assert "allow-python" in result["unavailable"][0]["reason"]

        error = await h.error("tools_describe_many", names=["make_coffee", "conect"])
        assert error["kind"] == "unknown_tool" and error["parameter"] == "names"
        assert "'make_coffee'" in error["error"] and "tools_search" in error["error"]
        assert error["unknown"][1]["name"] == "conect" and error["unknown"][1]["did_you_mean"][0] == "connect"

        for bad in ("connect", [], [1, 2], {"names": "connect"}, ["x"] * 101):
            error = await h.error("tools_describe_many", names=bad)
            assert error["kind"] == "invalid_argument" and error["parameter"] == "names", (bad, error)
        assert (await h.error("tools_describe_many"))["parameter"] == "names"


# --- tools_call ------------------------------------------------------------------------------------------------


def _same(direct: types.CallToolResult, via: types.CallToolResult) -> None:
    assert via.is_error == direct.is_error
    assert via.structured_content == direct.structured_content
    assert via.meta == direct.meta
    assert [c.text for c in via.content] == [c.text for c in direct.content]


async def test_tools_call_returns_exactly_what_a_direct_call_returns(discovery: Harness) -> None:
    async def both(name: str, **arguments: Any) -> types.CallToolResult:
        direct = await discovery.result(name, **arguments)
        via = await discovery.result("tools_call", name=name, arguments=arguments)
        _same(direct, via)
        return via

    assert not (await both("dac_set", channel="DAC0", voltage=1.25)).is_error
    assert discovery.vboard.model.power["dac0"] == pytest.approx(1.25)
    assert (await both("connect", node1="DAC0", node2="ADC1")).structured_content["ok"]
    readings = (await both("adc_read", channels=[1])).structured_content["readings"]
    assert readings == {"ADC1": pytest.approx(1.25, abs=0.05)}
    assert not (await both("get_netlist")).is_error
    assert (await both("dac_get", channel="DAC0")).structured_content["voltage"] == pytest.approx(1.25)
    refused = await both("connect", node1="TOP_RAIL", node2="GND")  # a supply short: refused before sending
    assert error_details(refused)["kind"] == "forbidden_connection"
    bad = await both("dac_set", channel="DAC7", voltage=1)
    assert error_details(bad)["parameter"] == "channel"
    unknown = await both("make_coffee")
    assert error_details(unknown)["kind"] == "unknown_tool"


async def test_tools_call_without_arguments_and_for_unavailable_tools(discovery: Harness) -> None:
    power = await discovery.ok("tools_call", name="get_power")
    assert power == await discovery.ok("get_power")
    error = await discovery.error("tools_call", name="exec_python", arguments={"code": "print(1)"})
    assert error["kind"] == "unavailable" and "allow-python" in error["error"]


async def test_bad_tools_call_input_is_an_error_and_sends_nothing(discovery: Harness) -> None:
    with board_calls(discovery) as sent:
        unknown = await discovery.error("tools_call", name="dac_sett", arguments={})
        assert unknown["kind"] == "unknown_tool" and "dac_set" in unknown["did_you_mean"]
        assert "did you mean dac_set" in unknown["error"]
        meta = await discovery.error("tools_call", name="tools_search", arguments={"query": "adc"})
        assert meta["kind"] == "invalid_argument" and "call it directly" in meta["error"]
        for arguments, parameter in (
            ({"arguments": {}}, "name"),
            ({"name": ""}, "name"),
            ({"name": 5}, "name"),
            ({"name": "dac_get", "arguments": "channel=0"}, "arguments"),
            ({"name": "dac_get", "arguments": [0]}, "arguments"),
            ({"name": "dac_get", "args": {}}, "args"),
        ):
            error = await discovery.error("tools_call", **arguments)
            assert error["kind"] == "invalid_argument" and error["parameter"] == parameter, (arguments, error)
        inner = await discovery.error("tools_call", name="dac_set", arguments={"channel": "DAC0", "voltage": 40})
        assert inner["parameter"] == "voltage" and inner["sent_to_board"] is False
    assert sent == []


async def test_tools_call_passes_progress_through(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, experimental=DEFERRED) as h:
        ticks: list[float] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            ticks.append(progress)

        arguments = {"name": "probe_button", "arguments": {"blocking": True, "timeout": 20}}
        press = threading.Timer(1.5, h.vboard.probe.press, ["CONNECT"])
        press.start()
        try:
            result = await h.client.call_tool("tools_call", arguments, progress_callback=on_progress)
        finally:
            press.cancel()
        assert not result.is_error, result.content
        assert result.structured_content["button"] == "CONNECT"
        assert ticks and ticks[0] >= 0.9


# --- names: collisions and several boards ------------------------------------------------------------------


def _runner_without_board(**settings: Any) -> ToolRunner:
    board = Board("emulator", eager=False)  # never started: only listing and searching here
    return ToolRunner(ALL_TOOLS, ToolContext(board, Config(**settings).validated(), ServerMemory()))


def test_meta_tool_names_never_collide_with_board_tools() -> None:
    assert not set(META_TOOLS) & {spec.name for spec in ALL_TOOLS}
    clash = dataclasses.replace(ALL_TOOLS[0], name="tools_call")
    board = Board("emulator", eager=False)
    with pytest.raises(ValueError, match=r"'tools_call'.*clashes with a server tool"):
        build_server(board, Config().validated(), [*ALL_TOOLS, clash], environ={})
    with pytest.raises(ValueError, match="clashes"):  # board "tools" + a tool "call" would be tools_call too
        runner = ToolRunner([dataclasses.replace(ALL_TOOLS[0], name="call")], _runner_without_board().context)
        ToolDirectory.of_runners({"tools": runner, "other": runner}, reserved=META_TOOLS)


def test_two_board_tool_pairs_that_share_a_wire_name_are_refused() -> None:
    context = _runner_without_board().context
    x_on_a_b = ToolRunner([dataclasses.replace(ALL_TOOLS[0], name="x")], context)
    b_x_on_a = ToolRunner([dataclasses.replace(ALL_TOOLS[0], name="b_x")], context)
    with pytest.raises(ValueError, match=r"'a_b_x'.*clashes with board 'a_b' tool 'x'"):
        ToolDirectory.of_runners({"a_b": x_on_a_b, "a": b_x_on_a})


@asynccontextmanager
async def two_boards(
    tmp_path: Path, experimental: dict[str, Any]
) -> AsyncIterator[tuple[Any, VirtualBoard, VirtualBoard]]:
    config = Config().validated()
    with (
        VirtualBoard("jumperlos", fs_dir=tmp_path / "a") as vboard_a,
        VirtualBoard("jumperlos", fs_dir=tmp_path / "b") as vboard_b,
    ):
        async with Board(vboard_a.info()) as a, Board(vboard_b.info()) as b:
            runners = {
                "bench_a": ToolRunner(ALL_TOOLS, ToolContext(a, config, ServerMemory())),
                "bench_b": ToolRunner(ALL_TOOLS, ToolContext(b, config, ServerMemory())),
            }
            server = directory_server(ToolDirectory.of_runners(runners, reserved=META_TOOLS), environ={})
            async with session_with_capabilities(server, experimental) as session:
                yield session, vboard_a, vboard_b


async def test_with_several_boards_the_meta_tools_speak_wire_names(tmp_path: Path) -> None:
    async with two_boards(tmp_path, DEFERRED) as (session, vboard_a, vboard_b):
        assert {tool.name for tool in (await session.list_tools()).tools} == set(META_TOOLS)
        found = await session.call_tool("tools_search", {"query": "read the ADC on bench b"})
        first = found.structured_content["matches"][0]
        assert first["name"] == "bench_b_adc_read" and first["board"] == "bench_b"

        described = await session.call_tool("tools_describe_many", {"names": ["bench_a_dac_set", "dac_set"]})
        tool = described.structured_content["tools"][0]
        assert tool["name"] == "bench_a_dac_set" and tool["description"].startswith("[board bench_a] ")
        assert described.structured_content["unknown"][0]["name"] == "dac_set"  # bare names are not wire names

        arguments = {"channel": "TOP_RAIL", "voltage": 4.2}
        result = await session.call_tool("tools_call", {"name": "bench_a_dac_set", "arguments": arguments})
        assert not result.is_error
        assert vboard_a.model.power["top_rail"] == pytest.approx(4.2)
        assert vboard_b.model.power["top_rail"] != pytest.approx(4.2)
        direct = await session.call_tool("bench_b_dac_get", {"channel": "TOP_RAIL"})
        via = await session.call_tool("tools_call", {"name": "bench_b_dac_get", "arguments": {"channel": 2}})
        _same(direct, via)


async def test_with_several_boards_the_full_list_has_every_board_s_tools(tmp_path: Path) -> None:
    async with two_boards(tmp_path, {"unrelated": {}}) as (session, _, _):
        names = {tool.name for tool in (await session.list_tools()).tools}
        assert {"bench_a_connect", "bench_b_connect", "bench_a_adc_read"} <= names
        assert not {"connect", *META_TOOLS} & names and len(names) % 2 == 0


async def test_forced_discovery_end_to_end_over_stdio(tmp_path: Path) -> None:
    """What Claude Code does with YGG_MCP_FORCE_DEFERRED=1: list, search, describe, call through tools_call."""
    env = server_env(tmp_path, YGG_MCP_FORCE_DEFERRED="1")
    async with spawn(tmp_path, "--port", "emulator", "--parts", str(DIVIDER), env=env) as server:
        assert await server.tool_names() == set(META_TOOLS)
        found = await server.ok("tools_search", query="put 5 volts on the top rail", limit=3)
        assert found["matches"][0]["name"] == "dac_set"
        described = await server.ok("tools_describe_many", names=["dac_set", "measure_node"])
        assert described["tools"][0]["inputSchema"]["properties"]["voltage"]["maximum"] == 8
        dac = {"name": "dac_set", "arguments": {"channel": "TOP_RAIL", "voltage": 5}}
        assert (await server.ok("tools_call", **dac))["voltage"] == pytest.approx(5)
        wired = await server.ok("tools_call", name="connect", arguments={"node1": "TOP_RAIL", "node2": 10})
        assert wired["ok"] is True
        measured = await server.ok("tools_call", name="measure_node", arguments={"node": 11})
        assert measured["voltage"] == pytest.approx(2.5, abs=0.1)  # the divider's midpoint
        error = await server.error("tools_call", name="dac_set", arguments={"channel": "TOP_RAIL", "voltage": 9})
        assert error["kind"] == "invalid_argument" and error["parameter"] == "voltage"
        assert (await server.ok("get_power"))["TOP_RAIL"] == pytest.approx(5)  # direct calls still work
    stderr = (tmp_path / "server.stderr").read_text()
    assert "YGG_MCP_FORCE_DEFERRED='1': discovery mode for every client" in stderr
    assert "tools/list in discovery mode: YGG_MCP_FORCE_DEFERRED set in the environment" in stderr


def test_search_folds_bench_words_typos_and_board_names() -> None:
    assert concepts("volts voltage 5V 3v3 V") == ["voltage"] * 5
    assert set(concepts("wire jumper bridge hook tie")) == {"connect"}
    tools = [
        ToolText(f"{board}_{name}", subsystem, description, (), board)
        for board in ("bench_1", "bench_2")
        for name, subsystem, description in (
            ("dac_set", "power", "Set a DAC output or a power rail to a voltage."),
            ("gpio_read", "digital", "Read a GPIO pin's level."),
        )
    ]
    index = SearchIndex(tools)
    assert index.search("put 5 V on the top rail of bench 2")[0].name == "bench_2_dac_set"
    assert index.search("read GPIO 2 on bench-1")[0].name == "bench_1_gpio_read"  # "GPIO 2" names no board
    assert index.search("set the volatge on bench_2")[0].name == "bench_2_dac_set"  # a typo
    assert index.search("the of and") == []
