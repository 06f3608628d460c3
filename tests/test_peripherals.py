"""DAC, GPIO, PWM, wavegen, OLED, probe, clickwheel, overlays, filesystem and get_state over the REPL port (§4)."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
from serial_clients import RawRepl

DAC_ERROR = "ValueError: Invalid DAC channel or node. Use 0-3, DAC0, DAC1, TOP_RAIL, or BOTTOM_RAIL\n"
GPIO_ERROR = "ValueError: GPIO pin must be 1-10, GPIO_1-GPIO_8, GPIO_20-GPIO_27, or UART_TX/UART_RX\n"


def error(repl: RawRepl, code: str) -> str:
    """The last line of the traceback code raises (nothing may be printed before it)."""
    stdout, stderr = repl.exec(code)
    assert stdout == ""
    assert stderr.startswith("Traceback (most recent call last):\n"), stderr
    return stderr.splitlines()[-1] + "\n"


# --- DAC -----------------------------------------------------------------------------------------------------------


def test_dac_setpoints_and_channel_names(repl: RawRepl) -> None:
    assert repl.lines("print(dac_get(0), dac_get(DAC1), dac_get('TOP_RAIL'), dac_get(BOTTOM_RAIL))") == [
        "0.0 0.0 3.3 0.0"
    ]
    lines = repl.lines(
        "dac_set(DAC0, 1.234)\ndac_set(1, -2.5)\ndac_set('top_rail', 5)\ndac_set(3, 0.75)\n"
        "print(dac_get(DAC0), dac_get(107), dac_get(2), dac_get('BOTTOM_RAIL'))\n"
        "print(get_dac(0), repr(dac_get(DAC0)))",
    )
    assert lines == ["1.234 -2.5 5.0 0.75", "1.234 1.234"]


@pytest.mark.parametrize("code", ["dac_get(4)", "dac_get(-1)", "dac_set('ADC0', 1.0)", "dac_set(GPIO_1, 1.0)"])
def test_dac_bad_channel(repl: RawRepl, code: str) -> None:
    assert error(repl, code) == DAC_ERROR


def test_dac_channel_is_a_node_argument(repl: RawRepl) -> None:
    # get_node_value(): a float or a bool is no node (JOS mjc :1768), and the channel is checked before the voltage
    assert error(repl, "dac_get(1.5)") == "TypeError: Expected node, int, or string\n"
    assert error(repl, "dac_get(True)") == "TypeError: Expected node, int, or string\n"
    assert error(repl, "dac_set(9, 'x')") == DAC_ERROR


def test_dac_unknown_name(repl: RawRepl) -> None:
    assert error(repl, "dac_set('NOT_A_DAC', 1.0)") == "ValueError: Unknown node name\n"


# --- GPIO ----------------------------------------------------------------------------------------------------------


def test_gpio_direction_reprs(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(gpio_get_dir(1), gpio_get_dir(9), gpio_get_dir(10))\n"
        "gpio_set_dir(1, True)\nprint(gpio_get_dir(1), int(gpio_get_dir(1)), bool(gpio_get_dir(1)))\n"
        "gpio_set_dir(1, 1)\nprint(gpio_get_dir(1), int(gpio_get_dir(1)), bool(gpio_get_dir(1)))\n"
        "gpio_set_dir(1, 0)\nprint(gpio_get_dir(1))\n"
        "gpio_set_dir(GPIO_1, 'in')\nprint(gpio_get_dir(GPIO_1))\n"
        "gpio_set_dir(2, OUTPUT)\nprint(gpio_get_dir(2), gpio_get_dir(2) == OUTPUT, OUTPUT == 0)",
    )
    assert lines == [
        "INPUT OUTPUT INPUT",
        "OUTPUT 0 True",
        "INPUT 1 False",
        "OUTPUT",
        "INPUT",
        "OUTPUT True False",  # MicroPython compares firmware objects only with their own type
    ]


def test_gpio_pull_reprs(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(gpio_get_pull(1))\n"
        "gpio_set_pull(1, 1)\nprint(gpio_get_pull(1), int(gpio_get_pull(1)), bool(gpio_get_pull(1)))\n"
        "gpio_set_pull(1, -1)\nprint(gpio_get_pull(1), int(gpio_get_pull(1)))\n"
        "gpio_set_pull(1, 2)\nprint(gpio_get_pull(1))\n"
        "gpio_set_pull(1, 'none')\nprint(gpio_get_pull(1), bool(gpio_get_pull(1)))\n"
        "gpio_set_pull(1, 'PULLUP')\nprint(gpio_get_pull(1))",
    )
    assert lines == ["NO_PULL", "PULLUP 1 True", "PULLDOWN -1", "BUS_KEEPER", "NO_PULL False", "PULLUP"]


def test_gpio_state_values(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(gpio_get(1), gpio_get(GPIO_1), gpio_get(UART_RX))\n"
        "print(gpio_get(20))\n"  # raw RP pin numbers never read FLOATING
        "gpio_set_dir(4, OUTPUT)\ngpio_set(4, 'high')\nprint(gpio_get(4), gpio_get(23), gpio_get(GPIO_4) == HIGH)\n"
        "gpio_set(4, 0)\nprint(gpio_get(4), bool(gpio_get(4)), int(gpio_get(4)))",
    )
    # map_pin_obj_to_physical_gpio (JOS mjc :2048): GPIO_1 is raw pin 20 (never FLOATING), UART_RX is pin 1
    assert lines == ["FLOATING LOW FLOATING", "LOW", "HIGH HIGH True", "LOW False 0"]


@pytest.mark.parametrize("code", ["gpio_get(131)", "gpio_get(-1)", "gpio_get(11)", "gpio_get(28)", "gpio_get(DAC0)",
                                  "gpio_set_dir(19, 1)", "gpio_set_pull(TOP_RAIL, 1)", "gpio_set(11, 1)"])  # fmt: skip
def test_gpio_pin_errors(repl: RawRepl, code: str) -> None:
    assert error(repl, code) == GPIO_ERROR


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("gpio_set(1, 'maybe')", "ValueError: GPIO state string must be 'HIGH', 'LOW', or 'FLOATING'\n"),
        ("gpio_set_dir(1, 'sideways')", "ValueError: Direction string must be 'INPUT' or 'OUTPUT'\n"),
        (
            "gpio_set_pull(1, 'strong')",
            "ValueError: Pull string must be 'NO_PULL', 'PULLUP', 'PULLDOWN', or 'BUS_KEEPER'\n",
        ),
    ],
)
def test_gpio_value_errors(repl: RawRepl, code: str, message: str) -> None:
    assert error(repl, code) == message


# --- PWM -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("pwm(1, 0.0001)", "ValueError: PWM frequency must be 0.001Hz to 62.5MHz\n"),
        ("pwm(1, 62500100)", "ValueError: PWM frequency must be 0.001Hz to 62.5MHz\n"),
        ("pwm_set_frequency(1, 7e7)", "ValueError: PWM frequency must be 0.001Hz to 62.5MHz\n"),
        ("pwm(1, 1000, 1.5)", "ValueError: PWM duty cycle must be 0.0 to 1.0\n"),
        ("pwm_set_duty_cycle(1, -0.1)", "ValueError: PWM duty cycle must be 0.0 to 1.0\n"),
        ("pwm(9, 100)", "ValueError: GPIO pin must be 1-8 or GPIO_1-GPIO_8\n"),
        ("pwm_stop(0)", "ValueError: GPIO pin must be 1-8 or GPIO_1-GPIO_8\n"),
    ],
)
def test_pwm_errors(repl: RawRepl, code: str, message: str) -> None:
    assert error(repl, code) == message


def test_pwm_configures_the_pin(repl: RawRepl) -> None:
    stdout, stderr = repl.exec(
        "pwm(GPIO_2, 1000, 0.25)\npwm(1, 0.001, 1.0)\nprint(gpio_get_dir(2))\nprint(get_state())"
    )
    assert stderr == ""
    first, _, document = stdout.partition("\n")
    assert first == "OUTPUT"
    gpio = json.loads(document)["gpio"]
    assert (gpio[1]["function"], gpio[1]["direction"]) == ("PWM", "OUTPUT")
    assert repl.lines("pwm_stop(GPIO_2)\nprint(get_state().count('\"PWM\"'))") == ["1"]


# --- wavegen -------------------------------------------------------------------------------------------------------

GETTERS = ("print(wavegen_get_output(), wavegen_get_freq(), wavegen_get_wave(), wavegen_get_amplitude(), "
           "wavegen_get_offset(), wavegen_is_running())")  # fmt: skip


def test_wavegen_defaults(repl: RawRepl) -> None:
    assert repl.lines(GETTERS) == ["1 100.0 0 3.3 1.65 False"]
    assert repl.lines("print(SINE, TRIANGLE, SAWTOOTH, SQUARE, RAMP, ARBITRARY)") == ["0 1 2 3 2 4"]


def test_wavegen_setters_and_getters(repl: RawRepl) -> None:
    lines = repl.lines(
        "wavegen_set_output(DAC0)\nwavegen_set_freq(250)\nwavegen_set_wave('square')\n"
        "wavegen_set_amplitude(2.0)\nwavegen_set_offset(-1.25)\nwavegen_start()\n" + GETTERS + "\n"
        "wavegen_stop()\nprint(wavegen_is_running())\n"
        "set_wavegen_output('BOTTOM_RAIL')\nset_wavegen_wave(TRIANGLE)\n"
        "print(get_wavegen_output(), get_wavegen_wave())\n"
        "wavegen_set_wave('saw')\nprint(wavegen_get_wave())\nwavegen_set_output(2)\nprint(wavegen_get_output())\n"
        "wavegen_start(True)\nwavegen_start(False)\nprint(wavegen_is_running())",
    )
    assert lines == ["0 250.0 3 2.0 -1.25 True", "False", "3 1", "2", "2", "False"]


def test_wavegen_clamps_silently(repl: RawRepl) -> None:
    lines = repl.lines(
        "wavegen_set_freq(-5)\nwavegen_set_amplitude(-1)\nwavegen_set_offset(-9.5)\n"
        "print(wavegen_get_freq(), wavegen_get_amplitude(), wavegen_get_offset())",
    )
    assert lines == ["0.0001 0.0 -9.5"]  # the offset is not clamped


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("wavegen_set_wave(4)", "NotImplementedError: ARBITRARY waveform not implemented yet\n"),
        ("wavegen_set_wave('arb')", "NotImplementedError: ARBITRARY waveform not implemented yet\n"),
        ("wavegen_set_wave('bogus')", "ValueError: Unknown waveform\n"),
        ("wavegen_set_wave(5)", "ValueError: Waveform must be 0-4\n"),
        ("wavegen_set_wave(1.5)", "TypeError: Expected int or string for waveform\n"),
        ("wavegen_set_output(5)", "ValueError: Invalid output. Use DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL\n"),
        ("wavegen_set_output(GPIO_1)", "ValueError: Invalid output. Use DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL\n"),
        ("wavegen_set_output('FOO')", "ValueError: Unknown node name\n"),
    ],
)
def test_wavegen_errors(repl: RawRepl, code: str, message: str) -> None:
    assert error(repl, code) == message
    assert repl.lines(GETTERS) == ["1 100.0 0 3.3 1.65 False"]  # nothing changed


def test_running_wavegen_reads_as_its_offset(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(DAC1, ADC0)\nwavegen_set_offset(1.0)\nwavegen_start()\nprint(adc_get(0))\n"
        "wavegen_stop()\nprint(adc_get(0))",
    )
    reading, stopped = lines  # a sample of the running sine (default 3.3 Vpp) about its 1.0 V offset (#16 §3)
    assert -0.66 <= float(reading) <= 2.66 and stopped == "0.0"


# --- OLED ----------------------------------------------------------------------------------------------------------


def test_oled_print_and_clear(jos_board, repl: RawRepl) -> None:  # type: ignore[no-untyped-def]
    assert repl.lines("print(oled_print('Hello', 'world'))") == ["None"]
    assert jos_board.oled_text() == "Hello world"
    repl.lines("oled_print('a', 1, 2.5, sep='-', end='!')")
    assert jos_board.oled_text() == "a-1-2.5!"
    repl.lines("oled_print('big', 2)")  # the old (text, size) form
    assert jos_board.oled_text() == "big"
    repl.lines("oled_print('v', 3, sep=':')")  # keywords: both are values
    assert jos_board.oled_text() == "v:3"
    repl.lines("oled_print(GPIO_1, 0.1 + 0.2)")
    assert jos_board.oled_text() == "RP_GPIO_1 0.3"
    repl.lines("oled_clear()")
    assert jos_board.oled_text() == ""
    assert error(repl, "oled_print('x', sep=5)") == "TypeError: sep must be str or None\n"


def test_oled_text_size_and_framebuffer(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(oled_get_framebuffer_size())\nfb = oled_get_framebuffer()\nprint(type(fb).__name__, len(fb), sum(fb))\n"
        "print(oled_get_text_size(), oled_set_text_size(1), oled_get_text_size(), oled_set_text_size(3))\n"
        "print(oled_get_pixel(3, 4), oled_set_pixel(3, 4, 1), oled_get_pixel(3, 4), oled_get_pixel(4, 4))\n"
        "print(oled_set_pixel(128, 0, 1), oled_get_pixel(0, 32))\n"  # drawPixel/getPixel ignore off-screen pixels
        "print(sum(oled_get_framebuffer()))\noled_clear()\nprint(oled_get_pixel(3, 4))\n"
        "print(oled_set_framebuffer(bytes([255]) * 512), oled_get_pixel(127, 31), oled_set_framebuffer(b'12'))",
    )
    assert lines == [
        "(128, 32, 512)",
        "bytes 512 0",
        "2 True 1 False",
        "0 True 1 0",
        "True 0",
        "16",  # pixel (3, 4): bit 4 of byte 3
        "0",
        "True 1 False",
    ]


def test_oled_disconnected(repl: RawRepl) -> None:
    lines = repl.lines(
        "oled_disconnect()\nprint(oled_get_framebuffer(), oled_get_framebuffer_size(), oled_get_pixel(0, 0))\n"
        "oled_connect()\nprint(oled_get_framebuffer_size())",
    )
    assert lines == ["None (0, 0, 0) -1", "(128, 32, 512)"]


# --- probe, switch, clickwheel -------------------------------------------------------------------------------------


def test_probe_touch_non_blocking(jos_board, repl: RawRepl) -> None:  # type: ignore[no-untyped-def]
    assert repl.lines("p = probe_read(False)\nprint(p, bool(p), int(p))") == ["NO_PAD False -1"]
    jos_board.probe.touch(12)
    jos_board.probe.touch("TOP_RAIL")
    jos_board.probe.touch("D13")
    lines = repl.lines("p = probe_read(False)\nprint(p, int(p), bool(p))\nprint(probe_read(False), probe_read(False))\n"
                      "print(probe_read(False))")  # fmt: skip
    assert lines == ["PAD_12 12 True", "TOP_RAIL NANO_D13", "NO_PAD"]


def test_probe_buttons(jos_board, repl: RawRepl) -> None:  # type: ignore[no-untyped-def]
    assert repl.lines("print(probe_button(False, True))") == ["NONE"]
    jos_board.probe.press("CONNECT")
    jos_board.probe.press("remove")
    lines = repl.lines(
        "b = probe_button(False, True)\nprint(b, int(b), b == BUTTON_CONNECT, b == CONNECT_BUTTON)\n"
        "print(probe_button(False, True), probe_button(False, True))",
    )
    assert lines == ["CONNECT 1 True True", "REMOVE NONE"]


def test_blocking_probe_read_waits_for_a_touch(jos_board, repl: RawRepl) -> None:  # type: ignore[no-untyped-def]
    toucher = threading.Timer(0.2, jos_board.probe.touch, args=(7,))
    toucher.start()
    try:
        assert repl.lines("print(probe_read())") == ["PAD_7"]
    finally:
        toucher.join()
    presser = threading.Timer(0.2, jos_board.probe.press, args=("REMOVE",))
    presser.start()
    try:
        assert repl.lines("print(probe_button())") == ["REMOVE"]
    finally:
        presser.join()


def test_blocking_probe_read_interrupted_with_ctrl_c(repl: RawRepl) -> None:
    repl.serial.write(b"print('waiting')\nprint(probe_read())\x04")
    reply = repl.read_until(b"waiting\n")  # the code runs: it is now blocked in probe_read()
    deadline = time.monotonic() + 5
    while not reply.endswith(b"\x04>"):
        assert time.monotonic() < deadline, reply
        repl.serial.write(b"\x03")
        reply += repl.serial.read(repl.serial.in_waiting or 1)
    stdout, stderr, tail = reply[2:].split(b"\x04")
    assert tail == b">"
    assert reply.startswith(b"OK")
    assert stdout == b"waiting\n"
    assert b"KeyboardInterrupt" in stderr
    assert stderr.startswith(b"Traceback (most recent call last):\n")
    assert repl.lines("print(probe_read(False))") == ["NO_PAD"]  # the REPL still works


def test_switch_position(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(get_switch_position(), SWITCH_MEASURE, SWITCH_SELECT, SWITCH_UNKNOWN)\n"
        "set_switch_position(1)\nprint(get_switch_position())\nset_switch_position(5)\nprint(get_switch_position())\n"
        "print(probe_autoconnect(), probe_autoconnect(False), probe_autoconnect())",
    )
    assert lines == ["0 0 1 -1", "1", "1", "True False False"]


def test_clickwheel(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(clickwheel_is_initialized(), clickwheel_get_direction(), clickwheel_get_button())\n"
        "clickwheel_up(3)\n"
        "print(clickwheel_get_direction(False), clickwheel_get_direction(), clickwheel_get_direction())\n"
        "clickwheel_down()\nprint(clickwheel_get_direction() == CLICKWHEEL_DOWN)\n"
        "clickwheel_press()\nprint(clickwheel_get_button() == CLICKWHEEL_RELEASED)\n"
        "clickwheel_up()\nclickwheel_reset_position()\nprint(clickwheel_get_position())",
    )
    assert lines == ["True 0 0", "1 1 0", "True", "True", "0"]


# --- overlays ------------------------------------------------------------------------------------------------------


def test_overlays(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(overlay_count())\n"
        "print(overlay_set('a', 1, 1, 1, 2, [0xff0000, 0x00ff00]))\n"
        "print(overlay_set('b', 5, 3, 2, 2, [[1, 2], [3, 0xabcdef]]))\n"
        "print(overlay_set('a', 2, 1, 1, 2, [0x0000ff, 0x123456]))\n"  # same name: updated in place
        "print(overlay_set('bad', 31, 1, 1, 1, [1]))\n"
        "print(overlay_count())",
    )
    assert lines == ["0", "0", "1", "0", "-1", "2"]
    stdout, _ = repl.exec("print(overlay_serialize())")
    assert stdout == (
        '  "overlays": [\n'
        '    {"name":"a","row":1,"col":2,"width":2,"height":1,"colors":["0000FF","123456"]},\n'
        '    {"name":"b","row":3,"col":5,"width":2,"height":2,"colors":["000001","000002","000003","ABCDEF"]}\n'
        "  ]\n"
    )
    document = json.loads("\n".join(repl.lines("print(get_state())")))
    assert document["overlays"][1] == {"name": "b", "row": 3, "col": 5, "width": 2, "height": 2,
                                       "colors": ["000001", "000002", "000003", "ABCDEF"]}  # fmt: skip


def test_overlay_shift_place_and_clear(repl: RawRepl) -> None:
    lines = repl.lines(
        "overlay_set('a', 1, 1, 1, 1, [0xFF])\n"
        "print(overlay_shift('a', -1, -1), overlay_shift('nope', 1, 1))\n"
        "import json\ns = lambda: [(o['row'], o['col']) for o in json.loads(get_state())['overlays']]\nprint(s())\n"
        "overlay_shift('a', 2, 3)\nprint(s())\n"
        "print(overlay_place('a', 15, 6))\nprint(s())\n"
        "print(overlay_clear('a'), overlay_clear('a'), overlay_count())",
    )
    assert lines == ["1 0", "[(10, 30)]", "[(3, 2)]", "1", "[(6, 15)]", "1 0 0"]


def test_overlay_color_array_too_small(repl: RawRepl) -> None:
    assert error(repl, "overlay_set('c', 1, 1, 2, 2, [1, 2, 3])") == "ValueError: Color array too small\n"
    assert repl.lines("print(overlay_serialize())") == ['  "overlays": [', "  ]"]


# --- filesystem ----------------------------------------------------------------------------------------------------


def test_fs_functions(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(fs_exists('/notes.txt'), fs_read('/notes.txt'), fs_listdir('/'))\n"
        "print(fs_write('/notes.txt', 'line 1\\nline 2'))\n"
        "print(fs_exists('/notes.txt'), repr(fs_read('/notes.txt')))\n"
        "print(fs_write('/sub/inner.txt', 'x'), fs_listdir('/'), fs_listdir('/sub'), fs_listdir('/missing'))\n"
        "print(fs_cwd())",
    )
    assert lines == [
        "False None []",
        "True",
        "True 'line 1\\nline 2'",
        "True ['notes.txt', 'sub/'] ['inner.txt'] []",
        "/",
    ]


def test_fs_path_traversal_stays_inside_the_board(jos_board, repl: RawRepl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = sorted(p.name for p in tmp_path.iterdir())
    lines = repl.lines(
        "print(fs_read('/../../etc/passwd'), fs_exists('/../../etc/passwd'))\n"
        "print(fs_write('/../../escaped.txt', 'x'), fs_listdir('/'))\n"
        "print(fs_read('../escaped.txt'))",
    )
    assert lines == ["None False", "True ['escaped.txt']", "x"]  # '/..' stays at the board's root
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing appeared next to the board's directory
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/escaped.txt").exists()


def test_os_and_open(repl: RawRepl) -> None:
    lines = repl.lines(
        "import os\nprint(os.listdir('/'))\n"
        "with open('/data.csv', 'w') as f:\n    f.write('a,b\\n1,2\\n')\n"
        "print(os.listdir('/'), fs_read('/data.csv').splitlines())\n"
        "with open('/data.csv') as f:\n    print(f.read().split())\n"
        "os.mkdir('/logs')\nprint(sorted(os.listdir('/')), fs_listdir('/'))\n"
        "print(os.stat('/data.csv')[6])\n"
        "os.remove('/data.csv')\nprint(os.listdir('/'), fs_exists('/data.csv'))",
    )
    assert lines == [
        "[]",
        "['data.csv'] ['a,b', '1,2']",
        "['a,b', '1,2']",
        "['data.csv', 'logs'] ['data.csv', 'logs/']",
        "8",
        "['logs'] False",
    ]


def test_open_missing_file_raises_oserror(repl: RawRepl) -> None:
    assert error(repl, "open('/nope.txt')").startswith("OSError: ")


# --- get_state layout ----------------------------------------------------------------------------------------------


def test_get_state_layout(repl: RawRepl) -> None:
    stdout, stderr = repl.exec("dac_set(DAC1, 1.5)\nprint(get_state())")
    assert stderr == ""
    text = stdout.rstrip("\n")
    document = json.loads(text)
    assert list(document) == ["power", "nets", "gpio", "overlays"]
    assert text.startswith(
        '{\n  "power": {\n    "top_rail": 3.300,\n    "bottom_rail": 0.000,\n    "dac0": 0.000,\n    "dac1": 1.500\n'
        '  },\n  "nets": [\n    {\n      "index": 1,\n'
    )
    assert text.endswith('  "overlays": [\n  ]\n}')
    for number in re.findall(r'"(?:top_rail|bottom_rail|dac0|dac1|voltage)": (-?[0-9.]+)', text):
        assert re.fullmatch(r"-?\d+\.\d{3}", number), number
    gpio = document["gpio"]
    assert [g["pin"] for g in gpio] == [1, 2, 3, 4, 5, 6, 7, 8, "TX", "RX"]
    assert list(gpio[0]) == ["pin", "net", "function", "direction", "pull", "reading", "floating_read"]
    assert (gpio[8]["direction"], gpio[9]["direction"]) == ("OUTPUT", "INPUT")
    assert all(g["net"] is None for g in gpio)
    assert document["overlays"] == []


def test_get_state_gpio_entries_follow_the_pins(repl: RawRepl) -> None:
    stdout, _ = repl.exec(
        "gpio_set_dir(3, OUTPUT)\ngpio_set(3, HIGH)\ngpio_set_pull(5, 'up')\nconnect(GPIO_3, 17)\nprint(get_state())"
    )
    document = json.loads(stdout)
    pin3, pin5 = document["gpio"][2], document["gpio"][4]
    assert (pin3["net"], pin3["direction"], pin3["reading"]) == (6, "OUTPUT", "high")
    assert (pin5["pull"], pin5["reading"], pin5["direction"]) == ("up", "high", "INPUT")
    net6 = document["nets"][5]
    assert net6 == {"index": 6, "name": "Net 6", "nodes": ["17", "GP_3"], "special": "GPIO", "logic": 1}
