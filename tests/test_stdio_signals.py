"""Ctrl-C (SIGINT) and SIGTERM stop the stdio server at once, from a pipe or a terminal, and free the board.

The SDK's stdio transport read stdin in a worker thread that a shutdown had to wait for, so Ctrl-C did
nothing until a line arrived; SIGTERM killed the process without closing the board. These run the real
command on a virtual board's port, signal it idle or with a call in flight, and then open the same port
from this process: it must be free, and the board must answer right.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from stdio_harness import EXIT_BOUND, Served

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard


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
