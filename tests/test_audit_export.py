"""`jumperless-mcp log`: the table, JSON, and a recorded agent session exported as a bench script that, run on a
fresh virtual board, leaves it in the same state (serving/audit_script.py, serving/audit_view.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import LEGACY_TIME_SCALE
from mcp_harness import serve

from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.netlist import read_bridges
from jumperless_mcp.cli import main
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.audit_script import ExportError, script, select, translate
from jumperless_mcp.tooling import audit
from jumperless_mcp.tooling.audit import AuditLog

pytestmark = pytest.mark.anyio
PERSONAS = {"jumperlos": {}, "legacy": {"time_scale": LEGACY_TIME_SCALE}}


async def board_state(board: Board, vboard: VirtualBoard) -> dict[str, Any]:
    """What the replay must reproduce: the bridges, the four setpoints, the OLED text."""
    async with board.batch() as batch:
        setpoints = [batch.dac_get(channel) for channel in range(4)]
    return {
        "bridges": sorted(await read_bridges(board)),
        "setpoints": [round(p.value, 3) for p in setpoints],
        "oled": vboard.oled_text(),
    }


async def record_session(vboard: VirtualBoard, folder: Path) -> dict[str, Any]:
    """An agent's session through the MCP server; the board's state at the end."""
    async with serve(vboard, audit_dir=str(folder)) as h:
        await h.ok("board_info")
        await h.ok("connect", node1="D13", node2=20)
        await h.ok("dac_set", channel="DAC0", voltage=1.5)
        await h.ok("dac_set", channel="TOP_RAIL", voltage=3.3, save=False)
        await h.ok("apply_netlist", bridges=[["D13", 20], "11-ADC0", [30, 31]], mode="add")
        await h.ok("apply_netlist", bridges=["1-2"], dry_run=True)
        await h.error("connect", node1="TOP_RAIL", node2="GND")  # refused before sending
        await h.ok("oled_print", text="hello bench", size=1)
        await h.ok("measure", node=11, samples=4, settle=0.0)
        await h.ok("disconnect", node1=30, node2=31)
        await h.ok("get_bridges")
        return await board_state(h.board, vboard)


async def replay(text: str, vboard: VirtualBoard) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "exported.py", "exec"), namespace)
    async with Board(vboard.info()) as board:
        await namespace["replay"](board)
        return await board_state(board, vboard)


@pytest.mark.parametrize("persona", PERSONAS)
async def test_an_exported_session_replays_to_the_same_state(persona: str, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    audit.new_session()
    with VirtualBoard(persona, fs_dir=tmp_path / "fs1", **PERSONAS[persona]) as recorded_on:
        recorded = await record_session(recorded_on, folder)
    assert recorded["bridges"] and recorded["setpoints"][0] == 1.5 and "hello bench" in recorded["oled"]
    text = script(select(AuditLog(folder).entries()))
    assert "await board.dac_set('DAC0', 1.5, True)" in text
    assert "await board.apply_netlist([(20, 'NANO_D13'), (11, 'ADC0'), (30, 31)], clear_first=False)" in text
    assert "get_bridges {}  -- a read with no Board method of its own: not replayed" in text
    assert "a dry run: nothing was changed: not replayed" in text
    assert "failed (forbidden_connection): not replayed" in text
    with VirtualBoard(persona, fs_dir=tmp_path / "fs2", **PERSONAS[persona]) as fresh:
        replayed = await replay(text, fresh)
    assert replayed == recorded


def test_what_cannot_be_replayed_becomes_a_comment() -> None:
    def entry(tool: str, **arguments: Any) -> dict[str, Any]:
        return {"time": "2026-11-30T17:00:00.000Z", "tool": tool, "arguments": arguments, "outcome": "ok"}

    assert translate(entry("probe_read", blocking=True))[0].endswith(
        "waits on a person at the board (a probe touch); do it by hand: not replayed"
    )
    assert "no Board equivalent" in translate(entry("snapshot_restore", name="a"))[0]
    assert "cut or redacted" in translate(entry("fs_write", path="/a", text="abc…[4000 chars cut]"))[0]
    assert translate(entry("clear_connections"))[1:] == ["await board.nodes_clear()"]
    legacy = entry("clear_connections") | {"firmware": "5.3.2.4"}
    assert translate(legacy)[1:] == ["await board.nodes_clear()", "await board.nodes_save()"]
    assert translate(entry("overlay_set", name="a", x=1, y=2, width=2, height=1, colors=["#FF0000", 255]))[1] == (
        "await board.overlay_set('a', 1, 2, 1, 2, [16711680, 255])"
    )
    assert translate(entry("iv_sweep", a=1, b=2, max_milliamps=20))[1] == (
        "print('iv_sweep', await board.iv_sweep(1, 2, start=-2.0, stop=2.0, steps=21, max_amps=0.02))"
    )
    only_comments = script([entry("probe_read", blocking=True)])
    compile(only_comments, "x.py", "exec")  # a body of comments still gets its `pass`


def test_select_names_the_session_and_board() -> None:
    rows = [
        {"session": "s1", "board": "a", "tool": "x"},
        {"session": "s2", "board": "a", "tool": "y"},
        {"session": "s2", "board": "b", "tool": "z"},
    ]
    assert [e["tool"] for e in select(rows, "s1")] == ["x"]
    with pytest.raises(ExportError, match="drove 2 boards"):
        select(rows)
    assert [e["tool"] for e in select(rows, board="b")] == ["z"]
    with pytest.raises(ExportError, match="no single session"):
        select(rows, "nope")
    with pytest.raises(ExportError, match="empty"):
        select([])


def write_log(folder: Path) -> None:
    log = AuditLog(folder)
    for index, tool in enumerate(["connect", "dac_set", "oled_print"]):
        log.write(
            {
                "time": f"2026-11-30T17:00:0{index}.000Z",
                "session": "20261130-170000-1-abcd",
                "board": "jumperless",
                "target": "emulator",
                "firmware": "5.7.0.13",
                "tool": tool,
                "arguments": {"connect": {"node1": 1, "node2": 2}, "dac_set": {"channel": 0, "voltage": 1.0}}.get(
                    tool, {"text": "hi"}
                ),
                "python": [],
                "outcome": "ok" if tool != "dac_set" else "error",
                "error": {"kind": "declined"} if tool == "dac_set" else None,
                "duration_ms": 12.5,
            }
        )


def test_log_command_table_json_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "audit"
    write_log(folder)
    assert main(["log", "--dir", str(folder), "--limit", "2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["time", "session", "board", "tool", "outcome", "ms"]
    assert len(table) == 3 and "error: declined" in table[1] and "oled_print" in table[2]
    assert main(["log", "--dir", str(folder), "--json", "--limit", "1"]) == 0
    assert [json.loads(line)["tool"] for line in capsys.readouterr().out.splitlines()] == ["oled_print"]
    out = tmp_path / "replay.py"
    assert main(["log", "--dir", str(folder), "--export-script", "--session", "20261130", "-o", str(out)]) == 0
    text = out.read_text()
    assert "await board.connect(1, 2)" in text and "await board.oled_print('hi', 2)" in text
    assert "failed (declined)" in text
    assert main(["log", "--dir", str(tmp_path / "none"), "--export-script"]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["log", "--dir", str(tmp_path / "none")]) == 0
    assert "no tool calls logged" in capsys.readouterr().out


def test_an_exported_script_runs_on_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    write_log(folder)
    out = tmp_path / "replay.py"
    assert main(["log", "--dir", str(folder), "--export-script", "-o", str(out)]) == 0
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUMPERLESS_PORT")}
    done = subprocess.run(
        [sys.executable, str(out), "emulator"], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
