"""The `jumperless-mcp` command line. stdout carries machine output only; logs go to stderr."""

from __future__ import annotations

import argparse
import functools
import gc
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger("jumperless_mcp")
STOP_POLL = 0.05  # seconds between checks for Ctrl-C / SIGTERM while `emulate` serves


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jumperless-mcp",
        description="Drive a Jumperless V5 from an AI agent. With no command, serve MCP on stdio (like `serve`).",
    )
    add_serve_arguments(parser, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser(
        "serve",
        help="serve MCP on stdin/stdout for one board (the default command)",
        description="Serve the board's tools to an MCP client (Claude Code...) over stdio. stdout carries only "
        "JSON-RPC; logs go to stderr. Settings also come from the environment and the config file.",
    )
    add_serve_arguments(serve, argparse.SUPPRESS)
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
    tools = commands.add_parser(
        "tools",
        help="list the MCP tools this server offers",
        description="Print the tool table (Markdown, as in the README) or the full MCP declarations (--json).",
    )
    tools.add_argument("--json", action="store_true", help="names, descriptions, schemas and annotations as JSON")
    log_command = commands.add_parser(
        "log",
        help="show the audit log of tool calls, or export a session as a bench script",
        description="Recent tool calls from the audit log (time, board, tool, outcome, duration), as a table or "
        "JSON; --export-script turns a session's calls into a runnable script using the Board API.",
    )
    from jumperless_mcp.serving.audit_view import add_arguments as add_log_arguments

    add_log_arguments(log_command)
    from jumperless_mcp.doctor.command import add_doctor_parser

    add_doctor_parser(commands)
    from jumperless_mcp.bench.selftest_command import add_selftest_parser

    add_selftest_parser(commands)
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser, default: object) -> None:
    """Server options; only those given are set, so the environment and config file fill the rest."""
    parser.add_argument(
        "--port",
        default=default,
        help="auto (default, or JUMPERLESS_PORT), emulator, emulator:legacy, usb:<location>, or a port path",
    )
    parser.add_argument("--config", default=default, metavar="FILE", help="TOML settings file (JUMPERLESS_CONFIG)")
    parser.add_argument(
        "--read-only", action="store_const", const=True, default=default, help="offer only tools that change nothing"
    )
    parser.add_argument(
        "--allow-python",
        action="store_const",
        const=True,
        default=default,
        help="enable exec_python: arbitrary MicroPython on the board (off by default)",
    )
    parser.add_argument("--max-voltage", type=float, default=default, metavar="V", help="highest DAC/rail setpoint")
    parser.add_argument("--min-voltage", type=float, default=default, metavar="V", help="lowest DAC/rail setpoint")
    parser.add_argument("--timeout", type=float, default=default, metavar="S", help="seconds per board round trip")
    parser.add_argument(
        "--emulator-if-no-board",
        action="store_const",
        const=True,
        default=default,
        help="with --port auto, serve the virtual board when no Jumperless is plugged in",
    )
    parser.add_argument("--parts", default=default, metavar="FILE", help="parts file for the virtual board")
    parser.add_argument(
        "--log-level", default=default, choices=["debug", "info", "warning", "error"], help="stderr log level"
    )
    parser.add_argument(
        "--board",
        action="append",
        default=default,
        metavar="NAME=SELECTOR",
        help="serve several boards: NAME=usb:<location>, NAME=<port path>, NAME=emulator[:legacy] or "
        "NAME=http(s)://HOST:PORT/mcp (a remote server; token from JUMPERLESS_REMOTE_TOKEN). Repeatable; "
        "replaces the config file's [boards] list",
    )
    parser.add_argument(
        "--http",
        default=default,
        metavar="HOST:PORT",
        help="serve MCP over Streamable HTTP at http://HOST:PORT/mcp instead of stdio (JUMPERLESS_HTTP); a bare "
        "PORT means 127.0.0.1; any other host needs a bearer token (http_token / JUMPERLESS_HTTP_TOKEN)",
    )
    parser.add_argument(
        "--confirm",
        default=default,
        choices=["off", "risky", "all"],
        help="ask the person (MCP elicitation) before risky calls (energise, wipe, run code; the default), every "
        "call that changes a board (all), or never (off) (JUMPERLESS_CONFIRM)",
    )
    parser.add_argument(
        "--confirm-above-volts", type=float, default=default, metavar="V", help="a rail/DAC set beyond +/-V asks"
    )
    parser.add_argument(
        "--confirm-above-vpp", type=float, default=default, metavar="V", help="a wavegen amplitude above V asks"
    )
    parser.add_argument(
        "--confirm-mark-tools",
        action="store_const",
        const=True,
        default=default,
        help='mark the tools that may ask with _meta["anthropic/requiresUserInteraction"] in tools/list',
    )
    parser.add_argument(
        "--safe-state",
        action=argparse.BooleanOptionalAction,
        default=default,
        help="put each board in the safe state (rails and DACs 0 V, wavegen and PWM off; bridges kept) when the "
        "last client disconnects, the server exits, or after --idle-safe-after (on by default; JUMPERLESS_SAFE_STATE)",
    )
    parser.add_argument(
        "--idle-safe-after",
        type=float,
        default=default,
        metavar="S",
        help="seconds without a tool call, a rail or DAC energised, before the safe state (default 1800; 0: never)",
    )
    parser.add_argument(
        "--audit-log",
        action=argparse.BooleanOptionalAction,
        default=default,
        help="append every tool call to the audit log (on by default; JUMPERLESS_AUDIT_LOG; see `jumperless-mcp log`)",
    )
    parser.add_argument(
        "--audit-dir", default=default, metavar="DIR", help="the audit log's folder (default: the user log dir)"
    )
    parser.add_argument(
        "--record",
        default=default,
        metavar="FILE",
        help="write every port's serial exchange to FILE (JSON Lines; replay with --port emulator:replay=FILE)",
    )


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--persona",
        choices=["jumperlos", "jumperlos-upstream", "jumperlos-5.7.5", "legacy"],  # the keys of emulator.PERSONAS
        default="jumperlos",
        help="jumperlos: firmware 5.7.0.13 with the raw REPL port; jumperlos-upstream: the newest upstream "
        "JumperlOS API (5.7.11: net scan, USB audio, parts and projects, no logic analyzer); jumperlos-5.7.5: the "
        "stable 5.7.5 API (no parts); legacy: 5.3.x, main port only",
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
        help="also create stable symlinks DIR/jumperless_main, DIR/jumperless_repl and (where the board has the "
        "aux port) DIR/jumperless_ser3, like the udev rules",
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
    # The handlers only note the signal: one that took a lock (Event.set) could deadlock against the main
    # thread holding that lock inside Event.wait when the signal arrives, and the emulator never stopped.
    stopped: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _frame: stopped.append(signum))
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
        while not stopped:
            time.sleep(STOP_POLL)
    log.info("virtual board stopped")
    return 0


def run_ports(args: argparse.Namespace) -> int:
    from jumperless_mcp.link.discovery import ROLES, find_boards

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


def run_serve(args: argparse.Namespace) -> int:
    gc.disable()  # start-up builds a large heap that lives as long as the server: collecting it as it grows
    try:  # only costs time (the server freezes it and re-enables collection once it is up: `settle_heap`)
        return _serve(args)
    finally:
        gc.enable()


def _serve(args: argparse.Namespace) -> int:
    import anyio

    from jumperless_mcp.settings import config as settings

    flags = {key: getattr(args, key, None) for key in SERVE_SETTINGS}
    try:
        config = settings.load(flags, path=getattr(args, "config", None))
    except settings.ConfigError as exc:
        print(f"jumperless-mcp: {exc}", file=sys.stderr)
        return 2
    logging.getLogger().setLevel(config.log_level.upper())
    if config.http is not None:
        from jumperless_mcp.serving.server import serve_http

        serve = serve_http
    else:
        from jumperless_mcp.serving.server import serve_stdio

        serve = serve_stdio
        if sys.stdin.isatty():
            log.warning(
                "this is an MCP server: it reads JSON-RPC from stdin. Register it with an MCP client, e.g. "
                "`claude mcp add jumperless -- %s` (see the README); Ctrl-C to stop",
                os.path.abspath(sys.argv[0]),
            )
    path = getattr(args, "config", None)
    reload = functools.partial(settings.load, flags, path=path)  # the board list follows edits of the file
    run = functools.partial(serve, config, reload=reload, config_path=settings.config_file_path(path))
    if sys.platform == "win32":  # no SIGTERM there: Ctrl-Break (and a closed console) stop it as Ctrl-C does, so
        signal.signal(signal.SIGBREAK, signal.default_int_handler)  # the safe state and closing still run
    try:
        if anyio.run(until_sigterm, run):
            log.info("stopped (SIGTERM)")
    except KeyboardInterrupt:
        log.info("stopped")
    except Exception as exc:  # a bad setting found while starting (an exposed --http without a token...)
        problem = bad_setting(exc)
        if problem is None:
            raise
        print(f"jumperless-mcp: {problem}", file=sys.stderr)
        return 2
    return 0


def bad_setting(exc: BaseException) -> Exception | None:
    """The ConfigError or ArgumentError behind a failed start, also from inside task groups' exception groups."""
    from jumperless_mcp.errors import ArgumentError

    if isinstance(exc, ArgumentError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = bad_setting(inner)
            if found is not None:
                return found
    return None


async def until_sigterm(serve: Callable[[], Awaitable[None]]) -> bool:
    """Serve until done or until SIGTERM (`kill`, a service manager, a client closing us); True if SIGTERM came.

    SIGTERM cancels the server as Ctrl-C does, so the boards are closed and their locks released on the way
    out. It is received on the event loop, whatever the process's SIGINT disposition (a server started in the
    background of a shell ignores SIGINT). Windows has no signal receivers, and no SIGTERM to receive.
    """
    import anyio

    terminated = False
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            nonlocal terminated
            try:
                with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                    async for _ in signals:
                        terminated = True
                        group.cancel_scope.cancel()
                        return
            except NotImplementedError:
                return

        group.start_soon(watch)
        await serve()
        group.cancel_scope.cancel()
    return terminated


SERVE_SETTINGS = (
    "port",
    "read_only",
    "allow_python",
    "max_voltage",
    "min_voltage",
    "timeout",
    "emulator_if_no_board",
    "parts",
    "log_level",
    "board",
    "http",
    "confirm",
    "confirm_above_volts",
    "confirm_above_vpp",
    "confirm_mark_tools",
    "safe_state",
    "idle_safe_after",
    "audit_log",
    "audit_dir",
    "record",
)


def run_tools(args: argparse.Namespace) -> int:
    from jumperless_mcp.tooling.tool_table import markdown
    from jumperless_mcp.tools import ALL_TOOLS

    if not args.json:
        print(markdown(ALL_TOOLS))
        return 0
    declared = [
        {
            "name": spec.name,
            "subsystem": spec.subsystem,
            "description": spec.description,
            "inputSchema": spec.input_schema(),
            "outputSchema": spec.output_schema(),
            "readOnly": not spec.mutates,
            "destructive": spec.destructive,
        }
        for spec in ALL_TOOLS
    ]
    print(json.dumps(declared, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = (getattr(args, "log_level", None) or os.environ.get("JUMPERLESS_LOG_LEVEL", "info")).upper()
    level = level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO"
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.command in (None, "serve"):
        return run_serve(args)
    if args.command == "emulate":
        return run_emulator(args)
    if args.command == "ports":
        return run_ports(args)
    if args.command == "log":
        from jumperless_mcp.serving.audit_view import run_log

        return run_log(args)
    if args.command == "tools":
        return run_tools(args)
    if args.command == "selftest":
        from jumperless_mcp.bench.selftest_command import run_selftest_command

        return run_selftest_command(args)
    if args.command == "doctor":
        from jumperless_mcp.doctor.command import run_doctor

        return run_doctor(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
