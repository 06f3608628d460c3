"""`firmware_api.replies`: printed reprs back to typed values, tracebacks back to typed errors."""

from __future__ import annotations

import json
import math

import pytest
from serial_clients import RawRepl

from firmware_api import nodes, replies
from firmware_api.catalog import Returns, lookup
from firmware_api.errors import (
    FirmwareError,
    FirmwareInterrupted,
    FirmwareNameError,
    FirmwareOSError,
    FirmwareTypeError,
    FirmwareValueError,
    NonFiniteReading,
    ReplyParseError,
)
from firmware_api.replies import find_traceback, parse_reply, parse_traceback
from firmware_api.values import NO_PAD, GPIODirection, GPIOPull, GPIOState, ProbeButton, ProbePad
from firmware_api.versions import Family, FirmwareVersion

# --- values --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (Returns.CONNECTION_STATE, "CONNECTED", True),
        (Returns.CONNECTION_STATE, "DISCONNECTED", False),
        (Returns.CONNECTION_STATE, "True", True),
        (Returns.CONNECTION_STATE, "False\n", False),
        (Returns.GPIO_STATE, "HIGH", GPIOState.HIGH),
        (Returns.GPIO_STATE, "LOW", GPIOState.LOW),
        (Returns.GPIO_STATE, "FLOATING\r\n", GPIOState.FLOATING),
        (Returns.GPIO_DIRECTION, "INPUT", GPIODirection.INPUT),
        (Returns.GPIO_DIRECTION, "OUTPUT", GPIODirection.OUTPUT),
        (Returns.GPIO_PULL, "PULLUP", GPIOPull.PULLUP),
        (Returns.GPIO_PULL, "PULLDOWN", GPIOPull.PULLDOWN),
        (Returns.GPIO_PULL, "NONE", GPIOPull.NONE),
        (Returns.GPIO_PULL, "NO_PULL", GPIOPull.NONE),
        (Returns.GPIO_PULL, "BUS_KEEPER", GPIOPull.BUS_KEEPER),
        (Returns.PROBE_BUTTON, "CONNECT", ProbeButton.CONNECT),
        (Returns.PROBE_BUTTON, "REMOVE", ProbeButton.REMOVE),
        (Returns.PROBE_BUTTON, "NONE", ProbeButton.NONE),
        (Returns.FLOAT, "1.234567", 1.234567),
        (Returns.FLOAT, "-0.5", -0.5),
        (Returns.FLOAT, "1e-05", 1e-05),
        (Returns.FLOAT, "3.3e+10", 3.3e10),
        (Returns.FLOAT, "0.0", 0.0),
        (Returns.FLOAT, "7", 7.0),
        (Returns.FLOAT, ".5", 0.5),
        (Returns.OPTIONAL_FLOAT, "None", None),
        (Returns.OPTIONAL_FLOAT, "2.5", 2.5),
        (Returns.INT, "42", 42),
        (Returns.INT, "-1\n", -1),
        (Returns.INT, "0", 0),
        (Returns.BOOL, "True", True),
        (Returns.BOOL, "False", False),
        (Returns.BOOL, "1", True),
        (Returns.BOOL, "0", False),
        (Returns.NONE, "None", None),
        (Returns.NONE, "", None),
        (Returns.NONE, "\n", None),
        (Returns.NODE, "NANO_D13", nodes.resolve_node("D13")),
        (Returns.NODE, "12", 12),
        (Returns.NODE, "GND", nodes.GND),
        (Returns.NODE, "RP_GPIO_1", nodes.GPIO_1),
        (Returns.NODE, "TOP_RAIL", nodes.TOP_RAIL),
        (Returns.STR, "'global'", "global"),
        (Returns.STR, "'it\\'s \\n \\x03 é'", "it's \n \x03 é"),
        (Returns.STR, '"double"', "double"),
        (Returns.STR, "''", ""),
        (Returns.BYTES, "b'\\x00\\xff'", b"\x00\xff"),
        (Returns.BYTES, "b''", b""),
        (Returns.BYTES, "None", None),
        (Returns.LITERAL, "{'name': 'GND', 'number': 1}", {"name": "GND", "number": 1}),
        (Returns.LITERAL, "[1, 'a', None]", [1, "a", None]),
        (Returns.LITERAL, "(1, 2, 0)", (1, 2, 0)),
        (Returns.LITERAL, "None", None),
        (Returns.LITERAL, "'Net 6'", "Net 6"),
        (Returns.LITERAL, "['lib/', 'slots/', 'config.txt']", ["lib/", "slots/", "config.txt"]),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else None,
)
def test_parse_reply_values(kind: Returns, text: str, expected: object) -> None:
    value = parse_reply(kind, text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Returns.FLOAT, "nan"),
        (Returns.FLOAT, "-nan"),
        (Returns.FLOAT, "inf"),
        (Returns.FLOAT, "-inf"),
        (Returns.OPTIONAL_FLOAT, "nan"),
        (Returns.OPTIONAL_FLOAT, "inf"),
    ],
)
def test_a_non_finite_reading_is_an_error_that_says_what_the_board_answered(kind: Returns, text: str) -> None:
    """nan is no reading: JSON cannot carry it and every comparison with it is False (F1)."""
    with pytest.raises(NonFiniteReading, match=f"the board answered {text} where a number was expected"):
        parse_reply(kind, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", ProbePad("12", 12)),
        ("PAD_12", ProbePad("PAD_12", 12)),
        ("PAD_1", ProbePad("PAD_1", 1)),
        ("NO_PAD", NO_PAD),
        ("TOP_RAIL", ProbePad("TOP_RAIL")),
        ("NANO_D13", ProbePad("NANO_D13")),
        ("LOGO_PAD_TOP", ProbePad("LOGO_PAD_TOP")),
    ],
)
def test_probe_pads(text: str, expected: ProbePad) -> None:
    pad = parse_reply(Returns.PROBE_PAD, text)
    assert pad == expected
    assert isinstance(pad, ProbePad)
    assert pad.touched is (text != "NO_PAD")
    assert str(pad) == text


def test_gpio_state_and_button_truthiness_follow_the_firmware() -> None:
    assert bool(parse_reply(Returns.GPIO_STATE, "HIGH")) is True
    assert bool(parse_reply(Returns.GPIO_STATE, "LOW")) is False
    assert bool(parse_reply(Returns.GPIO_STATE, "FLOATING")) is False
    assert int(parse_reply(Returns.PROBE_BUTTON, "REMOVE")) == 2  # type: ignore[call-overload]


# upstream mjc 796c56c jl_get_net_current_func: a dict of four qstr keys (printed in hash order), or None
NET_CURRENT = "{'to_node': 5, 'voltage': 2.4999, 'from_node': 12, 'current_mA': 0.25}"


def test_net_current_is_the_dict_the_firmware_returns() -> None:
    """H6: get_net_current returns {current_mA, voltage, from_node, to_node} or None, not a float."""
    kind = lookup("get_net_current", FirmwareVersion.parse("5.7.11")).returns
    assert parse_reply(kind, NET_CURRENT) == {"current_mA": 0.25, "voltage": 2.4999, "from_node": 12, "to_node": 5}
    assert parse_reply(kind, "None") is None
    assert lookup("net_current", FirmwareVersion.parse("5.7.11")).returns is kind
    with pytest.raises(ReplyParseError):
        parse_reply(kind, "0.25")  # a bare float is not what the firmware prints


def test_optional_dict_reads_micropython_non_finite_floats() -> None:
    value = parse_reply(Returns.OPTIONAL_DICT, "{'voltage': nan, 'current_mA': -inf, 'x': 'nan'}")
    assert isinstance(value, dict) and math.isnan(value["voltage"]) and value["current_mA"] == -math.inf
    assert value["x"] == "nan"


@pytest.mark.parametrize("text", ["[1]", "nan", "{a: 1}", "{**x}", "{'a': -'b'}", "{'a': f(1)}", "{'a': 1"])
def test_optional_dict_refuses_anything_else(text: str) -> None:
    with pytest.raises(ReplyParseError):
        parse_reply(Returns.OPTIONAL_DICT, text)


def test_la_stop_capture_reply_is_a_bool() -> None:
    """H4: mp_obj_new_bool in both families."""
    for family in (Family.LEGACY, Family.JUMPERLOS):
        assert parse_reply(lookup("la_stop_capture", family).returns, "False") is False


def test_legacy_pull_none_may_be_a_bus_keeper() -> None:
    """S3: V5 gpio_pull_print prints NONE for the bus keeper (2); JumperlOS prints BUS_KEEPER."""
    assert GPIOPull.BUS_KEEPER.printed(Family.LEGACY) == "NONE"
    assert GPIOPull.BUS_KEEPER.printed(Family.JUMPERLOS) == "BUS_KEEPER"
    read = parse_reply(Returns.GPIO_PULL, "NONE")
    assert read.read_back(Family.LEGACY) == {GPIOPull.NONE, GPIOPull.BUS_KEEPER}  # type: ignore[union-attr]
    assert parse_reply(Returns.GPIO_PULL, "NO_PULL").read_back(Family.JUMPERLOS) == {GPIOPull.NONE}  # type: ignore[union-attr]
    assert GPIOPull.PULLUP.read_back(Family.LEGACY) == {GPIOPull.PULLUP}


STATE = {"power": {"top_rail": 3.3, "dac0": 0.0}, "nets": [{"index": 1, "name": "GND", "nodes": ["GND"]}]}


def test_get_state_json_bare_and_as_a_repr_str() -> None:
    document = json.dumps(STATE, indent=2)
    assert parse_reply(Returns.JSON, document) == STATE
    assert parse_reply(Returns.JSON, repr(document)) == STATE
    assert parse_reply(Returns.JSON, repr(document) + "\n") == STATE
    assert parse_reply(Returns.JSON, '"{\\"a\\": [1, 2]}"') == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Returns.CONNECTION_STATE, "connected"),
        (Returns.CONNECTION_STATE, "1"),
        (Returns.CONNECTION_STATE, ""),
        (Returns.GPIO_STATE, "high"),
        (Returns.GPIO_STATE, "2"),
        (Returns.GPIO_STATE, "HIGH LOW"),
        (Returns.GPIO_DIRECTION, "OUT"),
        (Returns.GPIO_PULL, "PULL_UP"),
        (Returns.GPIO_PULL, "__class__"),
        (Returns.PROBE_BUTTON, "BUTTON_CONNECT"),
        (Returns.PROBE_BUTTON, ""),
        (Returns.PROBE_PAD, ""),
        (Returns.PROBE_PAD, "pad 12"),
        (Returns.PROBE_PAD, "'NO_PAD'"),
        (Returns.FLOAT, ""),
        (Returns.FLOAT, "1.2.3"),
        (Returns.FLOAT, "0x10"),
        (Returns.FLOAT, "None"),
        (Returns.FLOAT, "1.5 V"),
        (Returns.FLOAT, "Traceback (most recent call last):"),
        (Returns.OPTIONAL_FLOAT, "none"),
        (Returns.INT, "1.0"),
        (Returns.INT, ""),
        (Returns.INT, "0x1f"),
        (Returns.INT, "True"),
        (Returns.BOOL, "true"),
        (Returns.BOOL, "2"),
        (Returns.BOOL, "None"),
        (Returns.NONE, "0"),
        (Returns.NONE, "'None'"),
        (Returns.NODE, "NOT_A_NODE"),
        (Returns.NODE, "999"),
        (Returns.NODE, ""),
        (Returns.STR, "global"),
        (Returns.STR, "'unterminated"),
        (Returns.STR, "42"),
        (Returns.STR, "b'bytes'"),
        (Returns.BYTES, "'text'"),
        (Returns.BYTES, "bytearray(b'x')"),
        (Returns.BYTES, "0"),
        (Returns.LITERAL, "[1, 2"),
        (Returns.LITERAL, "{[]: 1}"),
        (Returns.LITERAL, "__import__('os')"),
        (Returns.LITERAL, "NANO_D13"),
        (Returns.LITERAL, "[" * 500 + "]" * 500),
        (Returns.JSON, "{not json"),
        (Returns.JSON, "'{not json'"),
        (Returns.JSON, "'unterminated"),
        (Returns.JSON, ""),
    ],
    ids=repr,
)
def test_malformed_replies_raise_reply_parse_error(kind: Returns, text: str) -> None:
    with pytest.raises(ReplyParseError):
        parse_reply(kind, text)


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (replies.parse_float, "abc"),
        (replies.parse_int, "1e3"),
        (replies.parse_bool, "yes"),
        (replies.parse_connection_state, "UNKNOWN"),
        (replies.parse_probe_pad, "pad!"),
        (replies.parse_node, "NOWHERE"),
        (replies.parse_literal, "[1,"),
        (replies.parse_literal, "{[]: 1}"),
        (replies.parse_str, "'abc"),
        (replies.parse_str, "1"),
        (replies.parse_json, "{"),
        (replies.parse_json, "'{'"),
        (replies.parse_optional_float, "nope"),
        (replies.parse_bytes, "b'abc"),
        (replies.parse_bytes, "'abc'"),
        (replies.parse_none, "1"),
    ],
    ids=lambda item: getattr(item, "__name__", repr(item)),  # a function's repr holds its address
)
def test_each_parser_raises_reply_parse_error_on_its_own(parser: object, text: str) -> None:
    with pytest.raises(ReplyParseError):
        parser(text)  # type: ignore[operator]


def test_reply_parse_error_is_a_value_error_with_the_text() -> None:
    with pytest.raises(ValueError, match="wobble"):
        parse_reply(Returns.GPIO_STATE, "wobble")


def test_every_return_kind_has_a_parser() -> None:
    for kind in Returns:
        assert kind in replies._PARSERS, kind


# --- tracebacks ------------------------------------------------------------------------------------------------------

VALUE_ERROR_TB = (
    'Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\nValueError: Unknown node name\n'
)


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_find_traceback_splits_output_and_error(newline: str) -> None:
    output = ("some output\n1.5\n" + VALUE_ERROR_TB).replace("\n", newline)
    before, error = find_traceback(output)
    assert before == "some output\n1.5\n"
    assert isinstance(error, FirmwareValueError)
    assert isinstance(error, ValueError)
    assert error.exc_type == "ValueError"
    assert error.message == "Unknown node name"
    assert error.traceback.startswith("Traceback (most recent call last):\n")
    assert error.traceback.endswith("ValueError: Unknown node name")
    assert "\r" not in error.traceback
    assert str(error) == "ValueError: Unknown node name"
    assert not error.retryable


@pytest.mark.parametrize("output", ["", "1.5\n", "None\r\n", "Traceback (most recent call)\n", "traceback: none\n"])
def test_find_traceback_without_traceback(output: str) -> None:
    before, error = find_traceback(output)
    assert error is None
    assert before == output.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("last_line", "cls", "exc_type", "message"),
    [
        ("ValueError: ADC channel must be 0-3", FirmwareValueError, "ValueError", "ADC channel must be 0-3"),
        ("TypeError: function takes 2 positional arguments but 1 were given", FirmwareTypeError, "TypeError",
         "function takes 2 positional arguments but 1 were given"),
        ("NameError: name 'foo' isn't defined", FirmwareNameError, "NameError", "name 'foo' isn't defined"),
        ("ImportError: no module named 'numpy'", FirmwareNameError, "ImportError", "no module named 'numpy'"),
        ("AttributeError: 'module' object has no attribute 'x'", FirmwareNameError, "AttributeError",
         "'module' object has no attribute 'x'"),
        ("OSError: [Errno 2] ENOENT", FirmwareOSError, "OSError", "[Errno 2] ENOENT"),
        ("KeyboardInterrupt: ", FirmwareInterrupted, "KeyboardInterrupt", ""),
        ("KeyboardInterrupt: Ctrl+Q", FirmwareInterrupted, "KeyboardInterrupt", "Ctrl+Q"),
        ("KeyboardInterrupt", FirmwareInterrupted, "KeyboardInterrupt", ""),
        ("ZeroDivisionError: divide by zero", FirmwareError, "ZeroDivisionError", "divide by zero"),
        ("NotImplementedError: ARBITRARY waveform not implemented yet", FirmwareError, "NotImplementedError",
         "ARBITRARY waveform not implemented yet"),
        ("RuntimeError: a: b: c", FirmwareError, "RuntimeError", "a: b: c"),
        ("mymodule.CustomError: boom", FirmwareError, "CustomError", "boom"),
        ("SyntaxError: invalid syntax", FirmwareError, "SyntaxError", "invalid syntax"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_traceback_types(last_line: str, cls: type, exc_type: str, message: str, newline: str) -> None:
    block = f'Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\n{last_line}\n'
    _, error = find_traceback(("printed first\n" + block).replace("\n", newline))
    assert type(error) is cls
    assert error.exc_type == exc_type
    assert error.message == message
    assert error.traceback.splitlines()[-1] == last_line.strip()
    assert error.retryable is (cls is FirmwareInterrupted)


def test_multi_frame_traceback_keeps_every_frame() -> None:
    block = (
        "Traceback (most recent call last):\r\n"
        '  File "<stdin>", line 9, in <module>\r\n'
        '  File "<stdin>", line 5, in outer\r\n'
        '  File "<stdin>", line 2, in inner\r\n'
        "TypeError: can't convert NoneType to int\r\n"
    )
    before, error = find_traceback("step 1\r\nstep 2\r\n" + block)
    assert before == "step 1\nstep 2\n"
    assert isinstance(error, FirmwareTypeError)
    assert error.message == "can't convert NoneType to int"
    assert error.traceback.count('  File "<stdin>"') == 3
    assert "in outer" in error.traceback and "in inner" in error.traceback


def test_parse_traceback_on_a_bare_exception_line() -> None:
    error = parse_traceback("OSError: 5")
    assert isinstance(error, FirmwareOSError)
    assert (error.exc_type, error.message) == ("OSError", "5")


def test_parse_traceback_of_an_unrecognisable_block_is_a_generic_error() -> None:
    error = parse_traceback('Traceback (most recent call last):\n  File "<stdin>", line 1\n')
    assert type(error) is FirmwareError
    assert error.exc_type == "Error"
    assert parse_traceback("").message == "unknown error"


# --- real tracebacks from the virtual board --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "exc_type", "message"),
    [
        ("connect('nope', 1)", FirmwareValueError, "ValueError", "Unknown node name"),
        ("adc_get(9)", FirmwareValueError, "ValueError", "ADC channel must be 0-3"),
        ("foo()", FirmwareNameError, "NameError", "name 'foo' isn't defined"),
        ("switch_slot(9)", FirmwareValueError, "ValueError", "Invalid slot number"),
        ("gpio_get(131)", FirmwareValueError, "ValueError",
         "GPIO pin must be 1-10, GPIO_1-GPIO_8, GPIO_20-GPIO_27, or UART_TX/UART_RX"),
        ("import numpy", FirmwareNameError, "ImportError", "no module named 'numpy'"),
        ("1/0", FirmwareError, "ZeroDivisionError", "divide by zero"),
        ("open('/missing.txt')", FirmwareOSError, "OSError", "[Errno 2] ENOENT"),
        ("raise KeyboardInterrupt", FirmwareInterrupted, "KeyboardInterrupt", ""),
        ("wavegen_set_wave(4)", FirmwareError, "NotImplementedError", "ARBITRARY waveform not implemented yet"),
        ("def f(a, b):\n  return a\nf(1)", FirmwareTypeError, "TypeError", None),
    ],
)  # fmt: skip
def test_real_board_tracebacks(repl: RawRepl, code: str, cls: type, exc_type: str, message: str | None) -> None:
    stdout, stderr = repl.exec(f"print('before')\n{code}")
    assert stdout == "before\n"
    assert stderr.startswith(replies.TRACEBACK_HEADER)
    before, error = find_traceback(stdout + stderr)
    assert before == "before\n"
    assert type(error) is cls
    assert error.exc_type == exc_type
    if message is not None:
        assert error.message == message
    assert error.traceback == stderr.strip()


def test_real_multi_frame_traceback(repl: RawRepl) -> None:
    code = "def inner():\n    adc_get(7)\ndef outer():\n    inner()\nouter()\n"
    _, stderr = repl.exec(code)
    _, error = find_traceback(stderr)
    assert isinstance(error, FirmwareValueError)
    assert error.message == "ADC channel must be 0-3"
    assert "in outer" in error.traceback and "in inner" in error.traceback


def test_real_oled_framebuffer_is_bytes_or_none(repl: RawRepl) -> None:
    stdout, _ = repl.exec("print(repr(oled_get_framebuffer()))")
    framebuffer = parse_reply(Returns.BYTES, stdout)
    assert isinstance(framebuffer, bytes) and len(framebuffer) == 512
    stdout, _ = repl.exec("oled_disconnect()\nprint(repr(oled_get_framebuffer()))")
    assert parse_reply(Returns.BYTES, stdout) is None  # the firmware returns None without a display


def test_real_successful_output_has_no_traceback(repl: RawRepl) -> None:
    stdout, stderr = repl.exec("print(repr(adc_get(0)))")
    assert stderr == ""
    before, error = find_traceback(stdout)
    assert error is None
    assert isinstance(parse_reply(Returns.FLOAT, before), float)
