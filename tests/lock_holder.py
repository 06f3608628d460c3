"""Hold a board open from a second process, for the cross-process lock test in test_session.py.

    python lock_holder.py '<port mapping JSON>'

Opens the board, proves it works (prints `ready <node id of D13>`), then keeps it open
until stdin closes or a line arrives, and exits cleanly (releasing the lock).
"""

from __future__ import annotations

import json
import sys

import anyio

from jumperless_mcp.bench.board import Board


async def main(mapping: dict[str, object]) -> None:
    async with Board.open(mapping) as board:
        value = await board.node("D13")
        print(f"ready {value}", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)


if __name__ == "__main__":
    anyio.run(main, json.loads(sys.argv[1]))
