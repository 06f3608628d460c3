"""The `jumperless-mcp selftest` command: open the board, run bench/selftest.py, print the table or JSON.

Exit status: 0 every check passed (or was skipped as not applicable), 1 a check failed, 2 the board was
in use (refused; --force runs anyway) or could not be opened.
"""

from __future__ import annotations

import argparse
import json
import sys

import anyio

from jumperless_mcp.bench.selftest import SelftestReport, run_selftest
from jumperless_mcp.errors import JumperlessError


def add_selftest_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "selftest",
        help="check that the host's assumptions hold on a connected board (safe; reverts what it changes)",
        description="Call every read-only function the firmware has and check each reply parses, then a few "
        "protocol checks (a bridge on rows 59-60 made and removed, DAC0 to 0.5 V and back, an interrupted call, "
        "the longest line, non-ASCII text, the slot file) and, where the board has the JumperlOS fourth port, its "
        "replies against the REPL's. Refuses a board in use unless --force. "
        "Exit 0 when all pass, 1 when a check fails, 2 when refused or not connected.",
    )
    parser.add_argument(
        "--port", default=None, help="the board: auto (default, or JUMPERLESS_PORT), emulator, usb:<location>, a path"
    )
    parser.add_argument("--force", action="store_true", help="run even if bridges, DACs or the wavegen are in use")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    parser.add_argument(
        "--record", metavar="FILE", default=None, help="write the serial exchange to FILE (JSON Lines; see README)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds per board round trip")
    return parser


async def _run(args: argparse.Namespace) -> SelftestReport:
    from jumperless_mcp.bench.board import Board

    async with Board.open(args.port, timeout=args.timeout, record=args.record) as board:
        return await run_selftest(board, force=args.force)


def run_selftest_command(args: argparse.Namespace) -> int:
    try:
        report = anyio.run(_run, args)
    except JumperlessError as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}))
        print(f"jumperless-mcp selftest: cannot open the board: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        sys.stdout.write(report.table())
    if report.refused:
        return 2
    return 0 if report.ok else 1
