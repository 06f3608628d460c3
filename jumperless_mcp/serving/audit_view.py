"""`jumperless-mcp log`: the audit log's recent entries as a table or JSON, or a session as a bench script.

Imported when the command line is parsed, so the heavier modules load only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = ("time", "session", "board", "tool", "outcome", "ms")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="the entries as JSON Lines, as stored")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="the newest N entries (default 20; 0: all)")
    parser.add_argument(
        "--export-script", action="store_true", help="print (or write, -o) a session's calls as a bench script"
    )
    parser.add_argument(
        "--session",
        metavar="ID",
        help="the session to export (default: the newest); its start or its end (as `log` shows it) will do",
    )
    parser.add_argument("--board", metavar="NAME", help="the board to export when the session drove several")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the script to FILE instead of stdout")
    parser.add_argument(
        "--dir", metavar="DIR", help="the audit log's folder (default: audit_dir, else the user log dir)"
    )
    parser.add_argument("--config", metavar="FILE", help="TOML settings file (JUMPERLESS_CONFIG), for audit_dir")


def row(entry: dict[str, Any]) -> tuple[str, ...]:
    error = entry.get("error") if isinstance(entry.get("error"), dict) else {}
    outcome = str(entry.get("outcome", "?"))
    if outcome != "ok" and error.get("kind"):
        outcome = f"{outcome}: {error['kind']}"
    time = str(entry.get("time", ""))
    return (
        time[:10] + " " + time[11:19],
        str(entry.get("session", ""))[-9:],
        str(entry.get("board", "")),
        str(entry.get("tool", "")),
        outcome,
        f"{entry.get('duration_ms', 0):.0f}" if isinstance(entry.get("duration_ms"), (int, float)) else "?",
    )


def table(entries: list[dict[str, Any]]) -> str:
    rows = [COLUMNS, *(row(entry) for entry in entries)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip() for r in rows)


def run_log(args: argparse.Namespace) -> int:
    from jumperless_mcp.errors import ArgumentError
    from jumperless_mcp.serving.audit_script import script, select
    from jumperless_mcp.settings import config as settings
    from jumperless_mcp.tooling.audit import AuditLog, folder

    if args.dir:
        where = Path(args.dir)
    else:
        try:
            where = folder(settings.load(path=args.config))
        except settings.ConfigError as exc:
            print(f"jumperless-mcp log: {exc}", file=sys.stderr)
            return 2
    entries = list(AuditLog(where).entries())
    if args.export_script:
        try:
            text = script(select(entries, args.session, args.board))
        except ArgumentError as exc:
            print(f"jumperless-mcp log: {exc}", file=sys.stderr)
            return 2
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    if args.limit < 0:
        print("jumperless-mcp log: --limit must be 0 or more", file=sys.stderr)
        return 2
    recent = entries[-args.limit :] if args.limit else entries
    if args.json:
        sys.stdout.write("".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in recent))
        return 0
    if not recent:
        print(f"no tool calls logged in {where}")
        return 0
    print(table(recent))
    return 0
