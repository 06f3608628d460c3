"""`jumperless-mcp doctor` on simulated machines: each problem is reported with its fix.

The machine comes from an `Environment` whose fields a test replaces (groups, /etc/group, processes, udev
directories, boards found, who has a port open), so no test depends on this machine's own setup.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import anyio
import pytest

from jumperless_mcp.doctor.environment import Environment
from jumperless_mcp.doctor.report import Check, Report
from jumperless_mcp.doctor.run import diagnose
from jumperless_mcp.doctor.system_checks import (
    brltty_check,
    modem_manager_check,
    packages_check,
    python_check,
    serial_access_check,
    udev_check,
)
from jumperless_mcp.doctor.udev_rules import FILE_NAME, RULES, rule_lines
from jumperless_mcp.link.discovery import BoardPorts

REPO_RULES = Path(__file__).resolve().parent.parent / "udev" / FILE_NAME
ETC_GROUP = "root:x:0:\ndialout:x:20:\nplugdev:x:46:ada\nada:x:1000:\n"


def machine(tmp_path: Path, **changes: object) -> Environment:
    """A healthy Linux machine: ada is in dialout, rules current, nothing grabbing ports, no board."""
    rules = tmp_path / "etc-udev"
    rules.mkdir(exist_ok=True)
    (rules / FILE_NAME).write_text(REPO_RULES.read_text())
    healthy = dataclasses.replace(
        Environment.from_system(),
        platform="linux",
        python_version=(3, 12, 3),
        requirements=("pyserial>=3.5", "mcp<2.4,>=2.3"),
        installed_version={"pyserial": "3.5", "mcp": "2.3.1"}.get,
        user="ada",
        is_root=False,
        process_groups=frozenset({"ada", "dialout", "plugdev"}),
        etc_group=ETC_GROUP.replace("dialout:x:20:", "dialout:x:20:ada"),
        primary_group="ada",
        processes=lambda: [(1, "systemd"), (300, "sshd")],
        unit_state=lambda unit: None,
        udev_dirs=(rules, tmp_path / "lib-udev"),
        find_boards=lambda: [],
        port_openers=lambda device: [],
        device_access=lambda path: False,
        device_group=lambda path: "dialout",
    )
    return dataclasses.replace(healthy, **changes)


def test_the_shipped_rules_are_the_ones_the_doctor_compares_with() -> None:
    assert rule_lines(REPO_RULES.read_text()) == RULES


def test_a_healthy_machine_passes_every_system_check(tmp_path: Path) -> None:
    env = machine(tmp_path)
    checks = [python_check(env), packages_check(env), serial_access_check(env, []), udev_check(env)]
    checks += [modem_manager_check(env), brltty_check(env)]
    assert [check.status for check in checks] == ["ok"] * 6, checks


def test_missing_group_says_usermod(tmp_path: Path) -> None:
    env = machine(tmp_path, process_groups=frozenset({"ada"}), etc_group=ETC_GROUP)
    check = serial_access_check(env, ["/dev/ttyACM0"])
    assert check.status == "fail" and "not in the dialout group" in check.detail
    assert check.fix == "sudo usermod -aG dialout ada, then log out and back in"


def test_arch_uses_uucp(tmp_path: Path) -> None:
    env = machine(tmp_path, process_groups=frozenset({"ada"}), etc_group="uucp:x:14:\n", device_group=lambda p: None)
    check = serial_access_check(env, [])
    assert check.status == "fail" and "usermod -aG uucp ada" in (check.fix or "")


def test_pending_relogin_is_told_apart_from_a_missing_group(tmp_path: Path) -> None:
    env = machine(tmp_path, process_groups=frozenset({"ada"}))  # /etc/group has ada in dialout
    check = serial_access_check(env, ["/dev/ttyACM0"])
    assert check.status == "fail" and "re-login pending" in check.detail
    assert "log out and back in" in (check.fix or "") and "newgrp dialout" in (check.fix or "")


def test_access_to_the_device_itself_is_enough(tmp_path: Path) -> None:
    env = machine(tmp_path, process_groups=frozenset({"ada"}), device_access=lambda path: True)
    assert serial_access_check(env, ["/dev/ttyACM0"]).status == "ok"


def test_modem_manager_running_without_rules_warns_with_the_fix(tmp_path: Path) -> None:
    env = machine(tmp_path, processes=lambda: [(1, "systemd"), (812, "ModemManager")], udev_dirs=(tmp_path / "none",))
    check = modem_manager_check(env)
    assert check.status == "warn" and "PID 812" in check.detail
    assert "ID_MM_DEVICE_IGNORE" in (check.fix or "") and "systemctl disable --now ModemManager" in (check.fix or "")
    with_rules = machine(tmp_path, processes=lambda: [(812, "ModemManager")])
    assert modem_manager_check(with_rules).status == "ok"


def test_brltty_running_warns(tmp_path: Path) -> None:
    check = brltty_check(machine(tmp_path, processes=lambda: [(77, "brltty")]))
    assert check.status == "warn" and "PID 77" in check.detail and "mask brltty-udev" in (check.fix or "")


def test_rules_missing_and_stale(tmp_path: Path) -> None:
    missing = udev_check(machine(tmp_path, udev_dirs=(tmp_path / "nothing",)))
    assert missing.status == "warn" and "not installed" in missing.detail and "udevadm" in (missing.fix or "")
    env = machine(tmp_path)
    stale = REPO_RULES.read_text().replace('SYMLINK+="jumperless_ser3"', 'SYMLINK+="jumperless_aux"')
    (env.udev_dirs[0] / FILE_NAME).write_text(stale)
    check = udev_check(env)
    assert check.status == "warn" and "stale" in check.detail and "1 of this version's 5 rules missing" in check.detail
    assert "doctor --udev-rules | sudo tee /etc/udev/rules.d/70-jumperless.rules" in (check.fix or "")


def test_old_python_and_wrong_packages(tmp_path: Path) -> None:
    assert python_check(machine(tmp_path, python_version=(3, 10, 12))).status == "fail"
    env = machine(tmp_path, installed_version={"pyserial": "3.4"}.get)
    check = packages_check(env)
    assert check.status == "fail"
    assert "pyserial 3.4 (needs >=3.5)" in check.detail and "mcp missing" in check.detail
    assert "pip install --upgrade jumperless-mcp" in (check.fix or "")


def test_windows_and_macos_say_what_they_skip(tmp_path: Path) -> None:
    windows = machine(tmp_path, platform="win32", port_openers=lambda device: None)
    for check in (serial_access_check(windows, []), modem_manager_check(windows), udev_check(windows)):
        assert check.status == "skipped" and check.detail
    assert "Windows" in serial_access_check(windows, []).detail
    mac = serial_access_check(machine(tmp_path, platform="darwin"), [])
    assert mac.status == "skipped" and "macOS" in mac.detail


def test_no_board_found_fails_with_the_fix_and_skips_the_board(tmp_path: Path) -> None:
    report = anyio.run(lambda: diagnose("auto", machine(tmp_path), timeout=2))
    found = report.by_name("boards found")
    assert found.status == "fail" and "plug the board in" in (found.fix or "")
    assert {report.by_name(name).status for name in ("firmware", "channel", "REPL port")} == {"skipped"}
    assert report.exit_status == 1
    assert "Fixes:\n  1. boards found: plug the board in" in report.table()


def test_a_usb_board_held_by_another_program(tmp_path: Path) -> None:
    """A found board whose main port another program has open: the PID is named, the board left alone."""
    device = tmp_path / "ttyACM0"
    device.touch()
    board = BoardPorts(main=str(device), location="1-1.4")
    env = machine(
        tmp_path,
        find_boards=lambda: [board],
        device_access=lambda path: True,
        port_openers=lambda path: [(4242, "screen")],
        processes=lambda: [(4242, "screen")],
    )
    report = anyio.run(lambda: diagnose("usb:1-1.4", env, timeout=2))
    check = report.by_name("port main")
    assert check.status == "fail" and "PID 4242 (screen)" in check.detail and "kill 4242" in (check.fix or "")
    assert report.by_name("firmware").status == "skipped" and report.exit_status == 1
    assert report.by_name("boards found").detail.startswith("1: usb:1-1.4 (main ")


def test_report_json_and_exit_status() -> None:
    report = Report("auto", [Check("a", "ok", "fine"), Check("b", "skipped", "why")])
    assert report.exit_status == 0 and report.as_dict()["counts"] == {"ok": 1, "warn": 0, "fail": 0, "skipped": 1}
    report.add(Check("c", "warn", "hmm", "do this"))
    assert report.exit_status == 1 and "[fix 1]" in report.table()
    with pytest.raises(ValueError, match="status"):
        Check("d", "bad", "x")


def test_modem_manager_holding_the_port_points_at_its_own_fix(tmp_path: Path) -> None:
    board = BoardPorts(main="/dev/ttyACM0", location="1-2")
    env = machine(
        tmp_path,
        find_boards=lambda: [board],
        device_access=lambda path: True,
        port_openers=lambda path: [(812, "ModemManager")],
        processes=lambda: [(812, "ModemManager")],
    )
    check = anyio.run(lambda: diagnose("auto", env, timeout=2)).by_name("port main")
    assert (
        check.status == "fail"
        and check.fix == "keep ModemManager away from the board (see the ModemManager check), then replug it"
    )


def test_the_printed_rules_are_the_shipped_ones(capsys: pytest.CaptureFixture[str]) -> None:
    from jumperless_mcp.cli import main

    assert main(["doctor", "--udev-rules"]) == 0
    assert rule_lines(capsys.readouterr().out) == rule_lines(REPO_RULES.read_text())
