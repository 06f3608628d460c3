"""The machine's side: Python and packages, serial permissions, programs that grab serial ports, udev rules.

Each check reads only its `Environment`, so a test can simulate a machine; none changes anything.
"""

from __future__ import annotations

import operator
import re

from jumperless_mcp.doctor.environment import PACKAGE, Environment
from jumperless_mcp.doctor.report import Check
from jumperless_mcp.doctor.udev_rules import FILE_NAME, INSTALL, RULES, rule_lines
from jumperless_mcp.version import __version__

MIN_PYTHON = (3, 11)
SERIAL_GROUPS = ("dialout", "uucp")  # Debian/Ubuntu/Fedora; Arch
UPGRADE = f"pip install --upgrade {PACKAGE} (or reinstall it in its virtual environment)"
_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt}


def python_check(env: Environment) -> Check:
    shown = ".".join(map(str, env.python_version))
    if env.python_version[:2] >= MIN_PYTHON:
        return Check("python", "ok", f"Python {shown}")
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("python", "fail", f"Python {shown} is older than {wanted}", f"install Python >= {wanted}")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:4])


def _satisfies(version: str, specifiers: str) -> bool:
    have = _version_tuple(version)
    for spec in filter(None, (part.strip() for part in specifiers.split(","))):
        match = re.fullmatch(r"(~=|>=|<=|==|!=|>|<)\s*([0-9][0-9.]*)\*?", spec)
        if not match:
            continue  # a specifier this small parser does not know is not held against the package
        op, wanted = match.group(1), _version_tuple(match.group(2))
        size = max(len(have), len(wanted))
        padded, target = have + (0,) * (size - len(have)), wanted + (0,) * (size - len(wanted))
        if op == "~=":
            if not (padded >= target and padded[: len(wanted) - 1] == wanted[:-1]):
                return False
        elif not _OPS[op](padded, target):
            return False
    return True


def packages_check(env: Environment) -> Check:
    """Every dependency installed in a version this package accepts."""
    if not env.requirements:
        return Check(
            "packages",
            "skipped",
            f"{PACKAGE} {__version__} is not installed as a distribution here (run from a source tree?), "
            "so its requirements cannot be read",
        )
    found, wrong = [], []
    for requirement in env.requirements:
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*([^;]*)", requirement)
        if not match:
            continue
        name, specifiers = match.group(1), match.group(2).strip().strip("()")
        version = env.installed_version(name)
        if version is None:
            wrong.append(f"{name} missing (needs {specifiers or 'any version'})")
        elif not _satisfies(version, specifiers):
            wrong.append(f"{name} {version} (needs {specifiers})")
        else:
            found.append(f"{name} {version}")
    if wrong:
        return Check("packages", "fail", f"{PACKAGE} {__version__}: " + "; ".join(wrong), UPGRADE)
    return Check("packages", "ok", f"{PACKAGE} {__version__}; " + ", ".join(found))


def _members(etc_group: str, group: str) -> tuple[set[str], str | None]:
    """The users /etc/group lists in `group`, and its gid (None if the group does not exist)."""
    for line in etc_group.splitlines():
        fields = line.strip().split(":")
        if len(fields) >= 4 and fields[0] == group:
            return {user for user in fields[3].split(",") if user}, fields[2]
    return set(), None


def serial_access_check(env: Environment, devices: list[str]) -> Check:
    """May this user open the board's ports: now (process groups) and after a new login (/etc/group)?"""
    name = "serial permissions"
    if env.platform == "darwin":
        return Check(name, "skipped", "macOS gives the logged-in user its USB serial ports; no group needed")
    if env.platform == "win32":
        return Check(name, "skipped", "Windows has no serial-port groups: a COM port is open to every user")
    if env.is_root:
        return Check(name, "ok", "running as root (fine for a check; run the server as your own user)")
    if devices and all(env.device_access(device) for device in devices):
        return Check(name, "ok", f"{env.user} can read and write {', '.join(devices)}")
    owners = [group for group in (env.device_group(device) for device in devices) if group and group != "root"]
    existing = [group for group in SERIAL_GROUPS if _members(env.etc_group, group)[1] is not None]
    group = owners[0] if owners else existing[0] if existing else SERIAL_GROUPS[0]
    listed, _ = _members(env.etc_group, group)
    blocked = f"cannot open {', '.join(devices)}: " if devices else ""
    if group in env.process_groups:
        if devices:
            return Check(
                name,
                "fail",
                f"{blocked}{env.user} is in {group}, yet the device refuses access (its mode or group is not "
                "what the udev rule sets)",
                f"install the udev rules: {INSTALL}",
            )
        return Check(name, "ok", f"{env.user} is in the {group} group (serial ports)")
    if env.user in listed or env.primary_group == group:
        return Check(
            name,
            "fail",
            f"{blocked}{env.user} was added to {group}, but this login does not have it yet (re-login pending)",
            f"log out and back in (or reboot); in one shell, `newgrp {group}` gives it at once",
        )
    return Check(
        name,
        "fail",
        f"{blocked}{env.user} is not in the {group} group, which owns serial ports here",
        f"sudo usermod -aG {group} {env.user}, then log out and back in",
    )


def _running(env: Environment, program: str) -> list[int]:
    return [pid for pid, command in env.processes() if command == program]


def rules_current(env: Environment) -> bool:
    return udev_check(env).status == "ok"


def modem_manager_check(env: Environment) -> Check:
    """ModemManager probes new serial ports with AT commands; on the main port `A` is a menu command."""
    name = "ModemManager"
    if env.platform != "linux":
        return Check(name, "skipped", "ModemManager runs only on Linux")
    pids = _running(env, "ModemManager")
    enabled = env.unit_state("ModemManager.service")
    if not pids:
        later = " (enabled: it starts at the next boot)" if enabled == "enabled" else ""
        return Check(name, "ok", f"not running{later}" + ("; the udev rule keeps it away" if later else ""))
    if rules_current(env):
        return Check(name, "ok", f"running (PID {pids[0]}), but the udev rule tells it to leave the board alone")
    return Check(
        name,
        "warn",
        f"running (PID {pids[0]}) and no current udev rule keeps it away: it may open the board's ports "
        "when plugged in and send AT probes (the main port would run them as menu commands)",
        f"install the udev rules (they set ID_MM_DEVICE_IGNORE): {INSTALL}; "
        "or, without a modem to serve: sudo systemctl disable --now ModemManager",
    )


def brltty_check(env: Environment) -> Check:
    """brltty's udev rules claim USB serial adapters for braille displays, and can take a port away."""
    name = "brltty"
    if env.platform != "linux":
        return Check(name, "skipped", "brltty is a Linux concern")
    pids = _running(env, "brltty")
    if not pids:
        return Check(name, "ok", "not running")
    return Check(
        name,
        "warn",
        f"running (PID {pids[0]}): it claims USB serial devices for braille displays and may hold the board's port",
        "without a braille display: sudo systemctl mask brltty-udev.service && sudo systemctl stop brltty.service "
        "(or remove the brltty package)",
    )


def udev_check(env: Environment) -> Check:
    """The rules file is installed, and says what this version's rules say."""
    name = "udev rules"
    if env.platform != "linux":
        return Check(name, "skipped", "udev is Linux only")
    for directory in env.udev_dirs:
        path = directory / FILE_NAME
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        installed = rule_lines(text)
        if installed == RULES:
            return Check(name, "ok", f"{path} is installed and current")
        missing = [rule for rule in RULES if rule not in installed]
        what = f"{len(missing)} of this version's {len(RULES)} rules missing" if missing else "extra or changed rules"
        return Check(name, "warn", f"{path} is stale: {what}", f"replace it: {INSTALL}")
    where = ", ".join(str(directory) for directory in env.udev_dirs)
    return Check(
        name,
        "warn",
        f"{FILE_NAME} is not installed (looked in {where}): no stable /dev/jumperless_* names, and ModemManager "
        "is not told to keep away",
        INSTALL,
    )
