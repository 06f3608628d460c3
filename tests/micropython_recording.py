"""Record what the host really sends: every source the virtual board's Python runtime receives.

For one persona, a virtual board on a real pty serves our MCP server (tests/mcp_harness), and the host runs
Board API operations (connections, batches, apply_netlist, aliases, files, text) and then every MCP tool the
server lists for that firmware: once with only its required parameters, once with all of them, and once per
further representative value (each enum value, node names, non-ASCII text with quotes and control characters,
JSON state documents). The runtime's `recorder` hook sees each source as the port hands it to the VM, after
the transport's framing, so the raw REPL's and the one-liner's real framing, batching and chunking are in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import LEGACY_TIME_SCALE
from mcp_harness import Harness, serve
from micropython_sources import JSON_DOCUMENT, WEIRD_TEXT

from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.steps import NONCE_BYTES, SIZING_NONCE
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.tooling.tool_runner import error_details
from jumperless_mcp.tooling.tool_spec import Param
from jumperless_mcp.tools import ALL_TOOLS

NON_ASCII_NAME = "n\u00e9t 'q' \"dq\" \u2603\U0001f600"  # names forbid control characters and backslashes
WEIRD_PATH = '/mp we\'ird "\u00e9" \U0001f600\n\x03\x04.txt'
RESULT_NONCE = re.compile(rf"(?<=\\x1e)[0-9a-f]{{{2 * NONCE_BYTES}}}(?=\d+:')")
SKIPPED_TOOLS = {"exec_python"}  # runs the caller's code, not code the host generates
# wait for a person (a minute by default) with nobody at this board: _board_operations runs them with short waits
SKIPPED_TOOLS |= {"guide_place", "build_circuit"}

# Values by parameter name (and by tool.parameter where one name means different things).
VALUES: dict[str, list[Any]] = {
    "node1": ["D13"],
    "node2": [20, "GPIO_1"],
    "node": [12, "A0"],
    "pin": [3, "GPIO_4"],
    "bridges": [[["D13", 20], [21, "22"], "23-24"]],
    "channels": [[0, 3]],
    "path": ["/mp_check.txt", WEIRD_PATH],
    "text": ["h\u00e9llo 'q' \"dq\"\n\x03\x04 \U0001f600"],
    "name": [NON_ASCII_NAME],
    "snapshot_save.name": ["snap-1"],
    "snapshot_restore.name": ["snap-1"],
    "net_set_color.color": ["#12ab34", "blue"],
    "overlay_set_pixel.color": [0x12AB34, "#00ff00"],
    "overlay_set.width": [2],
    "overlay_set.height": [1],
    "overlay_set.colors": [[0x110000, "#00ff00"]],
    "state": [JSON_DOCUMENT, json.dumps(JSON_DOCUMENT, ensure_ascii=False)],
    "blocking": [False],  # a blocking read waits for a touch: generated_sources covers probe_read(True)
    "net": [6],
    "la_capture.channels": [[1, "GPIO_2"]],
    "la_capture.analog_channels": [[], [0]],
    "la_capture.trigger_channel": [None, 1],
    "la_capture.uart_channel": [None, 2],
    # the decoders read the samples on the host (no MicroPython); their lines only make sense in pairs
    **{f"la_capture.{name}": [None] for name in ("i2c_scl", "i2c_sda", "spi_clock", "spi_mosi", "spi_miso", "spi_cs")},
    "capture.via": ["burst"],
    "capture.pretrigger": [0, 1],  # 1: the pre-trigger ring (the full set has a trigger, a rate and 2 samples)
    # the measurement workflows (tools/measure.py): a part's two legs, a sweep that is not empty, no long settle
    "a": [10],
    "b": [11],
    "iv_sweep.start": [-1.0],
    "iv_sweep.stop": [1.0],
    "iv_sweep.steps": [3],
    "measure.settle": [0.0],
    "measure_resistance.max_volts": [1.0],
    "diode_test.max_volts": [0.6],  # via="aux" sends no MicroPython (the aux port's :every): nothing to check here
}


@dataclass
class Recording:
    """The sources the board received, and the tool calls whose arguments the server rejected (a test bug)."""

    sources: list[str] = field(default_factory=list)
    tool_calls: int = 0
    rejected: list[str] = field(default_factory=list)


def param_values(tool: str, param: Param) -> list[Any]:
    """Representative valid values of one tool parameter, from the table above or its JSON schema."""
    for key in (f"{tool}.{param.name}", param.name):
        if key in VALUES:
            return VALUES[key]
    schema = param.schema
    if "enum" in schema:
        return list(schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return [not schema["default"]] if "default" in schema else [True, False]
    if kind == "integer":
        return [schema.get("minimum", schema.get("default", 1))]
    if kind == "number":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return [lo + (hi - lo) / 3] if lo is not None and hi is not None else [schema.get("default", lo or 1.0)]
    if kind == "string" and "pattern" not in schema:
        return [WEIRD_TEXT[: schema.get("maxLength", len(WEIRD_TEXT))]]
    raise AssertionError(f"no representative value for {tool}.{param.name} ({schema}): add one to VALUES")


def tool_arguments(tool: str, params: tuple[Param, ...]) -> list[dict[str, Any]]:
    """Required parameters only; all of them; then each further value of each parameter."""
    first = {p.name: param_values(tool, p)[0] for p in params}
    sets = [{p.name: first[p.name] for p in params if p.required}]
    if any(not p.required for p in params):
        sets.append(dict(first))
    for p in params:
        sets += [first | {p.name: value} for value in param_values(tool, p)[1:]]
    return sets


async def _board_operations(board: Board) -> None:
    """Host operations through the Board API (each may fail on the virtual board: only what is sent matters)."""
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: board.ping(),
        lambda: board.connect("D13", 20),
        lambda: board.disconnect("D13", 20),
        lambda: board.disconnect(20),
        lambda: board.apply_netlist([("D13", 20), (21, "GPIO_1")], clear_first=True),
        lambda: board.call("set_dac", 1, 3.3),
        lambda: board.call("get_adc", 1),
        lambda: board.call("fs_write", "/mp_board.txt", WEIRD_TEXT),
        lambda: board.call("fs_read", "/mp_board.txt"),
        lambda: board.call("fs_listdir", "/"),
        lambda: board.call("oled_print", WEIRD_TEXT[:60]),
        lambda: board.guide_place("resistor", [10, 14], name="R1", value="10k", timeout=1),
        lambda: board.build_circuit(
            {"A": ["DAC1", "R2.1"], "B": ["R2.2", "GND"]},
            [{"name": "R2", "kind": "resistor", "value": "1k"}],
            supplies={"DAC1": 1.0},
            part_timeout=1,
        ),
    ]
    for operation in operations:
        try:
            await operation()
        except Exception:
            continue
    try:
        async with board.batch() as batch:
            batch.call("dac_set", 0, 1.25)
            batch.call("adc_get", 0)
            batch.call("gpio_get", 1)
            batch.call("probe_read", False)
            batch.connect(30, 31)
            batch.disconnect(30)
    except Exception:
        pass


async def _tool_calls(h: Harness, recording: Recording, part: int, parts: int) -> None:
    """Every listed tool's argument sets, in declaration order, for the subsystems this board's part holds."""
    listed = await h.tool_names()
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for spec in ALL_TOOLS:
        if spec.name in listed and spec.name not in SKIPPED_TOOLS:
            groups.setdefault(spec.subsystem, []).extend((spec.name, a) for a in tool_arguments(spec.name, spec.params))
    for tool, arguments in (call for subsystem in _share(groups, parts)[part] for call in groups[subsystem]):
        await _call_tool(h, tool, arguments, recording)


def _share(groups: dict[str, list[Any]], parts: int) -> list[list[str]]:
    """Subsystems dealt to `parts` boards, largest first to the least loaded: a subsystem stays on one board,
    so its tools keep their order (snapshot_save before snapshot_restore)."""
    shares: list[list[str]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for subsystem in sorted(groups, key=lambda name: (-len(groups[name]), name)):
        least = loads.index(min(loads))
        shares[least].append(subsystem)
        loads[least] += len(groups[subsystem])
    return shares


async def _call_tool(h: Harness, tool: str, arguments: dict[str, Any], recording: Recording) -> None:
    """Call a tool; a parameter this firmware does not have ("leave it out") is left out and the call repeated."""
    while True:
        result = await h.result(tool, **arguments)
        recording.tool_calls += 1
        error = error_details(result) or {}
        if error.get("kind") != "invalid_argument":
            return
        if error.get("allowed") == "leave it out" and error.get("parameter") in arguments:
            arguments = {k: v for k, v in arguments.items() if k != error["parameter"]}
            continue
        recording.rejected.append(f"{tool}({arguments!r}): {result.content[0].text}")
        return


def sizing_nonce(source: str) -> str:
    """The source with each request's own result nonce replaced by the fixed one `split_output` reads by default."""
    return RESULT_NONCE.sub(SIZING_NONCE, source)


async def record(persona: str, fs_dir: Path, part: int = 0, parts: int = 1) -> Recording:
    """Run the host operations on a virtual board of this persona; every source its runtime received.

    With `parts` > 1 the tools are shared among that many boards by subsystem (run them at once: a 5.3.x board
    spends most of each request in its `>` input collector); the first part also runs the Board API operations.
    """
    recording = Recording()
    scale = LEGACY_TIME_SCALE if persona == "legacy" else 1.0
    with VirtualBoard(persona, fs_dir=fs_dir, time_scale=scale) as vboard:
        vboard.runtime.recorder = lambda source: recording.sources.append(sizing_nonce(source))
        async with serve(vboard) as h:
            if part == 0:
                await _board_operations(h.board)
            await _tool_calls(h, recording, part, parts)
        assert not vboard.crashes, f"the virtual board's thread failed:\n{vboard.crashes[0]}"
    return recording
