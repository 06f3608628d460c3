"""Ctrl-C (SIGINT) and SIGTERM stop the stdio server at once, from a pipe or a terminal, and free the board.

The SDK's stdio transport read stdin in a worker thread that a shutdown had to wait for, so Ctrl-C did
nothing until a line arrived; SIGTERM killed the process without closing the board. These run the real
command on a virtual board's port, signal it idle or with a call in flight, and then open the same port
from this process: it must be free, and the board must answer right.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from stdio_harness import server_command, server_env

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard

EXIT_BOUND = 5.0  # seconds from the signal to the exit; typically ~0.3 s
# Started from a terminal, a program gets SIGINT's default action; a test run started in the background of a
# shell ignores SIGINT, and its children inherit that. This puts the default back, then runs the server.
AS_FROM_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
]


class Served:
    """`jumperless-mcp serve` on a board's port, its stdin a pipe held open or a pseudo-terminal."""

    def __init__(self, tmp_path: Path, port: str, stdin: str, *args: str) -> None:
        self.stderr_path = tmp_path / "serve.stderr"
        self.terminal: int | None = None
        if stdin == "pty":
            self.terminal, child_end = os.openpty()
        self.process = subprocess.Popen(
            [*AS_FROM_A_TERMINAL, *server_command(), "serve", "--port", port, *args],
            stdin=child_end if self.terminal is not None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("w"),
            env=server_env(tmp_path),
            cwd=tmp_path,
        )
        if self.terminal is not None:
            os.close(child_end)

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        if self.terminal is not None:
            os.write(self.terminal, data)
        else:
            assert self.process.stdin is not None
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def receive(self, request_id: int) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            assert line, f"server closed stdout; stderr:\n{self.stderr_path.read_text()}"
            message = json.loads(line)
            if message.get("id") == request_id:
                return message

    def initialize(self) -> None:
        client = {"name": "signal-test", "version": "0"}
        params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client}
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
        self.receive(1)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call(self, request_id: int, name: str, arguments: dict[str, Any]) -> None:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
        )

    def stop(self, signum: int) -> float:
        """Send the signal; seconds until the process exited (the stdin pipe or terminal stays open)."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=EXIT_BOUND)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"still running {EXIT_BOUND} s after {signal.Signals(signum).name}")
        return time.monotonic() - sent

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.terminal is not None:
            os.close(self.terminal)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


async def _board_answers(port: str) -> dict[str, Any]:
    async with Board(port, timeout=5) as board:
        return {"firmware": board.firmware, "dac1": await board.dac_get(1)}


@pytest.mark.parametrize(
    ("stdin", "signum", "in_flight"),
    [("pipe", signal.SIGINT, True), ("pty", signal.SIGINT, False), ("pipe", signal.SIGTERM, False)],
    ids=["sigint-pipe-call-in-flight", "sigint-terminal", "sigterm-pipe"],
)
def test_a_signal_stops_the_stdio_server_and_frees_the_board(
    tmp_path: Path, jos_board: VirtualBoard, stdin: str, signum: int, in_flight: bool
) -> None:
    assert jos_board.main_path is not None
    served = Served(tmp_path, jos_board.main_path, stdin, "--allow-python", "--no-safe-state")  # DAC1 kept
    try:
        served.initialize()
        served.call(2, "dac_set", {"channel": "DAC1", "voltage": 1.25})
        assert served.receive(2)["result"].get("isError") is not True
        if in_flight:  # a long call the signal must interrupt: the board is left ready for the next host
            served.call(3, "exec_python", {"code": "import time\nfor _ in range(600): time.sleep(0.05)"})
            time.sleep(0.5)
        elapsed = served.stop(signum)
    finally:
        served.close()
    stderr = served.stderr_path.read_text()
    assert served.process.returncode == 0, stderr
    assert elapsed < EXIT_BOUND
    assert "Traceback" not in stderr and "stopped" in stderr
    answers = anyio.run(_board_answers, jos_board.main_path)  # the port's lock is free right away
    assert answers == {"firmware": jos_board.firmware, "dac1": pytest.approx(1.25)}
