"""The virtual board's Python dialect is the firmware's MicroPython: object model, builtins, modules, stdin, floats.

Each behaviour is checked through the real virtual board: JumperlOS over the REPL port in raw mode, 5.3.x
with `>` one-liners on the main port. One board per persona serves the whole module.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serial_clients import RAW_PROMPT, MainPortClient, RawRepl

from firmware_api.versions import Family
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.emulator.floats import float_repr, parse_float, to_float32

LEGACY_TIME_SCALE = 0.05
MARK = "k9"  # framing for 5.3.x output: \x02k9 ... k9\x03


@pytest.fixture(scope="module")
def jos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualBoard]:
    with VirtualBoard("jumperlos", fs_dir=tmp_path_factory.mktemp("jos-fs")) as board:
        yield board


@pytest.fixture(scope="module")
def repl(jos: VirtualBoard) -> Iterator[RawRepl]:
    with RawRepl(jos.repl_path) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualBoard]:
    with VirtualBoard("legacy", fs_dir=tmp_path_factory.mktemp("v5-fs"), time_scale=LEGACY_TIME_SCALE) as board:
        yield board


@pytest.fixture(scope="module")
def main5(legacy: VirtualBoard) -> Iterator[MainPortClient]:
    with MainPortClient(legacy.main_path) as client:
        yield client


def error(repl: RawRepl, code: str) -> str:
    """The last line of the traceback the code raises on JumperlOS."""
    _, stderr = repl.exec(code)
    assert stderr.startswith("Traceback (most recent call last):\n"), stderr
    return stderr.splitlines()[-1]


def legacy_lines(main: MainPortClient, code: str) -> list[str]:
    """Run code with `>` on 5.3.x; the lines it printed (it must not fail)."""
    main.send(f">print('\\x02'+'{MARK}')\n{code}\nprint('{MARK}'+'\\x03')\n".encode())
    reply = main.read_until(f"{MARK}\x03\r\n".encode()).decode()
    body = reply[reply.index(f"\x02{MARK}\r\n") + len(MARK) + 3 : reply.index(f"{MARK}\x03")]
    return body.splitlines()


def legacy_error(main: MainPortClient, code: str, last_line: str) -> None:
    """Run failing code with `>` on 5.3.x and wait for its traceback to end with `last_line`."""
    main.send(f">{code}\n".encode())
    reply = main.read_until(last_line.encode() + b"\r\n").decode()
    assert "Traceback (most recent call last):" in reply, reply


# --- the firmware's object types -----------------------------------------------------------------------------------


def test_objects_carry_the_firmware_type_names(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(type(gpio_get(1)).__name__, type(OUTPUT).__name__, type(gpio_get_pull(1)).__name__)\n"
        "print(type(is_connected(1, 2)).__name__, type(BUTTON_NONE).__name__, type(NO_PAD).__name__)\n"
        "print(type(D13).__name__, type(node(5)))"
    )
    assert lines == ["GPIOState GPIODirection GPIOPull", "ConnectionState ProbeButton ProbePad", "node <class 'node'>"]


def test_equality_across_types_is_false(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(gpio_get(1) == 2, HIGH == True, D13 == 83, node('D13') == 83, NO_PAD == -1)\n"
        "print(is_connected(1, 2) == False, BUTTON_NONE == 0, gpio_get(1) != 2)"
    )
    assert lines == ["False False False False False", "False False True"]  # gpio_get(1) is FLOATING, value 2


def test_same_type_equality_per_family(repl: RawRepl, main5: MainPortClient) -> None:
    code = "print(gpio_get(1) == FLOATING, FLOATING == FLOATING, node('D13') == D13, node(83) != D13)"
    assert repl.lines(code) == ["True True True False"]
    assert legacy_lines(main5, code) == ["False True True False"]  # V5 GPIOState has no binary_op: identity only


def test_a_float_compares_with_the_objects_value(repl: RawRepl) -> None:
    assert repl.lines("print(FLOATING == 2.0, 83.0 == D13, HIGH == 0.0)") == ["True True False"]


def test_firmware_objects_cannot_be_hashed(repl: RawRepl) -> None:
    assert error(repl, "{D13: 1}") == "TypeError: unsupported type for __hash__: 'node'"


def test_bool_and_int_follow_each_family(repl: RawRepl, main5: MainPortClient) -> None:
    code = "print(bool(NO_PAD), bool(BUTTON_NONE), bool(OUTPUT), int(OUTPUT), int(INPUT), bool(D13), int(D13), [0] * 2)"
    assert repl.lines(code) == ["False False True 0 1 True 83 [0, 0]"]
    assert legacy_lines(main5, code) == ["False False True 1 0 True 83 [0, 0]"]  # V5: OUTPUT is 1 (mjc :577)


def test_probe_pad_plus_text_concatenates_its_name(repl: RawRepl, main5: MainPortClient) -> None:
    assert repl.lines("print(LOGO_PAD_TOP + ' touched', NO_PAD + '')") == ["LOGO_PAD_TOP touched NO_PAD"]
    assert legacy_lines(main5, "print(LOGO_PAD_TOP + '!')") == ["LOGO_PAD_TOP!"]
    # str + ProbePad never reaches probe_pad_binary_op: str's binary_op declines, the reversed op is REVERSE_ADD
    assert error(repl, "'pad ' + NO_PAD") == "TypeError: unsupported types for __add__: 'str', 'ProbePad'"


def test_node_arithmetic_and_ordering_on_jumperlos(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(D13 + 1, D13 - 3, D13 * 2, D13 // 10, D13 % 10, D13 < 100, D13 >= 83, D13 > D12, 1.5 + D13)"
    )
    assert lines == ["84 80 166 8 3 True True True 84.5"]
    assert error(repl, "5 + D13") == "TypeError: unsupported types for __add__: 'int', 'node'"


def test_nodes_have_only_equality_on_legacy(main5: MainPortClient) -> None:
    legacy_error(main5, "D13 + 1", "TypeError: unsupported types for __add__: 'node', 'int'")
    legacy_error(main5, "D13 < 100", "TypeError: unsupported types for __lt__: 'node', 'int'")


def test_probe_pads_print_pad_names_on_legacy(legacy: VirtualBoard, main5: MainPortClient) -> None:
    legacy.probe.touch(12)
    assert legacy_lines(main5, "print(probe_read(), NO_PAD)") == ["PAD_12 NO_PAD"]  # V5 jl_get_pad_name :396


# --- globals, builtins and modules ----------------------------------------------------------------------------------


def test_firmware_globals_on_both_families(repl: RawRepl, main5: MainPortClient) -> None:
    code = "print(jumperless, jumperless.dac_get(0), check_interrupt(), 'dac_set' in funcs, math.pi > 3, gc, time)"
    expected = "<module 'jumperless'> 0.0 None True True <module 'gc'> <module 'time'>"
    assert repl.lines(code) == [expected]
    assert legacy_lines(main5, code) == [expected]


def test_walk_lists_the_flash_on_jumperlos_only(repl: RawRepl, main5: MainPortClient) -> None:
    lines = repl.lines("fs_write('/python_scripts/walked.txt', 'hello')\nwalk('')")
    assert "f|/python_scripts/walked.txt|5" in lines
    assert any(line.startswith("d|/python_scripts|") for line in lines)
    legacy_error(main5, "walk('')", "NameError: name 'walk' isn't defined")


def test_a_soft_reset_loses_the_jumperless_global_on_jumperlos(jos: VirtualBoard, repl: RawRepl) -> None:
    jos.runtime.reset(soft=True)  # what jl_soft_reboot rebuilds (the ports call this for Ctrl-D)
    try:
        lines = repl.lines("g = globals()\nprint('jumperless' in g, 'check_interrupt' in g, 'walk' in g, 'time' in g)")
        assert lines == ["False False True True"]
    finally:
        jos.runtime.reset()


def test_builtins_are_micropythons(repl: RawRepl, main5: MainPortClient) -> None:
    for name in ("format", "ascii", "vars", "exit", "breakpoint", "FileNotFoundError"):
        assert error(repl, f"{name}") == f"NameError: name '{name}' isn't defined"
    legacy_error(main5, "open('/x.txt')", "NameError: name 'open' isn't defined")  # no MICROPY_PY_IO on 5.3.x


def test_module_attributes_cannot_be_assigned(repl: RawRepl) -> None:
    assert error(repl, "import time\ntime.sleep = None") == "AttributeError: 'module' object has no attribute 'sleep'"
    assert error(repl, "sys.foo = 1") == "AttributeError: 'module' object has no attribute 'foo'"
    assert error(repl, "jumperless.dac_set = print") == "AttributeError: 'module' object has no attribute 'dac_set'"
    assert error(repl, "import math\nmath.pi = 3") == "AttributeError: 'module' object has no attribute 'pi'"
    assert repl.lines("sys.ps1 = '$ '\nprint(sys.ps1)\nsys.ps1 = '>>> '") == ["$ "]  # ps1/ps2/path stay mutable


def test_legacy_lacks_the_modules_its_build_turned_off(repl: RawRepl, main5: MainPortClient) -> None:
    assert repl.lines("import json, re, random, binascii, hashlib, heapq, io, select\nprint('ok')") == ["ok"]
    for name in ("json", "re", "random", "binascii", "hashlib", "heapq", "io"):
        legacy_error(main5, f"import {name}", f"ImportError: no module named '{name}'")


def test_sys_describes_each_firmwares_micropython(repl: RawRepl, main5: MainPortClient) -> None:
    code = "print(sys.version)\nprint(sys.implementation)\nprint(sys.platform, sys.maxsize)"
    assert repl.lines(code) == [
        "3.4.0; MicroPython v1.28.0-dirty on 2026-06-01",
        "(name='micropython', version=(1, 28, 0, ''), _machine='jumperless-v5 v5.7.0.13 with rp2350b')",
        "jumperless-rp2350 2147483647",
    ]
    assert legacy_lines(main5, code) == [
        "3.4.0; MicroPython v1.25.0 on 2025-04-16",
        "(name='micropython', version=(1, 25, 0, ''), _machine='jumperless-v5 with rp2350b')",
        "jumperless-rp2350 1073741823",
    ]


def test_time_has_no_wall_clock(repl: RawRepl, main5: MainPortClient) -> None:
    code = "print(hasattr(time, 'time'), hasattr(time, 'localtime'), hasattr(time, 'gmtime'), time.ticks_diff(5, 3))"
    assert repl.lines(code) == ["False False False 2"]  # MICROPY_PY_TIME_GMTIME_LOCALTIME_MKTIME 0 in both trees
    assert legacy_lines(main5, code) == ["False False False 2"]


def test_print_keywords(repl: RawRepl, main5: MainPortClient) -> None:
    assert error(repl, "print(1, sep=None)") == "TypeError: can't convert 'NoneType' object to str implicitly"
    assert error(repl, "print(1, flush=True)") == "TypeError: unexpected keyword argument 'flush'"
    assert error(repl, "print(1, file=None)") == "OSError: stream operation not supported"
    assert repl.lines("print('to', 'stderr', file=sys.stderr, sep='-')") == ["to-stderr"]
    legacy_error(main5, "print(1, file=None)", "TypeError: unexpected keyword argument 'file'")


def test_sys_stdfiles_exist_only_on_jumperlos(repl: RawRepl, main5: MainPortClient) -> None:
    code = "print(hasattr(sys, 'stdin'), hasattr(sys, 'stdout'), hasattr(sys, 'stderr'))"
    assert repl.lines(code) == ["True True True"]
    assert legacy_lines(main5, code) == ["False False False"]  # MICROPY_PY_SYS_STDFILES 0 (V5 mpconfigport.h:168)


def test_common_exception_messages_are_micropythons(repl: RawRepl) -> None:
    cases = {
        "1 / 0": "ZeroDivisionError: divide by zero",
        "'a' + 1": "TypeError: unsupported types for __add__: 'str', 'int'",
        "1 < 'a'": "TypeError: unsupported types for __lt__: 'int', 'str'",
        "int('x')": "ValueError: invalid syntax for integer with base 10: 'x'",
        "{}['k']": "KeyError: k",
        "f = None\nf()": "TypeError: 'NoneType' object isn't callable",
        "a, b = [1]": "ValueError: need more than 1 values to unpack",
        "open('/missing.txt')": "OSError: [Errno 2] ENOENT",
        "def f():\n    f()\nf()": "RuntimeError: maximum recursion depth exceeded",
    }
    assert {code: error(repl, code) for code in cases} == cases


# --- importing from the flash ---------------------------------------------------------------------------------------


def test_import_a_module_from_python_scripts_lib(repl: RawRepl) -> None:
    repl.lines(
        "fs_write('/python_scripts/lib/greet.py', 'def hello(n):\\n    return \"hi \" + n\\ndef boom():\\n    1/0\\n')"
    )
    assert repl.lines("import greet\nprint(greet.hello('x'), greet.__file__, 'greet' in sys.modules)") == [
        "hi x /python_scripts/lib/greet.py True"
    ]
    _, stderr = repl.exec("greet.boom()")
    assert stderr == (
        "Traceback (most recent call last):\n"
        '  File "<stdin>", line 1, in <module>\n'
        '  File "/python_scripts/lib/greet.py", line 4, in boom\n'
        "ZeroDivisionError: divide by zero\n"
    )


def test_import_a_package_on_jumperlos(repl: RawRepl) -> None:
    repl.lines(
        "fs_write('/python_scripts/lib/kit/__init__.py', 'NAME = \"kit\"')\n"
        "fs_write('/python_scripts/lib/kit/parts.py', 'R = 10')"
    )
    assert repl.lines("from kit import parts\nimport kit\nprint(kit.NAME, parts.R)") == ["kit 10"]
    assert error(repl, "import not_on_flash") == "ImportError: no module named 'not_on_flash'"


def test_legacy_imports_from_the_root(main5: MainPortClient) -> None:
    assert legacy_lines(main5, "_ = fs_write('/mod5.py', 'V = 5')\nimport mod5\nprint(mod5.V, sys.path[0] == '')") == [
        "5 True"
    ]


# --- stdin ----------------------------------------------------------------------------------------------------------


def test_input_reads_a_line_from_the_repl_port(repl: RawRepl) -> None:
    repl.serial.write(b"x = input('name? ')\nprint('got', repr(x))\x04")
    assert repl.read_until(b"name? ") == b"OKname? "
    repl.serial.write(b"Bob\r")
    assert repl.read_until(b"\x04>") == b"Bob\r\ngot 'Bob'\n\x04\x04>"  # the line editor echoes what it reads


def test_input_takes_newline_as_enter_and_ctrl_d_as_end_of_file(repl: RawRepl) -> None:
    repl.serial.write(b"print(input('?') + '|')\x04")
    assert repl.read_until(b"?") == b"OK?"  # input() is waiting
    repl.serial.write(b"ab\n")
    assert repl.read_until(b"\x04>") == b"ab\r\nab|\n\x04\x04>"
    repl.serial.write(b"input('?')\x04")
    assert repl.read_until(b"?") == b"OK?"
    repl.serial.write(b"\x04")
    assert repl.read_until(b"\x04>").endswith(b"EOFError: \n\x04>")


def test_input_on_a_main_port_one_liner(jos: VirtualBoard) -> None:
    with MainPortClient(jos.main_path) as main:
        main.send(b">print('got', input('Q' + 'Z'))\n")  # the prompt text is not in the echoed command
        main.read_until(b"QZ")
        main.send(b"hello\n")
        assert main.read_until(b"got hello\r\n") == b"hello\r\ngot hello\r\n"  # the echo, then the output


def test_sys_stdin_reads_and_polls(repl: RawRepl) -> None:
    repl.serial.write(
        b"import select\np = select.poll()\np.register(sys.stdin, select.POLLIN)\n"
        b"print('empty' if not p.poll(0) else 'ready')\n"
        b"print(p.poll(5000)[0][1] == select.POLLIN)\n"
        b"print(repr(sys.stdin.read(3)), repr(sys.stdin.readline()))\x04"
    )
    assert repl.read_until(b"empty\n") == b"OKempty\n"
    repl.serial.write(b"abcdef\r")
    assert repl.read_until(b"\x04>") == b"True\n'abc' 'def\\n'\n\x04\x04>"  # no echo; \r reads as \n


# --- floats ----------------------------------------------------------------------------------------------------------

# ../shared/reference/micropython-floats.md: the value as typed, v1.25 (5.3.x) and v1.28 (JumperlOS) float32 reprs
FLOAT_TABLE = [
    ("1/3", "0.3333333", "0.33333334"),
    ("5/3", "1.666667", "1.6666666"),
    ("1/7", "0.1428571", "0.14285715"),
    ("3.14159265", "3.141593", "3.1415928"),
    ("3333.3333", "3333.333", "3333.3332"),
    ("5.333333333", "5.333333", "5.3333336"),
    ("20833333.33", "2.083333e+07", "20833334.0"),
    ("123456789.0", "1.234568e+08", "123456790.0"),
    ("3.401360544", "3.401361", "3.4013608"),
    ("2.693069307", "2.693069", "2.6930692"),
    ("0.2402921953", "0.2402922", "0.240292184"),
    ("2/3", "0.6666667", "0.6666667"),
    ("0.1", "0.1", "0.1"),
    ("3.3", "3.3", "3.3"),
    ("1.65", "1.65", "1.65"),
    ("0.0249003", "0.0249003", "0.0249003"),
    ("1e-07", "1e-07", "1e-07"),
    ("100.0", "100.0", "100.0"),
    ("4.999", "4.999", "4.999"),
    ("-2.75", "-2.75", "-2.75"),
]


def _typed(text: str) -> float:
    """The float32 MicroPython makes of a literal (its own parser) or of a float32 division."""
    if "/" in text:
        a, b = text.split("/")
        return to_float32(to_float32(float(a)) / to_float32(float(b)))
    return -parse_float(text[1:]) if text.startswith("-") else parse_float(text)


@pytest.mark.parametrize(("typed", "legacy", "jumperlos"), FLOAT_TABLE)
def test_float_repr_matches_micropython_builds(typed: str, legacy: str, jumperlos: str) -> None:
    value = _typed(typed)
    assert (float_repr(value, Family.LEGACY), float_repr(value, Family.JUMPERLOS)) == (legacy, jumperlos)


def test_floats_print_per_family(repl: RawRepl, main5: MainPortClient) -> None:
    code = (
        "dac_set(0, 1/3)\nv = dac_get(0)\n"
        "print(1/3, [2/3], repr(5/3), v, str(v), f'{v}', 'v=%s' % v)\nprint(1e20, 2.0**70)"
    )
    assert repl.lines(code) == [
        "0.33333334 [0.6666667] 1.6666666 0.33333334 0.33333334 0.33333334 v=0.33333334",
        "1e+20 1.1805916e+21",
    ]
    assert legacy_lines(main5, code) == [
        "0.3333333 [0.6666667] 1.666667 0.3333333 0.3333333 0.3333333 v=0.3333333",
        "1e+20 1.180592e+21",
    ]


def test_values_beyond_float32_print_as_inf(repl: RawRepl) -> None:
    assert repl.lines("print(3.5e38, -1e300, [1e39])") == ["inf -inf [inf]"]


def test_repl_echo_prints_floats_and_escapes_text(repl: RawRepl) -> None:
    repl.serial.write(b"\x02")  # to the friendly REPL, where bare expressions print their repr
    repl.read_until(b">>> ")
    try:
        repl.serial.write(b"1/7\rchr(233)\r")
        reply = repl.read_until(b"'\\xe9'\n>>> ").decode()
        assert re.search(r"\n0\.14285715\n", reply), reply
    finally:
        repl.serial.write(b"\x01")
        repl.read_until(RAW_PROMPT)


INTERRUPTED_EXEC = """
import sys
sys.path.insert(0, {tests!r})
from serial_clients import RawRepl
from jumperless_mcp.emulator import VirtualBoard

with VirtualBoard("jumperlos") as board, RawRepl(board.repl_path) as repl:
    assert repl.eval("(exec('x = 2') or x, eval('x + 1'))") == "(2, 3)"  # the caller's namespace, as exec() uses
    repl.serial.write(b"print('looping');exec('while True: pass')\\x04")
    repl.read_until(b"looping")
    repl.serial.write(b"\\x03")
    assert b"KeyboardInterrupt" in repl.read_until(b"\\x04>")
"""


def test_interrupting_exec_of_a_string_leaves_the_host_process_exit_status_alone(tmp_path: Path) -> None:
    """Board code's exec('...') interrupted by Ctrl-C must not make the Python process running the virtual board exit
    with 130 (CPython's exec of a string records an escaping KeyboardInterrupt process-wide)."""
    script = tmp_path / "interrupted_exec.py"
    script.write_text(INTERRUPTED_EXEC.format(tests=str(Path(__file__).parent)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
