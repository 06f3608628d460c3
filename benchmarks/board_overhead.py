"""What the `Board` layer costs, and what batching saves, on the virtual board (side by side, one run).

1. Median round trip of a trivial call (`node(83)`):
   - the raw channel alone: our SerialLink + transport, no session, no Board;
   - through `Board` (validation, session lock, timeout scope, result parsing).
   Rounds alternate between the two so machine noise hits both alike.
2. A 40-bridge netlist: one verified `board.connect()` per bridge vs `board.apply_netlist()` (one batch).

Run: .venv/bin/python benchmarks/board_overhead.py [--legacy-scale 0.05] [--rounds 5]
The legacy persona's 1 s `>` collector is scaled by --legacy-scale (1.0 = real firmware timing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import anyio

from firmware_api.versions import Family
from jumperless_mcp import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.link.serial_link import SerialLink
from jumperless_mcp.link.transport import Transport
from jumperless_mcp.link.transport_oneliner import OneLinerTransport
from jumperless_mcp.link.transport_raw_repl import RawReplTransport

NETLIST = [(row, row + 30) for row in range(1, 31)] + [(f"D{i}", 40 + i) for i in range(10)]
STATEMENT = "print('\\x1e0:'+repr(node(83)))"


async def raw_channel(board: VirtualBoard, calls: int) -> list[float]:
    family = Family.JUMPERLOS if board.repl_path else Family.LEGACY
    link = SerialLink(board.repl_path or board.main_path)
    await link.open()
    transport: Transport = (
        RawReplTransport(link) if board.repl_path else OneLinerTransport(link, family, board.time_scale)
    )
    try:
        await transport.start()
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            reply = await transport.execute([STATEMENT])
            samples.append(time.perf_counter() - started)
            assert reply.stdout.lstrip("\r\n").startswith("\x1e0:") and reply.error is None, reply
        return samples
    finally:
        await transport.close()


async def through_board(board: VirtualBoard, calls: int) -> list[float]:
    async with Board.open(board.info()) as jl:
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            assert await jl.node(83) == 83
            samples.append(time.perf_counter() - started)
        return samples


async def netlist(board: VirtualBoard) -> tuple[float, float]:
    async with Board.open(board.info()) as jl:
        await jl.nodes_clear()
        started = time.perf_counter()
        for a, b in NETLIST:
            assert (await jl.connect(a, b)).ok
        one_by_one = time.perf_counter() - started
        await jl.nodes_clear()
        started = time.perf_counter()
        results = await jl.apply_netlist(NETLIST)
        batched = time.perf_counter() - started
        assert all(r.ok for r in results)
        return one_by_one, batched


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100, help="calls per round (legacy: a tenth)")
    parser.add_argument("--legacy-scale", type=float, default=0.05)
    args = parser.parse_args()
    os.environ.setdefault("JUMPERLESS_LOCK_DIR", tempfile.mkdtemp(prefix="jl-bench-locks-"))
    print(f"trivial call node(83), median of {args.rounds} alternating rounds")
    for persona, scale in (("jumperlos", 1.0), ("legacy", args.legacy_scale)):
        calls = args.calls if persona == "jumperlos" else max(5, args.calls // 10)
        with VirtualBoard(persona, time_scale=scale) as board:
            raw: list[float] = []
            wrapped: list[float] = []
            await through_board(board, 3)  # warm up both paths
            await raw_channel(board, 3)
            for _ in range(args.rounds):
                raw += await raw_channel(board, calls)
                wrapped += await through_board(board, calls)
            raw_ms = statistics.median(raw) * 1000
            board_ms = statistics.median(wrapped) * 1000
            print(
                f"  {persona:9} (time scale {scale:g}): raw channel {raw_ms:8.3f} ms   Board {board_ms:8.3f} ms   "
                f"ratio {board_ms / raw_ms:5.2f}x"
            )
    print(f"{len(NETLIST)}-bridge netlist, each bridge verified: one call per bridge vs one batch")
    for persona, scale in (("jumperlos", 1.0), ("legacy", args.legacy_scale)):
        with VirtualBoard(persona, time_scale=scale) as board:
            one, batch = await netlist(board)
            print(
                f"  {persona:9} (time scale {scale:g}): per bridge {one * 1000:9.1f} ms   "
                f"batched {batch * 1000:8.1f} ms   speed-up {one / batch:6.1f}x"
            )


if __name__ == "__main__":
    anyio.run(main)
