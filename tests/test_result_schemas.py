"""Results every MCP client accepts: errors in `_meta` and text, successes that fit their output schema.

The TypeScript SDK's client rejected every error result we sent (MCP error -32602) because it carried
structured content that did not match the tool's output schema; nan readings came back as `null` under a
`number` schema (F1); a nested NaN reached the board (F10); integral floats for integer parameters were
handled tool by tool (F5). tests/result_schemas.py checks every result the suite gets; this file makes
each kind of error on purpose, in both list modes, and reads it with the Python SDK's client.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, types
from mcp_harness import Harness, board_calls, serve
from result_schemas import ResultShapeError, check_structured, error_details

from firmware_api.errors import NonFiniteReading
from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.multiboard.remote_board import _readable
from jumperless_mcp.serving.server import build_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.deferred import CAPABILITY, META_TOOLS, MetaTools
from jumperless_mcp.tooling.tool_directory import ToolDirectory
from jumperless_mcp.tooling.tool_runner import ERROR_META, ToolFailure
from jumperless_mcp.tooling.tool_spec import NUMBER, ToolSpec
from jumperless_mcp.tools import ALL_TOOLS

NAN_DAC = "dac_get = lambda *a: float('nan')"  # stands in for a board whose DAC readback failed
INF_INA = "ina_get_current = lambda *a: float('inf')"


@pytest.fixture(params=["full", "discovery"])
async def mode(request: pytest.FixtureRequest, jos_board: VirtualBoard) -> AsyncIterator[tuple[str, Harness]]:
    experimental = {CAPABILITY: {}} if request.param == "discovery" else None
    async with serve(jos_board, allow_python=True, experimental=experimental) as h:
        yield request.param, h


async def call(h: Harness, mode: str, name: str, **arguments: Any) -> types.CallToolResult:
    """A board tool called as a client in that mode would: by name, or through tools_call."""
    if mode == "discovery":
        return await h.result("tools_call", name=name, arguments=arguments)
    return await h.result(name, **arguments)


async def test_every_kind_of_error_reads_the_same_in_both_list_modes(mode: tuple[str, Harness]) -> None:
    which, h = mode
    with board_calls(h) as sent:
        bad = error_details(await call(h, which, "dac_set", channel="DAC0", voltage=99))
        short = error_details(await call(h, which, "connect", node1="TOP_RAIL", node2="GND"))
        unknown = error_details(await call(h, which, "make_coffee"))
    assert sent == []  # refused on the host
    assert bad["kind"] == "invalid_argument" and bad["parameter"] == "voltage" and bad["retryable"] is False
    assert "(allowed: -8 to 8 V)" in bad["error"] and bad["sent_to_board"] is False
    assert short["kind"] == "forbidden_connection" and short["parameter"] == "node2"
    assert unknown["kind"] == "unknown_tool"

    raised = error_details(await call(h, which, "exec_python", code="raise OSError(5)"))
    assert raised["kind"] == "firmware_error" and raised["exception"] == "OSError"

    await h.ok("exec_python", code=f"{NAN_DAC}; {INF_INA}")
    nan = error_details(await call(h, which, "dac_get", channel="DAC0"))
    assert nan["kind"] == "non_finite_reading" and nan["retryable"] is True and nan["reading"] == "nan"
    assert nan["error"].startswith("dac_get: the board answered nan") and "where a number was expected" in nan["error"]
    inf = error_details(await call(h, which, "ina_read", sensor=0))
    assert inf["kind"] == "non_finite_reading" and inf["reading"] == "inf"
    assert error_details(await call(h, which, "get_power"))["kind"] == "non_finite_reading"


async def test_a_tool_that_is_not_offered_and_a_busy_board(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, read_only=True) as h:
        refused = await h.error("dac_set", channel="DAC0", voltage=1.0)
    assert refused["kind"] == "unavailable" and "read-only" in refused["error"]

    async with Board.open(jos_board.info()):  # this process holds the board: a second opener is refused
        second = Board(jos_board.info(), eager=False)
        server, _ = build_server(second, Config(), environ={})
        async with Client(server, mode="legacy") as client:
            busy = error_details(await client.call_tool("dac_get", {"channel": "DAC0"}))
        await second.aclose()
    assert busy["kind"] == "board_busy" and busy["retryable"] is False and "held by PID" in busy["error"]


async def test_a_result_that_breaks_its_own_schema_becomes_an_error(jos_board: VirtualBoard) -> None:
    """The last guard: a success a strict client would throw away is sent as an error that says why."""

    async def wrong(ctx: Any, args: dict[str, Any]) -> dict[str, Any]:
        return {"voltage": "high"}

    async def infinite(ctx: Any, args: dict[str, Any]) -> dict[str, Any]:
        return {"voltage": -math.inf}

    specs = [
        ToolSpec("wrong_shape", "power", "A tool with a bug.", (), {"voltage": NUMBER}, wrong),
        ToolSpec("infinite", "power", "A tool passing on a raw reading.", (), {"voltage": NUMBER}, infinite),
    ]
    async with serve(jos_board) as h:
        server, _ = build_server(h.board, Config(), tools=specs, environ={})
        async with Client(server, mode="legacy") as client:
            broken = error_details(await client.call_tool("wrong_shape", {}))
            endless = error_details(await client.call_tool("infinite", {}))
    assert broken["kind"] == "internal_error" and "voltage: 'high' is not of type 'number'" in broken["error"]
    assert endless["kind"] == "non_finite_reading" and endless["reading"] == "-Infinity"
    assert "infinite: the board answered -Infinity for voltage" in endless["error"]


async def test_nested_non_finite_numbers_and_integral_floats(jos_board: VirtualBoard) -> None:
    async with serve(jos_board) as h:

        async def refused(name: str, **arguments: Any) -> dict[str, Any]:
            # Straight to the runner: the in-process client would turn NaN into null, a JSON client sends NaN
            spec = h.runner.spec(name)
            assert spec is not None
            return error_details(await h.runner.call(spec, arguments))

        with board_calls(h) as sent:
            nested = await refused("state_set", state={"power": {"dac0": math.nan}})
            listed = await refused("adc_read", channels=[1, math.inf])
            half = await h.error("measure_node", node=12, adc=1.5)
        assert sent == []  # nothing reached the board
        assert nested["kind"] == "invalid_argument" and nested["parameter"] == "state"
        assert nested["error"].startswith("state: state.power.dac0 is NaN, not a finite number")
        assert listed["parameter"] == "channels" and "channels[1] is Infinity" in listed["error"]
        assert half["kind"] == "invalid_argument" and half["parameter"] == "adc"

        # JSON Schema calls 1.0 an integer; the tools see the int
        readings = await h.ok("adc_read", channels=[1.0, 3.0])
        assert set(readings["readings"]) == {"ADC1", "ADC3"}
        measured = await h.ok("measure_node", node=12.0, adc=2.0)
        assert measured["node"] == "12" and measured["adc"] == "ADC2"
        assert (await h.ok("ina_read", sensor=0.0))["sensor"] == 0


async def test_the_board_api_raises_on_a_non_finite_reading(jos_board: VirtualBoard) -> None:
    """A bench script gets an exception, not a nan that passes every comparison unnoticed."""
    async with Board.open(jos_board.info(), allow_python=True) as board:
        await board.run_python(NAN_DAC)
        with pytest.raises(NonFiniteReading, match=r"the board answered nan (for .* )?where a number was expected"):
            await board.dac_get(0)
        await board.run_python("from jumperless import dac_get")
        assert await board.dac_get(0) == 0.0


async def test_a_state_document_with_nan_is_refused_by_the_board_api_too(jos_board: VirtualBoard) -> None:
    async with Board.open(jos_board.info()) as board:
        with pytest.raises(ValueError, match="holds a NaN or infinite number"):
            await board.set_state({"power": {"dac0": math.nan}})
        with pytest.raises(ValueError, match="NaN is not a JSON number"):
            await board.set_state('{"power": {"dac0": NaN}}')


# --- the checker itself and the declared schemas ---------------------------------------------------------------


def test_the_checker_refuses_what_a_strict_client_refuses() -> None:
    legacy = types.CallToolResult(
        content=[types.TextContent(type="text", text="invalid_argument: voltage: too high")],
        structured_content={"error": "voltage: too high", "kind": "invalid_argument", "retryable": False},
        is_error=True,
    )
    with pytest.raises(ResultShapeError, match="no structuredContent"):
        error_details(legacy)
    current = ToolFailure("voltage: too high", "invalid_argument").result()
    assert error_details(current) == {"error": "voltage: too high", "kind": "invalid_argument", "retryable": False}
    schema = {"type": "object", "properties": {"voltage": NUMBER}, "required": ["voltage"]}
    nothing = types.CallToolResult(content=[], structured_content={"voltage": None})
    with pytest.raises(ResultShapeError, match="voltage: None is not of type 'number'"):
        check_structured("dac_get", schema, nothing)


def test_an_older_remote_s_error_is_forwarded_in_the_form_every_client_reads() -> None:
    old = types.CallToolResult(
        content=[types.TextContent(type="text", text="invalid_argument: voltage: too high")],
        structured_content={"error": "voltage: too high", "kind": "invalid_argument", "retryable": False, "x": 1},
        is_error=True,
    )
    forwarded = _readable(old)
    assert forwarded.structured_content is None and forwarded.content == old.content
    assert forwarded.meta == {ERROR_META: old.structured_content}
    assert _readable(ToolFailure("gone", "board_absent", True).result()).meta == {
        ERROR_META: {"error": "gone", "kind": "board_absent", "retryable": True}
    }


def test_every_declared_output_schema_is_a_valid_2020_12_schema(tmp_path: Path) -> None:
    import jsonschema

    for spec in ALL_TOOLS:
        jsonschema.Draft202012Validator.check_schema(spec.output_schema())
    meta = MetaTools(lambda: ToolDirectory([]))
    for tool in meta.tools():
        assert tool.name in META_TOOLS
        if tool.output_schema is not None:
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)
