"""What the MCP layer costs on top of `Board`, and what `apply_netlist` saves an agent (side by side, one run).

1. Median time of a trivial read (`dac_get`): `await board.dac_get(0)` directly vs the `dac_get` tool called
   by the SDK's client in-process (JSON schema validation, dispatch, result shaping, the client's own
   output-schema check). Rounds alternate so machine noise hits both alike.
2. Wiring 20 bridges: 20 `connect` tool calls (one verified round trip each) vs one `apply_netlist` call
   (read, plan, one batch, read back), from a cleared board each time.

Run: .venv/bin/python benchmarks/server_overhead.py [--legacy-scale 0.05] [--rounds 5] [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import anyio
from mcp import Client

from jumperless_mcp import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import build_server
from jumperless_mcp.settings.config import Config

BRIDGES = [[row, row + 30] for row in range(1, 21)]


async def _timed(samples: list[float], call) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    await call()
    samples.append(time.perf_counter() - started)


async def measure(persona: str, scale: float, rounds: int, calls: int) -> None:
    with tempfile.TemporaryDirectory() as fs, VirtualBoard(persona, fs_dir=fs, time_scale=scale) as vboard:
        async with Board.open(vboard.info()) as board:
            server, _ = build_server(board, Config())
            async with Client(server, mode="legacy") as client:
                await client.list_tools()  # lets the client validate structured results, as Claude Code's would
                direct: list[float] = []
                tool: list[float] = []
                for _ in range(rounds):
                    for _ in range(calls):
                        await _timed(direct, lambda: board.dac_get(0))
                    for _ in range(calls):
                        await _timed(tool, lambda: client.call_tool("dac_get", {"channel": 0}))
                d, t = statistics.median(direct) * 1000, statistics.median(tool) * 1000
                print(f"{persona:9} trivial read: Board {d:8.3f} ms   MCP tool {t:8.3f} ms   ratio {t / d:5.2f}x")

                per_call: list[float] = []
                batched: list[float] = []
                for _ in range(max(1, rounds // 2)):
                    await client.call_tool("clear_connections", {})
                    started = time.perf_counter()
                    for a, b in BRIDGES:
                        result = await client.call_tool("connect", {"node1": a, "node2": b})
                        assert not result.is_error, result
                    per_call.append(time.perf_counter() - started)
                    await client.call_tool("clear_connections", {})
                    started = time.perf_counter()
                    result = await client.call_tool("apply_netlist", {"bridges": BRIDGES})
                    assert not result.is_error and result.structured_content["applied"], result
                    batched.append(time.perf_counter() - started)
                p, b = statistics.median(per_call) * 1000, statistics.median(batched) * 1000
                print(
                    f"{persona:9} 20 bridges: 20 x connect {p:9.1f} ms   apply_netlist {b:8.1f} ms   "
                    f"ratio {p / b:5.1f}x"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--legacy-scale", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    anyio.run(measure, "jumperlos", 1.0, args.rounds, args.calls)
    anyio.run(measure, "legacy", args.legacy_scale, args.rounds, max(5, args.calls // 20))


if __name__ == "__main__":
    main()
