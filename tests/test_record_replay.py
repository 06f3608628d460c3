"""Record a session's serial exchange (link/recording.py), replay it on the virtual board (emulator/replay.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from jumperless_mcp import cli
from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.emulator.replay import ReplayBoard
from jumperless_mcp.errors import BoardNotFound, JumperlessError
from jumperless_mcp.link import recording
from jumperless_mcp.serving.server import build_server
from jumperless_mcp.settings.config import Config


async def session(target: object, record: Path | None = None) -> list[Any]:
    """A few Board calls and two MCP tool calls through the SDK client; what they all returned."""
    results: list[Any] = []
    async with Board(target, record=record) as board:  # type: ignore[arg-type]
        results.append(board.firmware)
        results.append((await board.connect(12, 14)).ok)
        results.append(await board.call("is_connected", 12, 14))
        results.append(await board.dac_get(0))
        jumperlos = board.family.name == "JUMPERLOS"  # type: ignore[union-attr]
        results.append(await board.call("get_state") if jumperlos else None)
        results.append(repr(await board.board_state("aux")) if jumperlos else None)  # the fourth port, recorded too
        server, _ = build_server(board, Config(safe_state=False, audit_log=False).validated(), environ={})
        async with Client(server, mode="legacy") as client:
            for name, arguments in (("dac_set", {"channel": "DAC1", "voltage": 1.25}), ("get_bridges", {})):
                result = await client.call_tool(name, arguments)
                assert not result.is_error, result.content
                results.append(result.structured_content)
    return results


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_record_then_replay_gives_identical_results(persona: str, tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    with VirtualBoard(persona, fs_dir=tmp_path / "fs", time_scale=0.05 if persona == "legacy" else 1.0) as vboard:
        recorded = await session(vboard.info(), record=path)
    header, events = recording.read_recording(path)
    assert header["format"] == "jumperless-mcp-recording" and header["version"] == 1
    assert {e["dir"] for e in events} == {"tx", "rx"}
    assert all(isinstance(e["t"], float) and e["port"] in ("main", "repl", "aux", "la") for e in events)
    times = [e["t"] for e in events]
    assert times == sorted(times)

    replayed = await session(f"emulator:replay={path}")
    assert replayed == recorded
    assert recorded[1] is True and recorded[2] is True  # the session did something worth comparing
    ports = {e["port"] for e in events}
    assert ports == ({"repl", "aux", "main"} if persona == "jumperlos" else {"main"})


async def test_replay_fails_loudly_on_a_request_it_has_not_seen(jos_board: VirtualBoard, tmp_path: Path) -> None:
    path = tmp_path / "short.jsonl"
    async with Board(jos_board.info(), record=path) as board:
        assert await board.dac_get(0) == 0.0
    board = Board(f"emulator:replay={path}", timeout=2.0)
    async with board:
        replay: ReplayBoard = board.virtual_board
        with pytest.raises(JumperlessError):
            await board.dac_get(1)  # recorded: dac_get(0)
        assert replay.failure is not None
        assert "unexpected request on port repl" in replay.failure
        assert "line " in replay.failure and "expected" in replay.failure and "got" in replay.failure
        assert "dac_get(1)" in replay.failure or "(1)" in replay.failure
        with pytest.raises(BoardNotFound, match="unexpected request"):
            await board.dac_get(0)  # the replay stays failed, and says why
        with pytest.raises(AssertionError, match="unexpected request"):
            replay.check()


async def test_replay_past_the_end_of_the_recording(jos_board: VirtualBoard, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    async with Board(jos_board.info(), record=path) as board:
        await board.ping()
    async with Board(f"emulator:replay={path}", timeout=2.0) as board:
        await board.ping()
        with pytest.raises(JumperlessError):
            await board.ping()
        assert "unexpected request on port repl" in (board.virtual_board.failure or "")  # its close is recorded


def test_replay_tolerates_the_host_nonces(tmp_path: Path) -> None:
    """Request nonces differ on every run; the replay binds the live ones and puts them in its replies."""
    path = tmp_path / "nonce.jsonl"
    sent = b"print('\\x02'+'0badc0de')\nprint('\\x1eab120:'+repr(1))\x04"
    reply = b"OK\x020badc0de\n\x1eab120:1\n\x04\x04>"
    lines = [
        {"format": "jumperless-mcp-recording", "version": 1, "time_scale": 1.0},
        {"t": 0.0, "port": "repl", "dir": "tx", "data": sent.decode()},
        {"t": 0.001, "port": "repl", "dir": "rx", "data": reply.decode()},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    import os
    import time

    with ReplayBoard(path) as board:
        fd = os.open(board.repl_path, os.O_RDWR | os.O_NOCTTY)  # type: ignore[arg-type]
        try:
            os.write(fd, sent.replace(b"0badc0de", b"12345678").replace(b"ab12", b"fe34"))
            got = b""
            deadline = time.monotonic() + 2
            while b">" not in got and time.monotonic() < deadline:
                got += os.read(fd, 4096)
        finally:
            os.close(fd)
        assert got == b"OK\x0212345678\n\x1efe340:1\n\x04\x04>"
        assert board.failure is None and board.finished


def test_a_tag_the_recording_drew_twice_is_each_request_s_own(tmp_path: Path) -> None:
    """4-hex tags repeat within a few hundred requests: two recorded requests drew `ab12`, the live ones draw
    `fe34` then `9c01`; each reply carries its own request's tag. One nonce must be the same within a request."""
    import os
    import time

    path = tmp_path / "tags.jsonl"
    lines: list[dict[str, Any]] = [{"format": "jumperless-mcp-recording", "version": 1, "time_scale": 1.0}]
    for step, (marker, value) in enumerate((("0badc0de", 1), ("0ddba11e", 2))):
        sent = f"print('\\x02'+'{marker}')\nprint('\\x1eab120:'+repr({value}))\x04"
        reply = f"OK\x02{marker}\n\x1eab120:{value}\n\x04\x04>"
        lines += [
            {"t": step * 0.01, "port": "repl", "dir": "tx", "data": sent},
            {"t": step * 0.01 + 0.001, "port": "repl", "dir": "rx", "data": reply},
        ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))

    def exchange(fd: int, request: bytes) -> bytes:
        os.write(fd, request)
        got, deadline = b"", time.monotonic() + 2
        while not got.endswith(b">") and time.monotonic() < deadline:
            got += os.read(fd, 4096)
        return got

    with ReplayBoard(path) as board:
        fd = os.open(board.repl_path, os.O_RDWR | os.O_NOCTTY)  # type: ignore[arg-type]
        try:
            first = exchange(fd, b"print('\\x02'+'11111111')\nprint('\\x1efe340:'+repr(1))\x04")
            second = exchange(fd, b"print('\\x02'+'22222222')\nprint('\\x1e9c010:'+repr(2))\x04")
        finally:
            os.close(fd)
        assert board.failure is None and board.finished
    assert first == b"OK\x0211111111\n\x1efe340:1\n\x04\x04>"
    assert second == b"OK\x0222222222\n\x1e9c010:2\n\x04\x04>"


def test_recording_format_encodes_non_utf8_as_base64() -> None:
    assert recording.encode("Ω\r\n".encode()) == {"data": "Ω\r\n"}
    binary = recording.encode(b"\xff\x00\x80")
    assert binary["enc"] == "base64"
    assert recording.decode(binary) == b"\xff\x00\x80"


def test_selftest_record_and_replay_from_the_command_line(
    jos_board: VirtualBoard, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "selftest.jsonl"
    assert cli.main(["selftest", "--port", json.dumps(jos_board.info()), "--json", "--record", str(path)]) == 0
    live = json.loads(capsys.readouterr().out)
    assert path.stat().st_size > 0
    assert cli.main(["selftest", "--port", f"emulator:replay={path}", "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["outcome"]) for c in replayed["checks"]] == [
        (c["name"], c["outcome"]) for c in live["checks"]
    ]
    assert replayed["firmware"] == live["firmware"] == "5.7.0.13"


def test_replay_target_needs_an_existing_file(tmp_path: Path) -> None:
    from jumperless_mcp.errors import ArgumentError
    from jumperless_mcp.link.targets import Target

    with pytest.raises(ArgumentError, match="no recording"):
        Target(f"emulator:replay={tmp_path / 'missing.jsonl'}")


async def test_serve_records_and_the_recording_replays(tmp_path: Path) -> None:
    """`jumperless-mcp serve --record FILE`: a real server process records its board; the same tool calls
    on `emulator:replay=FILE` give the same results."""
    from stdio_harness import spawn

    path = tmp_path / "serve.jsonl"
    calls = (("connect", {"node1": 20, "node2": 22}), ("is_connected", {"node1": 20, "node2": 22}))
    async with spawn(tmp_path, "serve", "--port", "emulator", "--record", str(path), "--no-safe-state") as server:
        live = [await server.ok(name, **arguments) for name, arguments in calls]
    header, events = recording.read_recording(path)
    assert header["format"] == "jumperless-mcp-recording" and events
    async with Board(f"emulator:replay={path}") as board:
        server, _ = build_server(board, Config(safe_state=False, audit_log=False).validated(), environ={})
        async with Client(server, mode="legacy") as client:
            replayed = [(await client.call_tool(name, arguments)).structured_content for name, arguments in calls]
        assert board.virtual_board.failure is None
    assert replayed == live
    assert True in live[1].values(), live[1]  # the bridge was made: there was something to replay


def test_recording_path_per_board(tmp_path: Path) -> None:
    assert recording.recording_path(None) is None
    assert recording.recording_path(tmp_path / "r.jsonl", "board") == tmp_path / "r.jsonl"
    assert recording.recording_path(tmp_path / "r.jsonl", "lab") == tmp_path / "r.lab.jsonl"
