"""The main port (CDC0) where the firmware differs from a plain line protocol (fidelity audit P9, P16-P18),
and how the host's `>` channel copes.

JumperlOS's line editor (src/Jerial.cpp TermControl) re-renders the whole line on every
keystroke, holds 1023 characters, answers `?` at once and drops non-ASCII; its character mode
reads a command's argument for 50 ms (SingleCharCommands.cpp:1376-1400); after every `>` command
the interrupt char stays at -1. 5.3.x probes for `[cmd]?` after every command byte (main.cpp:900-915).
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from serial_clients import MainPortClient

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.errors import BoardTimeout

VERSION_JOS = b"Jumperless firmware version: 5.7.0.13\r\n"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


# --- the JumperlOS line editor (P17) ------------------------------------------------------------------


def test_line_editor_rerenders_the_whole_line_on_every_keystroke(jos_board: VirtualBoard) -> None:
    line = ">x = '" + "a" * 986 + "'"  # 993 characters
    with MainPortClient(jos_board.main_path) as main:
        before = jos_board.bytes_written("main")
        main.send(line.encode() + b"\n>print(len(x))\n")
        main.read_until(b"986\r\n", timeout=20)
    echoed = jos_board.bytes_written("main") - before
    assert echoed > 400_000  # about half a megabyte for one long line, not one byte per byte


def test_line_editor_holds_1023_characters_and_rings_for_the_rest(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b">print(len('" + b"b" * 1100 + b"'))\n")
        reply = main.read_until(b"SyntaxError: invalid syntax\r\n", timeout=20)
    assert reply.count(b"\x07") == len(">print(len('") + 1100 + len("'))") - 1023  # each dropped byte rings


def test_line_editor_answers_question_marks_and_drops_non_ascii(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(">print('a?b', 'é!')\n".encode())
        reply = main.read_until(b"!\r\n")
    assert VERSION_JOS in reply  # printed mid-echo when `?` was typed
    assert reply.endswith(b"ab !\r\n")  # neither the `?` nor the `é` reached Python


async def test_host_one_liner_survives_the_editor(tmp_path: Path) -> None:
    """Through the JumperlOS `>` fallback: a near-limit line, `?`, non-ASCII, control bytes and comments."""
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as virtual:
        async with Board.open(virtual.main_path, allow_python=True) as board:
            assert board.session.channel == "main-oneliner"
            text = "é?" + "c" * 880  # a line of about 1010 characters once escaped and wrapped
            written = virtual.bytes_written("main")
            tracemalloc.start()
            started = time.monotonic()
            reply = await board.run_python(f"print(len({text!r}), {text[:3]!r})")
            elapsed = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            echoed = virtual.bytes_written("main") - written
            print(f"\nlong line: {echoed / 1e3:.0f} kB echoed, {elapsed:.2f} s, traced peak {peak / 1e3:.0f} kB")
            assert reply == "882 é?c\n"
            assert echoed > 400_000 and peak < 1_000_000  # the echo is dropped as it arrives, not collected
            assert await board.run_python("x = 6  # six?\nprint(x * 7)  # answer") == "42\n"
            assert await board.run_python("print(repr('\x03\x11\t'))") == "'\\x03\\x11\\t'\n"


# --- P9: the JumperlOS `>` channel's recovery --------------------------------------------------------


async def test_oneliner_timeout_is_recovered_on_jumperlos(tmp_path: Path) -> None:
    """Each request re-arms the interrupt char, so a timed-out call is stopped by Ctrl-Q; if the code turns
    it off again, recovery waits for the call's own end instead of trusting the Ctrl-Q."""
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as virtual:
        async with Board.open(virtual.main_path, allow_python=True) as board:
            assert await board.node("D13") == 83  # a first `>` command: the interrupt char is -1 after it
            with pytest.raises(BoardTimeout):
                await board.probe_read(timeout=0.3)  # nobody touches the probe: Ctrl-Q must stop it
            assert board.health().connected and board.health().reconnects == 0
            assert await board.node("D12") == 82
            with pytest.raises(BoardTimeout):
                await board.run_python(
                    "import micropython;micropython.kbd_intr(-1);import time;time.sleep(1.2);print('late')",
                    timeout=0.3,
                )
            assert board.health().connected and board.health().reconnects == 0  # waited for it to end
            assert await board.node("D11") == 81


async def test_oneliner_call_that_never_ends_drops_and_reconnects(tmp_path: Path) -> None:
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as virtual:
        async with Board.open(virtual.main_path, allow_python=True) as board:
            with pytest.raises(BoardTimeout) as first:
                await board.run_python("import micropython;micropython.kbd_intr(-1);print(probe_read())", timeout=0.3)
            assert first.value.interrupted and board.health().level == "degraded"  # the next call checks first
            with pytest.raises(BoardTimeout, match="still running"):  # it ignored the Ctrl-Q: nothing else is run
                await board.node("D9", timeout=5)
            health = board.health()
            assert not health.connected and "still running" in (health.last_error or "")  # given up on the link
            virtual.probe.touch(5)  # the stuck call ends; the queued Ctrl-Q reaches the editor, which drops it
            assert await board.node("D10", timeout=10) == 80
            assert board.health().reconnects == 1


# --- P16: JumperlOS character mode reads the argument for 50 ms ---------------------------------------


def test_character_mode_argument_is_read_for_50_ms_in_all(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b"\x0f>")  # SI: character mode, where `>` reads its argument for 50 ms from the start
        for char in b"1/0\n":  # each byte well within 50 ms of the last, but the last ones not of the `>`
            time.sleep(0.03)
            main.send(bytes([char]))
        reply = main.read_quiet(0.4)
    assert b"divide by zero" not in reply  # `1/0` never ran as one statement


# --- P18: 5.3.x help probe --------------------------------------------------------------------------


def test_legacy_help_probe_follows_question_marks_too(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b"??")
        assert main.read_until(b"\r\n") == b"? - firmware version\r\n"
        assert b"Jumperless firmware version" not in main.read_quiet(0.3)
