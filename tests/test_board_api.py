"""The `Board` API end to end: the virtual board on real pseudo-terminals, our real serial code.

Every generated method runs once on each persona (JumperlOS 5.7 over the raw REPL, 5.3.x over the
main-port `>` one-liner), then the hand-written parts: verified connections, the checks that fail
before anything is sent, `run_python`, `print_*` text, and batches (one board round trip for many
calls, and what a batch that fails midway leaves behind).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from firmware_api import nodes
from firmware_api.catalog import CATALOG, REQUIRED, Arg, ArgKind, Function, Returns, by_name, functions
from firmware_api.values import GPIODirection, GPIOPull, GPIOState, ProbeButton, ProbePad
from firmware_api.versions import Family
from jumperless_mcp.bench.board import HAND_WRITTEN, Batch, Board, ConnectionResult, Pending, method_names
from jumperless_mcp.errors import (
    ArgumentError,
    BoardTimeout,
    FirmwareError,
    FirmwareValueError,
    ForbiddenConnection,
    JumperlessError,
    UnsupportedByFirmware,
)

SCAN_SINCE = by_name()["get_node_voltage"][0].since  # the first firmware with the net scan
SCALE = 0.05  # legacy boards: the 1 s `>` collector becomes 50 ms
PERSONAS = ("jumperlos", "legacy")
FAMILY = {"jumperlos": Family.JUMPERLOS, "legacy": Family.LEGACY}
CHANNEL = {"jumperlos": "raw-repl", "legacy": "main-oneliner"}
ANSI = re.compile(r"\x1b\[")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lock files in the test's own directory; no port default leaking in from the shell."""
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


def open_board(persona: str, tmp_path: Path, **options: Any) -> Board:
    target = "emulator:legacy" if persona == "legacy" else "emulator"
    emulator: dict[str, object] = {"fs_dir": tmp_path / f"fs-{persona}"}
    if persona == "legacy":
        emulator["time_scale"] = SCALE
    return Board.open(target, emulator_options=emulator, **options)


@pytest.fixture(params=PERSONAS)
def persona(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def board(persona: str, tmp_path: Path) -> AsyncIterator[Board]:
    async with open_board(persona, tmp_path) as opened:
        yield opened


@pytest.fixture
async def jos(tmp_path: Path) -> AsyncIterator[Board]:
    async with open_board("jumperlos", tmp_path) as opened:
        yield opened


@pytest.fixture
async def legacy(tmp_path: Path) -> AsyncIterator[Board]:
    async with open_board("legacy", tmp_path) as opened:
        yield opened


def bridges(board: Board) -> list[tuple[int, int]]:
    """The virtual board's stored bridges, read from its model (not through the host code)."""
    return [(br.a, br.b) for br in board.virtual_board.model.netlist.bridges]


def calls(board: Board) -> int:
    return board.health().calls


# --- every catalog function: a method, a signature, one real call per family ---------------------------------------

# Values whose meaning matters more than their kind: (function, argument) -> sample.
SAMPLE_OVERRIDES: dict[tuple[str, str], object] = {
    ("node", "name"): "D13",
    ("set_state", "json"): {"nets": [{"nodes": ["3", "4"]}]},
    ("overlay_set", "colors"): [0xFF0000],  # height 1 x width 1
    ("set_net_color", "color"): "red",
    ("fs_write", "path"): "/sweep.txt",
    ("fs_read", "path"): "/sweep.txt",
    ("fs_exists", "path"): "/",
    ("run_app", "name"): "demo",
}
KIND_SAMPLES: dict[ArgKind, object] = {
    ArgKind.SLOT: 0,
    ArgKind.DAC_CHANNEL: "DAC1",
    ArgKind.ADC_CHANNEL: 0,
    ArgKind.INA_SENSOR: 0,
    ArgKind.GPIO_PIN: "GPIO_2",
    ArgKind.PWM_PIN: 3,
    ArgKind.WAVE: "sine",
    ArgKind.BOOL: True,
    ArgKind.STR: "sweep",
    ArgKind.STR_OR_INT: "sweep",
    ArgKind.STR_OR_FLOAT: 1.5,
}
NODE_SAMPLES = {"node1": 1, "node2": 2}


def sample(function: Function, arg: Arg) -> object:
    """A valid value for one declared argument, from its kind and range."""
    if (function.name, arg.name) in SAMPLE_OVERRIDES:
        return SAMPLE_OVERRIDES[(function.name, arg.name)]
    if arg.kind is ArgKind.NODE:
        return NODE_SAMPLES.get(arg.name, "D13")
    if arg.kind is ArgKind.FLOAT:
        lo, hi = arg.minimum, arg.maximum
        if lo is not None and hi is not None:
            return (lo + hi) / 2
        return max(lo, 1.0) if lo is not None else min(hi, 1.0) if hi is not None else 1.0
    if arg.kind is ArgKind.INT:
        return int(arg.minimum) if arg.minimum is not None else 0
    if arg.kind is ArgKind.JSON:
        return {"value": 1}
    return KIND_SAMPLES[arg.kind]


LITERALS = (str, int, float, bool, bytes, list, tuple, dict, type(None))
RETURN_TYPES: dict[Returns, tuple[type, ...]] = {
    Returns.NONE: (type(None),),
    Returns.FLOAT: (float,),
    Returns.OPTIONAL_FLOAT: (float, type(None)),
    Returns.INT: (int,),
    Returns.BOOL: (bool,),
    Returns.STR: (str,),
    Returns.GPIO_STATE: (GPIOState,),
    Returns.GPIO_DIRECTION: (GPIODirection,),
    Returns.GPIO_PULL: (GPIOPull,),
    Returns.CONNECTION_STATE: (bool,),
    Returns.PROBE_PAD: (ProbePad,),
    Returns.PROBE_BUTTON: (ProbeButton,),
    Returns.NODE: (int,),
    Returns.JSON: (dict, list),
    Returns.LITERAL: LITERALS,
    Returns.OPTIONAL_DICT: (dict, type(None)),
    Returns.BYTES: (bytes, type(None)),
}


def expected_types(function: Function) -> tuple[type, ...]:
    if function.name == "connect":
        return (ConnectionResult,)
    if function.name == "disconnect":
        return (type(None),)  # without node2 it removes every bridge on node1: nothing to read back
    if function.name.startswith("print_"):
        return (str,)
    return RETURN_TYPES[function.returns]


def test_every_catalog_function_has_a_board_and_a_batch_method_with_its_declared_parameters() -> None:
    for name, declared in by_name().items():
        board_method, batch_method = getattr(Board, name, None), getattr(Batch, name, None)
        assert callable(board_method), f"Board.{name} missing"
        assert callable(batch_method), f"Batch.{name} missing"
        assert inspect.iscoroutinefunction(board_method), f"Board.{name} must be awaitable"
        board_params = inspect.signature(board_method).parameters
        batch_params = inspect.signature(batch_method).parameters
        for function in declared:  # a name may be declared once per family, with different arguments
            for arg in function.args:
                if name in HAND_WRITTEN and arg.name in ("save", "duplicates"):
                    assert board_params[arg.name].kind is inspect.Parameter.KEYWORD_ONLY
                    continue
                assert arg.name in board_params, f"Board.{name} lacks {arg.name}"
                assert arg.name in batch_params, f"Batch.{name} lacks {arg.name}"
        if name in HAND_WRITTEN:
            continue
        shown = declared[-1]
        expected = [(a.name, inspect.Parameter.empty if a.default is REQUIRED else a.default) for a in shown.args]
        got = [(p.name, p.default) for p in board_params.values()][1:]
        assert got == [*expected, ("timeout", None)], name
        assert board_params["timeout"].kind is inspect.Parameter.KEYWORD_ONLY
        assert [(p.name, p.default) for p in batch_params.values()][1:] == expected, name
        assert inspect.signature(batch_method).return_annotation is Pending
        assert "Available on:" in (board_method.__doc__ or "")


def test_method_names_match_the_catalog_per_family() -> None:
    for family in (Family.JUMPERLOS, Family.LEGACY):
        assert method_names(family) == {f.name for f in CATALOG if f.available_in(family)}
    assert "get_state" in method_names(Family.JUMPERLOS) - method_names(Family.LEGACY)


async def test_every_board_method_runs_on_the_connected_family(board: Board, persona: str) -> None:
    family = FAMILY[persona]
    assert board.family is family and board.version is not None
    probe = board.virtual_board.probe
    await board.nodes_clear()
    seen: set[str] = set()
    before = calls(board)
    for function in functions(board.version):  # the connected firmware's functions (version-gated ones left out)
        args = [sample(function, arg) for arg in function.args if arg.required]
        if function.name in ("probe_read", "probe_read_blocking"):
            probe.touch(12)  # scripted first, so the blocking read returns at once
        elif function.name in ("probe_button", "probe_button_blocking"):
            probe.press("CONNECT")
        method = getattr(board, function.name)
        if function.name == "run_app":
            with pytest.raises(FirmwareError) as info:
                await method(*args)
            assert info.value.exc_type == "NotImplementedError"
            seen.add(function.name)
            continue
        result = await method(*args)
        assert isinstance(result, expected_types(function)), (function.name, result)
        if function.returns in (Returns.INT, Returns.FLOAT):
            assert not isinstance(result, bool), function.name
        if function.name in ("probe_read", "probe_read_blocking"):
            assert result.row == 12 and result.touched
        elif function.name in ("probe_button", "probe_button_blocking"):
            assert result is ProbeButton.CONNECT
        elif function.name == "node":
            assert result == 83
        elif function.name == "connect":
            assert result.ok
        seen.add(function.name)
    assert seen == method_names(board.version)
    assert calls(board) - before == len(seen)  # one round trip each, run_app's error included
    assert (await board.ping()).level == "healthy"  # nothing above left the board unusable


async def test_jumperlos_functions_are_refused_on_legacy_without_a_round_trip(legacy: Board) -> None:
    missing = {f.name for f in CATALOG} - method_names(Family.LEGACY)
    assert {"get_state", "overlay_set", "undo", "fast_connect"} <= missing
    assert method_names(Family.JUMPERLOS) == {f.name for f in CATALOG}  # JumperlOS has every name
    for name in sorted(missing):
        function = next(f for f in CATALOG if f.name == name)
        with pytest.raises(UnsupportedByFirmware, match=name):
            await getattr(legacy, name)(*[sample(function, arg) for arg in function.args if arg.required])
    assert calls(legacy) == 0


async def test_get_state_is_jumperlos_only(legacy: Board) -> None:
    with pytest.raises(UnsupportedByFirmware, match=r"get_state\(\) is not available on firmware 5\.3\.2\.4"):
        await legacy.get_state()
    with pytest.raises(UnsupportedByFirmware):
        legacy.batch().get_state()  # refused when recorded, not when the batch runs
    assert calls(legacy) == 0


async def test_functions_of_other_firmware_versions_are_refused_without_a_round_trip(jos: Board) -> None:
    """The net scan is upstream-only (catalog.SCAN_SINCE); the virtual board runs 5.7.0.13: refused unsent."""
    assert str(jos.version) == "5.7.0.13"
    for name, args in (("get_node_voltage", (12,)), ("get_net_current", (6,)), ("get_path_current", (0,))):
        expected = f"{name}() is not in firmware 5.7.0.13: it needs firmware {SCAN_SINCE} or later"
        with pytest.raises(UnsupportedByFirmware, match=re.escape(expected)):
            await getattr(jos, name)(*args)
        with pytest.raises(UnsupportedByFirmware):
            jos.batch().call(name, *args)
    with pytest.raises(UnsupportedByFirmware, match="node_voltage"):
        await jos.call("node_voltage", 12)  # the alias too
    assert calls(jos) == 0
    assert f"Needs firmware {SCAN_SINCE} or later." in (Board.get_net_current.__doc__ or "")


async def test_net_color_hsv_gives_the_brightness_asked_for(jos: Board) -> None:
    """S1: the firmware takes an omitted value (brightness) as 32/255; the host sends the 1.0 it defaults to."""
    await jos.connect(20, 21)
    net = 6  # the first net after GND, the rails and the DACs
    assert "20" in await jos.get_net_nodes(net)
    assert await jos.set_net_color_hsv(net, 0.0) is True
    assert await jos.get_net_color(net) == 0xFF0000  # full red, not the firmware's dim default (0x200000)
    assert await jos.set_net_color_hsv(net, 0.0, value=0.5) is True
    assert await jos.get_net_color(net) == 0x7F0000  # 0.5 x 255, truncated as the firmware does


async def test_non_blocking_probe_names_return_at_once(board: Board) -> None:
    """Audit §1.1 #14: these names never wait (the board has no touch or press scripted)."""
    assert await board.probe_read_nonblocking() == ProbePad("NO_PAD")
    assert await board.check_button() is ProbeButton.NONE
    assert await board.probe_button_nonblocking() is ProbeButton.NONE
    assert await board.call("button_check", timeout=5) is ProbeButton.NONE


async def test_blocking_probe_calls_can_be_asked_not_to_wait(board: Board) -> None:
    assert await board.probe_read(blocking=False) == ProbePad("NO_PAD")
    assert await board.probe_button(False) is ProbeButton.NONE
    board.virtual_board.probe.touch("D13")
    pad = await board.probe_read()
    assert pad.name == "NANO_D13" and pad.row is None


async def test_call_takes_firmware_aliases(board: Board) -> None:
    assert await board.call("set_dac", 1, 1.5) is None
    assert await board.call("get_dac", "DAC1") == pytest.approx(1.5)
    async with board.batch() as batch:
        batch.call("set_dac", 1, 2.25)
        reading = batch.call("get_dac", 1)
    assert reading.value == pytest.approx(2.25)
    with pytest.raises(
        UnsupportedByFirmware, match=r"no_such_function\(\) is not (a Jumperless firmware function|available)"
    ):
        await board.call("no_such_function")


async def test_ping_and_health(board: Board, persona: str) -> None:
    health = board.health()
    assert (health.level, health.connected, health.channel) == ("healthy", True, CHANNEL[persona])
    assert health.firmware == board.firmware == board.virtual_board.firmware
    after = await board.ping()
    assert after.calls == health.calls + 1 and after.last_latency_ms is not None


# --- verified connections --------------------------------------------------------------------------------------------


async def test_connect_is_verified_by_reading_back(board: Board) -> None:
    result = await board.connect("D13", 20)
    assert result == ConnectionResult("connect", 83, 20, connected=True, verified=True)
    assert result.ok and "connected" in result.message
    assert (83, 20) in bridges(board)
    assert await board.is_connected(20, "NANO_D13") is True
    removed = await board.disconnect("D13", 20)
    assert isinstance(removed, ConnectionResult) and removed.ok and not removed.connected
    assert (83, 20) not in bridges(board)
    await board.connect(5, 6)
    await board.connect(5, 7)
    assert await board.disconnect(5) is None  # every bridge on node 5, nothing to read back
    assert bridges(board) == []


async def test_connect_the_firmware_refuses_at_net_level_is_not_ok(jos: Board) -> None:
    assert (await jos.connect(12, "GND")).ok
    refused = await jos.connect(12, "TOP_RAIL")  # would short the top rail to ground through row 12
    assert refused.verified and not refused.connected and not refused.ok
    assert "did not make" in refused.message and "TOP_RAIL" in refused.message
    assert await jos.get_path_between(12, "TOP_RAIL") is None  # stored, never routed
    assert (await jos.get_path_between(12, "GND")) is not None


@pytest.mark.parametrize(("node1", "node2"), [("GND", "TOP_RAIL"), ("GPIO_1", "TOP_RAIL"), ("DAC1", "BOTTOM_RAIL")])
async def test_forbidden_pairs_fail_before_anything_is_sent(board: Board, node1: str, node2: str) -> None:
    await board.connect(1, 2)
    before, netlist = calls(board), bridges(board)
    with pytest.raises(ForbiddenConnection) as info:
        await board.connect(node1, node2)
    assert info.value.parameter == "node2" and "never allowed" in str(info.value)
    with pytest.raises(ForbiddenConnection):
        board.batch().connect(node2, node1)
    with pytest.raises(ForbiddenConnection):
        await board.apply_netlist([(3, 4), (node1, node2)])  # the whole batch is refused up front
    assert calls(board) == before
    assert bridges(board) == netlist == [(1, 2)]


async def test_connect_save_is_legacy_and_duplicates_is_jumperlos(board: Board, persona: str) -> None:
    before = calls(board)
    if persona == "legacy":
        with pytest.raises(ArgumentError) as info:
            await board.connect(1, 2, duplicates=2)
        assert info.value.parameter == "duplicates"
        unsaved = await board.connect(1, 2, save=False)  # 5.3.x is_connected cannot see unsaved bridges
        assert not unsaved.verified and "not read back" in unsaved.message
        assert (await board.connect(3, 4, save=True)).ok
    else:
        with pytest.raises(ArgumentError) as info:
            await board.connect(1, 2, save=True)
        assert info.value.parameter == "save" and "nodes_save" in str(info.value)
        assert (await board.connect(1, 2, duplicates=1)).ok
        with pytest.raises(ArgumentError) as info:
            await board.connect(3, 4, duplicates=9)
        assert info.value.parameter == "duplicates" and info.value.allowed == "-1-8"
        assert (await board.connect(3, 4)).ok
    assert calls(board) == before + 2  # the refused calls never reached the board


# --- bad input fails on the host, before the board is even opened ----------------------------------------------------


async def test_argument_errors_name_the_parameter_before_connecting(persona: str, tmp_path: Path) -> None:
    async with open_board(persona, tmp_path, eager=False) as board:
        cases = [
            (lambda: board.adc_get(7), "channel", "0-3"),
            (lambda: board.connect("D99", 5), "node1", "D0-D13"),
            (lambda: board.connect(5, "NOWHERE"), "node2", "TOP_RAIL"),
            (lambda: board.dac_set(0, 9.5), "voltage", "-8 to 8"),
            (lambda: board.gpio_set(42, True), "pin", "GPIO_1-GPIO_8"),
            (lambda: board.switch_slot(8), "slot", "0-7"),
            (lambda: board.pwm(1, duty=1.5), "duty", "0 to 1"),
            (lambda: board.call("dac_set", 0, 1.0, volume=3), "volume", "channel, save, voltage"),
        ]
        for make_call, parameter, allowed in cases:
            with pytest.raises(ArgumentError) as info:
                await make_call()
            assert info.value.parameter == parameter
            assert allowed in (info.value.allowed or ""), (parameter, info.value.allowed)
            assert parameter in str(info.value) and "allowed" in str(info.value)
        with pytest.raises(ArgumentError) as info:
            board.batch().adc_get(4)  # recording a bad call fails at that line
        assert info.value.parameter == "channel"
        with pytest.raises(ForbiddenConnection):
            await board.connect("GND", "TOP_RAIL")  # forbidden on every firmware: no need to ask which one
        assert board.session.connected is False
        assert board.health().calls == 0
        assert (await board.connect(1, 2)).ok  # a good call then connects on demand
        assert board.session.connected is True


# --- run_python -------------------------------------------------------------------------------------------------------


async def test_run_python_is_off_unless_allowed(board: Board) -> None:
    with pytest.raises(JumperlessError, match="allow_python=True"):
        await board.run_python("print(1)")
    assert calls(board) == 0


async def test_run_python_runs_multi_line_source_over_the_raw_repl(tmp_path: Path) -> None:
    async with open_board("jumperlos", tmp_path, allow_python=True) as board:
        source = "total = 0\nfor i in range(5):\n    total += i\nprint('total', total)\nprint(adc_get(0))\n"
        assert await board.run_python(source) == "total 10\n0.0\n"
        with pytest.raises(FirmwareValueError, match="ADC channel must be 0-3"):
            await board.run_python("x = 1\nif x:\n    adc_get(7)\n")
        with pytest.raises(ArgumentError) as info:
            await board.run_python("   ")
        assert info.value.parameter == "source"


async def test_run_python_on_legacy_takes_single_lines(tmp_path: Path) -> None:
    async with open_board("legacy", tmp_path, allow_python=True) as board:
        assert (await board.run_python("x = 20\nprint(x + 1)\nprint('a;b')")).split() == ["21", "a;b"]
        before = calls(board)
        for compound in ("for i in range(3):\n    print(i)", "if True:\n    pass", "def f():\n    return 1"):
            with pytest.raises(ArgumentError) as info:
                await board.run_python(compound)
            assert info.value.parameter == "source" and "raw REPL" in str(info.value)
        assert calls(board) == before


# --- print_* return the text the firmware printed ---------------------------------------------------------------------


async def test_print_bridges_returns_the_bridge_table(board: Board) -> None:
    await board.connect(1, 2)
    await board.connect("D13", 20)
    text = await board.print_bridges()
    assert "Bridge Array" in text
    assert "[1,2," in text and "[D13,20," in text
    assert not ANSI.search(text) and "\x1e" not in text
    assert (await board.print_paths()) == text  # the firmware prints the same compact table


async def test_print_nets_returns_the_netlist(board: Board) -> None:
    await board.connect(1, 2)
    text = await board.print_nets()
    assert "netlist" in text and "Net 6" in text and "1,2" in text
    assert not ANSI.search(text)


@pytest.mark.parametrize("live_persona", PERSONAS)
async def test_print_nets_in_live_mode_is_ended_by_a_nudge(live_persona: str, tmp_path: Path) -> None:
    async with open_board(live_persona, tmp_path) as board:
        await board.connect(10, "ADC0")  # an ADC in a net puts print_nets() in live mode
        text = await board.print_nets(timeout=1.5)
        assert "10,ADC_0" in text
        assert await board.adc_get(0) == 0.0  # the nudge left nothing behind for the next call
        assert board.health().level == "healthy"


async def test_errors_and_cancellation_pass_through_the_nudging_run_unwrapped(jos: Board) -> None:
    await jos.connect(10, "ADC0")
    batch = jos.batch()
    batch.print_nets()
    batch.probe_read()  # nobody touches the probe: blocks after print_nets has returned
    with pytest.raises(BoardTimeout):  # the error itself, not an ExceptionGroup from the nudging task
        await batch.run(timeout=0.5)
    with anyio.move_on_after(0.3) as scope:
        text = await jos.call("print_nets")
        await jos.probe_read()
    assert scope.cancelled_caught and "10,ADC_0" in text
    assert await jos.adc_get(0) == 0.0


# --- batches ----------------------------------------------------------------------------------------------------------


async def test_dac_sweep_with_readings_in_one_batch(board: Board) -> None:
    assert (await board.connect("DAC0", "ADC0")).ok
    setpoints = [0.0, 0.5, 1.25, 2.0, 3.3, 4.5]
    before = calls(board)
    readings: list[Pending] = []
    async with board.batch() as batch:
        for volts in setpoints:
            batch.dac_set(0, volts)
            readings.append(batch.adc_get(0))
        assert len(batch) == 2 * len(setpoints) and not readings[0].done
    assert calls(board) == before + 1
    assert [r.value for r in readings] == pytest.approx(setpoints, abs=1e-3)
    assert await board.dac_get("DAC0") == pytest.approx(4.5)


NETLIST_40 = (
    [(2 * k + 1, 2 * k + 2) for k in range(30)]  # rows 1-60 in pairs
    + [(f"D{2 * k}", f"D{2 * k + 1}") for k in range(7)]
    + [("A0", "A1"), ("A2", "A3"), ("A4", "A5")]
)


async def test_apply_netlist_of_40_bridges_in_one_round_trip(board: Board) -> None:
    assert len(NETLIST_40) == 40
    await board.connect(40, 50)  # gone after clear_first
    before = calls(board)
    results = await board.apply_netlist(NETLIST_40, clear_first=True)
    assert calls(board) == before + 1  # one session run for 40 verified bridges (chunked on the `>` channel)
    assert len(results) == 40 and all(r.ok for r in results)
    wanted = [(nodes.resolve_node(a), nodes.resolve_node(b)) for a, b in NETLIST_40]
    assert [(r.node1, r.node2) for r in results] == wanted
    assert bridges(board) == wanted
    async with board.batch() as batch:
        checks = [batch.is_connected(a, b) for a, b in NETLIST_40]
        stale = batch.is_connected(40, 50)
    assert all(check.value is True for check in checks)
    assert stale.value is False


async def test_batch_failing_midway_keeps_what_finished(board: Board) -> None:
    before = calls(board)
    batch = board.batch()
    set_dac = batch.dac_set(1, 1.0)
    bridge = batch.connect(1, 2)
    reading = batch.adc_get(0)
    failing = batch.wavegen_set_wave("arbitrary")  # valid on the host; the firmware raises NotImplementedError
    later_dac = batch.dac_set(1, 2.0)
    later_reading = batch.adc_get(1)
    with pytest.raises(FirmwareError) as info:
        await batch.run()
    assert info.value.exc_type == "NotImplementedError"
    assert info.value.batch_completed == 3  # type: ignore[attr-defined]
    assert calls(board) == before + 1
    assert set_dac.done and set_dac.value is None
    assert bridge.value == ConnectionResult("connect", 1, 2, True, True)
    assert reading.value == 0.0
    for pending in (failing, later_dac, later_reading):
        assert not pending.done
        with pytest.raises(JumperlessError, match="has not run"):
            _ = pending.value
    assert await board.dac_get(1) == pytest.approx(1.0)  # the calls after the error never ran


async def test_batch_context_does_not_run_when_its_body_raises(board: Board) -> None:
    with pytest.raises(RuntimeError):
        async with board.batch() as batch:
            pending = batch.dac_set(1, 3.0)
            raise RuntimeError("changed my mind")
    assert not pending.done
    assert await board.dac_get(1) == 0.0
    assert await board.batch().run() == []  # an empty batch is not a round trip
    assert calls(board) == 1
