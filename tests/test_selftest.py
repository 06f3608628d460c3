"""`jumperless-mcp selftest` against the virtual board: passes on every persona, fails with a clear table
when the board misbehaves, refuses a board in use unless forced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware_api.catalog import functions
from firmware_api.versions import FirmwareVersion
from jumperless_mcp import cli
from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.selftest import Outcome, run_selftest
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.emulator.analog_functions import AnalogFunctions
from jumperless_mcp.emulator.net_functions import NetFunctions


def read_only_names(version: str) -> set[str]:
    return {f.name for f in functions(FirmwareVersion.parse(version)) if not f.mutates and not f.blocking}


async def run(vboard: VirtualBoard, *, force: bool = False, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    async with Board(vboard.info(), timeout=timeout) as board:
        return await run_selftest(board, force=force)


@pytest.mark.parametrize("persona", ["jumperlos", "jumperlos-upstream"])
async def test_selftest_passes_on_jumperlos_personas(persona: str, tmp_path: Path) -> None:
    with VirtualBoard(persona, fs_dir=tmp_path / "fs") as vboard:
        report = await run(vboard)
        assert report.ok, report.table()
        names = {c.name for c in report.checks if c.group == "catalog"}
        assert names == read_only_names(vboard.firmware)  # every read-only function, each parsed
        protocol = {c.name: c.outcome for c in report.checks if c.group == "protocol"}
        assert protocol["interrupt a sleeping call"] is Outcome.PASS
        assert protocol["non-ASCII net name"] is Outcome.PASS
        assert "ALL PASS" in report.table()
        # everything changed was put back: no bridge, DAC0 at 0 V
        assert not vboard.model.netlist.bridges
        assert vboard.model.power["dac0"] == 0.0


async def test_selftest_passes_on_legacy(legacy_board: VirtualBoard) -> None:
    report = await run(legacy_board)
    assert report.ok, report.table()
    assert report.channel == "main-oneliner"
    assert {c.name for c in report.checks if c.group == "catalog"} == read_only_names("5.3.2.4")
    skipped = [c.name for c in report.checks if c.outcome is Outcome.SKIP]
    assert skipped == ["non-ASCII net name", "aux port"]  # 5.3.x has no net names, no fourth port
    long_line = next(c for c in report.checks if c.name == "longest line")
    assert "limit" in long_line.detail


async def test_selftest_refuses_a_board_in_use_unless_forced(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        await board.connect(10, 20)
        await board.call("dac_set", 1, 1.5)
    report = await run(jos_board)
    assert report.refused and not report.ok
    assert any("bridge" in found and "10-20" in found for found in report.in_use), report.in_use
    assert any("DAC1 at 1.5 V" in found for found in report.in_use), report.in_use
    assert "REFUSED" in report.table() and "--force" in report.table()
    forced = await run(jos_board, force=True)
    assert forced.ok, forced.table()
    assert "forced although in use" in forced.table()


async def test_selftest_fails_clearly_on_wrong_replies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AnalogFunctions, "dac_get", lambda self, channel: 2.5)  # ignores dac_set
    monkeypatch.setattr(NetFunctions, "get_net_color_name", lambda self, net: 7)  # an int where a str is due
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as vboard:
        report = await run(vboard, force=True)  # DAC0 "reads" 2.5 V: in use, so forced
    assert not report.ok
    failed = {c.name: c.detail for c in report.checks if c.outcome is Outcome.FAIL}
    # the aux port's :json dac0 (the model's 0.5 V) disagrees with the lying dac_get too
    assert set(failed) == {"get_net_color_name", "DAC0 to 0.5 V and back", "aux :json dac0"}, report.table()
    assert "get_net_color_name" in failed["get_net_color_name"]
    assert "dac_get says 2.5" in failed["DAC0 to 0.5 V and back"]
    table = report.table()
    assert "FAILED" in table and "FAIL get_net_color_name" in table


async def test_selftest_on_a_board_that_hangs(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info(), timeout=0.5) as board:
        await board.ping()
        jos_board.hang()
        report = await run_selftest(board)
    assert not report.ok
    failed = [c for c in report.checks if c.outcome is Outcome.FAIL]
    assert failed, report.table()
    assert "BoardTimeout" in failed[0].detail or "BoardDisconnected" in failed[0].detail
    assert all("not run: the board stopped answering" in c.detail for c in failed[1:])
    assert "FAILED" in report.table()


async def test_selftest_survives_garbage_between_calls(jos_board: VirtualBoard) -> None:
    """Unsolicited bytes (probe banners, ANSI, a forged frame) on the REPL port are skipped, not parsed."""
    async with Board(jos_board.info()) as board:
        await board.ping()
        jos_board.inject("repl", b"\x1b[2Jgarbage OK\x04\x04>\r\n\x02deadbeef\r\n")
        report = await run_selftest(board)
    assert report.ok, report.table()


def test_selftest_command_json_and_exit_status(jos_board: VirtualBoard, capsys: pytest.CaptureFixture[str]) -> None:
    port = json.dumps(jos_board.info())
    assert cli.main(["selftest", "--port", port, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True and document["failed"] == 0 and document["passed"] > 60
    jos_board.model.power["dac0"] = 1.0  # in use
    assert cli.main(["selftest", "--port", port]) == 2
    out = capsys.readouterr().out
    assert "REFUSED" in out and "DAC0 at 1 V" in out
