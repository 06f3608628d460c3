"""The REPL port speaks MicroPython's friendly / raw / raw-paste REPL byte for byte (protocol §3.4)."""

from __future__ import annotations

import struct
import threading
import time

import serial
from serial_clients import RAW_PROMPT, RawRepl

from jumperless_mcp.emulator import VirtualBoard

BANNER = b"MicroPython v1.28.0-dirty on 2026-06-01; jumperless-v5 v5.7.0.13 with rp2350b\r\n"


def test_raw_repl_round_trip_separates_stdout_and_stderr(repl: RawRepl) -> None:
    assert repl.exec_raw("print(adc_get(0))") == b"OK0.0\n\x04\x04>"
    stdout, stderr = repl.exec("print('before')\nfoo()")
    assert stdout == "before\n"
    assert stderr == (
        "Traceback (most recent call last):\n"
        '  File "<stdin>", line 2, in <module>\n'
        "NameError: name 'foo' isn't defined\n"
    )


def test_firmware_errors_arrive_as_tracebacks_on_stderr(repl: RawRepl) -> None:
    stdout, stderr = repl.exec("adc_get(9)")
    assert stdout == ""
    assert stderr.endswith("ValueError: ADC channel must be 0-3\n")
    _, stderr = repl.exec("connect('NOT_A_NODE', 5)")
    assert stderr.endswith("ValueError: Unknown node name\n")
    _, stderr = repl.exec("def f(:\n pass")
    assert "SyntaxError" in stderr


def test_state_persists_between_calls_and_soft_reset_clears_only_the_vm(repl: RawRepl) -> None:
    repl.exec("x = 41\nconnect(1, 5)")
    assert repl.eval("x + 1") == "42"
    repl.serial.write(b"\x04")  # Ctrl-D on an empty buffer: soft reboot
    assert repl.read_until(RAW_PROMPT) == b"OK\r\nsoft reboot\r\n" + RAW_PROMPT
    _, stderr = repl.exec("print(x)")
    assert "NameError" in stderr  # the VM was reset...
    assert repl.eval("is_connected(1, 5)") == "CONNECTED"  # ...the board was not
    assert repl.eval("adc_get(0)") == "0.0"  # jumperless functions are global again


def test_ctrl_c_interrupts_a_running_loop_and_the_port_recovers(repl: RawRepl) -> None:
    repl.serial.write(b"while True:\n    pass\n\x04")
    assert repl.read_until(b"OK") == b"OK"
    time.sleep(0.1)
    repl.serial.write(b"\x03")
    reply = repl.read_until(b"\x04>")
    assert reply.endswith(b"KeyboardInterrupt: \n\x04>")
    assert repl.eval("1 + 1") == "2"


def test_one_line_busy_loop_is_interrupted_too(repl: RawRepl) -> None:
    repl.serial.write(b"while True: pass\x04")
    repl.read_until(b"OK")
    time.sleep(0.1)
    repl.serial.write(b"\x03")
    assert b"KeyboardInterrupt" in repl.read_until(b"\x04>", timeout=3)
    assert repl.eval("'alive'") == "'alive'"


def test_sleep_is_interruptible(repl: RawRepl) -> None:
    repl.serial.write(b"import time\ntime.sleep(30)\x04")
    repl.read_until(b"OK")
    started = time.monotonic()
    repl.serial.write(b"\x03")
    assert b"KeyboardInterrupt" in repl.read_until(b"\x04>", timeout=3)
    assert time.monotonic() - started < 5


def test_raw_paste_mode_with_flow_control(repl: RawRepl) -> None:
    repl.serial.write(b"\x05A\x01")
    header = repl.serial.read(5)
    assert header[:2] == b"R\x01"
    window = struct.unpack("<H", header[2:4])[0]
    assert window == 128 and header[4:] == b"\x01"
    code = ("x = 0\n" + "x += 1\n" * 100 + "print(x)\n").encode()
    assert len(code) > 2 * window  # the host must wait for window increments
    sent, credit = 0, 2 * window
    while sent < len(code):
        if credit == 0:
            assert repl.serial.read(1) == b"\x01"
            credit += window
        chunk = code[sent : sent + credit]
        repl.serial.write(chunk)
        sent, credit = sent + len(chunk), credit - len(chunk)
    repl.serial.write(b"\x04")
    reply = repl.read_until(b"\x04>")
    # any remaining window increments, then the end-of-data ack, then stdout / stderr
    assert reply.lstrip(b"\x01") == b"\x04100\n\x04\x04>"


def test_friendly_repl_echoes_and_prints_expression_values(jos_board: VirtualBoard) -> None:
    with serial.Serial(jos_board.repl_path, 115200, timeout=2) as port:
        port.write(b"\x02")  # Ctrl-B: banner
        assert port.read_until(b">>> ") == b"\r\n" + BANNER + b'Type "help()" for more information.\r\n>>> '
        port.write(b"1 + 2\r")
        assert port.read_until(b">>> ") == b"1 + 2\r\n3\n>>> "
        port.write(b"for i in range(2):\r")  # auto-indent: the next line starts 4 spaces in
        assert port.read_until(b"... ") == b"for i in range(2):\r\n... "
        assert port.read(4) == b"    "
        port.write(b"print(i)\r")
        assert port.read_until(b"...     ") == b"print(i)\r\n...     "
        port.write(b"\r\r\r")  # two blank lines turn auto-indent off, the third Enter runs the block
        assert port.read_until(b">>> ") == b"\r\n...     \r\n... \r\n0\n1\n>>> "
        port.write(b"abc\x03")  # Ctrl-C clears the line
        assert port.read_until(b">>> ") == b"abc\r\n>>> "
        port.write(b"\x05")  # Ctrl-E: paste mode
        assert port.read_until(b"=== ") == b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
        port.write(b"a = 6\rprint(a * 7)\x04")
        assert port.read_until(b">>> ").endswith(b"42\n>>> ")


def test_ctrl_c_on_the_main_port_interrupts_repl_code(jos_board: VirtualBoard) -> None:
    """Either port's first pending byte is checked, whichever port runs the code (P1): Ctrl-C on CDC0 stops it."""
    with RawRepl(jos_board.repl_path) as repl:
        repl.serial.write(b"import time\ntime.sleep(30)\nprint('done')\x04")
        repl.read_until(b"OK")
        with serial.Serial(jos_board.main_path, 115200, timeout=0.1) as main:
            main.write(b"\x03")
            assert repl.read_until(b"\x04>", timeout=3).endswith(b"KeyboardInterrupt: \n\x04>")
            assert main.read(10) == b""  # raw REPL on CDC2: no `^Q` echo anywhere


def test_blocking_probe_read_waits_for_a_scripted_touch(jos_board: VirtualBoard) -> None:
    with RawRepl(jos_board.repl_path) as repl:
        timer = threading.Timer(0.2, jos_board.probe.touch, args=(12,))
        timer.start()
        assert repl.exec("print(probe_read())") == ("PAD_12\n", "")
        timer.join()
