"""Interrupts as the firmware's interrupt check sees them (fidelity audit P1, P2, P4-P9).

JumperlOS (src/Python_Proper.cpp:497-657) peeks at the first pending byte of CDC0, then of CDC2,
whichever port runs the code; Ctrl-C or Ctrl-Q interrupts, Ctrl-D asks for a soft reset; after a
`>` command the interrupt char stays at -1 until CDC2 traffic or `micropython.kbd_intr` sets it.
5.3.x (V5 src/Python_Proper.cpp:202-246) checks only at output and in sleeps, and then reads and
drops everything pending up to a Ctrl-Q.

Running code waits on a file appearing in the board's flash (`fs_exists`), so a test decides when
it ends and every byte is known to arrive while it runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import serial
from serial_clients import RAW_PROMPT, MainPortClient, RawRepl

from jumperless_mcp.emulator import VirtualBoard

TRACEBACK = b"Traceback (most recent call last):"


def release(board: VirtualBoard, name: str) -> None:
    """Let code waiting in `while not fs_exists('/name'): ...` finish."""
    Path(board.model.fs_root, name).write_text("")


def send_consumed(board: VirtualBoard, client: MainPortClient, data: bytes) -> None:
    """Send to the main port and wait until the board has taken all of it (a check, or the menu)."""
    buffer = board.main.input
    assert buffer is not None
    wanted = buffer.received + len(data)
    client.send(data)
    deadline = time.monotonic() + 5
    while (buffer.received < wanted or buffer.pending()) and time.monotonic() < deadline:
        time.sleep(0.01)


DEBOUNCE = 0.05  # a second interrupt byte within 20 ms of the last is taken and ignored (Python_Proper.cpp:528)


def settle() -> None:
    """Long enough for a check that would see a byte to have run many times (it polls every line)."""
    time.sleep(0.3)


# --- JumperlOS: which bytes, from which port ----------------------------------------------------


def run_on_main(main: MainPortClient, line: bytes) -> None:
    """Type a `>` line; return once the editor has ended it (its `\\r\\n`): the command is starting."""
    main.send(line + b"\n")
    main.read_until(b"\r\n")


def test_ctrl_q_on_the_repl_port_interrupts_a_main_port_command(jos_board: VirtualBoard) -> None:
    """P1: CDC2's first byte is checked too, and found there the interrupt is echoed `^C` on the code's stream."""
    with MainPortClient(jos_board.main_path) as main, serial.Serial(jos_board.repl_path, timeout=0.1) as repl:
        run_on_main(main, b">while not fs_exists('/go'): pass")  # the first `>` since boot: interruptible
        repl.write(b"\x11")
        reply = main.read_until(b"KeyboardInterrupt: \r\n")
        assert b"^C" + TRACEBACK + b"\r\n" in reply
        assert repl.read(20) == b""  # the echo went to the main port, where the code's output goes


def test_only_the_first_pending_byte_is_checked(jos_board: VirtualBoard) -> None:
    """P2: a Ctrl-C behind another pending byte is never seen; the code runs to its end."""
    with RawRepl(jos_board.repl_path) as repl:
        repl.serial.write(b"print('running')\nwhile not fs_exists('/go'): pass\nprint('done')\x04")
        repl.read_until(b"running\n")
        repl.serial.write(b"x\x03")
        settle()
        release(jos_board, "go")
        assert repl.read_until(b"\x04>") == b"done\n\x04\x04>"
        # then the raw REPL takes them: `x` into its buffer, Ctrl-C clears it
        assert repl.exec("print(1)") == ("1\n", "")
    with MainPortClient(jos_board.main_path) as main:
        run_on_main(main, b">while not fs_exists('/go2'): pass")
        main.send(b"\r\x11")  # the CR is first in line: the Ctrl-Q behind it waits with it (P4)
        settle()
        assert jos_board.main.input.pending() == 2  # type: ignore[union-attr]
        release(jos_board, "go2")
        main.send(b">print('after')\n")
        assert TRACEBACK not in main.read_until(b"after\r\n")


def test_ctrl_d_at_the_head_soft_resets_the_running_code(jos_board: VirtualBoard) -> None:
    """The check takes Ctrl-D as a soft-reset request: SystemExit, no traceback, the VM reboots (raw mode)."""
    with RawRepl(jos_board.repl_path) as repl:
        repl.exec("x = 1")
        repl.serial.write(b"print('started')\nwhile True: pass\x04")
        repl.read_until(b"started\n")
        repl.serial.write(b"\x04")
        assert repl.read_until(RAW_PROMPT) == b"\x04\x04soft reboot\r\n" + RAW_PROMPT
        assert "NameError" in repl.exec("print(x)")[1]


def test_friendly_mode_echoes_the_interrupt(jos_board: VirtualBoard) -> None:
    """P8: outside raw mode the check prints `^C` (found on CDC2) or `^Q` (on CDC0) on the code's stream."""
    with serial.Serial(jos_board.repl_path, timeout=2) as repl, MainPortClient(jos_board.main_path) as main:
        repl.write(b"\x03")
        repl.read_until(b">>> ")
        repl.write(b"while not fs_exists('/go'): pass\r")
        repl.read_until(b"... ")
        repl.write(b"\r")  # the blank line ends the statement; it runs
        repl.read_until(b"\r\n")
        main.send(b"\x11")
        assert repl.read_until(b">>> ").startswith(b"^Q" + TRACEBACK + b"\n")
        repl.write(b"while not fs_exists('/go'): pass\r\r")
        repl.read_until(b"\r\n... \r\n")
        time.sleep(DEBOUNCE)
        repl.write(b"\x03")
        assert repl.read_until(b">>> ").startswith(b"^C" + TRACEBACK + b"\n")


# --- JumperlOS: the interrupt char after a `>` command (P9) --------------------------------------


def test_after_a_main_port_command_ctrl_q_no_longer_interrupts(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b">print('first')\n")
        main.read_until(b"first\r\n")
        run_on_main(main, b">while not fs_exists('/go'): pass")
        main.send(b"\x11")  # first in line, but the interrupt char is -1 now
        settle()
        release(jos_board, "go")
        main.send(b">print('ran to the end')\n")
        assert TRACEBACK not in main.read_until(b"ran to the end\r\n")
        # kbd_intr re-arms it only for the rest of the command that calls it: each line is its own command
        main.send(b">import micropython;micropython.kbd_intr(17);print('armed')\n")
        main.read_until(b"armed\r\n")
        run_on_main(main, b">while not fs_exists('/go2'): pass")
        main.send(b"\x11")
        settle()
        release(jos_board, "go2")
        main.send(b">print('again')\n")
        assert TRACEBACK not in main.read_until(b"again\r\n")


def test_kbd_intr_and_repl_port_traffic_rearm_the_interrupt_char(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main, serial.Serial(jos_board.repl_path, timeout=2) as repl:
        main.send(b">print('first')\n")
        main.read_until(b"first\r\n")
        run_on_main(main, b">import micropython;micropython.kbd_intr(17);exec('while not fs_exists(\\'/go\\'): pass')")
        main.send(b"\x11")
        assert b"^Q" + TRACEBACK in main.read_until(b"KeyboardInterrupt: \r\n")
        # any CDC2 traffic restores Ctrl-Q (MpRemoteService.cpp:145, :290): here a Ctrl-C at the `>>> ` prompt
        repl.write(b"\x03")
        repl.read_until(b">>> ")
        run_on_main(main, b">while not fs_exists('/go2'): pass")
        time.sleep(DEBOUNCE)
        main.send(b"\x11")
        assert b"^Q" + TRACEBACK in main.read_until(b"KeyboardInterrupt: \r\n")


# --- 5.3.x: checks only at output and in sleeps ---------------------------------------------------


def test_legacy_tight_loop_cannot_be_interrupted(legacy_board: VirtualBoard) -> None:
    """P6: no VM hook in 5.3.x: a loop that neither prints nor sleeps never checks, so Ctrl-Q does nothing."""
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b">print('running')\nwhile not fs_exists('/go'): pass\n")
        main.read_until(b"running\r\n")
        main.send(b"\x11")
        settle()
        assert legacy_board.main.input.pending() == 1  # type: ignore[union-attr]
        release(legacy_board, "go")
        assert b"KeyboardInterrupt" not in main.read_quiet(0.4)
        main.send(b"?")
        assert main.read_until(b"5.3.2.4\r\n").endswith(b"Jumperless firmware version: 5.3.2.4\r\n")


def test_legacy_bytes_survive_until_a_check_reads_them(legacy_board: VirtualBoard) -> None:
    """P5: bytes sent while code runs are read and dropped by the next output or sleep, not before."""
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b">print('running')\nwhile not fs_exists('/go'): pass\n")
        main.read_until(b"running\r\n")
        main.send(b"?")
        settle()
        release(legacy_board, "go")  # no check ran since: the menu answers the `?` afterwards
        assert main.read_until(b"5.3.2.4\r\n").endswith(b"Jumperless firmware version: 5.3.2.4\r\n")
        main.send(b">import time\nprint('running')\nwhile not fs_exists('/go2'): time.sleep(0.01)\n")
        main.read_until(b"running\r\n")
        send_consumed(legacy_board, main, b"?")  # a sleep tick's check reads it and drops it
        release(legacy_board, "go2")
        assert b"firmware version" not in main.read_quiet(0.4)
