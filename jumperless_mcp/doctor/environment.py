"""What the doctor reads of the machine, gathered in one object so tests can simulate any machine.

`Environment.from_system()` reads the real one; every field is plain data or a read-only callable, and a test
replaces only what its scenario needs (`dataclasses.replace`). Nothing here changes the system.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jumperless_mcp.link.discovery import BoardPorts, find_boards
from jumperless_mcp.link.port_lock import lock_dir

Process = tuple[int, str]  # (pid, command name)
UDEV_DIRS = (Path("/etc/udev/rules.d"), Path("/lib/udev/rules.d"), Path("/usr/lib/udev/rules.d"))
PACKAGE = "jumperless-mcp"


@dataclass(frozen=True)
class Environment:
    platform: str  # sys.platform: "linux", "darwin", "win32"
    python_version: tuple[int, int, int]
    requirements: tuple[str, ...]  # the package's own requirement strings ("mcp>=2.3,<2.4", ...)
    installed_version: Callable[[str], str | None]  # a distribution's version, None if missing
    user: str
    is_root: bool
    process_groups: frozenset[str]  # the groups this process has now
    etc_group: str  # the text of /etc/group: the groups the user will have at the next login
    primary_group: str | None
    processes: Callable[[], list[Process]]
    unit_state: Callable[[str], str | None]  # `systemctl is-enabled UNIT`, None where unknown
    udev_dirs: tuple[Path, ...]
    find_boards: Callable[[], list[BoardPorts]]
    lock_dir: Callable[[], Path]
    port_openers: Callable[[str], list[Process] | None]  # None: cannot tell on this system
    device_access: Callable[[str], bool]  # may this process read and write the device?
    device_group: Callable[[str], str | None]
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def from_system(cls) -> Environment:
        return cls(
            platform=sys.platform,
            python_version=tuple(sys.version_info[:3]),  # type: ignore[arg-type]
            requirements=_own_requirements(),
            installed_version=_installed_version,
            user=_user(),
            is_root=hasattr(os, "geteuid") and os.geteuid() == 0,
            process_groups=_process_groups(),
            etc_group=_read("/etc/group"),
            primary_group=_primary_group(),
            processes=_processes,
            unit_state=_unit_state,
            udev_dirs=UDEV_DIRS,
            find_boards=find_boards,
            lock_dir=lock_dir,
            port_openers=_port_openers,
            device_access=lambda path: os.access(path, os.R_OK | os.W_OK),
            device_group=_device_group,
        )


def _own_requirements() -> tuple[str, ...]:
    try:
        found = importlib.metadata.requires(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return ()
    return tuple(req for req in found if "extra ==" not in req)


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _user() -> str:
    with contextlib.suppress(Exception):
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    return os.environ.get("USER") or os.environ.get("USERNAME") or "?"


def _group_name(gid: int) -> str:
    try:
        import grp  # POSIX only

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)


def _process_groups() -> frozenset[str]:
    if not hasattr(os, "getgroups"):
        return frozenset()
    return frozenset(_group_name(gid) for gid in {*os.getgroups(), os.getegid()})


def _primary_group() -> str | None:
    with contextlib.suppress(Exception):
        import pwd

        return _group_name(pwd.getpwuid(os.getuid()).pw_gid)
    return None


def _processes() -> list[Process]:
    """Running processes by command name: /proc on Linux, `ps` elsewhere."""
    proc = Path("/proc")
    if sys.platform.startswith("linux") and proc.is_dir():
        found = []
        for entry in proc.iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    found.append((int(entry.name), (entry / "comm").read_text().strip()))
        return found
    output = _quiet_run(["ps", "-axo", "pid=,comm="])
    found = []
    for line in (output or "").splitlines():
        pid, _, name = line.strip().partition(" ")
        if pid.isdigit():
            found.append((int(pid), os.path.basename(name.strip())))
    return found


def _unit_state(unit: str) -> str | None:
    if shutil.which("systemctl") is None:
        return None
    output = _quiet_run(["systemctl", "is-enabled", unit])
    return output.strip() or None if output is not None else None


def _port_openers(device: str) -> list[Process] | None:
    """Processes with the device open: /proc/*/fd on Linux, `lsof` on macOS; None where that cannot be seen."""
    wanted = os.path.realpath(device)
    if sys.platform.startswith("linux") and Path("/proc").is_dir():
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                for fd in (entry / "fd").iterdir():
                    with contextlib.suppress(OSError):
                        if os.readlink(fd) == wanted:
                            found.append((int(entry.name), (entry / "comm").read_text().strip()))
                            break
        return found
    if sys.platform == "darwin" and shutil.which("lsof"):
        output = _quiet_run(["lsof", "-F", "pc", wanted])
        found, pid = [], None
        for line in (output or "").splitlines():
            if line.startswith("p") and line[1:].isdigit():
                pid = int(line[1:])
            elif line.startswith("c") and pid is not None:
                found.append((pid, line[1:]))
        return found
    return None


def _device_group(path: str) -> str | None:
    try:
        return _group_name(os.stat(path).st_gid)
    except OSError:
        return None


def _quiet_run(command: list[str]) -> str | None:
    """A read-only command's stdout, or None when it cannot run."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
