"""The selftest's "aux port" group against the virtual board's fourth port: all pass where the firmware has the
port, one SKIP where it has none, a FAIL naming what differs when the port answers other than the host assumes
(the virtual port patched to stand in for such a firmware), and a hung or closed port fails only its own group."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from jumperless_mcp import cli
from jumperless_mcp.bench import selftest_aux
from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.selftest import Outcome, SelftestReport, run_selftest
from jumperless_mcp.emulator import VirtualBoard


async def run(vboard: VirtualBoard) -> SelftestReport:
    async with Board(vboard.info(), timeout=10.0) as board:
        return await run_selftest(board)


def aux_group(report: SelftestReport) -> dict[str, tuple[Outcome, str]]:
    return {c.name: (c.outcome, c.detail) for c in report.checks if c.group == "aux port"}


def protocol_after_aux(report: SelftestReport) -> dict[str, Outcome]:
    names = ("bridge: removed again", "DAC0 to 0.5 V and back", "interrupt a sleeping call")
    return {c.name: c.outcome for c in report.checks if c.name in names}


@pytest.mark.parametrize("persona", ["jumperlos", "jumperlos-upstream"])
async def test_aux_checks_pass_where_the_board_has_the_port(persona: str, tmp_path: Path) -> None:
    with VirtualBoard(persona, fs_dir=tmp_path / "fs") as vboard:
        report = await run(vboard)
        assert report.ok, report.table()
        group = aux_group(report)
        assert list(group) == list(selftest_aux.NAMES)
        assert all(outcome is Outcome.PASS for outcome, _ in group.values()), report.table()
        assert f":ver {vboard.firmware} = REPL handshake {vboard.firmware}" in group["aux :ver"][1]
        assert "300 LEDs as assumed" in group["aux :leds"][1]
        assert "[59,60]" in group["aux :json nets"][1] and "is_connected True" in group["aux :json nets"][1]
        assert "= net colour" in group["aux :json nets"][1]
        assert ":json dac0 0.5, REPL dac_get(0) 0.5" in group["aux :json dac0"][1]
        assert "128x32, 512 bytes = oled_get_framebuffer" in group["aux :oled:b64"][1]
        assert "adc0-4" in group["aux :adc"][1] and "adc_get(0-3)" in group["aux :adc"][1]
        assert not vboard.model.netlist.bridges and vboard.model.power["dac0"] == 0.0  # all put back
        assert "aux :json nets" in report.table()


def only_skip(report: SelftestReport) -> str:
    """The aux group's one SKIP line's reason (the group is exactly that line)."""
    assert {name: outcome for name, (outcome, _) in aux_group(report).items()} == {"aux port": Outcome.SKIP}
    return aux_group(report)["aux port"][1]


async def test_one_skip_on_legacy(legacy_board: VirtualBoard) -> None:
    report = await run(legacy_board)
    assert report.ok, report.table()
    assert "firmware 5.3.2.4 has no aux port (JumperlOS 5.7.0.13 or later has one)" in only_skip(report)


async def test_one_skip_where_no_aux_port_is_found(tmp_path: Path) -> None:
    with VirtualBoard("jumperlos-5.7.5", fs_dir=tmp_path / "fs") as vboard:  # its tree has no Ser3Backchannel
        report = await run(vboard)
    assert report.ok, report.table()
    assert "no aux port found for this board (firmware 5.7.5" in only_skip(report)


async def test_a_different_led_count_fails(jos_board: VirtualBoard) -> None:
    port = jos_board.aux
    assert port is not None
    port._leds = lambda: "leds{240:" + "000000" * 240 + "}\r\n"  # type: ignore[method-assign]
    report = await run(jos_board)
    failed = {name: detail for name, (outcome, detail) in aux_group(report).items() if outcome is Outcome.FAIL}
    assert list(failed) == ["aux :leds"], report.table()
    assert "240 LEDs, the host assumes 300" in failed["aux :leds"] and "misplaced" in failed["aux :leds"]
    assert not report.ok and "FAIL aux :leds" in report.table()


async def test_a_json_without_the_bridge_fails(jos_board: VirtualBoard) -> None:
    port = jos_board.aux
    assert port is not None
    real = port._json

    def without_bridge(section: str) -> str:
        document = json.loads(real(section))
        if "nets" in document:
            document["nets"] = [n for n in document["nets"] if "59" not in n.get("nodes", [])]
        return json.dumps(document)

    port._json = without_bridge  # type: ignore[method-assign]
    report = await run(jos_board)
    failed = {name: detail for name, (outcome, detail) in aux_group(report).items() if outcome is Outcome.FAIL}
    assert list(failed) == ["aux :json nets"], report.table()
    assert "no net with both 59 and 60 (REPL is_connected True)" in failed["aux :json nets"]
    assert set(protocol_after_aux(report).values()) == {Outcome.PASS}


async def test_an_oled_frame_unlike_the_framebuffer_fails(jos_board: VirtualBoard) -> None:
    port = jos_board.aux
    assert port is not None
    port._oled_b64 = lambda: "oled_b64{128x32:" + base64.b64encode(b"\xff" * 512).decode() + "}\r\n"  # type: ignore[method-assign]
    report = await run(jos_board)
    failed = {name: detail for name, (outcome, detail) in aux_group(report).items() if outcome is Outcome.FAIL}
    assert list(failed) == ["aux :oled:b64"], report.table()
    assert "128x32: 512 of 512 bytes differ from oled_get_framebuffer" in failed["aux :oled:b64"]


async def test_an_error_frame_fails_its_check_with_the_reply(jos_board: VirtualBoard) -> None:
    port = jos_board.aux
    assert port is not None
    real = port.reply
    port.reply = lambda verb: '{"error":"unknown_verb","verb":"oled:b64"}\r\n' if verb == "oled:b64" else real(verb)  # type: ignore[method-assign]
    report = await run(jos_board)
    failed = {name: detail for name, (outcome, detail) in aux_group(report).items() if outcome is Outcome.FAIL}
    assert list(failed) == ["aux :oled:b64"], report.table()
    assert '{"error":"unknown_verb","verb":"oled:b64"}' in failed["aux :oled:b64"]
    assert aux_group(report)["aux :adc"][0] is Outcome.PASS  # the next aux check still runs


async def test_a_hung_aux_port_fails_its_group_and_the_selftest_goes_on(
    jos_board: VirtualBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selftest_aux, "TIMEOUT", 0.3)
    port = jos_board.aux
    assert port is not None
    port.feed = lambda data: None  # type: ignore[method-assign]
    report = await run(jos_board)
    group = aux_group(report)
    assert {outcome for outcome, _ in group.values()} == {Outcome.FAIL}, report.table()
    assert "did not answer :ver" in group["aux :ver"][1]
    assert all("not run: the aux port stopped answering at :ver" in d for _, d in list(group.values())[1:])
    assert set(protocol_after_aux(report).values()) == {Outcome.PASS}, report.table()
    assert not jos_board.model.netlist.bridges and jos_board.model.power["dac0"] == 0.0


async def test_a_closed_aux_port_fails_its_group_and_the_selftest_goes_on(
    jos_board: VirtualBoard, tmp_path: Path
) -> None:
    # The fourth port gone while the REPL answers: its path names no device. (Closing the virtual board's pty
    # instead would free its /dev/pts number for another test worker's board, which would then answer.)
    info = {**jos_board.info(), "aux": str(tmp_path / "no-such-aux-port")}
    async with Board(info, timeout=10.0) as board:
        report = await run_selftest(board)
    group = aux_group(report)
    assert list(group) == list(selftest_aux.NAMES)
    assert all(o is Outcome.FAIL and "cannot open the aux port" in d for o, d in group.values()), report.table()
    assert set(protocol_after_aux(report).values()) == {Outcome.PASS}, report.table()


def test_selftest_command_shows_the_aux_group(legacy_board: VirtualBoard, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["selftest", "--port", "emulator"]) == 0
    out = capsys.readouterr().out
    for name in selftest_aux.NAMES:
        assert f"{name} " in out and "PASS" in next(line for line in out.splitlines() if line.startswith(name))
    assert cli.main(["selftest", "--port", json.dumps(legacy_board.info()), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    aux = [c for c in document["checks"] if c["group"] == "aux port"]
    assert [(c["name"], c["outcome"]) for c in aux] == [("aux port", "skip")]
