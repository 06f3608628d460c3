"""The main port of both personas: `?`, `>`, menu commands, control bytes and injected output (protocol §2, §3)."""

from __future__ import annotations

import time

from serial_clients import MainPortClient

from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.link.transport import clean_text

VERSION_LINE_JOS = b"Jumperless firmware version: 5.7.0.13\r\n"
VERSION_LINE_LEGACY = b"Jumperless firmware version: 5.3.2.4\r\n"


def test_version_on_each_persona(jos_board: VirtualBoard, legacy_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b"?\n")  # line buffering is on by default on 5.7: the editor answers `?` at once, unechoed
        assert main.read_until(VERSION_LINE_JOS + b"\r\n") == VERSION_LINE_JOS + b"\r\n"  # `\n`: an empty line
        main.send(b"\x0f?")  # SI: line buffering off, quietly; then `?` acts at once
        assert main.read_until(VERSION_LINE_JOS) == VERSION_LINE_JOS
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b"?")
        assert main.read_until(VERSION_LINE_LEGACY) == VERSION_LINE_LEGACY


def test_jumperlos_python_one_liner_has_no_expression_echo(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b"\x0f")
        main.send(b">print('\\x02'+'s1');adc_get(0);print('s1'+'\\x03')\n")
        reply = main.read_until(b"s1\x03\r\n")
        command_echo, output = reply.split(b"\r\n", 1)
        assert command_echo.startswith(b"\r" + b" " * 64 + b"\r")  # the highlighted echo of the command
        assert output == b"\x02s1\r\ns1\x03\r\n"  # adc_get(0)'s value is not printed
        main.send(b">foo()\n")
        assert b"NameError: name 'foo' isn't defined\r\n" in main.read_until(b"defined\r\n")


def test_jumperlos_line_mode_echoes_and_runs_each_line(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b">print(6*7)\n")
        reply = main.read_until(b"42\r\n")
        echo, output = reply.rsplit(b"\r\n", 2)[0], reply.split(b"\r\n")[-2]
        renders = echo.split(b"\x1b[K")  # the whole line re-rendered after each keystroke
        assert len(renders) == len(">print(6*7)") + 1 and output == b"42"
        assert clean_text(renders[-2]).endswith(">print(6*7)")


def test_legacy_python_one_liner_echoes_expressions_after_the_collector(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as main:
        started = time.monotonic()
        main.send(b">print('\\x02'+'s1');gpio_get(1);print('s1'+'\\x03')\n")
        assert main.read_until(b"s1\x03\r\n") == b"\x02s1\r\nFLOATING\r\ns1\x03\r\n"
        assert time.monotonic() - started >= 0.05  # the 1 s readString collector, scaled by 0.05
        main.send(b">connect(1,5,True)\n")
        assert main.read_quiet(0.3) == b""  # None prints nothing
        main.send(b">is_connected(1,5)\n")
        assert main.read_until(b"CONNECTED\r\n") == b"CONNECTED\r\n"
        main.send(b">foo()\n")
        assert main.read_until(b"defined\r\n").startswith(b"Traceback (most recent call last):\r\n")


def test_legacy_commands_sent_inside_the_collector_window_join_the_same_source(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b">x=1\n")
        main.send(b">print(2)\n")  # within the (scaled) 1 s window: appended to the first command
        assert b"SyntaxError" in main.read_until(b"SyntaxError: invalid syntax\r\n")


def test_legacy_ctrl_q_interrupts_and_other_bytes_are_discarded(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b">import time\nwhile True: time.sleep(0.01)\n")
        time.sleep(0.3)
        main.send(b"?x\x11")  # `?` and `x` are swallowed by the check in the sleep; Ctrl-Q interrupts
        notice = main.read_until(b"KeyboardInterrupt: \r\n")
        assert notice.startswith(b"^Q\n\r\x1b[38;5;202mKeyboardInterrupt (Ctrl+Q)\n\r\x1b[38;5;69m")
        assert b"Traceback (most recent call last):\r\n" in notice  # then the traceback, as ever (P7)
        assert main.read_quiet(0.3) == b""
        main.send(b"?")
        assert main.read_until(VERSION_LINE_LEGACY) == VERSION_LINE_LEGACY


def test_legacy_help_probe_and_menu_commands(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b"x?")  # a `?` right after a command asks for its help instead of running it
        assert main.read_until(b"\r\n") == b"x - clear all connections\r\n"
        main.send(b"+1-5,3-D13")
        reply = main.read_until(b"Menu")
        assert reply.startswith(b"node2 = 5\r\nnode2 = 83\r\n{\n\r1-5,\n\r3-D13,\n\r}\n\r")
        main.read_quiet(0.3)
        main.send(b"E")  # menu off
        main.read_quiet(0.3)
        main.send(b"x")
        assert main.read_quiet(0.3) == b"Cleared all connections\r\n"
        main.send(b"<")
        assert main.read_quiet(0.3) == b"Slot 7\r\n"


def test_netlist_command_lists_special_and_user_nets(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b"\x0f>connect(1, 5)\n")
        main.read_quiet(0.2)
        main.send(b"n")
        text = main.read_quiet(0.3)
        assert b"netlist" in text and b"Top Rail" in text and b"Net 6" in text
        assert b"1,5" in text and b"\x1b[" in text  # ANSI colour, as real boards print


def test_netlist_live_mode_blocks_until_a_byte_arrives(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b"\x0f>connect(ADC0, 7)\n")  # an ADC in a net makes `n` live
        main.read_quiet(0.2)
        main.send(b"n")
        assert b"netlist" in main.read_quiet(0.3)
        main.send(b"?")  # the byte ends live mode and is then read as a command
        assert main.read_until(VERSION_LINE_JOS).endswith(VERSION_LINE_JOS)


def test_control_bytes_and_slot_query(jos_board: VirtualBoard) -> None:
    with MainPortClient(jos_board.main_path) as main:
        main.send(b"\x10")  # DLE: nothing printed
        main.send(b"\x05")  # ENQ: CDC roles
        assert main.read_until(b"TUI\r\n").startswith(b"CDC0: Jumperless Main\r\n")
        main.send(b"\x0fQ")
        assert main.read_until(b"\r\n") == b"ACTIVE_SLOT:0\r\n"
        main.send(b"J power\n")
        assert main.read_until(b"}\r\n}\r\n").startswith(b'{\r\n  "power": {\r\n    "top_rail": 3.300,')


def test_injected_unsolicited_output_reaches_the_host_verbatim(jos_board: VirtualBoard) -> None:
    noise = b"\x0e\n\r\t connect nodes\n\r\x1b[38;5;45m\x0f"
    with MainPortClient(jos_board.main_path) as main:
        jos_board.inject("main", noise)
        assert main.read_until(b"\x0f") == noise
        main.send(b"\x0f?")
        assert main.read_until(VERSION_LINE_JOS) == VERSION_LINE_JOS


def test_legacy_discards_input_after_menu_commands_and_unknown_ones(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as main:
        main.send(b"n\r" + b"?" * 10)  # `n` ends with `break`: bytes beyond 5 pending are thrown away
        reply = main.read_quiet(0.5)
        # the 5 left: `??` twice asks for `?`'s help (the probe follows `?` too, P18), then one `?` runs
        assert reply.count(b"? - firmware version\r\n") == 2 and reply.count(VERSION_LINE_LEGACY) == 1
        main.send(b"W\r???")  # an unknown command drains the whole input buffer
        reply = main.read_quiet(0.5)
        assert b"Menu" in reply and VERSION_LINE_LEGACY not in reply
