"""The `jumperless-mcp` command line. stdout carries machine output only; logs go to stderr."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence

log = logging.getLogger("jumperless_mcp")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jumperless-mcp", description="Drive a Jumperless V5 from an AI agent.")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(dest="command")
    emulate = commands.add_parser(
        "emulate",
        help="start a virtual Jumperless V5 on pseudo-terminals",
        description="Start a virtual board. Prints one JSON line with its port paths, then serves until Ctrl-C.",
    )
    add_emulator_arguments(emulate)
    ports = commands.add_parser(
        "ports",
        help="list the Jumperless boards on USB and their port roles",
        description="List Jumperless boards (USB 1D50:ACAB) and which serial port plays which role. "
        "Nothing is opened. Select a board elsewhere with its name (usb:<location>) or a port path.",
    )
    ports.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    return parser


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--persona",
        choices=["jumperlos", "legacy"],
        default="jumperlos",
        help="jumperlos: firmware 5.7.x with the raw REPL port; legacy: 5.3.x, main port only",
    )
    parser.add_argument("--parts", metavar="FILE", help="TOML file of virtual parts (resistors) on the breadboard")
    parser.add_argument("--fs-dir", metavar="DIR", help="directory backing the board's filesystem (default: temporary)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply legacy firmware waits (the 1 s `>` collector) by this factor",
    )
    parser.add_argument(
        "--adc-noise",
        type=float,
        default=0.0,
        metavar="VOLTS",
        help="standard deviation of ADC noise (default 0: deterministic)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed for ADC noise")
    parser.add_argument(
        "--link-dir",
        metavar="DIR",
        help="also create stable symlinks DIR/jumperless_main and DIR/jumperless_repl (like the udev rules)",
    )


def run_emulator(args: argparse.Namespace) -> int:
    from jumperless_mcp.emulator.parts import PartsFileError, load_parts
    from jumperless_mcp.emulator.virtual_board import VirtualBoard

    try:
        parts = load_parts(args.parts) if args.parts else []
    except PartsFileError as exc:
        print(f"jumperless-mcp emulate: {exc}", file=sys.stderr)
        return 2
    if args.time_scale <= 0:
        print("jumperless-mcp emulate: --time-scale must be positive", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    board = VirtualBoard(
        args.persona,
        parts=parts,
        fs_dir=args.fs_dir,
        time_scale=args.time_scale,
        adc_noise=args.adc_noise,
        seed=args.seed,
        link_dir=args.link_dir,
    )
    with board:
        sys.stdout.write(json.dumps(board.info()) + "\n")
        sys.stdout.flush()
        log.info(
            "virtual Jumperless V5 (%s, firmware %s) on main=%s repl=%s; Ctrl-C to stop",
            args.persona,
            board.firmware,
            board.main_path,
            board.repl_path,
        )
        stop.wait()
    log.info("virtual board stopped")
    return 0


def run_ports(args: argparse.Namespace) -> int:
    from jumperless_mcp.discovery import ROLES, find_boards

    boards = find_boards()
    if args.json:
        sys.stdout.write(json.dumps([board.as_dict() for board in boards], indent=2) + "\n")
        return 0
    if not boards:
        print("No Jumperless found on USB (VID:PID 1D50:ACAB).")
        print("Check the cable and permissions (udev/ in the README), or try the virtual board: jumperless-mcp emulate")
        return 0
    header = ("board", *ROLES)
    rows = [(board.name, *(getattr(board, role) or "-" for role in ROLES)) for board in boards]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if args.command in (None, "emulate"):
        if args.command is None:
            log.info("no command given: starting the virtual board (see --help)")
            args = build_parser().parse_args(["emulate"])
        return run_emulator(args)
    if args.command == "ports":
        return run_ports(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
