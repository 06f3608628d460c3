"""Put the checks together for one target (`--port`, else JUMPERLESS_PORT, else auto) and return the report."""

from __future__ import annotations

import os

from jumperless_mcp.doctor.board_checks import board_checks, skipped
from jumperless_mcp.doctor.environment import Environment
from jumperless_mcp.doctor.port_checks import boards_check, is_pty, port_checks
from jumperless_mcp.doctor.report import Check, Report
from jumperless_mcp.doctor.system_checks import (
    brltty_check,
    modem_manager_check,
    packages_check,
    python_check,
    serial_access_check,
    udev_check,
)
from jumperless_mcp.errors import ArgumentError, JumperlessError
from jumperless_mcp.link.discovery import ROLES, BoardPorts
from jumperless_mcp.link.targets import ENV_VAR, Target
from jumperless_mcp.settings import config as settings

USB_NAMES = ("serial permissions", "ModemManager", "brltty", "udev rules")
VIRTUAL = "not needed for a virtual board on pseudo-terminals"


def _devices(board: BoardPorts) -> list[str]:
    return [path for role in (*ROLES, "unknown") if (path := getattr(board, role))]


def _named(checks: list[Check], board: BoardPorts, several: bool) -> list[Check]:
    if not several:
        return checks
    return [Check(f"{check.name} [{board.name}]", check.status, check.detail, check.fix) for check in checks]


def settings_check(config_path: str | None) -> tuple[Check, str | None]:
    """The settings file and environment load, and the port they select (what the server would serve)."""
    path = settings.config_file_path(config_path)
    try:
        config = settings.load({}, path=config_path)
    except settings.ConfigError as exc:
        return Check("settings", "fail", str(exc), f"correct {path} (or the JUMPERLESS_* variable named)"), None
    where = f"{path}" if path.is_file() else f"no settings file ({path}); defaults"
    boards = f", {len(config.boards)} boards in [boards] (doctor checks the port setting)" if config.boards else ""
    return Check("settings", "ok", f"{where}; port {config.port or 'auto'}{boards}"), config.port


async def diagnose(
    port: str | None = None,
    env: Environment | None = None,
    *,
    timeout: float = 10.0,
    config_path: str | None = None,
) -> Report:
    """Every check, in the order a person fixes things: software, permissions, the board, the firmware.

    The target is `port`, else the settings' port (file, JUMPERLESS_PORT), else auto.
    """
    env = env or Environment.from_system()
    loaded, configured = settings_check(config_path)
    spec = (port or "").strip() or (configured or "").strip() or os.environ.get(ENV_VAR, "").strip() or "auto"
    report = Report(target=spec)
    report.add(python_check(env), packages_check(env), loaded)
    try:
        target = Target(spec)
    except ArgumentError as exc:
        report.add(Check("target", "fail", str(exc), "give --port auto, emulator, usb:<location> or a port path"))
        return report
    boards: list[BoardPorts] = []
    if target.kind in ("auto", "usb"):
        found = env.find_boards()
        if target.kind == "usb":
            location = spec[4:]
            boards = [board for board in found if board.location == location]
        else:
            boards = found
        devices = [device for board in found for device in _devices(board)]
    else:
        try:
            target.start_emulator()
            boards = [target.locate()]
        except JumperlessError as exc:
            target.stop_emulator()
            report.add(*_system(env, [], virtual=False))
            report.add(Check("boards found", "fail", str(exc), "check the path, or run `jumperless-mcp ports`"))
            report.add(*skipped("no board to talk to"))
            return report
        devices = _devices(boards[0])
    virtual = target.kind == "emulator" or (bool(devices) and all(is_pty(device) for device in devices))
    report.add(*_system(env, devices, virtual=virtual))
    if target.kind == "usb" and not boards:
        report.add(
            Check("boards found", "fail", f"no Jumperless at USB location {spec[4:]}", "see `jumperless-mcp ports`")
        )
    elif target.kind in ("auto", "usb"):
        report.add(boards_check(boards))
    else:
        described = ", ".join(
            f"{role} {path}" if role != "unknown" else f"{path} (its role is found by talking to it)"
            for role in (*ROLES, "unknown")
            if (path := getattr(boards[0], role))
        )
        report.add(Check("boards found", "ok", f"{'virtual board' if virtual else 'given'}: {described}"))
    if not boards:
        report.add(*skipped("no board to talk to"))
        return report
    several = len(boards) > 1
    try:
        for board in boards:
            ports = port_checks(env, board)
            report.add(*_named(ports, board, several))
            if any(check.status == "fail" for check in ports):
                report.add(*_named(skipped("a port is held (see above)"), board, several))
                continue
            talk_to = target if target.kind in ("emulator", "path") else Target(board)
            report.add(*_named(await board_checks(talk_to, timeout=timeout), board, several))
    finally:
        target.stop_emulator()
    return report


def _system(env: Environment, devices: list[str], *, virtual: bool) -> list[Check]:
    if virtual:
        return [Check(name, "skipped", VIRTUAL) for name in USB_NAMES]
    return [serial_access_check(env, devices), modem_manager_check(env), brltty_check(env), udev_check(env)]
