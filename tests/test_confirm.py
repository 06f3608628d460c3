"""A person confirms before a call energises the board, wipes it or runs code (tooling/confirm.py, serving/asking.py).

Every test goes through the SDK's client against our server on a virtual board behind a real pty; the rail is
read back from the virtual board itself. Both ways of asking are covered: `elicitation/create` for
handshake-era clients and the 2026-07-28 `input_required` result the SDK's client answers and sends again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import result_schemas
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client
from mcp_harness import board_calls
from test_http_serve import authorized, http_served

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import build_server, directory_server
from jumperless_mcp.settings.config import Config, ConfigError, load
from jumperless_mcp.tooling.confirm import REQUIRES_INTERACTION_META
from jumperless_mcp.tooling.deferred import FORCE_ENV, META_TOOLS
from jumperless_mcp.tooling.tool_context import ServerMemory, ToolContext
from jumperless_mcp.tooling.tool_directory import ToolDirectory
from jumperless_mcp.tooling.tool_runner import ToolRunner
from jumperless_mcp.tools import ALL_TOOLS

MODERN = "2026-07-28"
MODES = ["legacy", MODERN]


@dataclass
class Person:
    """The elicitation callback: records each question and answers as told."""

    action: str = "accept"  # accept, decline, cancel
    content: dict[str, Any] | None = field(default_factory=lambda: {"confirm": True})
    asked: list[types.ElicitRequestParams] = field(default_factory=list)

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params)
        return types.ElicitResult(action=self.action, content=self.content if self.action == "accept" else None)


@dataclass
class Bench:
    client: Client
    vboard: VirtualBoard
    board: Board
    person: Person | None

    async def call(self, name: str, /, **arguments: Any) -> types.CallToolResult:
        result = await self.client.call_tool(name, arguments)
        await result_schemas.check(self.client.session, name, arguments, result)
        return result

    def rail(self) -> float:
        return self.vboard.model.power["top_rail"]


@asynccontextmanager
async def bench(
    vboard: VirtualBoard,
    mode: str = "legacy",
    person: Person | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> AsyncIterator[Bench]:
    """Our server on `vboard`; a client in `mode` that answers forms through `person` (None: no capability)."""
    config = Config(**settings).validated()
    async with Board(vboard.info(), timeout=config.timeout, allow_python=config.allow_python) as board:
        server, _ = build_server(board, config, environ=environ or {})
        async with Client(server, mode=mode, elicitation_callback=person) as client:
            yield Bench(client, vboard, board, person)


def declined(result: types.CallToolResult) -> dict[str, Any]:
    details = result_schemas.error_details(result)
    assert details["kind"] == "declined", details
    assert details["sent_to_board"] is False
    return details


@pytest.mark.parametrize("mode", MODES)
async def test_a_declined_rail_change_leaves_the_rail_and_an_accepted_one_sets_it(
    jos_board: VirtualBoard, mode: str
) -> None:
    person = Person(action="decline")
    async with bench(jos_board, mode, person) as b:
        before = b.rail()
        with board_calls_on(b) as sent:
            result = await b.call("dac_set", channel="TOP_RAIL", voltage=6.5)
        details = declined(result)
        assert sent == [], "a declined call sends nothing to the board"
        assert details["answer"] == "decline" and "TOP_RAIL to 6.5 V" in details["action"]
        assert b.rail() == pytest.approx(before)
        assert len(person.asked) == 1
        question = person.asked[0]
        assert "dac_set" in question.message and "TOP_RAIL to 6.5 V" in question.message
        schema = question.requested_schema
        assert schema["required"] == ["confirm"] and list(schema["properties"]) == ["confirm"]
        assert schema["properties"]["confirm"]["type"] == "boolean"

        person.action = "accept"
        with board_calls_on(b) as sent:
            result = await b.call("dac_set", channel="TOP_RAIL", voltage=6.5)
        assert sent, "an accepted call reaches the board"
        assert not result.is_error, result.content
        assert result.structured_content == {"channel": "TOP_RAIL", "voltage": 6.5, "saved": True}
        assert b.rail() == pytest.approx(6.5)
        assert len(person.asked) == 2


async def test_a_modern_client_gets_the_question_as_the_result_and_its_answer_is_bound_to_the_call(
    jos_board: VirtualBoard,
) -> None:
    async with bench(jos_board, MODERN, Person()) as b:
        session, arguments = b.client.session, {"channel": "TOP_RAIL", "voltage": 6.0}
        with board_calls_on(b) as sent:
            first = await session.call_tool("dac_set", arguments, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult) and sent == []
        assert first.input_requests is not None and len(first.input_requests) == 1
        key, request = next(iter(first.input_requests.items()))
        assert isinstance(request, types.ElicitRequest) and "TOP_RAIL to 6 V" in request.params.message
        yes = {key: types.ElicitResult(action="accept", content={"confirm": True})}
        # an answer without our sealed state, or with it for other arguments, is not an answer: asked again
        forged = await session.call_tool("dac_set", arguments, input_responses=yes, allow_input_required=True)
        assert isinstance(forged, types.InputRequiredResult) and b.rail() == pytest.approx(3.3)
        with pytest.raises(Exception, match="requestState"):
            other = {"channel": "TOP_RAIL", "voltage": 7.5}
            await session.call_tool(
                "dac_set", other, input_responses=yes, request_state=first.request_state, allow_input_required=True
            )
        assert b.rail() == pytest.approx(3.3)
        done = await session.call_tool(
            "dac_set", arguments, input_responses=yes, request_state=first.request_state, allow_input_required=True
        )
        assert isinstance(done, types.CallToolResult) and not done.is_error, done
        assert b.rail() == pytest.approx(6.0)


@pytest.mark.parametrize("mode", MODES)
async def test_cancel_and_a_no_in_the_form_are_declines(jos_board: VirtualBoard, mode: str) -> None:
    person = Person(action="cancel")
    async with bench(jos_board, mode, person) as b:
        assert declined(await b.call("dac_set", channel="DAC0", voltage=-6.0))["answer"] == "cancel"
        person.action, person.content = "accept", {"confirm": False}
        assert declined(await b.call("dac_set", channel="DAC0", voltage=-6.0))["answer"] == "decline"
        assert b.vboard.model.power["dac0"] == pytest.approx(0.0)


@pytest.mark.parametrize("mode", MODES)
async def test_below_the_threshold_nobody_is_asked(jos_board: VirtualBoard, mode: str) -> None:
    person = Person(action="decline")
    async with bench(jos_board, mode, person, confirm_above_volts=4.0) as b:
        for volts in (3.3, -4.0, 4.0):
            result = await b.call("dac_set", channel="TOP_RAIL", voltage=volts)
            assert not result.is_error, result.content
            assert b.rail() == pytest.approx(volts)
        assert not (await b.call("connect", node1=10, node2=11)).is_error  # not risky: no question
        assert person.asked == []
        assert declined(await b.call("dac_set", channel="TOP_RAIL", voltage=4.5))  # the threshold is the setting


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_without_elicitation_runs_as_before(jos_board: VirtualBoard, mode: str) -> None:
    async with bench(jos_board, mode, person=None) as b:
        result = await b.call("dac_set", channel="TOP_RAIL", voltage=7.0)
        assert not result.is_error, result.content
        assert b.rail() == pytest.approx(7.0)
        assert not (await b.call("clear_connections")).is_error


async def test_confirm_off_asks_nothing(jos_board: VirtualBoard) -> None:
    person = Person(action="decline")
    async with bench(jos_board, "legacy", person, confirm="off") as b:
        assert not (await b.call("dac_set", channel="TOP_RAIL", voltage=7.0)).is_error
        assert not (await b.call("clear_connections")).is_error
        assert person.asked == [] and b.rail() == pytest.approx(7.0)


@pytest.mark.parametrize("mode", MODES)
async def test_confirm_all_asks_for_every_change_and_never_for_a_reading(jos_board: VirtualBoard, mode: str) -> None:
    person = Person(action="decline")
    async with bench(jos_board, mode, person, confirm="all") as b:
        details = declined(await b.call("connect", node1=10, node2=11))
        assert details["action"].startswith("connect(node1=10, node2=11")  # the call itself, as no rule words it
        bridges = (await b.call("get_bridges")).structured_content
        assert bridges is not None and bridges["count"] == 0
        declined(await b.call("dac_set", channel="TOP_RAIL", voltage=1.0))  # below the threshold, still asked
        assert b.rail() == pytest.approx(3.3)
        asked = len(person.asked)
        for reading in ("get_bridges", "dac_get", "board_info"):
            arguments = {"channel": "TOP_RAIL"} if reading == "dac_get" else {}
            assert not (await b.call(reading, **arguments)).is_error
        assert len(person.asked) == asked == 2


async def test_the_risky_tools_ask_with_the_exact_action(jos_board: VirtualBoard) -> None:
    person = Person(action="decline")
    async with bench(jos_board, "legacy", person, allow_python=True) as b:
        assert not (await b.call("connect", node1=10, node2=11)).is_error
        assert "every bridge" in declined(await b.call("clear_connections"))["action"]
        replaced = declined(await b.call("apply_netlist", bridges=[[20, 21]]))["action"]
        assert "remove 1 (10-11)" in replaced and "add 1" in replaced
        assert not (await b.call("apply_netlist", bridges=[[20, 21]], dry_run=True)).is_error  # a dry run asks not
        assert not (await b.call("apply_netlist", bridges=[[20, 21]], mode="add")).is_error  # adding wipes nothing
        code = "print(1 + 1)"
        assert code in declined(await b.call("exec_python", code=code))["action"]
        assert "'/notes.txt'" in declined(await b.call("fs_write", path="/notes.txt", text="hello"))["action"]
        state = declined(await b.call("state_set", state={"power": {"top_rail": 5.5}}))["action"]
        assert "TOP_RAIL 5.5 V" in state and "removed first" in state
        assert "load slot 3" in declined(await b.call("slot_switch", slot=3, force=True))["action"]
        assert not (await b.call("slot_switch", slot=0)).is_error  # the slot loaded already: nothing changes
        asked = len(person.asked)
        bridges = (await b.call("get_bridges")).structured_content
        assert bridges is not None and bridges["count"] == 2  # 10-11 and 20-21: nothing declined was done
        assert len(person.asked) == asked


async def test_saving_over_a_slot_that_holds_bridges_asks_and_an_empty_slot_does_not(jos_board: VirtualBoard) -> None:
    person = Person(action="decline")
    async with bench(jos_board, "legacy", person) as b:
        assert not (await b.call("connect", node1=10, node2=11)).is_error
        assert not (await b.call("slot_save", slot=5)).is_error  # slot 5 holds nothing yet
        assert person.asked == []
        details = declined(await b.call("slot_save", slot=5))
        assert "overwrite slot 5" in details["action"] and "1 saved bridge" in details["action"]


async def test_starting_a_large_waveform_asks(jos_board: VirtualBoard) -> None:
    person = Person(action="decline")
    async with bench(jos_board, "legacy", person, confirm_above_vpp=3.0) as b:
        configured = await b.call("wavegen_configure", output="DAC0", amplitude=4.0, offset=0.0)
        assert not configured.is_error, configured.content  # not running: configuring energises nothing
        details = declined(await b.call("wavegen_start"))
        assert "4 Vpp" in details["action"] and "DAC0" in details["action"]
        status = (await b.call("wavegen_status")).structured_content
        assert status is not None and status["running"] is False
        assert not (await b.call("wavegen_configure", amplitude=2.0)).is_error
        person.action = "accept"
        assert not (await b.call("wavegen_start")).is_error and len(person.asked) == 1  # 2 Vpp: not asked
        person.action = "decline"
        assert "at once" in declined(await b.call("wavegen_configure", amplitude=5.0))["action"]
        status = (await b.call("wavegen_status")).structured_content
        assert status is not None and status["amplitude"] == pytest.approx(2.0) and status["running"] is True


@pytest.mark.parametrize("mode", MODES)
async def test_discovery_mode_asks_through_tools_call(jos_board: VirtualBoard, mode: str) -> None:
    person = Person(action="decline")
    async with bench(jos_board, mode, person, environ={FORCE_ENV: "1"}) as b:
        assert {tool.name for tool in (await b.client.list_tools()).tools} == set(META_TOOLS)
        call = {"name": "dac_set", "arguments": {"channel": "TOP_RAIL", "voltage": 6.0}}
        declined(await b.call("tools_call", **call))
        assert b.rail() == pytest.approx(3.3) and len(person.asked) == 1
        person.action = "accept"
        result = await b.call("tools_call", **call)
        assert not result.is_error, result.content
        assert b.rail() == pytest.approx(6.0)


async def test_marking_tools_for_claude_code_only_when_set(jos_board: VirtualBoard) -> None:
    async with bench(jos_board) as b:
        tools = (await b.client.list_tools()).tools
        assert not any(REQUIRES_INTERACTION_META in (tool.meta or {}) for tool in tools)
    async with bench(jos_board, confirm_mark_tools=True) as b:
        marked = {
            tool.name
            for tool in (await b.client.list_tools()).tools
            if (tool.meta or {}).get(REQUIRES_INTERACTION_META)
        }
    risky = {"dac_set", "clear_connections", "apply_netlist", "slot_switch", "slot_save", "state_set", "fs_write"}
    # build_circuit: its power-up may energise (tools/bench_build.py); exec_python is off (allow_python);
    # the measurement workflows drive a DAC through the part at their test level
    measuring = {"measure_resistance", "continuity", "diode_test", "iv_sweep", "identify_part"}
    assert risky | measuring | {"wavegen_start", "wavegen_configure", "build_circuit"} == marked
    async with bench(jos_board, confirm_mark_tools=True, confirm="all") as b:
        tools = (await b.client.list_tools()).tools
    marked = {tool.name for tool in tools if (tool.meta or {}).get(REQUIRES_INTERACTION_META)}
    assert marked == {tool.name for tool in tools if not tool.annotations.read_only_hint}
    async with bench(jos_board, confirm_mark_tools=True, confirm="off") as b:
        tools = (await b.client.list_tools()).tools
    assert not any(REQUIRES_INTERACTION_META in (tool.meta or {}) for tool in tools)


async def test_several_boards_each_ask_with_their_wire_names(tmp_path: Any) -> None:
    config = Config().validated()
    person = Person(action="decline")
    with (
        VirtualBoard("jumperlos", fs_dir=tmp_path / "a") as vboard_a,
        VirtualBoard("legacy", fs_dir=tmp_path / "b") as vboard_b,
    ):
        async with Board(vboard_a.info()) as a, Board(vboard_b.info()) as b:
            runners = {
                "bench_a": ToolRunner(ALL_TOOLS, ToolContext(a, config, ServerMemory())),
                "bench_b": ToolRunner(ALL_TOOLS, ToolContext(b, config, ServerMemory())),
            }
            server = directory_server(ToolDirectory.of_runners(runners, reserved=META_TOOLS), environ={})
            async with Client(server, mode="legacy", elicitation_callback=person) as client:
                declined(await client.call_tool("bench_b_dac_set", {"channel": "TOP_RAIL", "voltage": 6.0}))
                person.action = "accept"
                result = await client.call_tool("bench_a_dac_set", {"channel": "TOP_RAIL", "voltage": 6.0})
                assert not result.is_error, result.content
        assert vboard_a.model.power["top_rail"] == pytest.approx(6.0)
        assert vboard_b.model.power["top_rail"] == pytest.approx(3.3)
    assert len(person.asked) == 2


async def test_over_http_the_question_reaches_the_client(jos_board: VirtualBoard) -> None:
    person = Person(action="decline")
    async with Board(jos_board.info(), timeout=5) as board:
        server, _ = build_server(board, Config(), environ={})
        async with http_served(server, None) as url:
            for mode in MODES:
                async with (
                    authorized(timeout=10) as http,
                    Client(
                        streamable_http_client(url, http_client=http), mode=mode, elicitation_callback=person
                    ) as client,
                ):
                    declined(await client.call_tool("dac_set", {"channel": "TOP_RAIL", "voltage": 6.0}))
    assert jos_board.model.power["top_rail"] == pytest.approx(3.3)
    assert len(person.asked) == 2


def test_the_settings_come_from_the_file_the_environment_and_flags(tmp_path: Any) -> None:
    file = tmp_path / "config.toml"
    file.write_text('confirm = "all"\nconfirm_above_volts = 3.3\nconfirm_mark_tools = true\n')
    config = load(path=file, environ={})
    assert (config.confirm, config.confirm_above_volts, config.confirm_mark_tools) == ("all", 3.3, True)
    assert Config().confirm == "risky" and Config().confirm_above_volts == 5.0 and not Config().confirm_mark_tools
    environ = {"JUMPERLESS_CONFIRM": "OFF", "JUMPERLESS_CONFIRM_ABOVE_VPP": "2"}
    config = load(path=file, environ=environ)
    assert config.confirm == "off" and config.confirm_above_vpp == 2.0
    assert load({"confirm": "risky"}, path=file, environ=environ).confirm == "risky"
    with pytest.raises(ConfigError) as bad:
        load(path=file, environ={"JUMPERLESS_CONFIRM": "sometimes"})
    assert bad.value.parameter == "confirm" and "off, risky, all" in str(bad.value)
    with pytest.raises(ConfigError) as negative:
        load({"confirm_above_volts": -1.0}, path=file, environ={})
    assert negative.value.parameter == "confirm_above_volts"


def board_calls_on(b: Bench) -> Any:
    """Every batch the server sends to the board inside the block (mcp_harness.board_calls on our bench)."""
    return board_calls(b)  # type: ignore[arg-type]  # it needs only `.board`


def test_the_command_line_flags() -> None:
    from jumperless_mcp.cli import SERVE_SETTINGS, build_parser

    argv = ["serve", "--confirm", "all", "--confirm-above-volts", "3.3", "--confirm-above-vpp", "2"]
    args = build_parser().parse_args([*argv, "--confirm-mark-tools"])
    flags = {key: getattr(args, key, None) for key in SERVE_SETTINGS}
    config = load(flags, environ={})  # the session isolates the user config directory: no file
    assert (config.confirm, config.confirm_above_volts, config.confirm_above_vpp) == ("all", 3.3, 2.0)
    assert config.confirm_mark_tools is True
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--confirm", "sometimes"])


async def test_a_client_that_fails_to_ask_is_not_a_yes(jos_board: VirtualBoard) -> None:
    async def broken(context: Any, params: types.ElicitRequestParams) -> types.ErrorData:
        return types.ErrorData(code=types.INTERNAL_ERROR, message="no screen to show the form on")

    config = Config().validated()
    async with Board(jos_board.info()) as board:
        server, _ = build_server(board, config, environ={})
        async with Client(server, mode="legacy", elicitation_callback=broken) as client:
            result = await client.call_tool("dac_set", {"channel": "TOP_RAIL", "voltage": 6.0})
    details = result_schemas.error_details(result)
    assert details["kind"] == "confirmation_failed" and details["sent_to_board"] is False
    assert "no screen" in details["error"]
    assert jos_board.model.power["top_rail"] == pytest.approx(3.3)


async def test_a_measurement_above_the_threshold_asks_and_a_declined_one_sends_nothing(jos_board: VirtualBoard) -> None:
    person = Person(action="decline")
    async with bench(jos_board, "legacy", person, confirm_above_volts=4.0) as b:
        low = await b.call("measure_resistance", a=10, b=11, max_volts=3.0)
        assert not low.is_error, low.content
        assert person.asked == []
        with board_calls_on(b) as sent:
            assert declined(await b.call("iv_sweep", a=10, b=11, start=-5.0, stop=2.0, steps=3))
        assert sent == [] and "up to 5 V" in str(person.asked[0])
