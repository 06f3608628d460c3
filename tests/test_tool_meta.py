"""Tool metadata for clients: titles, subsystem icons, Claude Code's search hints and alwaysLoad, and its limits.

Everything goes through the SDK client in both protocol eras (handshake and 2026-07-28), in full and discovery
list modes, and through tools_describe_many; the limits are Claude Code's documented ones (instructions and
descriptions cut at 2 KB, tool names ^[A-Za-z0-9_-]{1,64}$) and our own (hints of a few words).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client, types

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import INSTRUCTIONS, build_server, directory_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling import tool_meta
from jumperless_mcp.tooling.deferred import FORCE_ENV, META_TOOLS
from jumperless_mcp.tooling.tool_context import ServerMemory, ToolContext
from jumperless_mcp.tooling.tool_directory import ToolDirectory
from jumperless_mcp.tooling.tool_runner import ToolRunner
from jumperless_mcp.tools import ALL_TOOLS

MODERN = "2026-07-28"
MODES = ["legacy", MODERN]
SERVER_PREFIX = "mcp__jumperless__"  # how Claude Code names our tools (its own name limit is the API's 64)


@asynccontextmanager
async def client(vboard: VirtualBoard, mode: str, environ: dict[str, str] | None = None) -> AsyncIterator[Client]:
    config = Config().validated()
    async with Board(vboard.info(), timeout=config.timeout) as board:
        server, _ = build_server(board, config, environ=environ or {})
        async with Client(server, mode=mode) as c:
            yield c


def assert_complete(tools: list[types.Tool]) -> None:
    """Every tool has a title, an icon and a search hint, within the limits."""
    assert tools
    assert tool_meta.limit_problems(tools) == []
    for tool in tools:
        assert tool.title and tool.title[0].isupper(), tool.name
        assert tool.icons and tool.icons[0].src.startswith("data:image/svg+xml;base64,"), tool.name
        assert 0 < len(tool.meta[tool_meta.SEARCH_HINT_META]) <= tool_meta.HINT_LIMIT


@pytest.mark.parametrize("mode", MODES)
async def test_every_tool_has_a_title_an_icon_and_hints_in_full_mode(jos_board: VirtualBoard, mode: str) -> None:
    async with client(jos_board, mode) as c:
        tools = (await c.list_tools()).tools
        instructions = c.instructions
    assert len(tools) > 80
    assert_complete(tools)
    assert tool_meta.limit_problems(tools, instructions) == []
    titles = [tool.title for tool in tools]
    assert len(set(titles)) == len(titles), "two tools share a title"
    by_name = {tool.name: tool for tool in tools}
    assert by_name["dac_set"].title == "Set a DAC or rail voltage"
    assert by_name["gpio_set_direction"].title == "Set GPIO direction"  # derived: the verb first, acronyms kept
    loaded = {tool.name for tool in tools if tool.meta.get(tool_meta.ALWAYS_LOAD_META)}
    assert loaded == {"board_info", "connect", "get_netlist", "dac_set", "adc_read"}
    assert "connect" in by_name["connect"].meta[tool_meta.SEARCH_HINT_META]
    assert "voltage" in by_name["dac_set"].meta[tool_meta.SEARCH_HINT_META]


@pytest.mark.parametrize("mode", MODES)
async def test_discovery_mode_and_describe_carry_the_same_metadata(jos_board: VirtualBoard, mode: str) -> None:
    async with client(jos_board, mode, {FORCE_ENV: "1"}) as c:
        listed = (await c.list_tools()).tools
        described = await c.call_tool("tools_describe_many", {"names": ["connect", "gpio_read", "capture"]})
    assert {tool.name for tool in listed} == set(META_TOOLS)
    assert_complete(listed)
    # the meta-tools are all a discovery client has: each is loaded up front
    assert all(tool.meta[tool_meta.ALWAYS_LOAD_META] is True for tool in listed)
    declarations = [types.Tool.model_validate(tool) for tool in described.structured_content["tools"]]
    assert [tool.name for tool in declarations] == ["connect", "gpio_read", "capture"]
    assert_complete(declarations)
    assert declarations[0].meta[tool_meta.ALWAYS_LOAD_META] is True
    assert tool_meta.ALWAYS_LOAD_META not in declarations[1].meta


async def test_several_boards_name_the_board_in_title_and_hint(tmp_path: Any) -> None:
    config = Config().validated()
    runners = {
        name: ToolRunner(ALL_TOOLS, ToolContext(Board("emulator", eager=False), config, ServerMemory()))
        for name in ("bench_a", "bench_b")
    }
    server = directory_server(ToolDirectory.of_runners(runners, reserved=META_TOOLS), environ={})
    async with Client(server, mode="legacy") as c:
        tools = (await c.list_tools()).tools
    assert_complete(tools)
    by_name = {tool.name: tool for tool in tools}
    assert by_name["bench_b_connect"].title == "Connect two nodes (bench_b)"
    assert by_name["bench_b_connect"].meta[tool_meta.SEARCH_HINT_META].startswith("bench b ")
    assert all(len(SERVER_PREFIX + name) <= 64 for name in by_name if not name.startswith("bench_"))


def test_the_icons_are_small_valid_svg_and_one_per_subsystem() -> None:
    subsystems = {spec.subsystem for spec in ALL_TOOLS}
    assert subsystems <= set(tool_meta.SUBSYSTEMS), "a subsystem without its own icon"
    sources = {tool_meta.icons(name)[0].src for name in tool_meta.SUBSYSTEMS}
    assert len(sources) == len(tool_meta.SUBSYSTEMS)
    for src in sources:
        svg = base64.b64decode(src.split(",", 1)[1]).decode()
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")
        assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
        assert len(src) <= 220


def test_instructions_fit_claude_codes_limit_with_the_essentials_first() -> None:
    assert len(INSTRUCTIONS.encode()) <= tool_meta.INSTRUCTIONS_LIMIT
    head = INSTRUCTIONS.encode()[: tool_meta.ESSENTIALS].decode(errors="ignore")
    for essential in ("board_info", "connect", "measure_node", "adc_read", "declined", "do not retry"):
        assert essential in head, essential


def test_limit_problems_catches_each_broken_limit() -> None:
    good = types.Tool(
        name="ok_tool",
        title="Fine",
        input_schema={"type": "object"},
        icons=list(tool_meta.icons("system")),
        meta={tool_meta.SEARCH_HINT_META: "a few words"},
    )
    assert tool_meta.limit_problems([good], "short") == []
    broken = [
        good.model_copy(update={"name": "x" * 65}),
        good.model_copy(update={"name": "has space"}),
        good.model_copy(update={"description": "d" * 2049}),
        good.model_copy(update={"title": None}),
        good.model_copy(update={"icons": None}),
        good.model_copy(update={"meta": {tool_meta.SEARCH_HINT_META: "w" * 65}}),
        good.model_copy(update={"meta": {}}),
        good.model_copy(update={"meta": {tool_meta.SEARCH_HINT_META: "x", tool_meta.ALWAYS_LOAD_META: "yes"}}),
    ]
    for tool in broken:
        assert len(tool_meta.limit_problems([tool])) == 1, tool
    assert tool_meta.limit_problems([], "i" * 2049)


def test_a_declared_title_and_hint_win_and_derived_ones_read_well() -> None:
    assert tool_meta.title("pwm_stop") == "Stop PWM"
    assert tool_meta.title("overlay_move") == "Move overlay"
    assert tool_meta.title("connect", "Bridge") == "Bridge"
    assert tool_meta.search_hint("x", "power", "mine") == "mine"
    hint = tool_meta.search_hint("wavegen_configure", "wavegen")
    assert hint == "configure waveform generator signal"
    assert all(ALL_TOOLS), "declared"
    for spec in ALL_TOOLS:
        assert len(tool_meta.title(spec.name, spec.title)) <= tool_meta.TITLE_LIMIT, spec.name


def test_list_growth_stays_modest() -> None:
    """The metadata adds under 25% to the full tools/list (measured: ~19%, icons ~16 KB of it)."""
    config = Config().validated()
    runner = ToolRunner(ALL_TOOLS, ToolContext(Board("emulator", eager=False), config, ServerMemory()))
    tools = runner.mcp_tools()
    full = types.ListToolsResult(tools=tools)
    bare = types.ListToolsResult(
        tools=[
            tool.model_copy(
                update={"icons": None, "meta": {k: v for k, v in tool.meta.items() if not k.startswith("anthropic/")}}
            )
            for tool in tools
        ]
    )
    size = len(json.dumps(full.model_dump(mode="json", by_alias=True, exclude_none=True)))
    base = len(json.dumps(bare.model_dump(mode="json", by_alias=True, exclude_none=True)))
    assert size < base * 1.25, (size, base)
