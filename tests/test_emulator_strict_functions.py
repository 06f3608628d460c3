"""What the firmware's functions do that the virtual board did not (or did differently), over the real ports.

Each expectation cites the C it comes from (JOS = the 5.7.0.13 fork, V5 = 5.3.2.4; mjc = modjumperless.c,
API = JumperlessMicroPythonAPI.cpp).
"""

from __future__ import annotations

import threading
from pathlib import Path

from serial_clients import MainPortClient, RawRepl

from jumperless_mcp.emulator import VirtualBoard


def outcome(repl: RawRepl, code: str) -> str:
    stdout, stderr = repl.exec(
        f"try:\n    print(repr({code}))\nexcept Exception as e:\n    print(type(e).__name__ + ': ' + str(e))"
    )
    assert stderr == "", stderr
    return stdout.strip()


def legacy(client: MainPortClient, code: str) -> str:
    """A `>` one-liner on the 5.3.x main port; what it printed."""
    client.send(f">{code}\n".encode())
    return client.read_quiet().decode().replace("\r\n", "\n")


# --- probe aliases: the non-blocking ones return at once --------------------------------------------------------


def test_non_blocking_probe_aliases_return_at_once(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(probe_read_nonblocking(), check_button(), button_check(), probe_button_nonblocking())\n"
        "print(probe_button_nonblocking(True), probe_read(False), probe_button(False))"
    )
    assert lines == ["NO_PAD NONE NONE NONE", "NONE NO_PAD NONE"]


def test_blocking_probe_aliases_wait(jos_board: VirtualBoard, repl: RawRepl) -> None:
    for call, script in (
        ("probe_wait()", "touch"),
        ("wait_touch()", "touch"),
        ("probe_button_blocking(True)", "press"),
    ):
        act = jos_board.probe.touch if script == "touch" else jos_board.probe.press
        timer = threading.Timer(0.3, act, args=(9 if script == "touch" else "CONNECT",))
        timer.start()
        try:
            assert repl.lines(f"print({call})") == ["PAD_9" if script == "touch" else "CONNECT"], call
        finally:
            timer.join()


def test_legacy_probe_aliases(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as client:
        assert legacy(client, "print(check_button(), probe_read_nonblocking())") == "NONE NO_PAD\n"
        legacy_board.probe.touch(12)
        assert legacy(client, "print(probe_read_nonblocking())") == "PAD_12\n"  # V5 pad_mappings start with PAD_n
        assert "takes 0 positional arguments but 1 were given" in legacy(client, "probe_button_blocking(True)")


# --- GPIO: pin objects, levels, directions per family -----------------------------------------------------------


def test_gpio_pin_objects_map_to_physical_pins(repl: RawRepl) -> None:
    lines = repl.lines(
        "gpio_set_dir(GPIO_2, OUTPUT)\ngpio_set(GPIO_2, HIGH)\n"  # GPIO_2 is RP pin 21, the same pin as 2
        "print(gpio_get_dir(2), gpio_get(2), gpio_get(21))\n"
        "gpio_set_dir(UART_RX, OUTPUT)\nprint(gpio_get_dir(1))\n"  # UART_RX maps to pin 1 = GPIO_1 (mjc :2063)
        "gpio_set(UART_TX, 1)\nprint(gpio_get(UART_TX), gpio_get_dir(UART_TX), gpio_get_pull(UART_TX))\n"  # pin 0
        "gpio_set_read_floating(21, True)\nprint(gpio_get_read_floating(2))",  # 20-27: cleared (API :631)
    )
    assert lines == ["OUTPUT HIGH HIGH", "OUTPUT", "LOW OUTPUT NO_PULL", "False"]
    assert outcome(repl, "gpio_get('GPIO_1')") == "TypeError: can't convert str to int"


def test_gpio_levels_directions_and_pulls_as_the_c_reads_them(repl: RawRepl) -> None:
    lines = repl.lines(
        "gpio_set_dir(3, 0)\ngpio_set(3, FLOATING)\nprint(gpio_get(3))\n"  # JumperlOS: 0 = OUTPUT; level 2 is HIGH
        "gpio_set(3, 7)\nprint(gpio_get(3))\ngpio_set(3, False)\nprint(gpio_get(3))\n"
        "gpio_set_dir(3, 1)\nprint(gpio_get_dir(3))\n"
        "gpio_set_pull(3, 'down')\nprint(gpio_get_pull(3))\ngpio_set_pull(3, 5)\nprint(gpio_get_pull(3))"
    )
    assert lines == ["HIGH", "HIGH", "LOW", "INPUT", "PULLDOWN", "NO_PULL"]
    for code, message in (
        ("gpio_set(3, 'High')", "ValueError: GPIO state string must be 'HIGH', 'LOW', or 'FLOATING'"),
        ("gpio_set_dir(3, 'Output')", "ValueError: Direction string must be 'INPUT' or 'OUTPUT'"),
        ("gpio_set(3, 1.0)", "TypeError: can't convert float to int"),
    ):
        assert outcome(repl, code) == message, code


def test_legacy_gpio_conventions(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as client:
        assert legacy(client, "gpio_set_dir(3, 1)") == ""  # 5.3.x: 1 = OUTPUT (V5 mjc get_direction_value :2237)
        assert legacy(client, "print(gpio_get_dir(3), int(gpio_get_dir(3)))") == "OUTPUT 1\n"
        assert legacy(client, "gpio_set_pull(3, 'PULLDOWN')") == ""  # V5 get_pull_value gives 2: the bus keeper
        assert legacy(client, "print(gpio_get_pull(3))") == "NONE\n"  # ... which 5.3.x prints as NONE
        assert "Pull string must be 'NONE', 'PULLUP', or 'PULLDOWN'" in legacy(client, "gpio_set_pull(3, 'NO_PULL')")


# --- OLED -----------------------------------------------------------------------------------------------------------


def test_oled_print_is_print_style_on_jumperlos(jos_board: VirtualBoard, repl: RawRepl) -> None:
    repl.exec("oled_print('a', 1, 2.5, sep='-', end='!')")
    assert jos_board.oled_text() == "a-1-2.5!"
    repl.exec("oled_print('big', 1)")  # oled_print(text, size): an int second argument and no keywords
    assert jos_board.oled_text() == "big" and jos_board.model.oled.text_size == 1
    assert repl.lines("print(oled_get_text_size())") == ["2"]  # the default size is not changed by a print
    repl.exec("oled_print('x', 1, size=0)")
    assert jos_board.oled_text() == "big\nx 1"  # size 0 scrolls small text
    assert outcome(repl, "oled_print('x', colour=1)") == "TypeError: extra keyword arguments given"
    assert outcome(repl, "oled_print('x', sep=1)") == "TypeError: sep must be str or None"
    assert outcome(repl, "oled_print('x', size=1.5)") == "TypeError: can't convert float to int"


def test_legacy_oled_print_takes_one_value_and_a_size(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as client:
        assert legacy(client, "oled_print(HIGH)") == ""
        assert legacy_board.oled_text() == "HIGH" and legacy_board.model.oled.text_size == 2
        assert legacy(client, "oled_print(1.23456, 1)") == ""
        assert legacy_board.oled_text() == "1.235" and legacy_board.model.oled.text_size == 1  # "%.3f"
        assert legacy(client, "oled_print([1])") == "[1]"  # an unknown type prints to the stream, shows ???
        assert legacy_board.oled_text() == "???"
        assert "doesn't take keyword arguments" in legacy(client, "oled_print('x', size=1)")
        assert "expected at most 2 arguments, got 3" in legacy(client, "oled_print('x', 1, 2)")


def test_oled_fonts_pixels_and_copy_print(jos_board: VirtualBoard, repl: RawRepl) -> None:
    lines = repl.lines(
        "print(oled_set_font(' berkeley mono '), oled_get_current_font(), oled_set_font('Papyrus'))\n"
        "print(oled_set_pixel(0, 0, 2), oled_get_pixel(0, 0), oled_set_pixel(0, 0, 2), oled_get_pixel(0, 0))\n"
        "print(oled_copy_print(True), oled_set_text_size(3), oled_set_text_size(0), oled_get_text_size())"
    )
    assert lines == ["True Berkeley Mono False", "True 1 True 0", "None False True 0"]
    assert jos_board.model.oled.copy_print is True
    jos_board.model.oled.connected = False
    assert repl.lines("print(repr(oled_get_current_font()), oled_set_text_size(1))") == ["'' True"]


def test_oled_bitmaps(jos_board: VirtualBoard, repl: RawRepl, tmp_path: Path) -> None:
    (tmp_path / "fs" / "logo.bin").write_bytes(bytes([0x80]) + bytes(511))  # 128x32: top-left pixel set
    lines = repl.lines(
        "print(oled_display_bitmap(0, 0, 8, 1), oled_load_bitmap('/missing.bin'), oled_load_bitmap('/logo.bin'))\n"
        "print(oled_display_bitmap(3, 2, 0, 0), oled_get_pixel(3, 2), oled_get_pixel(4, 2))\n"
        "print(oled_display_bitmap(10, 0, 8, 1, bytes([0x01])), oled_get_pixel(17, 0))\n"
        "print(oled_show_bitmap_file('/logo.bin', 0, 20), oled_get_pixel(0, 20))"
    )
    assert lines == ["False False True", "True 1 0", "True 1", "True 1"]
    assert outcome(repl, "oled_display_bitmap(0, 0, 8, 1, 5)") == "TypeError: object with buffer protocol required"


# --- the retained OLED screens -------------------------------------------------------------------------------------


def test_oled_screens(jos_board: VirtualBoard, repl: RawRepl, tmp_path: Path) -> None:
    lines = repl.lines(
        "oled_screen_reset()\ns = oled_screen()\n"
        "t = oled_add_text(s, '{adc:0} V', x=2, y=3, size=10, halign=1, valign=1)\n"
        "r = oled_add_shape(s, 2, 0, 0, 10, 5, filled=1)\n"
        "print(s, t, r, t == (s << 8), r == (s << 8) + 1)\n"
        "print(oled_set(t, 'text', 'hi'), oled_set(t, 'x', 7), oled_set(t, 'colour', 1), oled_set(999, 'x', 1))\n"
        "print(oled_screen_show(s, True), oled_screen_show(99), oled_add_text(99, 'x'))\n"
        "print(oled_screen_save(s, 'demo'), oled_screen_load('demo'), oled_screen_load('nothing'))\n"
        "oled_set_var('v', 3)\noled_set_var('name', 'x')\noled_screen_free(s)\nprint(oled_screen_show(s))"
    )
    assert lines[0] == "1 256 257 True True"
    assert lines[1:] == ["True True False False", "True False -1", "True 2 0", "False"]
    screens = jos_board.model.oled_screens
    loaded = screens.screens[2]
    assert [e.props["text"] for e in loaded if e.kind == "text"] == ["hi"] and loaded[0].props["x"] == 7
    assert screens.variables == {"v": 3.0, "name": "x"}
    assert (tmp_path / "fs" / "screens" / "demo.json").exists()
    assert repl.lines("print([oled_screen() for _ in range(8)])") == ["[1, 3, 4, 5, 6, 7, 8, 0]"]  # a pool of 8
    assert outcome(repl, "oled_add_text(1)") == "TypeError: function missing 1 required positional arguments"
    assert outcome(repl, "oled_add_text(1, 'a', 1, 2, 'f', 8, 0, 0, 0, 9)") == (
        "TypeError: extra positional arguments given"
    )
    assert outcome(repl, "oled_add_shape(1, x=1.5)") == "TypeError: can't convert float to int"
    assert outcome(repl, "oled_set(1, 'x', 1.5)") == "TypeError: can't convert float to int"
    repl.exec("oled_screen_reset()")  # the pool is C state: it survives a soft reset until freed
    assert screens.screens == {}


# --- logic analyzer --------------------------------------------------------------------------------------------------


def test_logic_analyzer_settings_and_bools(jos_board: VirtualBoard, repl: RawRepl) -> None:
    lines = repl.lines(
        "print(la_stop_capture(), la_is_capturing(), la_set_trigger(1, 2, 0.5))\n"
        "print(la_start_continuous_capture(), la_is_capturing(), la_start_continuous_capture())\n"
        "print(la_capture_single_sample(), la_stop_capture(), la_is_capturing(), la_capture_single_sample())\n"
        "la_set_sample_rate(50000)\nla_set_num_samples(2000)\nla_enable_channel(0, 3, True)\n"
        "la_enable_channel(1, 9, True)\nla_set_control_analog(0, 1.5)\n"
        "print(la_get_control_analog(0), la_get_control_digital(0))"
    )
    assert lines == ["False False True", "True True False", "False True False True", "0.0 False"]
    analyzer = jos_board.model.logic_analyzer
    assert (analyzer.sample_rate_hz, analyzer.num_samples, analyzer.d_mask, analyzer.a_mask) == (50000, 2000, 8, 0)


def test_legacy_logic_analyzer_stop_is_a_bool(legacy_board: VirtualBoard) -> None:
    with MainPortClient(legacy_board.main_path) as client:
        assert legacy(client, "print(la_stop_capture())") == "False\n"


# --- FakeGpioPin and FakeGpioDisconnect ---------------------------------------------------------------------------


def test_fake_gpio_pin_drives_its_node(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(5, 6)\np = FakeGpioPin(5)\nprint(p, is_connected(5, 6))\n"  # configuring clears the node
        "connect(5, ADC0)\np.on()\nprint(p.value(), adc_get(0))\np.toggle()\nprint(p.value(), adc_get(0))\n"
        "q = FakeGpioPin(7, FAKE_GPIO_OUTPUT, TOP_RAIL)\nconnect(7, ADC1)\ndac_set(TOP_RAIL, 3.3)\nq.value(1)\n"
        "print(adc_get(1))\n"
        "i = FakeGpioPin(8, FAKE_GPIO_INPUT, 2.0, 0.8)\nconnect(8, TOP_RAIL)\nprint(i.value())\n"
        "r = FakeGpioPin(9, OUTPUT)\nr.on()\nprint(r.value())"
    )
    # the last: int(OUTPUT) is 0 on JumperlOS, which is FAKE_GPIO_MODE_INPUT (mjc :2969), so r is an input
    assert lines == ["<FakeGpioPin> DISCONNECTED", "1 5.0", "0 0.0", "3.3", "1", "0"]
    assert outcome(repl, "FakeGpioPin()") == "TypeError: function missing 1 required positional arguments"
    assert outcome(repl, "FakeGpioPin(5, mode=1)") == "TypeError: function doesn't take keyword arguments"
    assert outcome(repl, "FakeGpioPin(5, 1, 8.0)") == "TypeError: can't convert float to int"  # mjc :3012
    assert outcome(repl, "FakeGpioPin(5).on(1)") == (
        "TypeError: function takes 1 positional arguments but 2 were given"  # self counts, as in MicroPython
    )
    assert outcome(repl, "FakeGpioPin(5, 1, TOP_RAIL, 12)") == (
        "ValueError: Invalid low_node - must be TOP_RAIL/BOTTOM_RAIL/DAC0/DAC1/GND"
    )


def test_fake_gpio_disconnect_opens_a_bridge_for_a_with_block(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 2)\nwith FakeGpioDisconnect(1, 2):\n    print(is_connected(1, 2))\nprint(is_connected(1, 2))"
    )
    assert lines == ["DISCONNECTED", "CONNECTED"]
    assert outcome(repl, "FakeGpioDisconnect(3, 4).__enter__()") == "ValueError: Failed to disconnect path"


# --- the rest of the table the virtual board lacked -------------------------------------------------------------------


def test_set_net_color_follows_the_c(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 2)\nprint(set_net_color(6, 'no such colour'), set_net_color(6, 'red'), get_net_color(6))\n"
        "print(set_net_color(6, 0x00FF00), get_net_color_name(6), set_net_color(6, 1, 2, 3), get_net_color(6))\n"
        "print(set_net_color_hsv(6, 0.0), get_net_color_name(6), set_net_color_hsv(6, 0.0, 1.0, 1.0))\n"
        "set_net_name(6, 'sig')\nprint(get_net_name(6))\nset_net_name(6, None)\nprint(get_net_name(6))"
    )
    # an unparseable colour is False (API :820); hsv without v means v = 32 (API :869)
    assert lines == ["False True 16711680", "True #00FF00 True 66051", "True hsv(0,255,32) True", "sig", "Net 6"]
    assert outcome(repl, "set_net_color(6, 'red', 1)") == "ValueError: Invalid arguments for set_net_color"
    assert outcome(repl, "set_net_name(6, 5)") == "TypeError: can't convert 'int' object to str implicitly"


def test_send_raw_chip_strings(jos_board: VirtualBoard, repl: RawRepl) -> None:
    repl.exec("send_raw('b', 1, 2)\nsend_raw('11', 3, 4, 0)\nsend_raw('12', 5, 6)\nsend_raw('Z', 7, 8)")
    # parseChipIdentifier (API :1503): a letter A-L, else atoi() if 0-11 ('Z' is atoi 0), else ignored
    assert jos_board.model.raw_crossbar == [(1, 1, 2, 1), (11, 3, 4, 0), (0, 7, 8, 1)]
    assert outcome(repl, "send_raw(1.0, 1, 2)") == "ValueError: Chip must be integer (0-11) or string ('A'-'L')"


# --- fs_listdir per family ------------------------------------------------------------------------------------------


def test_fs_listdir_dotfiles_and_the_long_listing(jos_board: VirtualBoard, repl: RawRepl, tmp_path: Path) -> None:
    (tmp_path / "fs" / ".hidden").write_text("x")
    (tmp_path / "fs" / "dir").mkdir()
    assert repl.eval("fs_listdir('/')") == "['dir/']"  # JumperlOS skips dotfiles (JOS API :2337)
    for index in range(200):
        (tmp_path / "fs" / "dir" / f"file_{index:03d}.txt").write_text("")
    names = repl.eval("fs_listdir('/dir')")
    listed = names.strip("[]").replace("'", "").split(", ")
    assert listed[-1].endswith("...") and len(",".join(listed)) - 3 > 1900 >= len(",".join(listed[:-1]))


def test_legacy_fs_listdir_shows_dotfiles(legacy_board: VirtualBoard, tmp_path: Path) -> None:
    (tmp_path / "fs" / ".hidden").write_text("x")
    with MainPortClient(legacy_board.main_path) as client:
        assert ".hidden" in legacy(client, "print(fs_listdir('/'))")  # V5 API :817 lists every name
        assert legacy(client, "print(fs_listdir('/none'))") == "[]\n"
