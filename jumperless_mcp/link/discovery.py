"""Find Jumperless boards among the USB serial ports and tell their four ports apart.

Every board reports the same USB serial number (`JLV5port`), so ports are grouped
into boards by USB location, and each port's role comes from its USB interface
number (Linux location `…:1.N`, Windows `MI_NN`, macOS name suffix) or, failing
that, its interface string (§1.2-1.5). Nothing here opens a port.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

VID, PID = 0x1D50, 0xACAB
ROLE_BY_INTERFACE = {0: "main", 2: "uart", 4: "repl", 6: "aux"}
ROLE_BY_STRING = {
    "jumperless main": "main",
    "jl uart passthrough": "uart",
    "jumperless serial 1": "uart",
    "jl micropython repl": "repl",
    "jl logic analyzer": "repl",  # 5.3.x puts the logic analyzer where >= 5.6 has the REPL
    "jl tui": "aux",
}
ROLES = ("main", "repl", "uart", "aux")


@dataclass(frozen=True)
class BoardPorts:
    """The serial devices of one board, by role, and where it sits on the USB bus."""

    main: str | None = None
    repl: str | None = None
    uart: str | None = None
    aux: str | None = None
    location: str | None = None
    unknown: str | None = None  # a device given by path whose role must be found by talking to it
    time_scale: float = 1.0  # a virtual board's timer scale; 1.0 for hardware
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        """How to select this board again: `usb:<location>`, or its main (else REPL) device."""
        if self.location:
            return f"usb:{self.location}"
        return self.main or self.repl or self.unknown or "?"

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "location": self.location,
            **{role: getattr(self, role) for role in ROLES},
        }


def is_jumperless(port: ListPortInfo) -> bool:
    if port.vid == VID and port.pid == PID:
        return True
    return "jumperless" in f"{port.description} {port.product or ''}".lower() and port.vid == VID


def interface_number(port: ListPortInfo) -> int | None:
    """The USB interface number of a port, from whatever the OS reports."""
    windows = re.search(r"MI_([0-9A-Fa-f]{2})", port.hwid or "")
    if windows:
        return int(windows.group(1), 16)
    if port.location and ":" in port.location:
        suffix = port.location.rsplit(":", 1)[1]  # Linux "1.N", Windows "x.N"
        tail = suffix.rsplit(".", 1)[-1]
        if tail.isdigit():
            return int(tail)
    mac = re.search(r"JLV5port(\d)$", port.device or "")
    if mac:
        return int(mac.group(1)) - 1  # macOS names the ports serial + (interface + 1)
    return None


def port_role(port: ListPortInfo) -> str | None:
    number = interface_number(port)
    if number in ROLE_BY_INTERFACE:
        return ROLE_BY_INTERFACE[number]
    if port.interface:
        return ROLE_BY_STRING.get(port.interface.strip().lower())
    return None


def board_key(port: ListPortInfo) -> str:
    """What the ports of one board share: the USB location without the interface part."""
    if port.location:
        return port.location.split(":", 1)[0]
    mac = re.match(r"(.*JLV5port)\d$", port.device or "")
    return mac.group(1) if mac else port.device


def group_boards(ports: Iterable[ListPortInfo]) -> list[BoardPorts]:
    """Jumperless ports grouped into boards, sorted by location."""
    grouped: dict[str, dict[str, str]] = {}
    for port in ports:
        if not is_jumperless(port):
            continue
        role = port_role(port)
        if role is None:
            continue
        grouped.setdefault(board_key(port), {})[role] = port.device
    boards = []
    for key, roles in sorted(grouped.items()):
        location = key if not key.startswith("/") else None
        boards.append(BoardPorts(location=location, **roles))
    return boards


def find_boards() -> list[BoardPorts]:
    """Every Jumperless plugged in now."""
    return group_boards(list_ports.comports())


def sibling_ports(device: str) -> BoardPorts | None:
    """The board a device path belongs to, if enumeration can see it (it cannot see ptys)."""
    wanted = os.path.realpath(device)
    for board in find_boards():
        for role in ROLES:
            path = getattr(board, role)
            if path and os.path.realpath(path) == wanted:
                return board
    return guess_from_name(device)


_NAME_PATTERNS = (
    (re.compile(r"(JLV5port)([1357])$"), {"main": "1", "uart": "3", "repl": "5", "aux": "7"}),
    (re.compile(r"(-if)(0[0246])$"), {"main": "00", "uart": "02", "repl": "04", "aux": "06"}),
    (
        re.compile(r"(jumperless_)(main|uart|repl|ser3)$"),
        {"main": "main", "uart": "uart", "repl": "repl", "aux": "ser3"},
    ),
)


def guess_from_name(device: str) -> BoardPorts | None:
    """Sibling paths from naming schemes: macOS `…JLV5portN`, by-id `…-if0N`, our udev symlinks."""
    for pattern, suffixes in _NAME_PATTERNS:
        match = pattern.search(device)
        if not match:
            continue
        stem = device[: match.start(2)]
        paths = {role: stem + suffix for role, suffix in suffixes.items()}
        present = {role: path for role, path in paths.items() if path == device or os.path.exists(path)}
        return BoardPorts(**present)
    return None
