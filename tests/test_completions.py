"""completion/complete (serving/completions.py) through the SDK client in both protocol eras, on virtual boards.

Prompt arguments complete from their declarations (nodes, choices, board names); resource-template variables
from the server's own state (boards, slots, captures, reference topics). Completion never talks to a board.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, types
from mcp.shared.exceptions import MCPError
from mcp_harness import two_board_server
from mcp_types import INVALID_PARAMS

from firmware_api.nodes import NODES, resolve_node
from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.capture import captures_dir
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving import completions, prompts, resources
from jumperless_mcp.serving.server import build_server
from jumperless_mcp.settings.config import Config

MODERN = "2026-07-28"
MODES = ["legacy", MODERN]
SLOT = "jumperless://{board}/slots/{slot}"
CAPTURE = "jumperless://captures/{name}"
PLOT = "jumperless://captures/{name}/plot.png"


@pytest.fixture(autouse=True)
def own_captures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own captures folder (platformdirs reads XDG_DATA_HOME on every call)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = captures_dir()
    folder.mkdir(parents=True)
    return folder


@asynccontextmanager
async def served(vboard: VirtualBoard, mode: str) -> AsyncIterator[Client]:
    config = Config().validated()
    async with Board(vboard.info(), timeout=config.timeout) as board:
        server, _ = build_server(board, config, environ={})
        async with Client(server, mode=mode) as client:
            yield client


async def prompt_values(client: Client, prompt: str, argument: str, typed: str) -> types.Completion:
    ref = types.PromptReference(type="ref/prompt", name=prompt)
    return (await client.complete(ref, {"name": argument, "value": typed})).completion


async def template_values(client: Client, template: str, variable: str, typed: str = "") -> types.Completion:
    ref = types.ResourceTemplateReference(type="ref/resource", uri=template)
    return (await client.complete(ref, {"name": variable, "value": typed})).completion


def sent_to(vboard: VirtualBoard) -> tuple[int, ...]:
    """Bytes the host has sent the board on every port (REPL only on JumperlOS)."""
    repl = getattr(vboard, "repl", None)
    return (vboard.main.input.received, repl.input.received if repl is not None else 0)  # type: ignore[union-attr]


# --- the capability -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_the_completions_capability_is_declared(jos_board: VirtualBoard, mode: str) -> None:
    async with served(jos_board, mode) as client:
        if mode == "legacy":
            capabilities = client.server_capabilities  # from the initialize result
        else:
            raw = await client.session.send_discover(MODERN)  # server/discover (discover() returns its cache)
            capabilities = types.DiscoverResult.model_validate(raw).capabilities
    assert capabilities.completions is not None
    assert capabilities.prompts is not None and capabilities.resources is not None  # unchanged beside it


# --- prompt arguments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_prompt_arguments_complete_from_their_declarations(jos_board: VirtualBoard, mode: str) -> None:
    async with served(jos_board, mode) as client:
        before = sent_to(jos_board)
        kind_r = await prompt_values(client, "measure_component", "kind", "r")
        kind_all = await prompt_values(client, "characterise_part", "kind", "")
        symptom = await prompt_values(client, "debug_circuit", "symptom", "W")  # any case
        gpio = await prompt_values(client, "measure_component", "a", "gp")
        ones = await prompt_values(client, "characterise_part", "b", "1")
        every_node = await prompt_values(client, "measure_component", "b", "")
        rows = await prompt_values(client, "debug_circuit", "rows", "10, t")
        numbers = await prompt_values(client, "characterise_part", "steps", "2")
        text = await prompt_values(client, "build_from_description", "description", "an LED")
        board = await prompt_values(client, "check_board", "board", "")
        after = sent_to(jos_board)
        rendered = await client.get_prompt("measure_component", {"a": gpio.values[0], "b": ones.values[-1]})
    assert (kind_r.values, kind_r.total, kind_r.has_more) == (["resistor"], 1, False)
    assert kind_all.values == list(prompts.PART_KINDS)
    assert symptom.values == ["wrong_voltage"]
    assert gpio.values == [f"GPIO_{i}" for i in range(1, 9)] and gpio.has_more is False
    assert ones.values == ["1", *(str(row) for row in range(10, 20))] and ones.total == 11
    assert len(every_node.values) == 100 and every_node.total == len(completions.node_names()) > 100
    assert every_node.has_more is True and every_node.values[:3] == ["1", "2", "3"]
    assert rows.values == ["10, TOP_RAIL", "10, TOP_RAIL_GND"]
    assert numbers.values == [] and numbers.total == 0 and text.values == []
    assert board.values == []  # one board: the argument is not needed
    assert after == before  # completion sends nothing to the board
    assert "GPIO_1" in rendered.messages[0].content.text  # type: ignore[union-attr]  # an offered value is accepted


@pytest.mark.parametrize("mode", MODES)
async def test_board_names_complete_with_two_boards(tmp_path: Path, mode: str) -> None:
    async with two_board_server(tmp_path) as (server, vboard_a, vboard_b), Client(server, mode=mode) as client:
        before = (sent_to(vboard_a), sent_to(vboard_b))
        both = await prompt_values(client, "measure_component", "board", "")
        one = await prompt_values(client, "check_board", "board", "BENCH-B")
        none = await prompt_values(client, "check_board", "board", "lab")
        uris = await template_values(client, "jumperless://{board}/state", "board", "bench")
        slots = await template_values(client, SLOT, "board")
        after = (sent_to(vboard_a), sent_to(vboard_b))
    assert both.values == ["bench-a", "bench-b"] and both.total == 2
    assert one.values == ["bench-b"] and none.values == []
    assert uris.values == ["bench-a", "bench-b"] and slots.values == ["bench-a", "bench-b"]
    assert after == before


# --- resource-template variables ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_template_variables_complete(jos_board: VirtualBoard, own_captures: Path, mode: str) -> None:
    for age, name in enumerate(["new.csv", "logic-older.vcd", "oldest.csv"]):
        path = own_captures / name
        path.write_text("# capture: waveform\ntime_s,ADC0_V\n0,1\n" if name.endswith(".csv") else "$date\n")
        os.utime(path, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
    (own_captures / "notes.txt").write_text("not a capture")
    async with served(jos_board, mode) as client:
        before = sent_to(jos_board)
        board = await template_values(client, "jumperless://{board}/picture.png", "board", "b")
        slot = await template_values(client, SLOT, "slot", "")
        slot_context = await client.complete(
            types.ResourceTemplateReference(type="ref/resource", uri=SLOT),
            {"name": "slot", "value": "7"},
            context_arguments={"board": "board"},
        )
        topics = await template_values(client, "jumperless://reference/{topic}", "topic", "s")
        names = await template_values(client, CAPTURE, "name")
        plots = await template_values(client, PLOT, "name")
        logic = await template_values(client, CAPTURE, "name", "LOGIC")
        after = sent_to(jos_board)
    assert board.values == ["board"]  # one unnamed board: its URIs say `board`
    assert slot.values == [str(n) for n in range(8)] and slot_context.completion.values == ["7"]
    assert topics.values == ["settle-times", "safe-voltages"]
    assert set(topics.values) < set(resources.REFERENCE)
    assert names.values == ["new.csv", "logic-older.vcd", "oldest.csv"]  # newest first, captures only
    assert plots.values == ["new.csv", "oldest.csv"]  # only waveform captures have a plot
    assert logic.values == ["logic-older.vcd"]
    assert after == before


async def test_a_saved_capture_is_offered_first(jos_board: VirtualBoard, own_captures: Path) -> None:
    old = own_captures / "logic-old.vcd"
    old.write_text("$date\n")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    async with served(jos_board, "legacy") as client:
        result = await client.call_tool("capture", {"channels": [3], "rate": 1000, "samples": 50})
        assert not result.is_error
        names = await template_values(client, CAPTURE, "name")
        plots = await template_values(client, PLOT, "name")
        readable = await client.read_resource(f"jumperless://captures/{names.values[0]}")
    saved = result.structured_content["name"]  # type: ignore[index]
    assert names.values == [saved, "logic-old.vcd"] and plots.values == [saved]
    assert "time_s" in readable.contents[0].text  # type: ignore[union-attr]  # the offered name reads


# --- errors ---------------------------------------------------------------------------------------------------


async def refused(client: Client, ref: Any, argument: str) -> MCPError:
    with pytest.raises(MCPError) as caught:
        await client.complete(ref, {"name": argument, "value": ""})
    assert caught.value.code == INVALID_PARAMS
    return caught.value


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_prompt_argument_or_template_is_invalid_params(jos_board: VirtualBoard, mode: str) -> None:
    def prompt(name: str) -> types.PromptReference:
        return types.PromptReference(type="ref/prompt", name=name)

    def template(uri: str) -> types.ResourceTemplateReference:
        return types.ResourceTemplateReference(type="ref/resource", uri=uri)

    async with served(jos_board, mode) as client:
        before = sent_to(jos_board)
        no_prompt = await refused(client, prompt("measure_everything"), "a")
        no_argument = await refused(client, prompt("measure_component"), "colour")
        no_template = await refused(client, template("jumperless://{board}/secrets"), "board")
        concrete = await refused(client, template("jumperless://board/state"), "board")
        no_variable = await refused(client, template("jumperless://{board}/state"), "slot")
        after = sent_to(jos_board)
    assert "ref.name" in no_prompt.message and "measure_everything" in no_prompt.message
    assert no_prompt.data["allowed"] == [p.name for p in prompts.PROMPTS]
    assert "argument.name" in no_argument.message and "'colour'" in no_argument.message
    assert no_argument.data["allowed"] == ["a", "b", "kind", "board"]
    assert "ref.uri" in no_template.message and "/secrets" in no_template.message
    assert SLOT in no_template.data["allowed"] and "jumperless://board/state" in concrete.message
    assert no_variable.data == {"parameter": "argument.name", "allowed": ["board"]}
    assert after == before


# --- the functions ------------------------------------------------------------------------------------------


def test_matching_caps_at_100_and_counts_the_rest() -> None:
    many = [f"n{i:03d}" for i in range(250)]
    capped = completions.matching(many, "N")
    assert (len(capped.values), capped.total, capped.has_more) == (100, 250, True)
    assert capped.values == many[:100]
    exact = completions.matching(many[:100], "")
    assert (len(exact.values), exact.total, exact.has_more) == (100, 100, False)
    assert completions.matching(["a", "a", "b"], "").values == ["a", "b"]  # no value twice


def test_offered_node_names_are_the_ones_the_prompts_accept() -> None:
    names = completions.node_names()
    assert len(set(names)) == len(names)
    routable = sorted(node.id for node in NODES.values() if node.routable)
    assert [resolve_node(name) for name in names] == routable  # one name per routable node, in order
    assert [prompts.node_arg("a", name) for name in names] == list(names)
    assert {"GND", "TOP_RAIL", "D5", "A0", "DAC0", "ADC0", "GPIO_1", "UART_TX", "5V"} <= set(names)
    assert not {"NANO_D5", "RP_GPIO_1", "GROUND", "GP1", "TOPRAIL"} & set(names)  # not every alias
