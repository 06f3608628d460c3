"""What each layer of a call costs, from the raw REPL to a freshly spawned stdio server (side by side, one run).

Every virtual board (JumperlOS persona) runs in its own `jumperless-mcp emulate` process, so the board's CPU
is never counted in the process that measures. Variants, each checked for the right answer on every call:

1. `raw`: `dac_get(0)` through our raw-REPL channel alone (SerialLink + RawReplTransport: no session, no Board).
2. `board`: `Board.dac_get(0)` (validation, session lock, timeout scope, reply parsing). Target board/raw.
3. `mcp_inprocess`: the `dac_get` tool through the SDK's in-process client (`mode="legacy"`, as Claude Code
   speaks) on a server built over that same Board. Target mcp_inprocess/board.
4. `stdio_jsonrpc`: the real server (`python -m jumperless_mcp serve --port <emulate's JSON mapping>`) driven
   over its pipes by a bare JSON-RPC client (one line per message, nothing else in the way). Target vs board.
5. `spawn`: wall time from spawning that server (board already up) to the first successful `dac_get` result,
   vs `ten_line`: the same for `benchmarks/ten_line_server.py`, a one-tool server on the same SDK.
6. `tools_list`: one `tools/list` round trip (full mode) with 8 boards behind one server vs `tools_list_4` with
   4 boards: two real stdio servers (`serve --board bN=<mapping> ...`), bare client. Each server in its own
   process, so each list is built in a heap holding only its own boards, as for a user (in this process the
   other variants' objects would change what the garbage collector scans).

Each round runs one block of every variant in the same order (A B C D ... A B C D ...), so machine noise hits
them alike; everything is warmed up first. Ratios are of medians; compare ratios, not absolute times, across
machines.

Run: .venv/bin/python benchmarks/call_path.py [--quick] [--json] [--rounds 40] [--calls 150] [--lists 5]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.server import Server

from jumperless_mcp import Board
from jumperless_mcp.link.serial_link import SerialLink
from jumperless_mcp.link.transport_raw_repl import RawReplTransport
from jumperless_mcp.serving.server import build_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.tool_runner import ToolRunner

HERE = Path(__file__).resolve().parent
TEN_LINE = HERE / "ten_line_server.py"
TEN_LINE_TEXT = "DAC0 setpoint 1.25 V"  # what ten_line_server.py's dac_get answers
PROTOCOL = "2025-11-25"  # the handshake-era version Claude Code asks for
# a distinct DAC0 setpoint per board, so an answer from the wrong board (or a stale one) fails the check
SETPOINTS = {"raw": 1.25, "board": 2.5, "stdio": 3.75, "spawn": 0.75}
LIST_BOARDS = (8, 4)
RAW_STATEMENT = "print('\\x1e0:'+repr(dac_get(0)))"  # what Board renders for dac_get(0), with a fixed nonce
REPLY_TIMEOUT = 30.0  # seconds the bare client waits for one answer before killing the server
# variant: (reference variant, highest acceptable median ratio)
TARGETS = {
    "board": ("raw", 1.25),
    "mcp_inprocess": ("board", 1.6),
    "stdio_jsonrpc": ("board", 2.0),
    "spawn": ("ten_line", 1.25),
    "tools_list": ("tools_list_4", 2.3),
}
ORDER = (
    "raw",
    "board",
    "tool_runner",
    "mcp_inprocess",
    "stdio_jsonrpc",
    "sdk_inprocess",
    "sdk_stdio",
    "spawn",
    "ten_line",
    "tools_list",
    "tools_list_4",
)
# what the SDK alone costs per call (the ten-line server's constant tool): variant = board + floor + ours
FLOORS = {"mcp_inprocess": "sdk_inprocess", "stdio_jsonrpc": "sdk_stdio"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def clean_env(tmp: Path) -> dict[str, str]:
    """Config, state and lock dirs inside tmp: no user config is read, no user lock dir is written."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "TMPDIR", "LANG") if key in os.environ}
    env.update(
        XDG_CONFIG_HOME=str(tmp / "config"), XDG_STATE_HOME=str(tmp / "state"), JUMPERLESS_LOCK_DIR=str(tmp / "locks")
    )
    return env


# The safe state would zero DAC0 each time a spawned server's client leaves (the next spawn checks its setpoint); the
# audit log stays on, as users run it.
SERVE = [sys.executable, "-m", "jumperless_mcp", "serve", "--no-safe-state"]


def server_command(info: dict[str, Any]) -> list[str]:
    return [*SERVE, "--port", json.dumps(info)]


# --- virtual boards -----------------------------------------------------------------------------------------
@contextlib.contextmanager
def emulators(names: list[str], tmp: Path) -> Iterator[dict[str, dict[str, Any]]]:
    """One `jumperless-mcp emulate` process per name, started together; yields each one's port mapping."""
    processes: dict[str, subprocess.Popen[str]] = {}
    try:
        for name in names:
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", "jumperless_mcp", "emulate", "--fs-dir", str(tmp / f"fs-{name}")],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=clean_env(tmp),
            )
        infos = {}
        for name, process in processes.items():
            line = process.stdout.readline() if process.stdout else ""
            if not line:
                raise RuntimeError(f"jumperless-mcp emulate (pid {process.pid}) printed no port mapping")
            infos[name] = json.loads(line)
        yield infos
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def set_setpoints(infos: dict[str, dict[str, Any]]) -> None:
    for name, value in SETPOINTS.items():
        async with Board.open(infos[name]) as board:
            await board.dac_set(0, value)
            assert await board.dac_get(0) == value


# --- a bare JSON-RPC client over a server's pipes ------------------------------------------------------------
class JsonRpcClient:
    """One line per message on the server's stdin/stdout, and nothing else: what the server costs, not a client.

    `arrived` is when the last answer's line was read, before it was parsed, so the client's JSON decoding (a
    few ms for a big tools/list) is not counted. A watchdog thread kills the server if an answer takes longer
    than REPLY_TIMEOUT, so a hang fails the run instead of blocking it (per-call timers would cost a thread each).
    """

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, stderr: Any) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=cwd
        )
        self.next_id = 0
        self.arrived = 0.0
        self.deadline = float("inf")
        self._watch = threading.Thread(target=self._watchdog, daemon=True)
        self._watch.start()

    def _watchdog(self) -> None:
        while self.process.poll() is None:
            if time.monotonic() > self.deadline:
                self.process.kill()
                return
            time.sleep(0.5)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send a request and read lines until its answer; server notifications are skipped, requests refused."""
        assert self.process.stdout is not None
        self.next_id += 1
        ident = self.next_id
        self.deadline = time.monotonic() + REPLY_TIMEOUT
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        while True:
            line = self.process.stdout.readline()
            arrived = time.perf_counter()
            if not line:
                raise RuntimeError(f"server exited ({self.process.poll()}) before answering {method}")
            message = json.loads(line)
            if "method" in message:
                if "id" in message:  # a request from the server: this client offers nothing
                    self.send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no"}})
                continue
            if message.get("id") == ident:
                self.arrived = arrived
                self.deadline = float("inf")
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                return message["result"]

    def handshake(self) -> dict[str, Any]:
        result = self.request(
            "initialize",
            {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "call_path", "version": "0"}},
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = self.request("tools/call", {"name": name, "arguments": arguments})
        if result.get("isError") is not False:
            raise RuntimeError(f"{name} answered an error: {result}")
        return result

    def close(self) -> None:
        """EOF on stdin ends the server; wait for it so its exit never overlaps the next measurement."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def check_voltage(result: dict[str, Any], expected: float) -> None:
    voltage = (result.get("structuredContent") or {}).get("voltage")
    if voltage != expected:
        raise RuntimeError(f"dac_get answered {voltage!r}, expected {expected!r}: {result}")


# --- the variants: each returns the seconds one call took, and checks its answer after the clock stops ------
@dataclass
class Bench:
    """Everything the rounds measure, opened once before timing starts."""

    tmp: Path
    infos: dict[str, dict[str, Any]]
    raw: RawReplTransport
    board: Board
    runner: ToolRunner
    client: Client
    stdio: JsonRpcClient
    sdk_client: Client
    sdk_stdio: JsonRpcClient
    lists: dict[int, JsonRpcClient]
    list_counts: dict[int, int]

    async def raw_call(self) -> float:
        started = time.perf_counter()
        reply = await self.raw.execute([RAW_STATEMENT])
        elapsed = time.perf_counter() - started
        if reply.error is not None or reply.stdout.strip("\r\n") != f"\x1e0:{SETPOINTS['raw']!r}":
            raise RuntimeError(f"raw channel answered {reply!r}")
        return elapsed

    async def board_call(self) -> float:
        started = time.perf_counter()
        value = await self.board.dac_get(0)
        elapsed = time.perf_counter() - started
        if value != SETPOINTS["board"]:
            raise RuntimeError(f"Board.dac_get answered {value!r}")
        return elapsed

    async def runner_call(self) -> float:
        """The server's own work around Board, without the SDK: argument checks, the call, the result check."""
        spec = self.runner.spec("dac_get")
        assert spec is not None
        started = time.perf_counter()
        result = await self.runner.call(spec, {"channel": 0})
        elapsed = time.perf_counter() - started
        if result.is_error or (result.structured_content or {}).get("voltage") != SETPOINTS["board"]:
            raise RuntimeError(f"ToolRunner dac_get answered {result}")
        return elapsed

    async def mcp_call(self) -> float:
        started = time.perf_counter()
        result = await self.client.call_tool("dac_get", {"channel": 0})
        elapsed = time.perf_counter() - started
        if result.is_error or (result.structured_content or {}).get("voltage") != SETPOINTS["board"]:
            raise RuntimeError(f"in-process dac_get answered {result}")
        return elapsed

    async def stdio_call(self) -> float:
        started = time.perf_counter()
        result = self.stdio.call_tool("dac_get", {"channel": 0})
        check_voltage(result, SETPOINTS["stdio"])
        return self.stdio.arrived - started

    async def sdk_inprocess_call(self) -> float:
        started = time.perf_counter()
        result = await self.sdk_client.call_tool("dac_get", {"channel": 0})
        elapsed = time.perf_counter() - started
        if result.is_error or result.content[0].text != TEN_LINE_TEXT:  # type: ignore[union-attr]
            raise RuntimeError(f"in-process ten-line dac_get answered {result}")
        return elapsed

    async def sdk_stdio_call(self) -> float:
        started = time.perf_counter()
        result = self.sdk_stdio.call_tool("dac_get", {"channel": 0})
        if result.get("content") != [{"type": "text", "text": TEN_LINE_TEXT}]:
            raise RuntimeError(f"ten-line server answered {result}")
        return self.sdk_stdio.arrived - started

    async def list_call(self, boards: int) -> float:
        server = self.lists[boards]
        started = time.perf_counter()
        names = {tool["name"] for tool in server.request("tools/list", {})["tools"]}
        if len(names) != self.list_counts[boards] or f"b{boards}_dac_get" not in names:
            raise RuntimeError(f"tools/list with {boards} boards gave {len(names)} tools")
        return server.arrived - started

    def spawn(self, ten_line: bool) -> float:
        """Seconds from spawning a server to its first right `dac_get` result (its exit is not timed)."""
        command = [sys.executable, str(TEN_LINE)] if ten_line else server_command(self.infos["spawn"])
        name = "ten_line" if ten_line else "spawn"
        with open(self.tmp / f"{name}.stderr", "a") as errlog:
            started = time.perf_counter()
            client = JsonRpcClient(command, clean_env(self.tmp), self.tmp, errlog)
            try:
                client.handshake()
                result = client.call_tool("dac_get", {"channel": 0})
            finally:
                client.close()
        if ten_line:
            if result.get("content") != [{"type": "text", "text": TEN_LINE_TEXT}]:
                raise RuntimeError(f"ten-line server answered {result}")
        else:
            check_voltage(result, SETPOINTS["spawn"])
        return client.arrived - started


async def timed_block(samples: list[float], call: Callable[[], Awaitable[float]], count: int) -> None:
    for _ in range(count):
        samples.append(await call())


async def rounds(bench: Bench, args: argparse.Namespace) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in ORDER}
    calls = {
        "raw": bench.raw_call,
        "board": bench.board_call,
        "tool_runner": bench.runner_call,
        "mcp_inprocess": bench.mcp_call,
        "stdio_jsonrpc": bench.stdio_call,
        "sdk_inprocess": bench.sdk_inprocess_call,
        "sdk_stdio": bench.sdk_stdio_call,
    }
    lists = {"tools_list": lambda: bench.list_call(8), "tools_list_4": lambda: bench.list_call(4)}
    warm: list[float] = []
    for call in calls.values():  # warm-up: caches, lazy imports, the first spawn's page cache
        await timed_block(warm, call, 50)
    for call in lists.values():
        await timed_block(warm, call, 3)
    bench.spawn(ten_line=False)
    bench.spawn(ten_line=True)
    started = time.perf_counter()
    for index in range(args.rounds):
        for name, call in calls.items():
            await timed_block(samples[name], call, args.calls)
        samples["spawn"].append(bench.spawn(ten_line=False))
        samples["ten_line"].append(bench.spawn(ten_line=True))
        for name, call in lists.items():
            await timed_block(samples[name], call, args.lists)
        log(f"round {index + 1}/{args.rounds} ({time.perf_counter() - started:.1f} s)")
    return samples


def board_flags(infos: list[dict[str, Any]]) -> list[str]:
    """`--board bN=<emulate's JSON mapping>` for each board: one server over several boards."""
    return [part for i, info in enumerate(infos) for part in ("--board", f"b{i + 1}={json.dumps(info)}")]


@contextlib.contextmanager
def stdio_servers(tmp: Path, commands: dict[str, list[str]]) -> Iterator[dict[str, JsonRpcClient]]:
    """The real servers, spawned together, each past its handshake; closed (and waited for) on the way out."""
    servers: dict[str, JsonRpcClient] = {}
    try:
        for name, command in commands.items():
            with open(tmp / f"{name}.stderr", "w") as errlog:  # the child keeps its own descriptor
                servers[name] = JsonRpcClient(command, clean_env(tmp), tmp, errlog)
        for server in servers.values():
            server.handshake()
        yield servers
    finally:
        for server in servers.values():
            server.close()


def ten_line_server() -> Server:
    """benchmarks/ten_line_server.py's server object, for the SDK's in-process client."""
    spec = importlib.util.spec_from_file_location("ten_line_server", TEN_LINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Server("ten-line", on_list_tools=module.list_tools, on_call_tool=module.call_tool)


@contextlib.asynccontextmanager
async def opened(tmp: Path, infos: dict[str, dict[str, Any]]) -> AsyncIterator[Bench]:
    commands = {"stdio": server_command(infos["stdio"]), "sdk_stdio": [sys.executable, str(TEN_LINE)]}
    for count in LIST_BOARDS:
        flags = board_flags([infos[f"list{count}-{i}"] for i in range(count)])
        commands[f"list{count}"] = [*SERVE, *flags]
    link = SerialLink(infos["raw"]["repl"])
    await link.open()
    raw = RawReplTransport(link)
    try:
        await raw.start()
        async with Board.open(infos["board"]) as board:
            server, runner = build_server(board, Config())
            async with Client(server, mode="legacy") as client, Client(ten_line_server(), mode="legacy") as sdk:
                await client.list_tools()  # lets the client check structured results, as Claude Code's would
                await sdk.list_tools()
                with stdio_servers(tmp, commands) as servers:
                    lists = {count: servers[f"list{count}"] for count in LIST_BOARDS}
                    counts = {count: len(lists[count].request("tools/list", {})["tools"]) for count in LIST_BOARDS}
                    stdio, sdk_stdio = servers["stdio"], servers["sdk_stdio"]
                    yield Bench(tmp, infos, raw, board, runner, client, stdio, sdk, sdk_stdio, lists, counts)
    finally:
        await raw.close()


# --- report ---------------------------------------------------------------------------------------------------
def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def summarise(samples: dict[str, list[float]]) -> dict[str, Any]:
    variants = {
        name: {
            "median_ms": ms(statistics.median(values)),
            "p90_ms": ms(statistics.quantiles(values, n=10)[8]),
            "samples": len(values),
        }
        for name, values in samples.items()
    }
    ratios = {}
    for name, (reference, target) in TARGETS.items():
        ratio = statistics.median(samples[name]) / statistics.median(samples[reference])
        ratios[name] = {"against": reference, "ratio": round(ratio, 3), "target": target, "met": ratio <= target}
    floors = {}
    for name, floor in FLOORS.items():
        board, sdk, whole = (statistics.median(samples[key]) for key in ("board", floor, name))
        runner = statistics.median(samples["tool_runner"])
        floors[name] = {
            "sdk_floor": floor,
            "runner_over_board_ms": ms(runner - board),
            "board_plus_sdk_ms": ms(board + sdk),
            "best_ratio_with_this_sdk": round((board + sdk) / board, 3),
            "ours_ms": ms(whole - board - sdk),
        }
    return {"variants": variants, "ratios": ratios, "floors": floors}


def table(results: dict[str, Any]) -> str:
    header = f"{'variant':14} {'median ms':>10} {'p90 ms':>10} {'n':>6}  {'ratio':<22} {'target':<8} met"
    lines = [header, "-" * len(header)]
    for name in ORDER:
        row = results["variants"][name]
        ratio = results["ratios"].get(name)
        against = f"{ratio['ratio']:.2f} (/{ratio['against']})" if ratio else "-"
        target = f"<= {ratio['target']:g}" if ratio else "-"
        met = ("yes" if ratio["met"] else "NO") if ratio else "-"
        times = f"{row['median_ms']:10.3f} {row['p90_ms']:10.3f} {row['samples']:6}"
        lines.append(f"{name:14} {times}  {against:<22} {target:<8} {met}")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~30 s run: 6 rounds of 80 calls, 3 lists")
    parser.add_argument("--rounds", type=int, help="rounds; each spawns both servers once (default 40)")
    parser.add_argument("--calls", type=int, help="dac_get calls per variant per round (default 150)")
    parser.add_argument("--lists", type=int, help="tools/list calls per board count per round (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = parser.parse_args()
    quick = {"rounds": 6, "calls": 80, "lists": 3}
    full = {"rounds": 40, "calls": 150, "lists": 5}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.rounds < 2 or args.calls < 1 or args.lists < 1:
        parser.error("--rounds must be >= 2, --calls and --lists >= 1")
    started = time.perf_counter()
    names = list(SETPOINTS) + [f"list{count}-{i}" for count in LIST_BOARDS for i in range(count)]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.environ["JUMPERLESS_LOCK_DIR"] = str(tmp / "locks")  # our in-process boards lock ports here too
        with emulators(names, tmp) as infos:
            log(f"{len(infos)} virtual boards up ({time.perf_counter() - started:.1f} s)")
            await set_setpoints(infos)
            async with opened(tmp, infos) as bench:
                log(f"every variant open ({time.perf_counter() - started:.1f} s); warming up")
                samples = await rounds(bench, args)
                listed = {f"{count} boards": tools for count, tools in bench.list_counts.items()}
    results = summarise(samples)
    results.update(
        rounds=args.rounds,
        calls_per_round=args.calls,
        lists_per_round=args.lists,
        tools_listed=listed,
        cpus=os.cpu_count(),
        python=sys.version.split()[0],
        elapsed_s=round(time.perf_counter() - started, 1),
    )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(table(results))
        for name, floor in results["floors"].items():
            print(
                f"{name}: Board + the SDK alone ({floor['sdk_floor']}) = {floor['board_plus_sdk_ms']:.3f} ms, "
                f"a ratio of {floor['best_ratio_with_this_sdk']:.2f} before any code of ours; "
                f"ours adds {floor['ours_ms']:.3f} ms (the tool runner's own share: "
                f"{floor['runner_over_board_ms']:.3f} ms)"
            )
        tools = ", ".join(f"{tools} tools with {boards}" for boards, tools in listed.items())
        print(
            f"\n{args.rounds} rounds, {os.cpu_count()} CPUs, {results['elapsed_s']} s; ratios are of medians; {tools}"
        )


if __name__ == "__main__":
    anyio.run(main)
