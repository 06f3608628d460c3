"""Long fault runs that need a wall clock or a separate process, so they live only in the benchmark.

* a hung board under a short per-call timeout: how long each call takes (it must stay near its timeout,
  reconnecting included) and how soon the board answers after it un-hangs;
* HTTP sessions opened and closed against a `serve --http` subprocess: its resident memory after each wave
  (closed sessions must be released);
* Ctrl-C and SIGTERM to a stdio server (as started from a terminal), idle or with a call in flight: how soon it
  exits, and whether the board is free and in the safe state right after.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import anyio
from fault_scenarios import virtual
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from stdio_harness import Served

from jumperless_mcp.bench.board import Board
from jumperless_mcp.errors import JumperlessError

SERVER = [sys.executable, "-m", "jumperless_mcp", "serve", "--port", "emulator"]


async def hung_board(persona: str, calls: int, timeout: float, fs_dir: Path) -> list[str]:
    """`calls` calls on a hung board with Board(timeout=...), then the time to the first answer after unhang."""
    vboard = virtual(persona, fs_dir)
    try:
        async with Board(vboard.info(), timeout=timeout) as board:
            await board.dac_get(0)
            vboard.hang()
            durations: list[float] = []
            kinds: Counter[str] = Counter()
            for _ in range(calls):
                started = time.monotonic()
                try:
                    await board.dac_get(0)
                    kinds["answered"] += 1
                except JumperlessError as exc:
                    kinds[type(exc).__name__] += 1
                durations.append(time.monotonic() - started)
            vboard.unhang()
            started = time.monotonic()
            while True:
                try:
                    await board.dac_get(0)
                    break
                except JumperlessError:
                    if time.monotonic() - started > 30:
                        raise
            recovered = time.monotonic() - started
    finally:
        vboard.stop()
    later = durations[1:] or durations
    return [
        f"hung board {persona} (timeout={timeout:g} s): {calls} calls; first {durations[0]:.2f} s, "
        f"later median {statistics.median(later):.2f} s, max {max(later):.2f} s; "
        f"answered {recovered:.2f} s after unhang",
        "  outcomes: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()),
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc; elsewhere `ps`)."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        line = next(line for line in status.read_text().splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True, check=True).stdout
    return int(out.strip()) / 1024


async def http_sessions(waves: int, per_wave: int) -> list[str]:
    """Open and close `per_wave` sessions `waves` times; the server's memory after each wave."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with tempfile.TemporaryDirectory(prefix="jumperless-http-") as tmp:
        env = {**os.environ, "JUMPERLESS_LOCK_DIR": tmp}
        server = subprocess.Popen([*SERVER, "--http", str(port)], env=env, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):  # until it listens
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                        break
                except OSError:
                    await anyio.sleep(0.05)

            async def one_session() -> None:
                async with Client(streamable_http_client(url), mode="legacy") as client:  # initialize handshake
                    await client.call_tool("dac_get", {"channel": "DAC0"})

            await one_session()
            sizes = [_rss_mb(server.pid)]
            for _ in range(waves):
                for _ in range(per_wave):
                    await one_session()
                sizes.append(_rss_mb(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=10)
    steps = " -> ".join(f"{size:.0f}" for size in sizes)
    return [f"http sessions: {waves} waves of {per_wave} opened and closed; server RSS {steps} MB"]


async def signal_exits(persona: str, runs: int, fs_dir: Path) -> list[str]:
    """`runs` stdio servers on one virtual board, each energised (TOP_RAIL 3.3 V) and stopped by SIGINT or SIGTERM
    in turn, every other one with a call in flight; the time from the signal to the exit, then whether the port
    opens at once and TOP_RAIL reads 0 V (the safe state is on by default)."""
    vboard = virtual(persona, fs_dir)
    exits: dict[str, list[float]] = {"SIGINT": [], "SIGTERM": []}
    problems: Counter[str] = Counter()
    try:
        port = vboard.main_path
        assert port is not None
        with tempfile.TemporaryDirectory(prefix="jumperless-signals-") as tmp:
            for run in range(runs):
                signum = signal.SIGINT if run % 2 == 0 else signal.SIGTERM
                served = Served(Path(tmp), port, "pipe", "--allow-python")  # the safe state on: the default
                try:
                    served.initialize()
                    served.call(2, "dac_set", {"channel": "TOP_RAIL", "voltage": 3.3})
                    if served.receive(2)["result"].get("isError"):
                        problems["dac_set failed"] += 1
                    if run % 4 >= 2:  # a call in flight
                        served.call(3, "exec_python", {"code": "import time\nfor _ in range(600): time.sleep(0.05)"})
                        await anyio.sleep(0.5)
                    exits[signal.Signals(signum).name].append(served.stop(signum, 10.0))
                    if served.process.returncode != 0:
                        problems[f"exit status {served.process.returncode}"] += 1
                except TimeoutError as exc:
                    problems[str(exc)] += 1
                finally:
                    served.close()
                try:
                    async with Board(port, timeout=5) as board:
                        if abs(await board.dac_get("TOP_RAIL")) > 0.01:
                            problems["TOP_RAIL not 0 V after the exit"] += 1
                except JumperlessError as exc:
                    problems[f"the port after the exit: {type(exc).__name__}"] += 1
    finally:
        vboard.stop()

    def figures(times: list[float]) -> str:
        if not times:
            return "none"
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return f"median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s (n={len(ordered)})"

    return [
        f"signals to a stdio server {persona}: {runs} runs, half with a call in flight",
        f"  SIGINT to exit: {figures(exits['SIGINT'])}; SIGTERM to exit: {figures(exits['SIGTERM'])}",
        "  problems: " + (", ".join(f"{what} {n}" for what, n in problems.most_common()) or "none"),
    ]
