"""The session end to end: the virtual board on real pseudo-terminals, our real serial code.

Handshake and channel choice, timeouts, cancellation storms, unplug/replug, unsolicited
output, the one-process-per-board lock and recovery of a stuck board, for both firmware
families (JumperlOS 5.7 over the raw REPL, 5.3.x over the main-port `>` one-liner).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from fault_scenarios import BoardRuns
from serial_clients import MainPortClient, RawRepl

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.errors import (
    BoardBusy,
    BoardDisconnected,
    BoardNotFound,
    BoardTimeout,
    ConnectionProblem,
)

SCALE = 0.05  # legacy boards: the 1 s `>` collector becomes 50 ms
HERE = Path(__file__).parent
PROJECT = HERE.parent

CHANNEL = {"jumperlos": "raw-repl", "legacy": "main-oneliner"}
FIRMWARE = {"jumperlos": "5.7.0.13", "legacy": "5.3.2.4"}

# node() answers, from the node table (§5): rows are themselves, Nano D0..D13 = 70..83, A0..A7 = 86..93
EXPECTED_IDS: dict[str | int, int] = {
    **{f"D{i}": 70 + i for i in range(14)},
    **{f"A{i}": 86 + i for i in range(8)},
    **{row: row for row in range(1, 61)},
}
NAMES = list(EXPECTED_IDS)

MAIN_JUNK = b"\x0e\r\n\t connect nodes\r\n\x0f\x1b[32mjunk\x1b[0m\r\n"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lock files in the test's own directory; no port default leaking in from the shell."""
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


def make_virtual(persona: str, tmp_path: Path, **options: object) -> VirtualBoard:
    scale = SCALE if persona == "legacy" else 1.0
    return VirtualBoard(persona, fs_dir=tmp_path / f"fs-{persona}", time_scale=scale, **options).start()  # type: ignore[arg-type]


@pytest.fixture(params=["jumperlos", "legacy"])
def vboard(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VirtualBoard]:
    board = make_virtual(request.param, tmp_path)
    yield board
    board.stop()


def emulator_target(persona: str) -> tuple[str, dict[str, object]]:
    if persona == "legacy":
        return "emulator:legacy", {"time_scale": SCALE}
    return "emulator", {}


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.monotonic()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.start


async def assert_nodes_answer(board: Board, rng: random.Random, count: int = 6) -> None:
    """A few calls in sequence, each returning its own value (nothing stale, nothing shifted)."""
    for name in rng.sample(NAMES, count):
        assert await board.node(name) == EXPECTED_IDS[name], name


# --- 1. handshake and channel choice ------------------------------------------------------------


async def test_mapping_target_picks_channel_by_firmware(vboard: VirtualBoard) -> None:
    persona = vboard.persona.name
    async with Board.open(vboard.info()) as board:
        assert board.session.channel == CHANNEL[persona]
        assert board.firmware == FIRMWARE[persona]
        assert await board.node("D13") == 83
        ports = board.health().ports
        assert (ports["main"], ports["repl"]) == (vboard.main_path, vboard.repl_path)


async def test_json_string_target(vboard: VirtualBoard) -> None:
    persona = vboard.persona.name
    async with Board.open(json.dumps(vboard.info())) as board:
        assert (board.session.channel, board.firmware) == (CHANNEL[persona], FIRMWARE[persona])
        assert await board.node("A7") == 93


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_emulator_target_starts_and_stops_its_board(persona: str) -> None:
    target, options = emulator_target(persona)
    async with Board.open(target, emulator_options=options) as board:
        virtual = board.virtual_board
        assert virtual is not None and virtual.firmware == FIRMWARE[persona]
        assert virtual.time_scale == (SCALE if persona == "legacy" else 1.0)
        assert board.session.channel == CHANNEL[persona]
        assert board.health().ports["main"] == virtual.main_path
        assert await board.node("D0") == 70
    assert board.virtual_board is None  # closing the Board stopped the board it started
    assert not virtual.plugged_in


async def test_jos_main_path_only_falls_back_to_oneliner(tmp_path: Path) -> None:
    virtual = make_virtual("jumperlos", tmp_path)
    try:
        async with Board.open(virtual.main_path) as board:
            assert board.session.channel == "main-oneliner"
            assert board.firmware == "5.7.0.13"
            health = board.health()
            assert health.level == "degraded"
            assert health.note is not None and "REPL port" in health.note
            assert health.ports["main"] == virtual.main_path and health.ports["repl"] is None
            assert await board.node("D13") == 83
            assert await board.node(17) == 17
            assert board.health().level == "degraded"  # stays degraded: the note still applies
    finally:
        virtual.stop()


async def test_jos_repl_path_only_is_identified_as_repl(tmp_path: Path) -> None:
    virtual = make_virtual("jumperlos", tmp_path)
    try:
        async with Board.open(virtual.repl_path) as board:
            assert board.session.channel == "raw-repl"
            assert board.firmware == "5.7.0.13"
            health = board.health()
            assert health.level == "healthy" and health.note is None
            assert health.ports["repl"] == virtual.repl_path and health.ports["main"] is None
            assert await board.node("A0") == 86
    finally:
        virtual.stop()


async def test_legacy_plain_path(tmp_path: Path) -> None:
    virtual = make_virtual("legacy", tmp_path)
    try:
        async with Board.open(virtual.main_path) as board:
            assert (board.session.channel, board.firmware) == ("main-oneliner", "5.3.2.4")
            assert board.health().level == "healthy"
            assert await board.node("D5") == 75
    finally:
        virtual.stop()


async def test_env_var_is_the_default_target(vboard: VirtualBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_PORT", json.dumps(vboard.info()))
    persona = vboard.persona.name
    async with Board.open(None) as board:
        assert board.health().ports["main"] == vboard.main_path
        assert board.session.channel == CHANNEL[persona]
        assert await board.node("D1") == 71


async def test_missing_path_is_board_not_found(tmp_path: Path) -> None:
    missing = str(tmp_path / "ttyACM-nope")
    with Stopwatch() as watch:
        with pytest.raises(BoardNotFound, match="ttyACM-nope"):
            async with Board.open(missing):
                pass
        with pytest.raises(BoardNotFound, match="ttyACM-nope"):
            async with Board.open({"main": missing}):
                pass
    assert watch.elapsed < 2.0


# --- 2. timeouts -----------------------------------------------------------------------------------


async def test_timeout_interrupts_and_next_call_is_correct(vboard: VirtualBoard) -> None:
    async with Board.open(vboard.info()) as board:
        assert await board.node("D2") == 72
        with Stopwatch() as watch, pytest.raises(BoardTimeout) as caught:
            await board.probe_read(timeout=0.3)  # nobody touches the probe
        assert 0.3 <= watch.elapsed < 3.0
        assert caught.value.retryable is True
        health = board.health()
        assert health.connected and health.level == "degraded"  # resynchronised, not yet confirmed
        assert health.last_error is not None and "timed out" in health.last_error
        assert await board.node("D13") == 83
        assert await board.node(33) == 33
        assert board.health().level == "healthy"
        # the interrupted probe_read is really gone: a touch now goes to the next one
        vboard.probe.touch(12)
        pad = await board.probe_read(timeout=5)
        assert pad.row == 12


async def test_default_timeout_and_per_call_override(vboard: VirtualBoard) -> None:
    async with Board.open(vboard.info(), timeout=0.4, allow_python=True) as board:
        with Stopwatch() as watch, pytest.raises(BoardTimeout):
            await board.run_python("import time\ntime.sleep(1.2)")  # the 0.4 s default applies
        assert watch.elapsed < 3.0
        assert await board.node("A1") == 87
        # a per-call timeout overrides the default, both ways
        assert (await board.run_python("import time\ntime.sleep(0.6)\nprint('slept')", timeout=5)).strip() == "slept"
        with Stopwatch() as watch, pytest.raises(BoardTimeout):
            await board.probe_read(timeout=0.2)
        assert watch.elapsed < 2.5
        assert await board.node("D3", timeout=2) == 73
        # calls that wait for a person are not bound by the short default
        pad: dict[str, object] = {}
        async with anyio.create_task_group() as group:
            group.start_soon(_store, pad, "pad", board.probe_read())
            await anyio.sleep(0.7)
            vboard.probe.touch(9)
        assert pad["pad"].row == 9  # type: ignore[attr-defined]


# --- 3. concurrency and cancellation ---------------------------------------------------------------


# Starts are spread over `span`; ~60 % of the calls get a short limit about one call long (~1 ms over the raw
# REPL, ~70 ms through the scaled 5.3.x collector), so cancellations land anywhere: in the queue, while sending,
# while the board runs the call. Where they land depends on the machine's load, so the storm asserts only what
# must hold for every call whatever the load: each call ends exactly once, and every answer is the call's own.
# That cancellations mid-flight really happen (and are survived) is made certain by the held-run test below.
STORM = {
    "jumperlos": {"span": 1.0, "short": (0.0001, 0.0015), "probe": (0.005, 0.03)},
    "legacy": {"span": 3.0, "short": (0.005, 0.1), "probe": (0.03, 0.15)},
}


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_cancellation_storm_leaves_no_stale_replies(persona: str, tmp_path: Path) -> None:
    rng = random.Random(1234 if persona == "jumperlos" else 5678)
    timing = STORM[persona]
    virtual = make_virtual(persona, tmp_path)
    try:
        async with Board.open(virtual.info()) as board:
            expected_nets: dict[int, str] = {}
            if persona == "jumperlos":
                for net in range(1, 6):
                    expected_nets[net] = await board.get_net_name(net)
                assert len(set(expected_nets.values())) == 5 and all(expected_nets.values())

            # (kind, argument, start delay, time limit); the first probe_read is first in line for the board
            plan: list[tuple[str, object, float, float]] = [("probe", None, 0.0, timing["probe"][1])]
            for _ in range(49):
                delay = rng.uniform(0, timing["span"])
                roll = rng.random()
                if roll < 0.12:
                    plan.append(("probe", None, delay, rng.uniform(*timing["probe"])))
                    continue
                limit = rng.uniform(*timing["short"]) if rng.random() < 0.6 else 60.0
                if persona == "jumperlos" and roll < 0.35:
                    plan.append(("net", rng.choice(list(expected_nets)), delay, limit))
                else:
                    plan.append(("node", rng.choice(NAMES), delay, limit))

            completed: list[tuple[int, object, object]] = []
            cancelled: list[int] = []

            async def one(index: int, kind: str, arg: object, delay: float, limit: float) -> None:
                await anyio.sleep(delay)
                with anyio.move_on_after(limit) as scope:
                    if kind == "probe":
                        value: object = await board.probe_read()
                    elif kind == "net":
                        value = await board.get_net_name(arg)  # type: ignore[arg-type]
                    else:
                        value = await board.node(arg)  # type: ignore[arg-type]
                    completed.append((index, arg, value))
                if scope.cancelled_caught:
                    cancelled.append(index)

            async with anyio.create_task_group() as group:
                for index, step in enumerate(plan):
                    group.start_soon(one, index, *step)
            assert sorted([i for i, _, _ in completed] + cancelled) == list(range(len(plan)))  # each ended once
            for index, arg, value in completed:
                kind = plan[index][0]
                assert kind != "probe", "nobody touched the probe"
                expected = expected_nets[arg] if kind == "net" else EXPECTED_IDS[arg]  # type: ignore[index]
                assert value == expected, (index, kind, arg, value)

            for name in rng.sample(NAMES, 15):  # nothing stale is left for the calls after the storm
                assert await board.node(name) == EXPECTED_IDS[name]
                if expected_nets:
                    net = rng.choice(list(expected_nets))
                    assert await board.get_net_name(net) == expected_nets[net]
            assert board.health().connected
    finally:
        virtual.stop()


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_a_call_cancelled_while_the_board_runs_it_never_answers_another(persona: str, tmp_path: Path) -> None:
    """Deterministic mid-flight cancellations: the virtual board holds each run at its start, the host's call is
    cancelled right then (sent whole, reply not read), the next call is queued, and only then the board goes on.
    Whatever the load, the next call must get its own answer and the cancelled one none."""
    rng = random.Random(4321)
    virtual = make_virtual(persona, tmp_path)
    runs = BoardRuns(virtual)
    try:
        async with Board.open(virtual.info()) as board:
            for _ in range(3):
                first, second = rng.sample(NAMES, 2)
                outcome: dict[str, object] = {}
                scope = anyio.CancelScope()

                async def cancelled_call(
                    name: object = first, scope: anyio.CancelScope = scope, outcome: dict[str, object] = outcome
                ) -> None:
                    with scope:
                        outcome["first"] = await board.node(name)  # type: ignore[arg-type]

                with anyio.fail_after(30):
                    async with anyio.create_task_group() as group:
                        runs.arm(hold=True)
                        group.start_soon(cancelled_call)
                        await runs.started()  # the board runs it now and holds there
                        scope.cancel()
                        group.start_soon(_store, outcome, "second", board.node(second))
                        await anyio.sleep(0.05)  # the next call is queued or on the wire (sharpens, never needed)
                        runs.release()
                assert "first" not in outcome and scope.cancelled_caught
                assert outcome["second"] == EXPECTED_IDS[second], (first, second, outcome)
                assert await board.node(first) == EXPECTED_IDS[first]
            last_error = board.health().last_error
            assert last_error is not None and last_error.startswith("a call was cancelled"), last_error
    finally:
        virtual.stop()


# --- 4. unplug and replug --------------------------------------------------------------------------


async def _expect_down_then_up(board: Board, unplug, replug, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    assert await board.node("D13") == 83
    unplug()
    with pytest.raises(BoardDisconnected) as caught:
        await board.node("D12")
    assert caught.value.retryable is True
    health = board.health()
    assert health.level == "down" and not health.connected
    for _ in range(3):  # while unplugged: quick, retryable failures
        with Stopwatch() as watch, pytest.raises(ConnectionProblem) as caught:
            await board.node("D11")
        assert caught.value.retryable is True
        assert watch.elapsed < 1.5
        assert board.health().level == "down"
    replug()
    assert await board.node("D10") == 80  # no user action needed
    health = board.health()
    assert health.reconnects == 1 and health.level == "healthy" and health.connected
    await assert_nodes_answer(board, rng)


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_unplug_replug_emulator_target(persona: str) -> None:
    target, options = emulator_target(persona)
    async with Board.open(target, emulator_options=options) as board:
        virtual = board.virtual_board
        await _expect_down_then_up(board, virtual.unplug, virtual.replug, random.Random(1))
        assert board.session.channel == CHANNEL[persona]
        assert board.health().ports["main"] == virtual.main_path  # the new port, found again


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_unplug_replug_stable_paths(persona: str, tmp_path: Path) -> None:
    virtual = make_virtual(persona, tmp_path, link_dir=tmp_path / "links")
    try:
        target: dict[str, object] = {"main": virtual.stable_path("main"), "time_scale": virtual.time_scale}
        if persona == "jumperlos":
            target["repl"] = virtual.stable_path("repl")
        async with Board.open(target) as board:
            assert board.session.channel == CHANNEL[persona]
            await _expect_down_then_up(board, virtual.unplug, virtual.replug, random.Random(2))
            assert board.session.channel == CHANNEL[persona]
    finally:
        virtual.stop()


async def test_unplugged_emulator_is_not_reached_through_a_reused_path() -> None:
    target, options = emulator_target("legacy")
    async with Board.open(target, emulator_options=options) as board:
        virtual = board.virtual_board
        old_main = virtual.main_path
        assert await board.node("D13") == 83
        virtual.unplug()
        with pytest.raises(BoardDisconnected):
            await board.node("D12")
        # another device appears on the freed node, as another pty (or a USB device) would
        strangers: list[tuple[int, int, str]] = []
        try:
            for _ in range(20):
                master, slave = os.openpty()
                strangers.append((master, slave, os.ttyname(slave)))
                if strangers[-1][2] == old_main:
                    break
            stranger = next((s for s in strangers if s[2] == old_main), None)
            if stranger is None:
                pytest.skip(f"{old_main} was not reused here (another process took it)")
            os.set_blocking(stranger[0], False)
            with anyio.fail_after(20), pytest.raises(ConnectionProblem) as caught:
                await board.node("D11")
            assert caught.value.retryable is True
            try:
                written = os.read(stranger[0], 4096)
            except BlockingIOError:
                written = b""
            assert written == b"", f"the session talked to a stranger on {old_main}: {written!r}"
        finally:
            for master, slave, _ in strangers:
                os.close(master)
                os.close(slave)


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_unplug_during_blocking_call(persona: str) -> None:
    target, options = emulator_target(persona)
    async with Board.open(target, emulator_options=options) as board:
        virtual = board.virtual_board
        assert await board.node("D4") == 74
        outcome: dict[str, object] = {}

        async def waiting_for_probe() -> None:
            try:
                outcome["value"] = await board.probe_read(timeout=30)
            except Exception as exc:
                outcome["error"] = exc

        with Stopwatch() as watch:
            async with anyio.create_task_group() as group:
                group.start_soon(waiting_for_probe)
                await anyio.sleep(0.4)
                assert outcome == {}  # still waiting for a touch
                watch.start = time.monotonic()
                virtual.unplug()
        assert watch.elapsed < 3.0
        assert isinstance(outcome.get("error"), BoardDisconnected), outcome
        assert outcome["error"].retryable is True  # type: ignore[attr-defined]
        assert board.health().level == "down"
        virtual.replug()
        assert await board.node("D9") == 79
        virtual.probe.touch(21)
        assert (await board.probe_read(timeout=5)).row == 21
        assert board.health().reconnects == 1


# --- 5. unsolicited output -------------------------------------------------------------------------


async def test_main_port_junk_between_calls(vboard: VirtualBoard) -> None:
    async with Board.open(vboard.info()) as board:
        for name in ("D13", "A3", 42, "D0"):
            vboard.inject("main", MAIN_JUNK)
            await anyio.sleep(0.05)  # it arrives before the call
            assert await board.node(name) == EXPECTED_IDS[name]
        if vboard.persona.name == "jumperlos":
            messages = list(board.session.board_messages)
            assert messages.count("connect nodes") >= 1 and messages.count("junk") >= 1, messages
            assert not any("\x1b" in m or "\x0e" in m or "\x0f" in m for m in messages)


@pytest.mark.parametrize("channel_of", ["legacy", "jumperlos-main-only"])
async def test_main_port_junk_while_a_call_runs(channel_of: str, tmp_path: Path) -> None:
    virtual = make_virtual("legacy" if channel_of == "legacy" else "jumperlos", tmp_path)
    target = virtual.info() if channel_of == "legacy" else virtual.main_path
    try:
        async with Board.open(target) as board:
            assert board.session.channel == "main-oneliner"
            result: dict[str, object] = {}

            async def read_probe() -> None:
                result["pad"] = await board.probe_read(timeout=10)

            async with anyio.create_task_group() as group:
                group.start_soon(read_probe)
                await anyio.sleep(0.3)  # past the collector: running, start marker printed
                virtual.inject("main", MAIN_JUNK)
                await anyio.sleep(0.05)
                virtual.probe.touch(17)
            assert result["pad"].row == 17  # type: ignore[attr-defined]

            for name in ("D7", 58, "A5"):  # junk in the collector window, before the reply
                async with anyio.create_task_group() as group:
                    group.start_soon(lambda n=name: _store(result, n, board.node(n)))
                    await anyio.sleep(0.01)
                    virtual.inject("main", MAIN_JUNK)
                assert result[name] == EXPECTED_IDS[name]
            assert await board.node("D8") == 78
    finally:
        virtual.stop()


async def _store(into: dict[str, object], key: object, awaitable) -> None:  # type: ignore[no-untyped-def]
    into[key] = await awaitable  # type: ignore[index]


async def test_jos_repl_strays_between_calls(jos_board: VirtualBoard) -> None:
    rng = random.Random(99)
    alphabet = bytes(c for c in range(0x20, 0x7F) if c != ord("K")) + b"\r\n\x1b"  # never the `OK` frame start
    async with Board.open(jos_board.info()) as board:
        assert board.session.channel == "raw-repl"
        for i in range(12):
            if i % 3 == 0:
                junk = b"\x04\x04>"  # what the firmware writes after a stray exception (§3.4)
            elif i % 3 == 1:
                junk = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 300)))
            else:
                junk = b"\x04\x04>" + bytes(rng.choice(alphabet) for _ in range(40)) + b"\x04\x04>"
            jos_board.inject("repl", junk)
            if i % 2:
                await anyio.sleep(0.02)
            name = rng.choice(NAMES)
            assert await board.node(name) == EXPECTED_IDS[name], (i, junk)
            assert await board.get_net_name(1) == "GND"
        assert board.health().level == "healthy"


# --- 6. one process per board -----------------------------------------------------------------------


async def test_board_busy_across_processes(vboard: VirtualBoard) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    holder = subprocess.Popen(
        [sys.executable, str(HERE / "lock_holder.py"), json.dumps(vboard.info())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=PROJECT,
    )
    try:
        with anyio.fail_after(20):
            line = await anyio.to_thread.run_sync(holder.stdout.readline)  # type: ignore[union-attr]
        exited = holder.poll() is not None
        assert line.strip() == "ready 83", (line, holder.stderr.read() if exited else "still running")  # type: ignore[union-attr]
        with Stopwatch() as watch, pytest.raises(BoardBusy) as caught:
            async with Board.open(vboard.info()):
                pass
        assert watch.elapsed < 1.0
        assert f"held by PID {holder.pid}" in str(caught.value)
        assert caught.value.pid == holder.pid and caught.value.retryable is False
        holder.stdin.write("\n")  # type: ignore[union-attr]
        holder.stdin.flush()  # type: ignore[union-attr]
        assert await anyio.to_thread.run_sync(lambda: holder.wait(timeout=15)) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    async with Board.open(vboard.info()) as board:
        assert await board.node("D13") == 83


async def test_board_busy_in_one_process(vboard: VirtualBoard) -> None:
    async with Board.open(vboard.info()) as first:
        with pytest.raises(BoardBusy) as caught:
            async with Board.open(vboard.info()):
                pass
        assert f"held by PID {os.getpid()}" in str(caught.value)
        assert await first.node("A2") == 88  # the holder is unaffected
    async with Board.open(vboard.info()) as second:
        assert await second.node("A2") == 88


# --- 7. a stuck board is recovered without user action ---------------------------------------------


async def test_jos_stuck_repl_is_interrupted(jos_board: VirtualBoard) -> None:
    client = RawRepl(jos_board.repl_path)  # type: ignore[arg-type]
    client.serial.write(b"while True: pass\x04")
    assert client.read_until(b"OK", 2).endswith(b"OK")  # accepted and running
    client.close()
    with Stopwatch() as watch:
        async with Board.open(jos_board.info()) as board:
            assert board.session.channel == "raw-repl"
            assert await board.node("D13") == 83
            assert await board.get_net_name(1) == "GND"
    assert watch.elapsed < 8


async def test_legacy_stuck_oneliner_is_interrupted(legacy_board: VirtualBoard) -> None:
    """A loop that sleeps (5.3.x checks for Ctrl-Q only at output and sleep: a bare `while True: pass`
    cannot be stopped there at all, P6)."""
    with MainPortClient(legacy_board.main_path) as client:
        client.send(b">import time\nwhile True: time.sleep(0.01)\n")
        time.sleep(0.2)  # past the collector: the loop runs
        client.read_quiet(0.1)
        client.send(b"?")
        assert b"firmware version" not in client.read_quiet(0.4)  # stuck: `?` is swallowed
    with Stopwatch() as watch:
        async with Board.open(legacy_board.info()) as board:
            assert board.session.channel == "main-oneliner"
            assert await board.node("D13") == 83
            assert await board.node(7) == 7
    assert watch.elapsed < 8


# --- 8. health -------------------------------------------------------------------------------------


async def test_health_fields(vboard: VirtualBoard) -> None:
    persona = vboard.persona.name
    board = Board(vboard.info(), eager=False)
    try:
        health = board.health()
        assert (health.level, health.connected, health.calls, health.last_seen) == ("down", False, 0, None)
        before = time.time()
        for name in ("D1", "D2", "A4"):
            assert await board.node(name) == EXPECTED_IDS[name]
        pinged = await board.ping()
        health = board.health()
        assert pinged == health
        assert health.level == "healthy" and health.connected
        assert health.firmware == FIRMWARE[persona] and health.channel == CHANNEL[persona]
        assert health.calls == 4
        assert health.last_seen is not None and before <= health.last_seen <= time.time()
        assert health.last_latency_ms is not None and 0 < health.last_latency_ms < 2000
        assert health.reconnects == 0 and health.last_error is None and health.note is None
        assert health.ports["main"] == vboard.main_path
        assert health.as_dict()["calls"] == 4
    finally:
        await board.aclose()
