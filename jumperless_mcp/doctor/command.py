"""The `jumperless-mcp doctor` subcommand: its arguments and its output (a table, or JSON with --json)."""

from __future__ import annotations

import argparse
import json
import sys


def add_doctor_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    doctor = commands.add_parser(
        "doctor",
        help="check this machine and the board, and say how to fix what is wrong",
        description="Check Python and packages, serial permissions, ModemManager/brltty, the udev rules, the boards "
        "found and who holds their ports, the firmware, the channel the host will use and whether the REPL answers. "
        "Read-only: nothing on the system or the board is changed. Exit status 0 when all is well, 1 otherwise.",
    )
    doctor.add_argument(
        "--port",
        default=None,
        help="auto (default: the settings' port, or JUMPERLESS_PORT), emulator, emulator:legacy, usb:<location>, "
        "or a port path",
    )
    doctor.add_argument("--config", default=None, metavar="FILE", help="TOML settings file (JUMPERLESS_CONFIG)")
    doctor.add_argument(
        "--udev-rules", action="store_true", help="print this version's udev rules (Linux) instead of checking"
    )
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON for scripts")
    doctor.add_argument(
        "--timeout", type=float, default=10.0, metavar="S", help="seconds for the handshake and each round trip"
    )


def run_doctor(args: argparse.Namespace) -> int:
    import anyio

    from jumperless_mcp.doctor.run import diagnose

    if args.udev_rules:
        from jumperless_mcp.doctor.udev_rules import rules_file

        sys.stdout.write(rules_file())
        return 0
    if args.timeout <= 0:
        print("jumperless-mcp doctor: --timeout must be positive", file=sys.stderr)
        return 2
    report = anyio.run(lambda: diagnose(args.port, timeout=args.timeout, config_path=args.config))
    if args.json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        print(report.table())
    return report.exit_status
