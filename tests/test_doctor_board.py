"""`jumperless-mcp doctor` against the virtual board on real ptys: firmware, channel, REPL, and a held port."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from jumperless_mcp.cli import main
from jumperless_mcp.doctor.run import diagnose
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.link.port_lock import PortLock

ROOT = Path(__file__).resolve().parent.parent
HOLD = """
import sys
from jumperless_mcp.link.port_lock import PortLock
lock = PortLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
"""


def run(port: str):  # type: ignore[no-untyped-def]
    return anyio.run(lambda: diagnose(port, timeout=5))


def test_jumperlos_by_its_mapping_reports_firmware_channel_and_repl(jos_board: VirtualBoard) -> None:
    report = run(json.dumps(jos_board.info()))
    assert report.by_name("firmware").detail == "5.7.0.13 (JumperlOS)"
    assert report.by_name("channel").detail.startswith(
        f"raw-repl: the MicroPython raw REPL on the REPL port ({jos_board.repl_path})"
    )
    assert report.by_name("REPL port").status == "ok" and report.by_name("round trip").status == "ok"
    assert report.by_name("udev rules").status == "skipped"  # ptys: USB setup does not apply
    assert report.exit_status == 0, report.table()


def test_legacy_by_its_main_pty_path(legacy_board: VirtualBoard) -> None:
    report = run(legacy_board.main_path)  # type: ignore[arg-type]
    assert report.by_name("firmware").detail.endswith("(5.3.x-5.5.x (legacy))")
    assert report.by_name("channel").detail.startswith("main-oneliner: the `>` one-liner on the main port")
    repl = report.by_name("REPL port")
    assert repl.status == "skipped" and "no MicroPython REPL port" in repl.detail
    assert report.exit_status == 0, report.table()


def test_jumperlos_by_its_repl_pty_path(jos_board: VirtualBoard) -> None:
    report = run(jos_board.repl_path)  # type: ignore[arg-type]
    assert report.by_name("channel").detail.startswith("raw-repl")
    assert report.exit_status == 0, report.table()


def test_a_port_locked_in_this_process_names_this_pid(jos_board: VirtualBoard) -> None:
    lock = PortLock(jos_board.main_path)  # type: ignore[arg-type]
    lock.acquire()
    try:
        report = run(json.dumps(jos_board.info()))
    finally:
        lock.release()
    check = report.by_name("port main")
    assert check.status == "fail" and "(this process)" in check.detail and str(lock.path) in check.detail
    assert report.by_name("firmware").status == "skipped" and report.exit_status == 1
    assert run(json.dumps(jos_board.info())).exit_status == 0  # released: all well again


def test_a_port_locked_by_another_process_names_its_pid(jos_board: VirtualBoard) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, jos_board.repl_path],  # type: ignore[list-item]
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        report = run(json.dumps(jos_board.info()))
    finally:
        holder.communicate("\n", timeout=10)
    check = report.by_name("port repl")
    assert check.status == "fail" and f"PID {holder.pid}" in check.detail
    assert "close that program" in (check.fix or "") and report.exit_status == 1


@pytest.mark.parametrize("persona", ["emulator", "emulator:legacy"])
def test_cli_against_the_emulator(persona: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--port", persona, "--json", "--timeout", "5"]) == 0
    result = json.loads(capsys.readouterr().out)
    statuses = {check["name"]: check["status"] for check in result["checks"]}
    assert result["ok"] is True and statuses["firmware"] == statuses["channel"] == "ok"
    assert statuses["REPL port"] == ("ok" if persona == "emulator" else "skipped")


def test_cli_table_and_bad_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--port", "emulatr"]) == 1
    out = capsys.readouterr().out
    assert (
        re.search(r"^fail +target +port: 'emulatr' is neither", out, re.MULTILINE)
        and "did you mean 'emulator'?" in out
        and "Fixes:" in out
    )


def test_the_settings_choose_the_target_and_a_bad_file_is_reported(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('port = "emulator:legacy"\n')
    report = anyio.run(lambda: diagnose(None, timeout=5, config_path=str(good)))
    assert report.target == "emulator:legacy" and report.by_name("settings").status == "ok"
    assert report.by_name("firmware").status == "ok" and report.exit_status == 0, report.table()
    bad = tmp_path / "bad.toml"
    bad.write_text('max_voltage = "lots"\n')
    report = anyio.run(lambda: diagnose("emulator", timeout=5, config_path=str(bad)))
    check = report.by_name("settings")
    assert check.status == "fail" and "max_voltage" in check.detail and str(bad) in (check.fix or "")
    assert report.exit_status == 1


def test_a_virtual_board_in_another_process_by_pty_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`jumperless-mcp emulate` in its own process: its udev-like link finds the REPL port; the bare main
    pty does not, and the doctor says the host would take the slower channel, and how to give the REPL port."""
    links = tmp_path / "links"
    emulator = subprocess.Popen(
        [sys.executable, "-m", "jumperless_mcp", "emulate", "--link-dir", str(links)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert emulator.stdout is not None
        ports = json.loads(emulator.stdout.readline())
        assert main(["doctor", "--port", str(links / "jumperless_main"), "--timeout", "5"]) == 0
        out = capsys.readouterr().out
        assert re.search(r"^ok +REPL port +\S+jumperless_repl answers in raw REPL mode$", out, re.MULTILINE), out
        report = run(ports["main"])
        channel = report.by_name("channel")
        assert channel.status == "warn" and channel.detail.startswith("main-oneliner")
        assert "give the REPL port too" in (channel.fix or "") and report.exit_status == 1
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
