"""The MCP server's safe state (issue 17 section 4), through the real server on a virtual board's pty.

The stdio server runs as a subprocess (`jumperless-mcp serve --port <pty>`), driven by the SDK's client
(tests/stdio_harness.py) or, for signals, by raw JSON-RPC lines (tests/test_stdio_signals.py's `Served`);
the HTTP server runs in this process. After each way of leaving, the virtual board's model must show the
rails and DACs at 0 V, the waveform generator and PWM off, and the bridge still there; with the setting off
nothing changes. The idle (dead-man) timer is configured short here; waits poll with generous bounds.
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from stdio_harness import Served, Stdio, spawn

from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import serve_http
from jumperless_mcp.settings.config import Config

SETTLE_BOUND = 10.0  # seconds a change may take to show (typically well under 0.5 s)


async def energise(stdio: Stdio) -> None:
    await stdio.ok("dac_set", channel="TOP_RAIL", voltage=3.3)
    await stdio.ok("dac_set", channel="BOTTOM_RAIL", voltage=-2.0)
    await stdio.ok("dac_set", channel="DAC0", voltage=1.5)
    await stdio.ok("pwm_start", pin=1, frequency=1000.0)
    await stdio.ok("wavegen_start")
    assert (await stdio.ok("connect", node1=12, node2=40))["ok"]


def energised(vboard: VirtualBoard) -> bool:
    model = vboard.model
    return (
        any(model.power[key] != 0.0 for key in ("dac0", "dac1", "top_rail", "bottom_rail"))
        or model.wavegen.running
        or any(pin.pwm_frequency is not None for pin in model.gpio)
    )


def assert_safe(vboard: VirtualBoard) -> None:
    model = vboard.model
    assert [model.power[key] for key in ("dac0", "dac1", "top_rail", "bottom_rail")] == [0.0] * 4
    assert not model.wavegen.running
    assert all(pin.pwm_frequency is None for pin in model.gpio)
    assert model.is_connected(12, 40), "bridges stay"


def wait_safe(vboard: VirtualBoard) -> None:
    deadline = time.monotonic() + SETTLE_BOUND
    while energised(vboard) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_safe(vboard)


async def await_safe(vboard: VirtualBoard) -> None:
    with anyio.move_on_after(SETTLE_BOUND):
        while energised(vboard):
            await anyio.sleep(0.05)
    assert_safe(vboard)


def board_entry(boards: dict[str, Any]) -> dict[str, Any]:
    [entry] = boards["boards"]
    return entry


async def test_client_disconnecting_makes_the_board_safe_and_boards_shows_it_armed(
    tmp_path: Path, jos_board: VirtualBoard
) -> None:
    assert jos_board.main_path is not None
    async with spawn(tmp_path, "serve", "--port", jos_board.main_path) as stdio:
        await energise(stdio)
        result = await stdio.result("boards", ping=False)
        safe = board_entry(result.structured_content)["safe_state"]  # type: ignore[arg-type]
        assert safe == {"armed": True, "idle_safe_after": 1800.0, "idle_left_s": 1800.0, "last": None}
        assert "safe state armed, idle timer 1800 s" in result.content[0].text  # type: ignore[union-attr]
        assert energised(jos_board)
    wait_safe(jos_board)
    stderr = (tmp_path / "server.stderr").read_text()
    assert "safe state" in stderr and "TOP_RAIL 3.3 V" in stderr and "Traceback" not in stderr


async def test_with_safe_state_off_leaving_changes_nothing(tmp_path: Path, jos_board: VirtualBoard) -> None:
    assert jos_board.main_path is not None
    async with spawn(tmp_path, "serve", "--port", jos_board.main_path, "--no-safe-state") as stdio:
        await energise(stdio)
        assert "safe_state" not in board_entry(await stdio.ok("boards", ping=False))
    time.sleep(0.5)
    model = jos_board.model
    assert model.power["top_rail"] == pytest.approx(3.3) and model.wavegen.running
    assert model.gpio[0].pwm_frequency == 1000.0 and model.is_connected(12, 40)


@pytest.mark.parametrize(
    ("signum", "in_flight"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["sigterm", "sigint-call-in-flight"],
)
def test_a_signal_makes_the_board_safe_before_the_server_exits(
    tmp_path: Path, jos_board: VirtualBoard, signum: int, in_flight: bool
) -> None:
    assert jos_board.main_path is not None
    served = Served(tmp_path, jos_board.main_path, "pipe", "--allow-python")
    try:
        served.initialize()
        requests = [
            ("dac_set", {"channel": "TOP_RAIL", "voltage": 3.3}),
            ("dac_set", {"channel": "DAC1", "voltage": 1.25}),
            ("pwm_start", {"pin": 2, "frequency": 50.0}),
            ("wavegen_start", {}),
            ("connect", {"node1": 12, "node2": 40}),
        ]
        for number, (name, arguments) in enumerate(requests, start=2):
            served.call(number, name, arguments)
            assert served.receive(number)["result"].get("isError") is not True
        assert energised(jos_board)
        if in_flight:  # a long script the signal interrupts; the safe state follows within the exit bound
            served.call(9, "exec_python", {"code": "import time\nfor _ in range(600): time.sleep(0.05)"})
            time.sleep(0.5)
        served.stop(signum)  # the stdin pipe stays open: the signal alone stops it
    finally:
        served.close()
    stderr = served.stderr_path.read_text()
    assert served.process.returncode == 0, stderr
    assert_safe(jos_board)  # done before the exit, not after
    assert "the server is stopping" in stderr and "Traceback" not in stderr


async def test_idle_timer_fires_only_when_energised_and_idle(tmp_path: Path, jos_board: VirtualBoard) -> None:
    assert jos_board.main_path is not None
    # a 2 s timer: the calls below come 0.2 s apart, so only a stall of 2 s on a loaded machine would fire it
    async with spawn(tmp_path, "serve", "--port", jos_board.main_path, "--idle-safe-after", "2") as stdio:
        # nothing energised (PWM alone is not): idle periods pass and nothing is touched
        await stdio.ok("dac_set", channel="TOP_RAIL", voltage=0.0)  # the board starts with it at 3.3 V
        await stdio.ok("pwm_start", pin=1, frequency=1000.0)
        await stdio.ok("connect", node1=12, node2=40)
        await anyio.sleep(2.8)
        assert jos_board.model.gpio[0].pwm_frequency == 1000.0
        assert board_entry(await stdio.ok("boards", ping=False))["safe_state"]["last"] is None
        # energised while calls keep coming (0.2 s apart, the timer is 2 s): nothing is touched
        await energise(stdio)
        for _ in range(8):
            await anyio.sleep(0.2)
            await stdio.ok("dac_get", channel="TOP_RAIL")
        assert jos_board.model.power["top_rail"] == pytest.approx(3.3)
        # then idle: the dead-man timer puts the board in the safe state, the client still connected
        await await_safe(jos_board)
        # the board is safe as soon as its batch ran; the server records it once the board's report is read back
        with anyio.move_on_after(SETTLE_BOUND):
            while (safe := board_entry(await stdio.ok("boards", ping=False))["safe_state"])["last"] is None:
                await anyio.sleep(0.05)
        assert safe["armed"] and safe["idle_safe_after"] == 2.0
        assert safe["last"].startswith("no tool call for") and "TOP_RAIL 3.3 V" in safe["last"]
    assert "no tool call for 2 s, but nothing energised: left as it is" in (tmp_path / "server.stderr").read_text()


async def test_http_last_session_closing_makes_the_board_safe(jos_board: VirtualBoard) -> None:
    assert jos_board.main_path is not None
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    ready = anyio.Event()
    urls: list[str] = []

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    config = Config(port=jos_board.main_path, http=f"127.0.0.1:{sock.getsockname()[1]}", timeout=5.0)
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: serve_http(config, sock=sock, on_ready=on_ready))
        with anyio.fail_after(SETTLE_BOUND):
            await ready.wait()
        for _ in range(2):  # two clients: the first leaving changes nothing, the last makes it safe
            async with Client(streamable_http_client(urls[0]), mode="legacy") as first:
                async with Client(streamable_http_client(urls[0]), mode="legacy") as second:
                    await second.call_tool("dac_set", {"channel": "TOP_RAIL", "voltage": 3.3})
                    await second.call_tool("wavegen_start", {})
                    await second.call_tool("connect", {"node1": 12, "node2": 40})
                await anyio.sleep(0.5)
                assert jos_board.model.power["top_rail"] == pytest.approx(3.3)
                await first.call_tool("boards", {"ping": False})
            await await_safe(jos_board)
        group.cancel_scope.cancel()
    sock.close()
