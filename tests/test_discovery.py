"""Finding boards among USB serial ports, choosing one (`Target`), and `jumperless-mcp ports`.

The port lists are built by hand the way pyserial reports a Jumperless V5 on each OS (§1.3):
Linux gives a per-interface location (`1-1.4:1.N`) and the interface string, macOS names the ports
`…JLV5port1/3/5/7`, Windows puts the interface number in the location (`1-4:x.N`) while its raw
hardware id carries `MI_NN`. Nothing here opens a port.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

from jumperless_mcp import cli
from jumperless_mcp.emulator.virtual_board import PERSONAS
from jumperless_mcp.errors import ArgumentError, BoardNotFound
from jumperless_mcp.link.discovery import (
    BoardPorts,
    find_boards,
    group_boards,
    guess_from_name,
    interface_number,
    port_role,
    sibling_ports,
)
from jumperless_mcp.link.personas import EMULATOR_PERSONAS
from jumperless_mcp.link.targets import ENV_VAR, Target

VID, PID = 0x1D50, 0xACAB
INTERFACE_STRINGS = {0: "Jumperless Main", 2: "JL UART Passthrough", 4: "JL Micropython REPL", 6: "JL TUI"}


def port(
    device: str,
    *,
    vid: int = VID,
    pid: int = PID,
    serial_number: str = "JLV5port",
    location: str | None = None,
    interface: str | None = None,
    hwid: str | None = None,
    description: str = "Jumperless V5",
    product: str | None = "Jumperless V5",
) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number = vid, pid, serial_number
    info.location, info.interface, info.description = location, interface, description
    info.product = product
    info.hwid = hwid or info.usb_info()
    return info


def linux_board(usb_path: str = "1-1.4", first_tty: int = 0) -> list[ListPortInfo]:
    """What pyserial's sysfs backend reports: location `<usb path>:1.<interface>`, the interface string."""
    return [
        port(f"/dev/ttyACM{first_tty + i}", location=f"{usb_path}:1.{number}", interface=text)
        for i, (number, text) in enumerate(INTERFACE_STRINGS.items())
    ]


def macos_board(location: str | None = None, interface: str | None = None) -> list[ListPortInfo]:
    """macOS names each port serial + (interface + 1); pyserial's location there has no interface part."""
    return [
        port(f"/dev/cu.usbmodemJLV5port{suffix}", location=location, interface=interface) for suffix in (1, 3, 5, 7)
    ]


def windows_board(usb_path: str = "1-4") -> list[ListPortInfo]:
    """pyserial on Windows: `LOCATION=<path>:x.<interface>` in its hwid, a composite device's serial upper-cased."""
    return [
        port(f"COM{number + 3}", serial_number="JLV5PORT", location=f"{usb_path}:x.{number}", interface=None)
        for number in INTERFACE_STRINGS
    ]


def unrelated_ports() -> list[ListPortInfo]:
    """An FTDI adapter, a Pico (whose description even says Jumperless), a built-in UART."""
    ftdi = dict(vid=0x0403, pid=0x6001, serial_number="A50285BI", description="FT232R", product="FT232R USB UART")
    pico = dict(vid=0x2E8A, pid=0x0005, serial_number="E660", description="Jumperless bridge", product="Board CDC")
    return [
        port("/dev/ttyUSB0", location="1-2:1.0", **ftdi),  # type: ignore[arg-type]
        port("/dev/ttyACM9", location="1-3:1.0", interface="Jumperless Main", **pico),  # type: ignore[arg-type]
        port("/dev/ttyS0", vid=None, pid=None, serial_number=None, description="ttyS0", product=None),  # type: ignore[arg-type]
    ]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def plugged(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """plugged(ports): what `serial.tools.list_ports.comports()` returns from now on."""

    def plug(ports: list[ListPortInfo]) -> None:
        monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *args, **kwargs: list(ports))

    plug([])
    return plug


# --- grouping ports into boards --------------------------------------------------------------------------------------


def test_linux_board_by_interface_number() -> None:
    (board,) = group_boards(linux_board() + unrelated_ports())
    assert board == BoardPorts(
        main="/dev/ttyACM0", uart="/dev/ttyACM1", repl="/dev/ttyACM2", aux="/dev/ttyACM3", location="1-1.4"
    )
    assert board.name == "usb:1-1.4"
    assert board.as_dict() == {
        "name": "usb:1-1.4",
        "location": "1-1.4",
        "main": "/dev/ttyACM0",
        "repl": "/dev/ttyACM2",
        "uart": "/dev/ttyACM1",
        "aux": "/dev/ttyACM3",
    }


def test_linux_roles_come_from_the_interface_number_even_when_ttys_are_shuffled() -> None:
    ports = linux_board()
    for info, device in zip(ports, ("/dev/ttyACM7", "/dev/ttyACM4", "/dev/ttyACM6", "/dev/ttyACM5"), strict=True):
        info.device = device
    (board,) = group_boards(reversed(ports))
    assert (board.main, board.uart, board.repl, board.aux) == (
        "/dev/ttyACM7",
        "/dev/ttyACM4",
        "/dev/ttyACM6",
        "/dev/ttyACM5",
    )


def test_interface_string_is_the_fallback_without_an_interface_number() -> None:
    ports = [
        port(f"/dev/ttyACM{i}", location="1-1.4", interface=text) for i, text in enumerate(INTERFACE_STRINGS.values())
    ]
    assert [interface_number(p) for p in ports] == [None] * 4
    assert [port_role(p) for p in ports] == ["main", "uart", "repl", "aux"]
    # 5.3.x names interface 4 "JL Logic Analyzer": still the REPL slot, so a newer firmware finds its REPL there
    assert port_role(port("/dev/ttyACM2", location="1-1.4", interface="JL Logic Analyzer")) == "repl"
    assert port_role(port("/dev/ttyACM2", location="1-1.4", interface="Something Else")) is None


def test_macos_board_by_port_name_suffix() -> None:
    (board,) = group_boards(macos_board() + unrelated_ports())
    assert board == BoardPorts(
        main="/dev/cu.usbmodemJLV5port1",
        uart="/dev/cu.usbmodemJLV5port3",
        repl="/dev/cu.usbmodemJLV5port5",
        aux="/dev/cu.usbmodemJLV5port7",
    )
    assert board.location is None and board.name == "/dev/cu.usbmodemJLV5port1"


def test_macos_suffix_beats_a_device_wide_location_and_interface() -> None:
    """pyserial on macOS gives every port the device's location and the same interface name."""
    (board,) = group_boards(macos_board(location="20-1.4", interface="Jumperless Main"))
    assert (board.main, board.uart, board.repl, board.aux, board.location) == (
        "/dev/cu.usbmodemJLV5port1",
        "/dev/cu.usbmodemJLV5port3",
        "/dev/cu.usbmodemJLV5port5",
        "/dev/cu.usbmodemJLV5port7",
        "20-1.4",
    )


def test_windows_board_by_location_interface_suffix() -> None:
    ports = windows_board()
    assert ports[2].hwid == "USB VID:PID=1D50:ACAB SER=JLV5PORT LOCATION=1-4:x.4"
    (board,) = group_boards(unrelated_ports() + ports)
    assert board == BoardPorts(main="COM3", uart="COM5", repl="COM7", aux="COM9", location="1-4")
    assert board.name == "usb:1-4"


def test_windows_raw_hardware_id_with_mi_numbers() -> None:
    """A raw SetupAPI id (`…&MI_04\\…`) names the interface even where the location does not."""
    ports = [
        port(
            f"COM{10 + number}",
            location="1-4",
            hwid=f"USB\\VID_1D50&PID_ACAB&MI_{number:02d}\\6&2A3B4C5D&0&000{number}",
        )
        for number in INTERFACE_STRINGS
    ]
    assert [interface_number(p) for p in ports] == [0, 2, 4, 6]
    (board,) = group_boards(ports)
    assert (board.main, board.uart, board.repl, board.aux, board.location) == (
        "COM10",
        "COM12",
        "COM14",
        "COM16",
        "1-4",
    )


def test_two_boards_are_told_apart_by_usb_location() -> None:
    first, second = linux_board("1-1.4", 0), linux_board("1-1.2", 4)
    boards = group_boards(first + unrelated_ports() + second)
    assert [b.location for b in boards] == ["1-1.2", "1-1.4"]  # sorted by location
    assert [(b.main, b.repl) for b in boards] == [("/dev/ttyACM4", "/dev/ttyACM6"), ("/dev/ttyACM0", "/dev/ttyACM2")]


def test_other_devices_are_ignored() -> None:
    assert group_boards(unrelated_ports()) == []
    # the right VID with another product is not a Jumperless either
    assert (
        group_boards(
            [port("/dev/ttyACM5", pid=0x6018, location="1-5:1.0", description="BMP", product="Black Magic Probe")]
        )
        == []
    )
    # the App also accepts 1D50 ports whose description says Jumperless (§1.4)
    (board,) = group_boards([port("/dev/ttyACM5", pid=0x1312, location="1-5:1.0", description="Jumperless")])
    assert board.main == "/dev/ttyACM5"


def test_find_boards_reads_comports(plugged) -> None:  # type: ignore[no-untyped-def]
    assert find_boards() == []
    plugged(linux_board() + unrelated_ports())
    assert [b.main for b in find_boards()] == ["/dev/ttyACM0"]


# --- Target: what the user asked for ---------------------------------------------------------------------------------


def test_auto_without_a_board_suggests_the_emulator(plugged) -> None:  # type: ignore[no-untyped-def]
    plugged(unrelated_ports())
    with pytest.raises(BoardNotFound, match="emulator"):
        Target("auto").locate()


def test_auto_with_one_board_gives_its_ports(plugged) -> None:  # type: ignore[no-untyped-def]
    plugged(unrelated_ports() + linux_board())
    ports = Target("auto").locate()
    assert (ports.main, ports.repl, ports.location) == ("/dev/ttyACM0", "/dev/ttyACM2", "1-1.4")
    assert Target(None).locate() == ports  # no spec and no JUMPERLESS_PORT: auto


def test_auto_with_two_boards_lists_both(plugged) -> None:  # type: ignore[no-untyped-def]
    plugged(linux_board("1-1.4", 0) + linux_board("1-1.2", 4))
    with pytest.raises(BoardNotFound, match="several") as info:
        Target("auto").locate()
    assert "usb:1-1.2" in str(info.value) and "usb:1-1.4" in str(info.value)


def test_usb_location_picks_that_board(plugged) -> None:  # type: ignore[no-untyped-def]
    plugged(linux_board("1-1.4", 0) + linux_board("1-1.2", 4))
    assert Target("usb:1-1.2").locate().main == "/dev/ttyACM4"
    assert Target("usb:1-1.4").locate().main == "/dev/ttyACM0"
    with pytest.raises(BoardNotFound, match="1-9") as info:
        Target("usb:1-9").locate()
    assert "usb:1-1.2" in str(info.value)  # says what is there instead


def test_environment_variable_gives_the_default(monkeypatch: pytest.MonkeyPatch, plugged) -> None:  # type: ignore[no-untyped-def]
    plugged(linux_board("1-1.4", 0) + linux_board("1-1.2", 4))
    monkeypatch.setenv(ENV_VAR, "usb:1-1.2")
    assert Target(None).locate().main == "/dev/ttyACM4"
    assert Target("").locate().main == "/dev/ttyACM4"
    monkeypatch.setenv(ENV_VAR, "emulator:legacy")
    target = Target(None)
    assert (target.kind, target.persona) == ("emulator", "legacy")


def test_emulator_specs() -> None:
    assert (Target("emulator").kind, Target("emulator").persona) == ("emulator", "jumperlos")
    for persona in PERSONAS:  # every persona the virtual board plays, the upstream ones included
        assert (Target(f"emulator:{persona}").kind, Target(f"emulator:{persona}").persona) == ("emulator", persona)
    with pytest.raises(ArgumentError) as info:
        Target("emulator:bogus")
    assert info.value.parameter == "port" and "bogus" in str(info.value)
    allowed = info.value.allowed or ""
    assert all(f"emulator:{persona}" in allowed for persona in PERSONAS if persona != "jumperlos"), allowed


def test_persona_names_are_the_virtual_boards_and_need_no_emulator_import() -> None:
    """The host checks persona names without loading the emulator (pseudo-terminal code: no Windows)."""
    assert tuple(PERSONAS) == EMULATOR_PERSONAS
    code = (
        "import sys, jumperless_mcp.link.targets, jumperless_mcp.settings.board_config\n"
        "print(sorted(m for m in sys.modules if m.startswith('jumperless_mcp.emulator')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert loaded.stdout.strip() == "[]"


def test_json_and_dict_mappings() -> None:
    ports = Target('{"main": "/dev/pts/7", "repl": "/dev/pts/8", "persona": "jumperlos", "time_scale": 0.5}').locate()
    assert (ports.main, ports.repl, ports.time_scale) == ("/dev/pts/7", "/dev/pts/8", 0.5)
    assert Target({"repl": "/dev/pts/8"}).locate() == BoardPorts(repl="/dev/pts/8")
    with pytest.raises(ArgumentError) as info:
        Target('{"main": "/dev/pts/7",')
    assert info.value.parameter == "port" and "JSON" in str(info.value)
    for mapping in ('{"uart": "/dev/ttyACM1"}', {"main": None, "repl": ""}, "{}"):
        with pytest.raises(ArgumentError) as info:
            Target(mapping)
        assert info.value.parameter == "port" and "neither a main nor a repl" in str(info.value)
    with pytest.raises(ArgumentError) as info:
        Target({"main": 7})
    assert info.value.parameter == "port.main"
    with pytest.raises(ArgumentError) as info:
        Target({"main": "/dev/pts/7", "time_scale": 0})
    assert info.value.parameter == "port.time_scale"


def test_an_unplugged_virtual_board_is_not_found_until_replugged(tmp_path: Path) -> None:
    target = Target("emulator:legacy")
    target.start_emulator(fs_dir=tmp_path / "fs", time_scale=0.05)
    try:
        first = target.locate()
        assert first.main == target.virtual_board.main_path and first.time_scale == 0.05
        assert first.repl == target.virtual_board.repl_path  # 5.3.x CDC2: the logic analyzer
        target.virtual_board.unplug()
        with pytest.raises(BoardNotFound, match="unplugged") as info:
            target.locate()  # the old pty path may belong to someone else by now
        assert info.value.retryable
        target.virtual_board.replug()
        assert target.locate().main == target.virtual_board.main_path
    finally:
        target.stop_emulator()
    assert target.virtual_board is None


def test_a_missing_port_path_is_not_found(plugged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BoardNotFound, match="no such port"):
        Target(str(tmp_path / "ttyACM42")).locate()


def test_a_plain_path_is_probed_for_its_role(plugged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    device = tmp_path / "ttyACM0"
    device.touch()
    assert Target(str(device)).locate() == BoardPorts(unknown=str(device))


def test_a_path_listed_by_enumeration_brings_its_siblings(plugged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    devices = [tmp_path / f"ttyACM{i}" for i in range(4)]
    for device in devices:
        device.touch()
    ports = linux_board()
    for info, device in zip(ports, devices, strict=True):
        info.device = str(device)
    plugged(ports)
    found = Target(str(devices[2])).locate()  # the REPL port
    assert (found.main, found.repl, found.location) == (str(devices[0]), str(devices[2]), "1-1.4")
    link = tmp_path / "jl"
    link.symlink_to(devices[0])
    assert sibling_ports(str(link)) == found  # a symlink resolves to the listed device


# --- sibling paths from names ----------------------------------------------------------------------------------------


def test_guess_from_by_id_names(tmp_path: Path) -> None:
    stem = tmp_path / "usb-Architeuthis_Flux_Jumperless_V5_JLV5port"
    for suffix in ("-if00", "-if04", "-if06"):
        Path(f"{stem}{suffix}").touch()
    guessed = guess_from_name(f"{stem}-if04")
    assert guessed == BoardPorts(main=f"{stem}-if00", repl=f"{stem}-if04", aux=f"{stem}-if06")  # no -if02 present


def test_guess_from_macos_names(tmp_path: Path) -> None:
    for suffix in (1, 5):
        (tmp_path / f"cu.usbmodemJLV5port{suffix}").touch()
    guessed = guess_from_name(str(tmp_path / "cu.usbmodemJLV5port1"))
    assert guessed == BoardPorts(
        main=str(tmp_path / "cu.usbmodemJLV5port1"), repl=str(tmp_path / "cu.usbmodemJLV5port5")
    )


def test_guess_from_udev_symlink_names(tmp_path: Path) -> None:
    for role in ("main", "repl", "ser3"):
        (tmp_path / f"jumperless_{role}").touch()
    guessed = guess_from_name(str(tmp_path / "jumperless_main"))
    assert guessed == BoardPorts(
        main=str(tmp_path / "jumperless_main"),
        repl=str(tmp_path / "jumperless_repl"),
        aux=str(tmp_path / "jumperless_ser3"),
    )


def test_guess_keeps_the_given_path_and_gives_up_on_other_names(tmp_path: Path) -> None:
    assert guess_from_name("/dev/jumperless_repl") == BoardPorts(repl="/dev/jumperless_repl")
    assert guess_from_name("/dev/ttyACM0") is None
    assert guess_from_name("COM5") is None


def test_udev_symlink_target_finds_both_ports(plugged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for role in ("main", "repl"):
        (tmp_path / f"jumperless_{role}").touch()
    found = Target(str(tmp_path / "jumperless_repl")).locate()
    assert (found.main, found.repl) == (str(tmp_path / "jumperless_main"), str(tmp_path / "jumperless_repl"))


# --- jumperless-mcp ports ---------------------------------------------------------------------------------------------


def test_ports_table(plugged, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    plugged(linux_board("1-1.4", 0) + macos_board() + unrelated_ports())
    assert cli.main(["ports"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["board", "main", "repl", "uart", "aux"]
    rows = [line.split() for line in lines[1:]]
    assert ["usb:1-1.4", "/dev/ttyACM0", "/dev/ttyACM2", "/dev/ttyACM1", "/dev/ttyACM3"] in rows
    mac = "/dev/cu.usbmodemJLV5port"
    assert [f"{mac}1", f"{mac}1", f"{mac}5", f"{mac}3", f"{mac}7"] in rows
    assert len(rows) == 2


def test_ports_table_marks_missing_roles(plugged, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    plugged(linux_board()[:1] + linux_board()[2:3])  # only main and REPL enumerated
    assert cli.main(["ports"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["usb:1-1.4", "/dev/ttyACM0", "/dev/ttyACM2", "-", "-"]


def test_ports_json(plugged, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    plugged(linux_board("1-1.4", 0) + linux_board("1-1.2", 4) + unrelated_ports())
    assert cli.main(["ports", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert isinstance(listed, list) and len(listed) == 2
    for entry in listed:
        assert set(entry) == {"name", "location", "main", "repl", "uart", "aux"}
    assert listed[0] == {
        "name": "usb:1-1.2",
        "location": "1-1.2",
        "main": "/dev/ttyACM4",
        "repl": "/dev/ttyACM6",
        "uart": "/dev/ttyACM5",
        "aux": "/dev/ttyACM7",
    }


def test_ports_without_boards(plugged, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    plugged(unrelated_ports())
    assert cli.main(["ports"]) == 0
    out = capsys.readouterr().out
    assert "No Jumperless found" in out and "jumperless-mcp emulate" in out
    assert cli.main(["ports", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
