"""`firmware_api.quoting.literal` and `firmware_api.calls.build_call`, on the host and through the real serial path."""

from __future__ import annotations

import ast
import enum
import json
import math
import re
from collections import OrderedDict

import pytest
from serial_clients import RawRepl

from firmware_api import catalog, nodes
from firmware_api.calls import Call, build_call
from firmware_api.catalog import Returns
from firmware_api.errors import ArgumentError, UnsupportedByFirmware
from firmware_api.quoting import is_identifier, literal
from firmware_api.replies import parse_reply
from firmware_api.values import GPIODirection, GPIOPull, GPIOState, ProbeButton, ProbePad
from firmware_api.versions import Family, FirmwareVersion

JOS, LEGACY = Family.JUMPERLOS, Family.LEGACY
JOS_BOARD = FirmwareVersion.parse("5.7.0.13")  # the `repl` fixture's virtual board (conftest: persona "jumperlos")

# --- the injection corpus ---------------------------------------------------------------------------------------

INJECTION_STRINGS: list[str] = [
    "",
    "plain text",
    "'",
    '"',
    "it's",
    'say "hi"',
    "\\",
    "ends with a backslash\\",
    "\\'",
    "\\\\'",
    "line1\nline2",
    "\n",
    "carriage\rreturn",
    "\r\n",
    "ctrl-c \x03 inside",
    "\x03",
    "ctrl-d \x04 inside",
    "\x04",
    "\x03\x04\x03\x04",
    "nul \x00 inside",
    "\x00",
    "\x01\x02\x05",  # raw REPL control keys (Ctrl-A, Ctrl-B, Ctrl-E)
    "\x1b[2J\x1b[H",
    "tab\there",
    "'''",
    '"""',
    "'''\"\"\"'''",
    "'); import os; ('",
    '"); import os; ("',
    "'\nimport os\n'",
    "\\x03",  # the escape text itself, not the byte
    "é",
    "中文",
    "emoji 😀 and 🎛",
    "line\u2028separator\u2029paragraph",
    "\x7f\x80\x9f\xa0\xff",
    "\ufeffbom",
    "".join(chr(c) for c in range(0x80)),
    "a'b\"c\\d\ne\rf\x03g\x04h" * 150,  # long, every dangerous byte many times (< 4095 UTF-8 bytes)
]
LONG_STRING = "x'\\\"" * 5000  # 20000 chars, well over the fs_read limit


def short_id(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...len{len(value)}"  # type: ignore[arg-type]


def _printable_one_line(text: str) -> bool:
    return all(0x20 <= ord(ch) < 0x7F for ch in text)


@pytest.mark.parametrize("value", [*INJECTION_STRINGS, LONG_STRING], ids=short_id)
def test_string_literal_is_printable_ascii_and_round_trips(value: str) -> None:
    rendered = literal(value)
    assert _printable_one_line(rendered), rendered
    assert "\n" not in rendered and "\r" not in rendered
    assert ast.literal_eval(rendered) == value
    # It is one literal: a statement built from it parses to a single assignment of a constant.
    tree = ast.parse(f"x = {rendered}")
    assert len(tree.body) == 1
    assert isinstance(tree.body[0], ast.Assign) and isinstance(tree.body[0].value, ast.Constant)


BYTES_VALUES = [b"", bytes(range(256)), b"\x03\x04\x00", b"'\"\\", b"\r\n", bytearray(b"\xff\x00'")]


@pytest.mark.parametrize("value", BYTES_VALUES, ids=short_id)
def test_bytes_literal_is_printable_ascii_and_round_trips(value: bytes) -> None:
    rendered = literal(value)
    assert rendered.startswith("b'")
    assert _printable_one_line(rendered), rendered
    parsed = ast.literal_eval(rendered)
    assert isinstance(parsed, bytes)
    assert parsed == bytes(value)


def test_every_single_code_point_class_round_trips() -> None:
    samples = [*range(0x100), 0x2028, 0x2029, 0xFFFE, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF, 0xD800]
    for code in samples:
        text = chr(code)
        rendered = literal(text)
        assert _printable_one_line(rendered), (code, rendered)
        assert ast.literal_eval(rendered) == text, code


def test_literal_escapes_non_ascii_instead_of_passing_it_through() -> None:
    assert literal("é") == "'\\xe9'"
    assert literal("中") == "'\\u4e2d'"
    assert literal("😀") == "'\\U0001f600'"
    assert literal("\u2028") == "'\\u2028'"
    assert literal("'") == "'\\''"
    assert literal("\\") == "'\\\\'"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "None"),
        (True, "True"),
        (False, "False"),
        (0, "0"),
        (-17, "-17"),
        (2**70, str(2**70)),
        (1.5, "1.5"),
        (-0.5, "-0.5"),
        (1e-05, "1e-05"),
        (-0.0, "-0.0"),
        ((), "()"),
        ((1,), "(1,)"),
        (("a",), "('a',)"),
        ((1, 2), "(1, 2)"),
        ([], "[]"),
        ([1, "a", None], "[1, 'a', None]"),
        ({}, "{}"),
        ({"k": [1, (2,)], 3: {"n": b"\x00"}}, "{'k': [1, (2,)], 3: {'n': b'\\x00'}}"),
        (OrderedDict(a=1), "{'a': 1}"),
    ],
    ids=repr,
)
def test_literal_renders_values(value: object, expected: str) -> None:
    assert literal(value) == expected
    assert ast.literal_eval(expected) == value


def test_int_enum_renders_as_plain_number() -> None:
    class Colour(enum.IntEnum):
        RED = 7

    assert literal(Colour.RED) == "7"
    assert literal(GPIOPull.PULLDOWN) == "-1"


def test_nested_containers_round_trip() -> None:
    value = {"a": [1, 2.5, ("x", (None,))], "b\n": {"c": [b"\x03", "é", []]}, 5: ((), [{}])}
    rendered = literal(value)
    assert _printable_one_line(rendered)
    assert ast.literal_eval(rendered) == value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"k": (math.inf,)}], ids=repr)
def test_non_finite_floats_raise(value: object) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        literal(value)


@pytest.mark.parametrize(
    "value",
    [{1, 2}, frozenset(), object(), 1 + 2j, memoryview(b"x"), [1, {2}], {"k": object()}, ..., type],
    ids=lambda value: type(value).__name__,  # not repr: an address differs between test processes
)
def test_unsupported_types_raise(value: object) -> None:
    with pytest.raises(TypeError, match="cannot render"):
        literal(value)


def test_self_containing_containers_raise_instead_of_recursing() -> None:
    looped: list[object] = [1]
    looped.append(looped)
    with pytest.raises(ValueError, match="contains itself"):
        literal(looped)
    table: dict[str, object] = {}
    table["me"] = [table]
    with pytest.raises(ValueError, match="contains itself"):
        literal(table)
    shared = [1]
    assert literal([shared, shared]) == "[[1], [1]]"  # repeated, not recursive: fine


def test_is_identifier() -> None:
    assert is_identifier("connect") and is_identifier("CURRENT_SLOT") and is_identifier("_x1")
    assert not is_identifier("1x") and not is_identifier("a b") and not is_identifier("é")
    assert not is_identifier("") and not is_identifier("x()")


# --- end to end through the board's raw REPL -------------------------------------------------------------------

CANARY = "canary_4f1d = 4242"


def _exec_ok(repl: RawRepl, code: str) -> str:
    stdout, stderr = repl.exec(code)
    assert stderr == "", stderr
    return stdout


def _assert_alive(repl: RawRepl, context: object) -> None:
    """No soft reset or lost buffer: the variable set at the start is still there."""
    assert repl.eval("canary_4f1d") == "4242", f"board state lost after {context!r}"


def test_strings_survive_fs_write_and_fs_read_over_the_wire(repl: RawRepl) -> None:
    _exec_ok(repl, CANARY)
    for value in INJECTION_STRINGS:
        out = _exec_ok(repl, f"print(repr(fs_write('/t.txt', {literal(value)})))\nprint(repr(fs_read('/t.txt')))")
        wrote, read_back = out.rstrip("\n").split("\n", 1)
        assert wrote == "True", value
        # fs_read hands back a C string: it ends at the first NUL byte.
        assert ast.literal_eval(read_back) == value.split("\x00", 1)[0], value
        _assert_alive(repl, value)


def test_fs_read_returns_at_most_4095_bytes(repl: RawRepl) -> None:
    out = _exec_ok(repl, f"fs_write('/long.txt', {literal(LONG_STRING)})\nprint(repr(fs_read('/long.txt')))")
    assert ast.literal_eval(out.strip()) == LONG_STRING[:4095]


def test_strings_survive_set_net_name_and_get_net_name_over_the_wire(repl: RawRepl) -> None:
    _exec_ok(repl, CANARY)
    for value in [*INJECTION_STRINGS, LONG_STRING]:
        _exec_ok(repl, build_call("set_net_name", JOS, 6, value).source)
        reply = _exec_ok(repl, build_call("get_net_name", JOS, 6).print_source)
        assert parse_reply(Returns.LITERAL, reply) == value, value
        _assert_alive(repl, value)


def test_values_of_every_kind_survive_the_wire(repl: RawRepl) -> None:
    _exec_ok(repl, CANARY)
    values: list[object] = [
        *BYTES_VALUES,
        {"k": [1, (2,)], "é\n": {"n": b"\x00\x03"}},
        (1,),
        [None, True, -3, 2.5, 1e-05],
        {"'); import os; ('": "\x04"},
    ]
    for value in values:
        out = _exec_ok(repl, f"x = {literal(value)}\nprint(repr(x == {literal(value)}))\nprint(repr(x))")
        equal, printed = out.rstrip("\n").split("\n", 1)
        assert equal == "True", value
        assert ast.literal_eval(printed) == value
        _assert_alive(repl, value)


def test_bytes_0_to_255_arrive_intact(repl: RawRepl) -> None:
    out = _exec_ok(repl, f"b = {literal(bytes(range(256)))}\nprint(len(b), all(b[i] == i for i in range(256)))")
    assert out.strip() == "256 True"


# --- build_call: conversions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "source"),
    [
        (("D13", 20), "connect(83, 20)"),
        (("NANO_D13", "20"), "connect(83, 20)"),
        (("gnd", "top_rail"), "connect(100, 101)"),
        (("A0", "GPIO_1"), "connect(86, 131)"),
        ((1, 60), "connect(1, 60)"),
        ((nodes.node("DAC0"), 5), "connect(106, 5)"),
        ((1, 2, 0), "connect(1, 2, 0)"),
        ((1, 2, -1), "connect(1, 2)"),
    ],
    ids=lambda item: repr(tuple(getattr(a, "name", a) for a in item)) if isinstance(item, tuple) else repr(item),
)
def test_connect_resolves_node_names_to_ids(args: tuple, source: str) -> None:
    assert build_call("connect", JOS, *args).source == source


def test_keyword_arguments_bind_by_name() -> None:
    assert build_call("connect", JOS, node2="D13", node1=3).source == "connect(3, 83)"
    assert build_call("pwm", JOS, "GPIO_2", duty=0.25).source == "pwm(2, 1.0, 0.25)"


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (0, 0),
        (3, 3),
        ("2", 2),
        ("DAC0", 0),
        ("dac1", 1),
        ("TOP_RAIL", 2),
        ("BOTTOM_RAIL", 3),
        ("toprail", 2),
        ("DAC_0", 0),
    ],
)
def test_dac_channel_names(channel: object, expected: int) -> None:
    call = build_call("dac_set", JOS, channel, 1.25)
    assert call.args[0] == expected
    assert call.source == f"dac_set({expected}, 1.25)"
    assert build_call("wavegen_set_output", JOS, channel).source == f"wavegen_set_output({expected})"


@pytest.mark.parametrize(
    ("wave", "expected"),
    [("sine", 0), ("SIN", 0), ("triangle", 1), ("tri", 1), ("sawtooth", 2), ("ramp", 2), ("saw", 2),
     ("square", 3), ("Sq", 3), ("arbitrary", 4), ("arb", 4), (2, 2)],
)  # fmt: skip
def test_wave_names(wave: object, expected: int) -> None:
    assert build_call("wavegen_set_wave", JOS, wave).source == f"wavegen_set_wave({expected})"
    assert build_call("set_wavegen_wave", LEGACY, wave).source == f"wavegen_set_wave({expected})"


def test_gpio_and_pwm_pin_names() -> None:
    assert build_call("gpio_get", JOS, "GPIO_3").source == "gpio_get(3)"
    assert build_call("gpio_get", JOS, "UART_RX").source == "gpio_get(10)"
    assert build_call("gpio_get", JOS, 22).source == "gpio_get(3)"
    assert build_call("pwm_stop", JOS, 131).source == "pwm_stop(1)"
    assert build_call("pwm_stop", JOS, "GPIO_8").source == "pwm_stop(8)"


def test_trailing_firmware_defaults_are_omitted_but_middle_ones_kept() -> None:
    assert build_call("dac_set", JOS, 0, 3.3).source == "dac_set(0, 3.3)"
    assert build_call("dac_set", JOS, 0, 3.3, True).source == "dac_set(0, 3.3)"
    assert build_call("dac_set", JOS, 0, 3.3, False).source == "dac_set(0, 3.3, False)"
    assert build_call("pwm", JOS, 1).source == "pwm(1)"
    assert build_call("pwm", JOS, 1, 1.0, 0.5).source == "pwm(1)"
    assert build_call("pwm", JOS, 1, 1, 0.5).source == "pwm(1)"  # 1 is checked and sent as the float 1.0
    assert build_call("pwm", JOS, 1, duty=0.75).source == "pwm(1, 1.0, 0.75)"
    assert build_call("set_state", JOS, "{}", True, True).source == "set_state('{}', True, True)"
    assert build_call("fs_listdir", JOS, "/python_scripts").source == "fs_listdir('/python_scripts')"


@pytest.mark.parametrize("family", [JOS, LEGACY], ids=lambda f: f.name)
def test_arguments_the_firmware_requires_are_sent_even_at_their_defaults(family: Family) -> None:
    """H1/H2: disconnect is FUN_OBJ_2 and fs_listdir FUN_OBJ_1 in both families: their defaults are sent."""
    assert build_call("disconnect", family, "D2").source == "disconnect(72, -1)"
    assert build_call("disconnect", family, 5, -1).source == "disconnect(5, -1)"
    assert build_call("fs_listdir", family).source == "fs_listdir('/')"


def test_jumperlos_only_required_defaults_are_sent() -> None:
    """H1/H5: fast_disconnect is FUN_OBJ_2, oled_set_pixel VAR_BETWEEN(3, 3)."""
    assert build_call("fast_disconnect", JOS, 5).source == "fast_disconnect(5, -1)"
    assert build_call("oled_set_pixel", JOS, 3, 4).source == "oled_set_pixel(3, 4, 1)"
    assert build_call("oled_set_pixel", JOS, 3, 4, 0).source == "oled_set_pixel(3, 4, 0)"


def test_net_color_hsv_always_sends_the_brightness_asked_for() -> None:
    """S1: left out, the firmware's value (brightness) is 32/255, not the host's 1.0, so it is always sent."""
    assert build_call("set_net_color_hsv", JOS, 6, 0.5).source == "set_net_color_hsv(6, 0.5, 1.0, 1.0)"
    assert build_call("set_net_color_hsv", JOS, 6, 0.5, value=0.25).source == "set_net_color_hsv(6, 0.5, 1.0, 0.25)"
    assert build_call("set_net_color_hsv", JOS, 6, 0.5, 0.5).source == "set_net_color_hsv(6, 0.5, 0.5, 1.0)"


def test_oled_print_sends_the_size_on_jumperlos_where_its_omission_means_the_board_default() -> None:
    assert build_call("oled_print", JOS, "hi").source == "oled_print('hi', 2)"
    assert build_call("oled_print", LEGACY, "hi").source == "oled_print('hi')"  # 5.3.x: omitted means 2
    assert build_call("oled_print", LEGACY, "hi", 3).source == "oled_print('hi', 3)"


def test_oled_clear_takes_no_argument_on_legacy() -> None:
    assert build_call("oled_clear", LEGACY).source == "oled_clear()"
    with pytest.raises(ArgumentError, match="at most 0"):
        build_call("oled_clear", LEGACY, False)
    assert build_call("oled_clear", JOS, False).source == "oled_clear(False)"
    assert build_call("oled_clear", JOS).source == "oled_clear()"


@pytest.mark.parametrize("family", [JOS, LEGACY], ids=lambda f: f.name)
def test_probe_aliases_have_the_firmware_arity_and_blocking(family: Family) -> None:
    """Audit §1.1 #14: the wait names take no argument and block; the non-blocking names return at once."""
    for name in ("probe_read_blocking", "probe_wait", "wait_probe", "probe_touch", "wait_touch"):
        call = build_call(name, family)
        assert call.source == "probe_read_blocking()" and call.function.blocking, name
    for name in ("probe_read_nonblocking", "check_button", "button_check", "probe_button_nonblocking"):
        call = build_call(name, family)
        assert call.source.endswith("()") and not call.function.blocking, name
    with pytest.raises(ArgumentError):
        build_call("wait_touch", family, True)


def test_jumperlos_probe_button_blocking_takes_consume_not_blocking() -> None:
    assert build_call("probe_button_blocking", JOS, True).source == "probe_button_blocking(True)"
    assert build_call("probe_button_nonblocking", JOS, consume=True).source == "probe_button_nonblocking(True)"
    with pytest.raises(ArgumentError, match="blocking"):
        build_call("probe_button_blocking", JOS, blocking=False)
    with pytest.raises(ArgumentError):
        build_call("probe_button_blocking", LEGACY, True)  # 5.3.x: FUN_OBJ_0


def test_overlay_colours_are_a_list_literal_not_a_json_string() -> None:
    """H3: the firmware reads the colours with mp_obj_get_array: a list, flat or row by row."""
    call = build_call("overlay_set", JOS, "o", 1, 2, 1, 2, [0xFF0000, 255])
    assert call.source == "overlay_set('o', 1, 2, 1, 2, [16711680, 255])"
    rows = build_call("overlay_set", JOS, "o", 1, 1, 2, 2, [[1, 2], [3, 4]])
    assert rows.source.endswith(", [[1, 2], [3, 4]])")
    assert isinstance(ast.parse(call.source, mode="eval").body.args[5], ast.List)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("colors", "message"),
    [
        ("[1, 2]", "expected a non-empty list"),
        ([], "expected a non-empty list"),
        ([1, 2, 3], "3 value(s) given; height 1 x width 2 needs exactly 2"),
        ([1, 0x1000000], "out of range"),
        ([1, -1], "out of range"),
        ([1, True], "expected a 0xRRGGBB integer"),
        ([1, 2.0], "expected a 0xRRGGBB integer"),
        ([[1], []], "empty"),
    ],
)
def test_overlay_colours_are_checked(colors: object, message: str) -> None:
    with pytest.raises(ArgumentError, match=re.escape(message)) as info:
        build_call("overlay_set", JOS, "o", 1, 1, 1, 2, colors)
    assert info.value.parameter == "colors"


def test_json_text_keeps_non_ascii_characters_without_surrogate_pairs() -> None:
    """JSON goes out with real characters (ensure_ascii=False); the literal escapes them for the wire."""
    document = {"name": "caf\u00e9 \U0001f600"}
    source = build_call("set_state", JOS, document).source
    assert source.isascii() and "ud83d" not in source.lower()  # no UTF-16 surrogate escape anywhere
    sent = ast.literal_eval(source[len("set_state(") : -1])
    assert sent == '{"name":"caf\u00e9 \U0001f600"}' and json.loads(sent) == document


def test_aliases_build_calls_under_the_primary_name() -> None:
    call = build_call("get_adc", JOS, 1)
    assert isinstance(call, Call)
    assert call.function.name == "adc_get"
    assert call.source == "adc_get(1)"


def test_print_source_wraps_in_print_repr() -> None:
    call = build_call("is_connected", JOS, "D13", 20)
    assert call.print_source == "print(repr(is_connected(83, 20)))"
    assert build_call("nodes_clear", JOS).print_source == "print(repr(nodes_clear()))"


def test_string_arguments_are_quoted_not_pasted() -> None:
    call = build_call("oled_print", JOS, "x'); import os; print('")
    assert call.source == "oled_print('x\\'); import os; print(\\'', 2)"
    tree = ast.parse(call.source)
    assert len(tree.body) == 1 and isinstance(tree.body[0].value, ast.Call)


def test_json_arguments_accept_documents_and_text() -> None:
    assert build_call("set_state", JOS, {"nets": []}).source == "set_state('{\"nets\":[]}')"
    assert build_call("set_state", JOS, '{"a": 1}').source == "set_state('{\"a\": 1}')"


# --- build_call: every bad input is an ArgumentError that names the parameter and what it accepts ----------------


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "parameter", "allowed_fragment"),
    [
        ("dac_set", (0, 9.0), {}, "voltage", "-8 to 8"),
        ("dac_set", (0, -8.5), {}, "voltage", "-8 to 8"),
        ("dac_set", (0, 10**400), {}, "voltage", "-8 to 8"),
        ("dac_set", (0, math.nan), {}, "voltage", "-8 to 8"),
        ("dac_set", (0, "3.3"), {}, "voltage", "-8 to 8"),
        ("dac_set", (0, True), {}, "voltage", "-8 to 8"),
        ("dac_set", (4, 1.0), {}, "channel", "DAC0"),
        ("dac_set", ("D13", 1.0), {}, "channel", "TOP_RAIL"),
        ("connect", ("nope", 1), {}, "node1", "D0-D13"),
        ("connect", (1, "GND2"), {}, "node2", "D0-D13"),
        ("connect", (1, 999), {}, "node2", "D0-D13"),
        ("connect", (True, 1), {}, "node1", "D0-D13"),
        ("connect", (1.5, 1), {}, "node1", "D0-D13"),
        ("connect", (1, 2, True), {}, "duplicates", "-1-8"),
        ("connect", (1, 2, 9), {}, "duplicates", "-1-8"),
        ("connect", (1,), {}, "node2", "D0-D13"),
        ("connect", (), {}, "node1", "D0-D13"),
        ("connect", (1, 2), {"dups": 1}, "dups", "duplicates, node1, node2"),
        ("connect", (1, 2), {"node1": 3}, "node1", "D0-D13"),
        ("connect", (1, 2, 3, 4), {}, "connect", "connect(node1, node2, duplicates=-1)"),
        ("oled_print", ("hi", True), {}, "size", "0-3"),
        ("oled_print", (5,), {}, "text", "text"),
        ("switch_slot", (8,), {}, "slot", "0-7"),
        ("switch_slot", ("--5",), {}, "slot", "0-7"),
        ("switch_slot", ("²",), {}, "slot", "0-7"),
        ("adc_get", (4,), {}, "channel", "0-3"),
        ("ina_get_current", (2,), {}, "sensor", "0-1"),
        ("gpio_get", (131,), {}, "pin", "GPIO_1-GPIO_8"),
        ("gpio_get", ("D13",), {}, "pin", "GPIO_1-GPIO_8"),
        ("gpio_get", (True,), {}, "pin", "GPIO_1-GPIO_8"),
        ("gpio_set", (1, 2), {}, "value", "true, false"),
        ("gpio_set", (1, "HIGH"), {}, "value", "true, false"),
        ("pwm", (9,), {}, "pin", "131-138"),
        ("pwm", (1, 0.0), {}, "frequency", "0.001 to"),
        ("pwm", (1, 1.0, 1.5), {}, "duty", "0 to 1"),
        ("wavegen_set_wave", ("noise",), {}, "wave", "sine"),
        ("wavegen_set_wave", (5,), {}, "wave", "0-4"),
        ("set_state", ("{bad",), {}, "json", "JSON"),
        ("set_state", (42,), {}, "json", "JSON"),
        ("get_net_name", (128,), {}, "net", "0-127"),
        ("overlay_set", ("o", 31, 1, 1, 1, "[1]"), {}, "x", "1-30"),
    ],
    ids=lambda v: repr(v) if not isinstance(v, tuple) else None,
)
def test_bad_input_names_parameter_and_allowed_values(
    name: str, args: tuple, kwargs: dict, parameter: str, allowed_fragment: str
) -> None:
    with pytest.raises(ArgumentError) as info:
        build_call(name, JOS, *args, **kwargs)
    error = info.value
    assert error.parameter == parameter
    assert str(error).startswith(f"{parameter}: ")
    assert error.allowed, str(error)
    assert allowed_fragment in error.allowed, str(error)
    assert f"(allowed: {error.allowed})" in str(error)


def test_unknown_node_message_suggests_close_names() -> None:
    with pytest.raises(ArgumentError, match="did you mean"):
        build_call("connect", JOS, "TOP_RIAL", 1)


@pytest.mark.parametrize("name", ["get_state", "overlay_set", "undo", "gpio_claim_pin", "set_net_name", "nope"])
def test_jumperlos_only_or_unknown_functions_are_unsupported_on_legacy(name: str) -> None:
    with pytest.raises(UnsupportedByFirmware, match=name):
        build_call(name, LEGACY)


def test_family_specific_signatures() -> None:
    assert build_call("connect", LEGACY, 1, 2, True).source == "connect(1, 2, True)"
    assert build_call("connect", LEGACY, 1, 2, False).source == "connect(1, 2)"
    with pytest.raises(ArgumentError, match="save"):
        build_call("connect", LEGACY, 1, 2, 3)
    assert build_call("probe_button", JOS, False, True).source == "probe_button(False, True)"
    with pytest.raises(ArgumentError, match="at most 1"):
        build_call("probe_button", LEGACY, False, True)


# --- validated calls run on the board and their replies parse ----------------------------------------------------

SAMPLE_ARGS: dict[str, tuple[object, ...]] = {
    "connect": ("D13", 20),
    "disconnect": ("D13", 20),
    "fast_connect": (5, "GND"),
    "fast_disconnect": (5,),
    "is_connected": ("D13", 20),
    "nodes_save": (1,),
    "switch_slot": (2,),
    "node": ("D13",),
    "send_raw": (0, 1, 2),
    "set_state": ('{"nets": []}',),
    "history_label": (0,),
    "history_jump": (0,),
    "dac_set": ("TOP_RAIL", 3.3),
    "dac_get": ("DAC1",),
    "adc_get": (1,),
    "ina_get_current": (0,),
    "ina_get_voltage": (1,),
    "ina_get_bus_voltage": (0,),
    "ina_get_power": (0,),
    "gpio_set": ("GPIO_2", True),
    "gpio_get": (1,),
    "gpio_set_dir": (3, True),
    "gpio_get_dir": ("GPIO_3",),
    "gpio_set_pull": (4, 1),
    "gpio_get_pull": (4,),
    "gpio_set_read_floating": (5, True),
    "gpio_get_read_floating": (5,),
    "gpio_claim_pin": (6,),
    "gpio_release_pin": (6,),
    "pwm": ("GPIO_1", 1000.0, 0.25),
    "pwm_set_duty_cycle": (1, 0.5),
    "pwm_set_frequency": (1, 50.0),
    "pwm_stop": (1,),
    "wavegen_set_output": ("DAC0",),
    "wavegen_set_freq": (250.0,),
    "wavegen_set_wave": ("square",),
    "wavegen_set_amplitude": (2.0,),
    "wavegen_set_offset": (1.0,),
    "wavegen_set_sweep": (10.0, 100.0, 2.0),
    "wavegen_start": (True,),
    "oled_print": ("hello 'board'\n",),
    "oled_clear": (),
    "oled_set_text_size": (1,),
    "oled_set_pixel": (3, 4),
    "oled_get_pixel": (3, 4),
    "probe_tap": ("D13",),
    "clickwheel_up": (2,),
    "clickwheel_down": (1,),
    "set_switch_position": (1,),
    "probe_autoconnect": (True,),
    "clickwheel_get_direction": (False,),
    "get_net_name": (1,),
    "set_net_name": (6, "my net"),
    "get_net_color": (1,),
    "get_net_color_name": (1,),
    "set_net_color": (6, "red"),
    "set_net_color_hsv": (6, 0.5),
    "get_net_nodes": (1,),
    "get_bridge": (0,),
    "get_net_info": (1,),
    "get_num_paths": (False,),
    "get_path_info": (0,),
    "get_path_between": ("D13", 20),
    "overlay_set": ("logo", 2, 3, 1, 2, [255, 65280]),
    "overlay_clear": ("logo",),
    "overlay_set_pixel": (4, 5, 0x00FF00),
    "overlay_shift": ("logo", 1, -1),
    "overlay_place": ("logo", 5, 5),
    "fs_exists": ("/",),
    "fs_listdir": ("/",),
    "fs_read": ("/nothing.txt",),
    "fs_write": ("/note.txt", "a\nb'c"),
    "pause_core2": (False,),
    "force_service": ("oled",),
    "get_service_index": ("probe",),
    "oled_copy_print": (False,),
    "oled_set_font": ("Jokerman",),
    "oled_load_bitmap": ("/nothing.bmp",),
    "oled_display_bitmap": (0, 0),
    "oled_show_bitmap_file": ("/nothing.bmp", 0, 0),
    "oled_screen_free": (1,),
    "oled_screen_clear": (1,),
    "oled_screen_show": (1,),
    "oled_add_text": (1, "{v} V"),
    "oled_add_shape": (1,),
    "oled_set": (0x100, "text", "hello"),
    "oled_set_var": ("v", 2.5),
    "oled_screen_save": (1, "saved"),
    "oled_screen_load": ("saved",),
}

EXPECTED_TYPES: dict[Returns, tuple[type, ...]] = {
    Returns.NONE: (type(None),),
    Returns.FLOAT: (float,),
    Returns.OPTIONAL_FLOAT: (float, type(None)),
    Returns.INT: (int,),
    Returns.BOOL: (bool,),
    Returns.STR: (str,),
    Returns.GPIO_STATE: (GPIOState,),
    Returns.GPIO_DIRECTION: (GPIODirection,),
    Returns.GPIO_PULL: (GPIOPull,),
    Returns.CONNECTION_STATE: (bool,),
    Returns.PROBE_PAD: (ProbePad,),
    Returns.PROBE_BUTTON: (ProbeButton,),
    Returns.NODE: (int,),
    Returns.JSON: (dict,),
    Returns.LITERAL: (dict, list, tuple, str, type(None)),
    Returns.OPTIONAL_DICT: (dict, type(None)),
    Returns.BYTES: (bytes,),
}


def _runnable(firmware: catalog.Firmware) -> list[catalog.Function]:
    return [f for f in catalog.functions(firmware) if not f.blocking and not f.optional]


def test_sample_covers_every_runnable_function_that_needs_arguments() -> None:
    needing = {f.name for f in _runnable(JOS_BOARD) if any(a.required for a in f.args)}
    assert needing <= set(SAMPLE_ARGS), sorted(needing - set(SAMPLE_ARGS))


def test_validated_calls_run_on_the_board_and_replies_parse(repl: RawRepl) -> None:
    # Readers first, then the calls that change the board, so no earlier call turns a later reply into None.
    functions = sorted(_runnable(JOS_BOARD), key=lambda f: (f.mutates, f.name == "oled_disconnect"))
    assert len(functions) > 80
    for function in functions:
        call = build_call(function.name, JOS, *SAMPLE_ARGS.get(function.name, ()))
        stdout, stderr = repl.exec(call.print_source)
        assert stderr == "", (call.source, stderr)
        reply = stdout
        if function.name.startswith("print_"):  # status printers write text, then return None
            reply = stdout.rstrip("\n").rsplit("\n", 1)[-1]
        value = parse_reply(function.returns, reply)
        assert isinstance(value, EXPECTED_TYPES[function.returns]), (call.source, stdout, value)


def test_replies_carry_the_values_that_were_sent(repl: RawRepl) -> None:
    def run(name: str, *args: object) -> object:
        call = build_call(name, JOS, *args)
        stdout, stderr = repl.exec(call.print_source)
        assert stderr == "", stderr
        return parse_reply(call.function.returns, stdout)

    assert run("node", "D13") == nodes.resolve_node("D13")
    run("connect", "D13", 20)
    assert run("is_connected", 20, "NANO_D13") is True
    run("dac_set", "DAC1", -2.5)
    assert run("dac_get", 1) == pytest.approx(-2.5, abs=1e-3)
    run("gpio_set_pull", "GPIO_4", -1)
    assert run("gpio_get_pull", 4) is GPIOPull.PULLDOWN
    run("gpio_set_dir", 2, False)
    assert run("gpio_get_dir", 2) is GPIODirection.INPUT
    run("wavegen_set_wave", "tri")
    assert run("wavegen_get_wave") == 1
    assert run("get_state")["power"]["dac1"] == pytest.approx(-2.5, abs=1e-3)  # type: ignore[index]
