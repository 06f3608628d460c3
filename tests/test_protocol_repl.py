"""The REPL port (CDC2) where JumperlOS differs from a stock MicroPython board (fidelity audit P10-P15).

Soft resets (MpRemoteService.cpp:265-286, JumperlessMicroPythonAPI.cpp:1336-1352), the boot
banner (:113-130), raw-paste input through mp_hal_stdin_rx_chr (mphalport.c:101-175), the
friendly line editor (shared/readline/readline.c with emacs keys and auto-indent) and REPL-mode
expression echo (py/compile.c:2006-2013); and what the host does about them.
"""

from __future__ import annotations

import os
import select
import struct
import sys

import pytest
import serial
from serial_clients import RAW_PROMPT, RawRepl

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.errors import ArgumentError

BANNER = (
    b"\r\nMicroPython v1.28.0-dirty on 2026-06-01; jumperless-v5 v5.7.0.13 with rp2350b\r\n"
    b'Type "help()" for more information.\r\n>>> '
)


def friendly(board: VirtualBoard) -> serial.Serial:
    port = serial.Serial(board.repl_path, timeout=2)
    port.write(b"\x03")
    port.read_until(b">>> ")
    return port


def raw_paste(repl: RawRepl, payload: bytes) -> None:
    """Start raw-paste and send a payload that fits the first two windows."""
    repl.serial.write(b"\x05A\x01")
    assert repl.serial.read(5)[:2] == b"R\x01"
    assert len(payload) <= 256
    repl.serial.write(payload)


# --- P10: raw-paste is not plain raw mode ---------------------------------------------------------


def test_raw_paste_turns_newlines_into_carriage_returns(repl: RawRepl) -> None:
    """`\\r\\n` in raw-paste data arrives as `\\r\\r`: two line ends. Plain raw mode keeps it one."""
    code = b"s = '''a\r\nb'''\r\nprint(repr(s))\r\n"
    raw_paste(repl, code + b"\x04")
    assert repl.read_until(b"\x04>").lstrip(b"\x01") == b"\x04'a\\n\\nb'\n\x04\x04>"
    assert repl.exec(code) == ("'a\\nb'\n", "")


def test_interrupt_bytes_in_raw_paste_data_abort_it(repl: RawRepl) -> None:
    """Ctrl-C or Ctrl-Q in the data interrupt the reader; it then waits for Ctrl-C or Ctrl-D to end the transfer."""
    raw_paste(repl, b"print('a\x11b')\n")
    assert repl.serial.read(1) == b"\x04"  # the board says the data has ended
    repl.serial.write(b"more data is ignored\n\x04")
    assert repl.read_until(b"\x04>") == b"\x04KeyboardInterrupt: \n\x04>"
    assert repl.exec("print('still fine')") == ("still fine\n", "")


async def test_host_escapes_raw_repl_control_bytes_and_keeps_line_ends(jos_board: VirtualBoard) -> None:
    """The host uses plain raw mode, with Ctrl-A..D inside literals escaped (they would act on the raw REPL)."""
    async with Board.open(jos_board.info(), allow_python=True) as board:
        assert board.session.channel == "raw-repl"
        assert await board.run_python("print([ord(c) for c in '\x01\x02\x03\x04'])") == "[1, 2, 3, 4]\n"
        assert await board.run_python("s = '''a\r\nb'''\r\nprint(repr(s))") == "'a\\nb'\n"
        with pytest.raises(ArgumentError):
            await board.run_python("print(r'\x03')")  # a raw string cannot spell it otherwise
        assert await board.run_python("import sys\nprint('bye')\nsys.exit()") == "bye\n"  # a soft reboot
        assert await board.run_python("print('after')") == "after\n"


# --- P11, P12: soft reset ---------------------------------------------------------------------------


def test_raw_soft_reset_finishes_the_batch_then_reboots(repl: RawRepl) -> None:
    """Ctrl-D on an empty raw buffer: `OK\\r\\n`, the rest of what already arrived runs in the old VM, then the
    reboot drains the input and says `soft reboot` with the raw banner."""
    repl.exec("x = 41")
    repl.serial.write(b"\x04print(x + 1)\x04")
    assert repl.read_until(RAW_PROMPT) == b"OK\r\nOK42\n\x04\x04>soft reboot\r\n" + RAW_PROMPT
    assert "NameError" in repl.exec("print(x)")[1]


def test_friendly_soft_reset_prints_only_a_newline(jos_board: VirtualBoard) -> None:
    with friendly(jos_board) as port:
        port.write(b"y = 7\r")
        port.read_until(b">>> ")
        port.write(b"\x04")
        port.timeout = 0.3
        assert port.read(50) == b"\r\n"  # no banner, no prompt
        port.timeout = 2
        port.write(b"y\r")
        assert port.read_until(b">>> ").endswith(b"NameError: name 'y' isn't defined\n>>> ")


# --- P13: the banner at boot -------------------------------------------------------------------------


def _unflushed_read(path: str) -> bytes:
    """Open the port as a bare file (pyserial flushes input on open) and take what is waiting."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        data = b""
        while select.select([fd], [], [], 0.3)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
        return data
    finally:
        os.close(fd)


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal buffering as on Linux")
def test_banner_is_printed_at_boot_whether_or_not_anyone_listens(jos_board: VirtualBoard) -> None:
    assert _unflushed_read(jos_board.repl_path) == BANNER  # type: ignore[arg-type]
    jos_board.replug()
    assert _unflushed_read(jos_board.repl_path) == BANNER  # type: ignore[arg-type]


# --- P14: the friendly line editor ------------------------------------------------------------------


def test_friendly_editor_keys(jos_board: VirtualBoard) -> None:
    with friendly(jos_board) as port:
        port.write(b"6 * 7\n")  # `\n` is Enter too
        assert port.read_until(b">>> ") == b"6 * 7\r\n42\n>>> "
        port.write(b"23\x01\x01x = 1\x05\x05\r")  # Ctrl-A / Ctrl-E on a non-empty line: home / end
        assert port.read_until(b">>> ") == b"23\b\bx23\b\b 23\b\b=23\b\b 23\b\b123\b\b23\r\n>>> "
        port.write(b"x\r")
        assert port.read_until(b">>> ") == b"x\r\n123\n>>> "
        port.write(b"abc\x02\x04\r")  # Ctrl-B left, Ctrl-D delete at the cursor: `ab`
        assert port.read_until(b">>> ").startswith(b"abc\b\x1b[K\r\nTraceback")
        port.write(b"if True:\r")  # auto-indent, which a typed space replaces (pasted code keeps its own)
        assert port.read_until(b"...     ") == b"if True:\r\n...     "
        port.write(b"    x\r\r")
        assert port.read_until(b">>> ") == b"\b\b\b   x\r\n... \r\n123\n>>> "
        port.write(b"\x01")  # on an empty line Ctrl-A is still the raw REPL
        assert port.read_until(RAW_PROMPT) == b"\r\n" + RAW_PROMPT


# --- P15: REPL-mode echo -----------------------------------------------------------------------------


def test_repl_mode_echoes_nested_expression_statements_and_the_docstring(jos_board: VirtualBoard) -> None:
    with friendly(jos_board) as port:
        port.write(b"for i in range(2): i * 10\r\r")
        assert port.read_until(b">>> ").endswith(b"\r\n0\n10\n>>> ")
        port.write(b"\x05'''docs'''\rdef f():\r    99\rif True:\r    f()\r    'inside'\r\x04")
        assert port.read_until(b">>> ").endswith(b"\r\n'docs'\n'inside'\n>>> ")  # not the function body's 99


def test_legacy_one_liner_echoes_nested_expressions(legacy_board: VirtualBoard) -> None:
    with serial.Serial(legacy_board.main_path, timeout=2) as main:
        main.write(b">for i in range(3): i\n")
        assert main.read_until(b"2\r\n") == b"0\r\n1\r\n2\r\n"


# --- raw-paste window accounting survives the translation -------------------------------------------


def test_raw_paste_window_counts_translated_bytes(repl: RawRepl) -> None:
    repl.serial.write(b"\x05A\x01")
    header = repl.serial.read(5)
    window = struct.unpack("<H", header[2:4])[0]
    code = b"\n" * (2 * window) + b"print('ok')\n"
    repl.serial.write(code[: 2 * window])
    assert repl.serial.read(1) == b"\x01"  # newlines count against the window like any byte
    repl.serial.write(code[2 * window :] + b"\x04")
    assert repl.read_until(b"\x04>").endswith(b"\x04ok\n\x04\x04>")
