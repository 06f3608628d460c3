"""MCP prompts (serving/prompts.py): listed and rendered through the SDK client in both protocol eras.

The server runs on a virtual board behind a real pty; several boards go through a real Federation. Every prompt
is rendered with each of its choices, and every tool it names must be one the server really offers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client, types
from mcp.shared.exceptions import MCPError
from mcp_harness import two_board_server
from mcp_types import INVALID_PARAMS

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving import prompts
from jumperless_mcp.serving.server import build_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.deferred import META_TOOLS
from jumperless_mcp.tooling.tool_directory import ToolDirectory
from jumperless_mcp.tools import ALL_TOOLS

MODERN = "2026-07-28"
MODES = ["legacy", MODERN]
TOOL_NAMES = {spec.name for spec in ALL_TOOLS}
BACKTICKED = re.compile(r"`([^`]+)`")

# One valid argument set per prompt, and the choices each argument may take (all rendered).
VALID: dict[str, dict[str, str]] = {
    "measure_component": {"a": "11", "b": "15"},
    "debug_circuit": {"symptom": "led_off", "rows": "10, 14, TOP_RAIL"},
    "build_from_description": {"description": "an LED with a 330 ohm resistor on the top rail at 5 V"},
    "characterise_part": {"a": "20", "b": "gnd"},
    "check_board": {},
}
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "measure_component": {"kind": prompts.PART_KINDS},
    "debug_circuit": {"symptom": prompts.SYMPTOMS},
    "build_from_description": {"power": ("yes", "no")},
    "characterise_part": {"kind": prompts.PART_KINDS},
    "check_board": {"depth": ("quick", "full")},
}


@asynccontextmanager
async def one_board(vboard: VirtualBoard, mode: str) -> AsyncIterator[Client]:
    async with Board(vboard.info(), timeout=5) as board:
        server, _ = build_server(board, Config(), environ={})
        async with Client(server, mode=mode) as client:
            yield client


def text_of(result: types.GetPromptResult) -> str:
    assert len(result.messages) == 1
    message = result.messages[0]
    assert message.role == "user"
    assert isinstance(message.content, types.TextContent)
    return message.content.text


def named_tools(text: str) -> set[str]:
    """Everything the prompt shows in backticks: only tool names are."""
    return set(BACKTICKED.findall(text))


async def refused(client: Client, name: str, arguments: dict[str, str]) -> MCPError:
    with pytest.raises(MCPError) as caught:
        await client.get_prompt(name, arguments)
    assert caught.value.code == INVALID_PARAMS
    return caught.value


# --- through the SDK client ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_are_listed_with_their_arguments(jos_board: VirtualBoard, mode: str) -> None:
    async with one_board(jos_board, mode) as client:
        if mode == MODERN:  # a pinned 2026-07-28 client adopts the version without asking: ask server/discover
            discovered = types.DiscoverResult.model_validate(await client.session.send_discover(MODERN))
            assert discovered.capabilities.prompts is not None
        else:
            assert client.server_capabilities.prompts is not None  # from the initialize handshake
        listed = (await client.list_prompts()).prompts
        again = (await client.list_prompts()).prompts
    assert [p.name for p in listed] == [p.name for p in prompts.PROMPTS]
    assert [p.model_dump() for p in listed] == [p.model_dump() for p in again]  # the same list every time
    by_name = {p.name: p for p in listed}
    assert set(VALID) == set(by_name)
    for prompt in listed:
        assert prompt.title and prompt.description
        arguments = {arg.name: arg for arg in prompt.arguments or []}
        assert "board" in arguments and not arguments["board"].required
        assert all(arg.description for arg in arguments.values())
    required = {name: {a.name for a in p.arguments or [] if a.required} for name, p in by_name.items()}
    assert required["measure_component"] == {"a", "b"}
    assert required["debug_circuit"] == {"symptom", "rows"}
    assert required["check_board"] == set()


@pytest.mark.parametrize("mode", MODES)
async def test_each_prompt_renders_its_arguments_and_names_offered_tools(jos_board: VirtualBoard, mode: str) -> None:
    async with one_board(jos_board, mode) as client:
        offered = {tool.name for tool in (await client.list_tools()).tools}
        measure = text_of(await client.get_prompt("measure_component", {"a": "11", "b": "d5", "kind": "resistor"}))
        debug = text_of(
            await client.get_prompt(
                "debug_circuit", {"symptom": "wrong_voltage", "rows": "12 13", "expected_volts": "2.5"}
            )
        )
        sweep = await client.get_prompt(
            "characterise_part", {"a": "20", "b": "21", "kind": "led", "max_milliamps": "10"}
        )
        health = text_of(await client.get_prompt("check_board", {"depth": "full"}))
    assert "between 11 and D5" in measure and "a=11 b=D5" in measure
    assert "`measure_resistance`" in measure and "`diode_test`" not in measure
    assert "12, 13" in debug and "expected 2.5 V" in debug
    assert sweep.description == prompts.BY_NAME["characterise_part"].description
    sweep_text = text_of(sweep)
    assert "`iv_sweep` a=20 b=21 start=-2 stop=2 steps=21 max_milliamps=10" in sweep_text  # defaults filled in
    assert "`measure_node`" in health
    for text in (measure, debug, sweep_text, health):
        body, _, note = text.partition("Not offered now")
        for tool in named_tools(body) - offered - set(META_TOOLS):  # e.g. net_currents before JumperlOS 5.7
            assert f"{tool} (" in note, f"{tool} is named but neither offered nor noted"
    assert "Not offered now" not in measure


@pytest.mark.parametrize("mode", MODES)
async def test_bad_arguments_are_mcp_errors_naming_them(jos_board: VirtualBoard, mode: str) -> None:
    async with one_board(jos_board, mode) as client:
        missing = await refused(client, "measure_component", {"a": "11"})
        assert "'b'" in missing.message and "missing" in missing.message
        assert missing.data["parameter"] == "b"
        bad_node = await refused(client, "measure_component", {"a": "11", "b": "ROW99"})
        assert "'b'" in bad_node.message and "ROW99" in bad_node.message
        bad_kind = await refused(client, "measure_component", {"a": "1", "b": "2", "kind": "transistor"})
        assert bad_kind.data == {
            "prompt": "measure_component",
            "parameter": "kind",
            "allowed": ", ".join(prompts.PART_KINDS),
        }
        volts = await refused(client, "characterise_part", {"a": "1", "b": "2", "stop": "12"})
        assert "'stop'" in volts.message and "-8 to 8 V" in volts.message
        steps = await refused(client, "characterise_part", {"a": "1", "b": "2", "steps": "2.5"})
        assert steps.data["parameter"] == "steps"
        symptom = await refused(client, "debug_circuit", {"symptom": "smoke", "rows": "3"})
        assert "led_off, wrong_voltage, other" in symptom.message
        neither = await refused(client, "build_from_description", {"power": "no"})
        assert neither.data["parameter"] == "description" and "netlist" in neither.message
        netlist = await refused(client, "build_from_description", {"netlist": "{R1.1: GND}"})
        assert netlist.data["parameter"] == "netlist" and "not JSON" in netlist.message
        supplies = await refused(client, "build_from_description", {"description": "x", "supplies": "RAIL=5"})
        assert supplies.data["parameter"] == "supplies"
        extra = await refused(client, "check_board", {"colour": "red"})
        assert extra.data["parameter"] == "colour"
        unknown = await refused(client, "make_coffee", {})
        assert "make_coffee" in unknown.message and "check_board" in unknown.message
        lone = await refused(client, "check_board", {"board": "bench-z"})
        assert lone.data["parameter"] == "board"
        # a bad call changes nothing: the same prompt then renders
        assert "`board_info`" in text_of(await client.get_prompt("check_board", {}))


async def test_build_prompt_shows_the_netlist_and_the_power_choice(jos_board: VirtualBoard) -> None:
    netlist = '{"led": ["R1.2", "LED1.anode"], "top": ["R1.1", "TOP_RAIL"], "gnd": ["LED1.cathode", "GND"]}'
    async with one_board(jos_board, MODERN) as client:
        powered = text_of(
            await client.get_prompt(
                "build_from_description", {"netlist": netlist, "supplies": "top_rail = 5v, DAC0=3.3"}
            )
        )
        unpowered = text_of(await client.get_prompt("build_from_description", {"netlist": netlist, "power": "NO"}))
    assert '"LED1.anode"' in powered and "Supplies: TOP_RAIL=5, DAC0=3.3." in powered
    assert "power=true" in powered and "power=false" in unpowered
    assert "`build_circuit`" in powered and "`guide_place`" in powered


# --- several boards -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_several_boards_need_the_board_argument_and_get_prefixed_names(tmp_path: Any, mode: str) -> None:
    async with two_board_server(tmp_path) as (server, _, _), Client(server, mode=mode) as client:
        offered = {tool.name for tool in (await client.list_tools()).tools}
        listed = [p.name for p in (await client.list_prompts()).prompts]
        missing = await refused(client, "check_board", {})
        wrong = await refused(client, "check_board", {"board": "bench-c"})
        text = text_of(await client.get_prompt("measure_component", {"a": "5", "b": "9", "board": "bench-b"}))
    assert listed == [p.name for p in prompts.PROMPTS]  # the list does not depend on the boards
    assert missing.data["parameter"] == "board" and missing.data["allowed"] == "bench-a, bench-b"
    assert "bench-c" in wrong.message and "bench-a, bench-b" in wrong.message
    assert text.startswith("Use board bench-b:")
    tools = named_tools(text)
    assert "bench_b_identify_part" in tools and "bench_b_snapshot_restore" in tools
    assert not any(name.startswith("bench_a_") for name in tools)
    assert tools <= offered | set(META_TOOLS)


# --- the tool-name check, without a server ---------------------------------------------------------------------


def argument_sets() -> list[tuple[str, dict[str, str]]]:
    """Every prompt with every combination of its choice arguments."""
    sets = []
    for name, valid in VALID.items():
        choices = CHOICES[name]
        for combo in itertools.product(*choices.values()):
            sets.append((name, {**valid, **dict(zip(choices, combo, strict=True))}))
    return sets


def render_offline(name: str, arguments: dict[str, str]) -> tuple[str, set[str]]:
    """Render through the prompt's own body with a namer that checks each tool against ALL_TOOLS."""
    asked: set[str] = set()

    def namer(tool: str) -> str:
        asked.add(tool)
        if tool not in TOOL_NAMES | set(META_TOOLS):
            raise NameError(tool)
        return f"`{tool}`"

    spec = prompts.BY_NAME[name]
    return spec.render(spec.checked(arguments), namer, None), asked


@pytest.mark.parametrize(("name", "arguments"), argument_sets())
def test_every_tool_a_prompt_names_exists(name: str, arguments: dict[str, str]) -> None:
    text, asked = render_offline(name, arguments)
    assert named_tools(text) == {f"{tool}" for tool in asked}  # no tool name slips in without the namer
    assert asked - set(META_TOOLS), "a prompt that names no tool tells the agent nothing"
    assert "{" not in text.replace(arguments.get("netlist", ""), "")  # no unrendered template field


def test_a_prompt_naming_a_missing_tool_fails_to_render(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a body naming a tool that does not exist raises in the real namer too."""
    spec = prompts.BY_NAME["check_board"]
    broken = prompts.PromptSpec(
        spec.name, spec.title, spec.description, spec.arguments, lambda v, t: [t("selftest_all")]
    )
    with pytest.raises(NameError, match="selftest_all"):
        render_offline_spec(broken)
    monkeypatch.setitem(prompts.BY_NAME, "check_board", broken)
    with pytest.raises(NameError):
        prompts.get_prompt(FakeCatalog(), "check_board", {})


class FakeCatalog:
    """A catalog with no boards and no tools: enough to reach the namer."""

    def __init__(self) -> None:
        self.directory = ToolDirectory([], reserved=META_TOOLS)


def render_offline_spec(spec: prompts.PromptSpec) -> str:
    def namer(tool: str) -> str:
        if tool not in TOOL_NAMES | set(META_TOOLS):
            raise NameError(tool)
        return f"`{tool}`"

    return spec.render(spec.checked({}), namer, None)


def test_tools_not_offered_now_are_noted() -> None:
    text = text_of(prompts.get_prompt(FakeCatalog(), "check_board", {}))
    assert "Not offered now" in text and "board_info (not on this server)" in text


async def test_the_health_prompts_measurements_work_as_it_says(jos_board: VirtualBoard) -> None:
    """check_board depth=full says each rail reads its setpoint within about 0.1 V through measure_node."""
    async with one_board(jos_board, "legacy") as client:
        text = text_of(await client.get_prompt("check_board", {"depth": "full"}))
        assert "`measure_node` on TOP_RAIL and BOTTOM_RAIL" in text
        power = (await client.call_tool("get_power", {})).structured_content
        assert power is not None
        for rail in ("TOP_RAIL", "BOTTOM_RAIL"):
            result = await client.call_tool("measure_node", {"node": rail})
            assert not result.is_error, result.content
            assert result.structured_content is not None
            assert result.structured_content["voltage"] == pytest.approx(power[rail], abs=0.1)
        bridges = (await client.call_tool("get_bridges", {})).structured_content
    assert bridges is not None and not any("ADC" in str(bridge) for bridge in bridges.values())  # reads only
