"""The boards found, each port's role, and who holds each port: our lock file's PID and other openers.

The lock file is probed with a shared, non-blocking flock on a read-only handle: nothing is written, and the
probe never waits. A held lock names its owner by the PID the owner wrote into it (link/port_lock.py).
"""

from __future__ import annotations

import contextlib
import os
import sys

from jumperless_mcp.doctor.environment import Environment
from jumperless_mcp.doctor.report import Check
from jumperless_mcp.link.discovery import ROLES, BoardPorts
from jumperless_mcp.link.port_lock import lock_name

GRABBERS = ("ModemManager", "brltty")  # programs that open new serial ports by themselves
NO_BOARD_FIX = (
    "plug the board in with a data cable (not a charge-only one) and run `jumperless-mcp ports`; on Linux "
    "`dmesg | tail` shows whether it enumerated; without hardware, use the virtual board: --port emulator"
)


def boards_check(boards: list[BoardPorts]) -> Check:
    if not boards:
        return Check("boards found", "fail", "no Jumperless on USB (VID:PID 1D50:ACAB)", NO_BOARD_FIX)
    described = [
        f"{board.name} ({', '.join(f'{role} {getattr(board, role)}' for role in ROLES if getattr(board, role))})"
        for board in boards
    ]
    return Check("boards found", "ok", f"{len(boards)}: " + "; ".join(described))


def lock_holder(env: Environment, device: str) -> tuple[bool, int | None]:
    """(held, the PID in the lock file) for a device, without taking or writing anything."""
    path = env.lock_dir() / lock_name(device)
    try:
        handle = open(path)  # noqa: SIM115 - closed below; read-only
    except OSError:
        return False, None
    with handle:
        try:
            text = handle.read().strip()
        except OSError:  # Windows: the holder's byte lock makes the file unreadable
            return True, None
        pid = int(text) if text.isdigit() else None
        if sys.platform == "win32":  # pragma: no cover - msvcrt locks cannot be probed read-only
            return pid is not None, pid
        import fcntl

        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True, pid
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False, pid


def _who(env: Environment, pid: int) -> str:
    if pid == env.pid:
        return f"PID {pid} (this process)"
    name = next((command for found, command in env.processes() if found == pid), None)
    return f"PID {pid} ({name})" if name else f"PID {pid}"


def is_pty(device: str) -> bool:
    real = os.path.realpath(device)
    return real.startswith("/dev/pts/") or real.startswith("/dev/ttys")


def port_check(env: Environment, role: str, device: str) -> Check:
    """Is the port free: no live lock file, and no other program (a terminal, a serial monitor) has it open?"""
    name = f"port {role}" if role != "unknown" else "port"
    held, pid = lock_holder(env, device)
    if held:
        return Check(
            name,
            "fail",
            f"{device} is held by {_who(env, pid) if pid else 'another process'} "
            f"(lock file {env.lock_dir() / lock_name(device)})",
            "close that program (another jumperless-mcp server or bench script); only one may use a board",
        )
    if is_pty(device):
        return Check(name, "ok", f"{device}: free (a virtual board's pseudo-terminal)")
    openers = env.port_openers(device)
    if openers is None:
        how = "on Windows" if env.platform == "win32" else "here"
        return Check(name, "ok", f"{device}: no lock held (which other programs have it open cannot be seen {how})")
    others = [(found, command) for found, command in openers if found != env.pid]
    if others:
        pid, command = others[0]
        fix = f"close that program (a serial terminal or monitor?) or `kill {pid}`; it would take the replies"
        if command in GRABBERS:
            fix = f"keep {command} away from the board (see the {command} check), then replug it"
        return Check(
            name,
            "fail",
            f"{device} is open in PID {pid} ({command})" + (f" and {len(others) - 1} more" if len(others) > 1 else ""),
            fix,
        )
    return Check(name, "ok", f"{device}: free")


def port_checks(env: Environment, board: BoardPorts) -> list[Check]:
    return [port_check(env, role, getattr(board, role)) for role in (*ROLES, "unknown") if getattr(board, role)]
