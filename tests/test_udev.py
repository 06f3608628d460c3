"""The udev rules agree with the firmware's USB identity and with how discovery names the port roles."""

from __future__ import annotations

import re
from pathlib import Path

from jumperless_mcp.link.discovery import ROLE_BY_INTERFACE, guess_from_name

RULES = (Path(__file__).resolve().parent.parent / "udev" / "70-jumperless.rules").read_text()
RULE_LINES = [line for line in RULES.splitlines() if line.strip() and not line.startswith("#")]


def test_every_rule_matches_only_the_jumperless_usb_identity() -> None:
    assert RULE_LINES
    for line in RULE_LINES:
        assert 'SUBSYSTEM=="tty"' in line
        assert 'ATTRS{idVendor}=="1d50"' in line and 'ATTRS{idProduct}=="acab"' in line


def test_access_for_dialout_and_modemmanager_kept_away() -> None:
    access = [line for line in RULE_LINES if 'GROUP="dialout"' in line]
    assert len(access) == 1 and 'MODE="0660"' in access[0]
    assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in access[0]


def test_one_stable_symlink_per_interface_and_discovery_reads_them_back(tmp_path: Path) -> None:
    links = dict(re.findall(r'ID_USB_INTERFACE_NUM}=="(\d\d)".*SYMLINK\+="([^"]+)"', RULES))
    assert sorted(int(n) for n in links) == sorted(ROLE_BY_INTERFACE)
    for name in links.values():
        (tmp_path / name).touch()
    for number, name in links.items():
        ports = guess_from_name(str(tmp_path / name))
        assert ports is not None
        role = ROLE_BY_INTERFACE[int(number)]
        assert getattr(ports, role) == str(tmp_path / name)
        assert ports.main == str(tmp_path / links["00"]) and ports.repl == str(tmp_path / links["04"])
