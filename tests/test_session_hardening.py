"""No self-locks and timeouts that mean what they say, on a virtual board that stops answering (`hang()`).

A port opened while connecting is closed again when connecting fails or is cut short, so the process never
holds its own lock (`board busy ... held by PID <itself>`); a call's timeout bounds the whole call, reconnecting
included, and its error says whether the channel was resynchronised or the link closed.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.errors import BoardBusy, BoardTimeout, ConnectionProblem
from jumperless_mcp.link.handshake import VERSION_REPLY
from jumperless_mcp.link.serial_link import SerialLink
from jumperless_mcp.link.session import Session
from jumperless_mcp.link.targets import Target

LIMIT = 0.5  # the per-call timeout while the board is hung
SLACK = 2.0  # generous, so load cannot fail a test; the old code took 10.3 s for a reconnecting call
RECOVERY = 8.0  # the call after unhang(): a whole handshake, on a loaded machine


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


def jos_board(fs_dir: Path) -> VirtualBoard:
    return VirtualBoard("jumperlos", fs_dir=fs_dir).start()


async def test_single_path_hung_at_first_contact_recovers(tmp_path: Path) -> None:
    """`--port /dev/ttyACM0` style: which port it is, is found by talking to it; it does not answer at first."""
    boards = {role: jos_board(tmp_path / role) for role in ("main", "repl")}
    channels = {"main": "main-oneliner", "repl": "raw-repl"}
    try:

        async def hang_then_recover(role: str) -> None:
            virtual = boards[role]
            path = virtual.main_path if role == "main" else virtual.repl_path
            assert path is not None
            virtual.hang()
            session = Session(Target(path), timeout=LIMIT)
            try:
                with pytest.raises(ConnectionProblem) as first:
                    await session.run(["print(1)"])
                assert not isinstance(first.value, BoardBusy), first.value
                virtual.unhang()
                reply = await session.run(["print(6 * 7)"], timeout=RECOVERY)  # no BoardBusy from our own lock
                assert reply.stdout.strip() == "42"
                assert session.channel == channels[role]
                assert session.ports is not None and getattr(session.ports, role) == path
                # the hung call ended at its own timeout, saying so
                assert isinstance(first.value, BoardTimeout)
                assert f"connecting within the call's {LIMIT:g} s timeout" in str(first.value)
            finally:
                await session.close()

        async with anyio.create_task_group() as group:
            for role in boards:
                group.start_soon(hang_then_recover, role)
    finally:
        for virtual in boards.values():
            virtual.stop()


async def test_hung_board_calls_end_within_their_timeout(tmp_path: Path) -> None:
    """F4: a hung firmware with a short timeout; every call ends near its timeout, with a true message, both
    through the Board API and as an MCP tool call with the server's configured timeout (one board for both)."""
    from mcp_harness import serve

    virtual = jos_board(tmp_path / "fs")
    try:
        async with serve(virtual, timeout=LIMIT) as h:
            board = h.board
            assert await board.node("D13") == 83
            started = time.monotonic()
            with pytest.raises(BoardTimeout) as healthy:  # a board that answers the interrupt
                await board.probe_read(timeout=0.2)
            assert time.monotonic() - started < 0.2 + SLACK
            assert str(healthy.value).endswith(
                "it was interrupted, and the channel is checked before the next call runs"
            )
            assert healthy.value.interrupted is True and healthy.value.ready is False
            assert board.session.connected and board.health().level == "degraded"
            assert await board.node("D12") == 82  # checked, then run
            assert board.health().level == "healthy"  # the check and the call that followed it went right

            virtual.hang()
            started = time.monotonic()
            first = await h.error("is_connected", node1=1, node2=2)  # the server's timeout: LIMIT
            assert time.monotonic() - started < LIMIT + SLACK  # the call ends at its timeout: no resync inside it
            assert first["kind"] == "board_timeout" and first["retryable"] is True
            assert first["error"] == (
                f"the board did not finish within {LIMIT:g} s; it was interrupted, and the channel is checked "
                "before the next call runs"
            )
            assert board.session.connected
            started = time.monotonic()
            second = await h.error("is_connected", node1=1, node2=2)  # the check fails within this call's timeout
            assert time.monotonic() - started < LIMIT + SLACK
            message = second["error"]
            assert message.startswith("the board was not ready after the last call timed out: interrupting it failed (")
            assert "the link was closed; the next call reconnects" in message and "resynchronised" not in message
            assert not board.session.connected

            for _ in range(2):  # reconnecting inside a call is bounded by the call's timeout
                started = time.monotonic()
                with pytest.raises(BoardTimeout, match=f"reconnecting within the call's {LIMIT:g} s timeout") as later:
                    await board.node("D2")
                assert time.monotonic() - started < LIMIT + SLACK
                assert later.value.ready is False
            started = time.monotonic()
            again = await h.error("is_connected", node1=1, node2=2)
            assert time.monotonic() - started < LIMIT + SLACK
            assert again["kind"] == "board_timeout" and "reconnecting within the call's" in again["error"]

            virtual.unhang()
            assert await board.node("D3", timeout=RECOVERY) == 73
            assert board.session.connected and board.health().reconnects == 1
            assert (await h.ok("is_connected", node1=1, node2=2))["connected"] is False
    finally:
        virtual.stop()


async def test_cancelled_port_open_leaves_nothing_held(tmp_path: Path) -> None:
    """A call's timeout can land while the OS opens the port: the lock file and the port are both let go."""
    virtual = jos_board(tmp_path / "fs")
    try:
        link = SerialLink(virtual.main_path)
        with anyio.move_on_after(0) as scope:
            await link.open()
        assert scope.cancelled_caught and not link.is_open
        again = SerialLink(virtual.main_path)
        with anyio.fail_after(RECOVERY):
            while True:  # the worker thread may still be opening the port it then closes
                try:
                    await again.open()
                    break
                except BoardBusy as exc:
                    assert exc.pid is None, exc  # our own PID: the lock file was kept
                    await anyio.sleep(0.01)
        await again.write(b"?\n")
        assert b"firmware version" in await again.read_until(VERSION_REPLY, 5)
        await again.close()
    finally:
        virtual.stop()


async def test_a_board_that_stops_hanging_is_reconnected_after_the_backoff_has_grown(tmp_path: Path) -> None:
    """Waiting out the reconnect backoff must leave the attempt most of the call's budget. Otherwise, once the
    backoff nears the timeout, each attempt gets a sliver, fails, and the board never comes back (seen with
    timeout=2 s: every call after unhang() timed out for as long as it was tried)."""
    from jumperless_mcp.bench.board import Board
    from jumperless_mcp.errors import JumperlessError

    limit = 0.4
    virtual = VirtualBoard("legacy", fs_dir=tmp_path / "fs", time_scale=0.05).start()
    virtual.hang()  # before the first contact: every attempt is a handshake the call's limit cuts
    try:
        async with Board(virtual.info(), timeout=limit, eager=False) as board:
            board.session.max_backoff = limit  # the backoff grows to the whole timeout after three attempts
            hung_until = time.monotonic() + 6 * limit
            while time.monotonic() < hung_until:
                with pytest.raises(JumperlessError):
                    await board.dac_get(0)
                await anyio.sleep(0.02)
            virtual.unhang()
            answered = None
            for _ in range(150):  # calls 0.02 s apart for several seconds, each bounded by the timeout
                try:
                    answered = await board.dac_get(0)
                    break
                except JumperlessError:
                    await anyio.sleep(0.02)
            assert answered == 0.0, "the board answers again, but the session never reconnected"
    finally:
        virtual.stop()


def test_an_error_inside_the_virtual_board_is_reported_and_the_board_keeps_answering(tmp_path: Path) -> None:
    """An emulator bug must not silently kill the board thread (the host then waits out every timeout): it is
    logged, kept in `crashes` for the tests' fixtures to report, and the board answers the next request."""
    from serial_clients import RawRepl

    virtual = jos_board(tmp_path / "fs")
    try:
        assert virtual.repl is not None
        service = virtual.repl.service
        failures = iter([RuntimeError("an emulator bug")])

        def failing_once() -> None:
            failure = next(failures, None)
            if failure is not None:
                raise failure
            service()

        virtual.repl.service = failing_once  # type: ignore[method-assign]  # fault injection into the emulator
        with RawRepl(virtual.repl_path) as repl:  # type: ignore[arg-type]
            stdout, stderr = repl.exec("print(6 * 7)")
        assert stdout.strip() == "42" and stderr == ""
        assert len(virtual.crashes) == 1 and "an emulator bug" in virtual.crashes[0]
    finally:
        virtual.stop()
