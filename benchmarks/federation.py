"""What serving several boards from one server costs: list size, call latency, parallelism, memory (one run).

Every virtual board (JumperlOS persona) runs in its own `jumperless-mcp emulate` process, so neither the
server's CPU nor its memory includes the emulators. For 1, 2, 4 and 8 boards:

1. `tools/list`: tools offered, size of the result as sent on the wire (JSON bytes; tokens ~ bytes / 4) and
   the median time of one round trip (in-process SDK client, `mode="legacy"`, like Claude Code).
2. A trivial read (`dac_get`, wire name `b1_dac_get` with several boards): median and p90 through the MCP
   server vs `Board.dac_get` directly on the same board, in alternating blocks so noise hits both alike,
   and the same tool spread round-robin over every board.
3. Parallelism: N boards x K calls run serially, vs one task per board at once, vs N tasks at once all on
   board 1. Each board has its own lock, so calls to different boards overlap while calls to one board
   queue. Measured twice: with `dac_get` (the board answers in well under a millisecond, so the server
   process's CPU is the limit, and overlapping MCP work helps one board as much as several) and with a
   board-bound call (`exec_python` sleeping --board-ms on the board, allow_python on), where the board is
   the limit and only different boards run in parallel.
4. Memory of the real server: `jumperless-mcp --board b1=<repl pty> ...` spawned on stdio (empty temporary
   XDG dirs, so no user config is read), driven with the SDK stdio client (tools/list, the trivial call on
   every board, `boards`), then VmRSS and VmHWM from /proc/<pid>/status; per-board increment vs 1 board.
   Also the time from spawn until it answered `initialize` (every board opened; a bare REPL pty path costs
   a main-port probe timeout before its role is known) and the median stdio round trip of dac_get.

Run: .venv/bin/python benchmarks/federation.py [--boards 1 2 4 8] [--rounds 20] [--calls 200]
     [--concurrent-calls 25] [--slow-calls 10] [--board-ms 10] [--no-memory] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, ClientSession, StdioServerParameters, stdio_client

from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember, make_board
from jumperless_mcp.serving.server import federation_server
from jumperless_mcp.settings.config import Config

TRIVIAL = "dac_get"
ARGUMENTS = {"channel": 0}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def server_command() -> list[str]:
    """The installed console script next to this Python (what users register), else `python -m`."""
    script = Path(sys.executable).with_name("jumperless-mcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jumperless_mcp"]


def clean_env(tmp: Path) -> dict[str, str]:
    """Config, state and lock dirs inside tmp: no user config is read, no user lock dir is written."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "TMPDIR") if key in os.environ}
    env.update(
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_STATE_HOME=str(tmp / "state"),
        JUMPERLESS_LOCK_DIR=str(tmp / "locks"),
        PYTHONUNBUFFERED="1",
    )
    return env


@contextlib.contextmanager
def emulators(count: int, tmp: Path) -> Iterator[list[dict[str, Any]]]:
    """`count` virtual boards, each in its own `jumperless-mcp emulate` process; yields their port mappings."""
    processes: list[subprocess.Popen[str]] = []
    try:
        for index in range(count):
            processes.append(
                subprocess.Popen(
                    [*server_command(), "emulate", "--fs-dir", str(tmp / f"fs{index}")],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    env=clean_env(tmp),
                )
            )
        infos = []
        for process in processes:
            line = process.stdout.readline() if process.stdout else ""
            if not line:
                raise RuntimeError(f"jumperless-mcp emulate (pid {process.pid}) printed no port mapping")
            infos.append(json.loads(line))
        yield infos
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wire_bytes(result: Any) -> int:
    return len(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True)).encode())


def board_names(count: int) -> list[str]:
    return [f"b{index + 1}" for index in range(count)]


def wire_name(board: str, count: int, tool: str = TRIVIAL) -> str:
    return tool if count == 1 else f"{board}_{tool}"


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def summary(samples: list[float]) -> dict[str, float]:
    """Median and p90 in ms."""
    return {"median_ms": ms(statistics.median(samples)), "p90_ms": ms(statistics.quantiles(samples, n=10)[8])}


async def timed(samples: list[float], call: Callable[[], Awaitable[Any]]) -> None:
    started = time.perf_counter()
    await call()
    samples.append(time.perf_counter() - started)


async def checked_call(client: Client, name: str, arguments: dict[str, Any] = ARGUMENTS) -> None:
    result = await client.call_tool(name, arguments)
    if result.is_error:
        raise RuntimeError(f"{name} failed: {result.content}")


# --- 1 to 3: in-process --------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def serving(infos: list[dict[str, Any]], config: Config) -> AsyncIterator[tuple[list[LocalMember], Client]]:
    """A federation of boards b1..bN on these emulators, and an in-process client of its MCP server."""
    members = [
        LocalMember(name, config, board=make_board(config, info))
        for name, info in zip(board_names(len(infos)), infos, strict=True)
    ]
    federation = Federation(members)
    try:
        await federation.start()
        async with Client(federation_server(federation, environ={}), mode="legacy") as client:
            yield members, client
    finally:
        await federation.aclose()


async def in_process(infos: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    count = len(infos)
    wires = [wire_name(name, count) for name in board_names(count)]
    row: dict[str, Any] = {"boards": count}
    async with serving(infos, Config().validated()) as (members, client):
        times: list[float] = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            listed = await client.list_tools()
            times.append(time.perf_counter() - started)
        size = wire_bytes(listed)
        row["list"] = {
            "tools": len(listed.tools),
            "bytes": size,
            "tokens": size // 4,
            "median_ms": ms(statistics.median(times)),
        }

        board = members[0].board
        direct: list[float] = []
        tool: list[float] = []
        blocks = 5
        for _ in range(blocks):
            for _ in range(args.calls // blocks):
                await timed(direct, lambda: board.dac_get(0))
            for _ in range(args.calls // blocks):
                await timed(tool, lambda: checked_call(client, wires[0]))
        spread: list[float] = []
        for index in range(args.calls):
            await timed(spread, lambda wire=wires[index % count]: checked_call(client, wire))
        ratio = statistics.median(tool) / statistics.median(direct)
        row["call"] = {
            "tool": wires[0],
            "board": summary(direct),
            "mcp": summary(tool),
            "ratio": round(ratio, 2),
            "round_robin": summary(spread),
        }
        row["parallel_trivial"] = await parallelism(client, wires, TRIVIAL, ARGUMENTS, args.concurrent_calls)
    slow = {"code": f"import time\ntime.sleep({args.board_ms / 1000})"}
    async with serving(infos, replace(Config(), allow_python=True).validated()) as (_, client):
        wires = [wire_name(name, count, "exec_python") for name in board_names(count)]
        row["parallel_board_bound"] = await parallelism(client, wires, "exec_python", slow, args.slow_calls)
    return row


async def parallelism(
    client: Client, wires: list[str], tool: str, arguments: dict[str, Any], calls: int
) -> dict[str, Any]:
    """N boards x `calls`: serial, one task per board at once, and N tasks at once all on board 1."""

    async def run(wire: str) -> None:
        for _ in range(calls):
            await checked_call(client, wire, arguments)

    async def together(targets: list[str]) -> None:
        async with anyio.create_task_group() as group:
            for wire in targets:
                group.start_soon(run, wire)

    serial: list[float] = []
    spread: list[float] = []
    same: list[float] = []
    for _ in range(3):
        started = time.perf_counter()
        for wire in wires:
            await run(wire)
        serial.append(time.perf_counter() - started)
        await timed(spread, lambda: together(wires))
        await timed(same, lambda: together([wires[0]] * len(wires)))
    s, p, o = statistics.median(serial), statistics.median(spread), statistics.median(same)
    return {
        "tool": tool,
        "calls": calls * len(wires),
        "serial_ms": ms(s),
        "concurrent_boards_ms": ms(p),
        "speedup_boards": round(s / p, 2),
        "concurrent_one_board_ms": ms(o),
        "speedup_one_board": round(s / o, 2),
    }


# --- 4: memory of the stdio server --------------------------------------------------------------------------
def server_pid(marker: str) -> int:
    """Our child process whose command line holds `marker` (stdio_client does not expose the pid)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if stat.rpartition(")")[2].split()[1] == me and marker in cmdline:
            return int(entry.name)
    raise RuntimeError(f"no child process with {marker!r} in its command line")


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


async def stdio_memory(infos: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    count = len(infos)
    names = board_names(count)
    flags = [part for name, info in zip(names, infos, strict=True) for part in ("--board", f"{name}={info['repl']}")]
    command = server_command()
    marker = f"--board b1={infos[0]['repl']}"
    params = StdioServerParameters(
        command=command[0], args=[*command[1:], *flags, "--log-level", "warning"], env=clean_env(tmp), cwd=str(tmp)
    )
    with open(tmp / f"server{count}.stderr", "w") as errlog, anyio.fail_after(120):
        started = time.perf_counter()
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            ready = time.perf_counter() - started
            listed = await session.list_tools()
            wires = [wire_name(name, count) for name in names]
            for wire in wires:  # every board answers over stdio before anything is measured
                result = await session.call_tool(wire, ARGUMENTS)
                if result.is_error:
                    raise RuntimeError(f"{wire} failed over stdio: {result.content}")
            calls: list[float] = []
            for index in range(50):
                await timed(calls, lambda wire=wires[index % count]: session.call_tool(wire, ARGUMENTS))
            health = await session.call_tool("boards", {"ping": True})
            up = sum(board["level"] == "healthy" for board in (health.structured_content or {}).get("boards", []))
            if up != count:
                raise RuntimeError(f"only {up} of {count} boards healthy: {health.content}")
            memory = memory_kib(server_pid(marker))
    return {
        "boards": count,
        "tools": len(listed.tools),
        "ready_s": round(ready, 2),
        "stdio_call_median_ms": ms(statistics.median(calls)),
        "rss_mib": round(memory["VmRSS"] / 1024, 1),
        "hwm_mib": round(memory["VmHWM"] / 1024, 1),
    }


# --- report -------------------------------------------------------------------------------------------------
def table_row(cells: tuple[object, ...]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def markdown(results: dict[str, Any]) -> str:
    rows = results["in_process"]
    out = ["### tools/list (in-process client, full mode)", ""]
    out += ["| boards | tools | bytes | ~tokens | median ms |", "|---:|---:|---:|---:|---:|"]
    for row in rows:
        listed = row["list"]
        cells = (row["boards"], listed["tools"], listed["bytes"], listed["tokens"], f"{listed['median_ms']:.2f}")
        out.append(table_row(cells))
    out += ["", "### Trivial call `dac_get` (ms; in-process client vs `Board` directly, same run)", ""]
    out += [
        "| boards | tool | Board median | Board p90 | MCP median | MCP p90 | MCP/Board | round-robin median "
        "| round-robin p90 |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        call = row["call"]
        b, m, r = call["board"], call["mcp"], call["round_robin"]
        out.append(
            f"| {row['boards']} | `{call['tool']}` | {b['median_ms']:.3f} | {b['p90_ms']:.3f} | {m['median_ms']:.3f} | "
            f"{m['p90_ms']:.3f} | {call['ratio']:.2f}x | {r['median_ms']:.3f} | {r['p90_ms']:.3f} |"
        )
    titles = {
        "parallel_trivial": "`dac_get` (bound by the server process's CPU)",
        "parallel_board_bound": f"board-bound `exec_python` sleeping {results['board_ms']:g} ms on the board",
    }
    for key, title in titles.items():
        out += ["", f"### Parallelism, {title}: N boards x K calls (wall ms, median of 3)", ""]
        out += [
            "| boards | calls | serial | one task per board | speedup | N tasks on board 1 | speedup |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows:
            par = row[key]
            cells = (
                row["boards"],
                par["calls"],
                f"{par['serial_ms']:.1f}",
                f"{par['concurrent_boards_ms']:.1f}",
                f"{par['speedup_boards']:.2f}x",
                f"{par['concurrent_one_board_ms']:.1f}",
                f"{par['speedup_one_board']:.2f}x",
            )
            out.append(table_row(cells))
    memory = results.get("memory")
    if memory:
        base = memory[0]
        out += [
            "",
            "### Server process memory (`jumperless-mcp --board ...` on stdio, emulators in other processes)",
            "",
        ]
        out += [
            "| boards | tools | ready s | stdio call median ms | VmRSS MiB | VmHWM MiB "
            f"| RSS per board vs {base['boards']} |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in memory:
            extra = row["boards"] - base["boards"]
            per = f"{(row['rss_mib'] - base['rss_mib']) / extra:+.2f} MiB" if extra else "-"
            out.append(
                f"| {row['boards']} | {row['tools']} | {row['ready_s']:.2f} | {row['stdio_call_median_ms']:.3f} | "
                f"{row['rss_mib']:.1f} | {row['hwm_mib']:.1f} | {per} |"
            )
    return "\n".join(out)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boards", type=int, nargs="+", default=[1, 2, 4, 8], help="board counts to measure")
    parser.add_argument("--rounds", type=int, default=20, help="tools/list round trips per board count")
    parser.add_argument("--calls", type=int, default=200, help="trivial calls per variant (Board, MCP, round-robin)")
    parser.add_argument(
        "--concurrent-calls", type=int, default=25, help="dac_get calls per task in the parallelism runs"
    )
    parser.add_argument("--slow-calls", type=int, default=10, help="board-bound calls per task in the parallelism runs")
    parser.add_argument(
        "--board-ms", type=float, default=10.0, help="how long each board-bound call sleeps on the board"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip spawning the stdio server (part 3)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    args = parser.parse_args()
    if min(args.boards) < 1 or args.calls < 10 or min(args.rounds, args.concurrent_calls, args.slow_calls) < 1:
        parser.error("--boards must be >= 1, --calls >= 10, --rounds, --concurrent-calls and --slow-calls >= 1")
    if args.board_ms <= 0:
        parser.error("--board-ms must be positive")
    started = time.perf_counter()
    results: dict[str, Any] = {"in_process": [], "memory": [], "board_ms": args.board_ms}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.environ["JUMPERLESS_LOCK_DIR"] = str(tmp / "locks")  # our in-process boards lock ports here too
        with emulators(max(args.boards), tmp) as infos:
            log(f"{len(infos)} virtual boards up ({time.perf_counter() - started:.1f} s)")
            for count in args.boards:
                results["in_process"].append(await in_process(infos[:count], args))
                log(f"in-process, {count} board(s) done ({time.perf_counter() - started:.1f} s)")
            if not args.no_memory:
                for count in args.boards:
                    results["memory"].append(await stdio_memory(infos[:count], tmp))
                    log(f"stdio server, {count} board(s) done ({time.perf_counter() - started:.1f} s)")
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, indent=2) if args.json else markdown(results))


if __name__ == "__main__":
    anyio.run(main)
