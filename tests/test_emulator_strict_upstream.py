"""The upstream JumperlOS personas: their own tables and behaviour.

`jumperlos-upstream` plays the newest upstream tree (7077df9, the module of 5.7.11.0), `jumperlos-5.7.5` the
stable-5.7.5 branch (796c56c). Upstream mjc (796c56c lines) :3003-3050 net scan, :1969 adc 0-7, :4782
fs_listdir raises ENOENT, :1983-2099 USB audio, no logic analyzer (removed in 54c931d); 7077df9 :2637-2935
projects, parts and the background callback.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from serial_clients import MainPortClient, RawRepl

from jumperless_mcp.cli import add_emulator_arguments
from jumperless_mcp.emulator import PERSONAS, VirtualBoard

ONE_PIN = '{"A": {"pin": 1}}'  # pins_json maps
R1_PINS = '{"A": {"pin": 1, "connect": "GND"}, "B": {"pin": 2, "connect": 20}}'
DIVIDER = '[[resistor]]\nbetween = [10, 11]\nohms = "10k"\n\n[[resistor]]\nbetween = [11, "GND"]\nohms = "10k"\n'


@pytest.fixture
def upstream(make_board) -> Iterator[RawRepl]:  # type: ignore[no-untyped-def]
    board = make_board(DIVIDER, persona="jumperlos-upstream")
    with RawRepl(board.repl_path) as repl:
        yield repl


def outcome(repl: RawRepl, code: str) -> str:
    stdout, stderr = repl.exec(
        f"try:\n    print(repr({code}))\nexcept Exception as e:\n"
        "    print('OSError' if isinstance(e, OSError) else type(e).__name__, e.args[0] if e.args else '')"
    )
    assert stderr == "", stderr
    return stdout.strip()


def test_net_scan_from_the_electrical_model(upstream: RawRepl) -> None:
    upstream.exec("dac_set(TOP_RAIL, 5.0)\nconnect(TOP_RAIL, 10)\nconnect(11, 30)\nconnect(GND, 40)")
    # 5 V over 10k + 10k: 0.25 mA flows from the top rail into row 10; row 11 sits at 2.5 V
    current = upstream.eval("get_net_current(2)")
    assert current == "{'current_mA': 0.25, 'voltage': 5.0, 'from_node': 101, 'to_node': 10}"
    # paths are numbered as get_path_info numbers them: GND-40 (net 1) first, then TOP_RAIL-10 (net 2)
    assert upstream.eval("[(get_path_info(i)['node1'], get_path_current(i)) for i in range(3)]") == (
        "[(100, 0.0), (101, 0.25), (11, 0.0)]"
    )
    assert upstream.eval("[get_node_voltage(n) for n in (10, 11, 30, 12)]") == "[5.0, 2.5, 2.5, None]"
    assert upstream.eval("get_net_current(6)") == "{'current_mA': 0.0, 'voltage': 2.5, 'from_node': 11, 'to_node': 30}"
    assert upstream.eval("(get_net_current(1), net_current(9), get_path_current(9), path_current(2))") == (
        "({'current_mA': 0.0, 'voltage': 0.0, 'from_node': 100, 'to_node': 40}, None, None, 0.0)"
    )
    assert upstream.eval("node_voltage is get_node_voltage") == "True"


def test_a_floating_net_has_no_scan_data(upstream: RawRepl) -> None:
    upstream.exec("connect(20, 21)")
    assert upstream.eval("(get_net_current(6), get_path_current(0), get_node_voltage(20))") == "(None, None, None)"


def test_upstream_file_and_adc_behaviour(upstream: RawRepl, repl: RawRepl) -> None:
    assert outcome(upstream, "fs_listdir('/missing')") == "OSError 2"
    assert outcome(upstream, "jfs.listdir('/missing')") == "OSError 2"
    assert outcome(repl, "fs_listdir('/missing')") == "[]"  # the 5.7.0.13 fork returns an empty list
    assert outcome(upstream, "adc_get(7)") == "0.0" and outcome(upstream, "adc_get(8)") == (
        "ValueError ADC channel must be 0-7"
    )
    assert outcome(repl, "adc_get(4)") == "ValueError ADC channel must be 0-3"


def test_upstream_has_no_logic_analyzer_but_usb_audio(upstream: RawRepl) -> None:
    assert outcome(upstream, "la_stop_capture()").startswith("NameError name 'la_stop_capture'")
    lines = upstream.lines(
        "print(usb_audio_is_enabled(), usb_audio_setup(2, 3, full_scale=5.0), usb_audio_is_enabled())\n"
        "s = audio_status()\nprint(s['left'], s['right'], s['full_scale'], s['streaming'], len(s))\n"
        "print(usb_audio_set_rate(48000), usb_audio_teardown(), usb_audio_active())"
    )
    assert lines == ["False True True", "2 3 5.0 False 17", "True True False"]
    assert outcome(upstream, "usb_audio_setup(1, 1)") == "ValueError left/right must be distinct ADC channels 0-7"
    assert outcome(upstream, "usb_audio_setup(full_scale=None)") == "TypeError can't convert NoneType to float"
    assert outcome(upstream, "usb_audio_set_rate(44100)") == "ValueError rate must be 8000-48000 Hz in 1 kHz steps"


def test_persona_is_a_version_and_the_cli_offers_every_persona() -> None:
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    choices = next(a.choices for a in parser._actions if a.dest == "persona")
    assert sorted(choices) == sorted(PERSONAS)  # type: ignore[arg-type]
    assert PERSONAS["jumperlos"].version == "5.7.0.13"  # the default
    assert PERSONAS["jumperlos-upstream"].version == "5.7.11" and PERSONAS["jumperlos-5.7.5"].version == "5.7.5"
    with pytest.raises(ValueError, match="jumperlos-upstream"):
        VirtualBoard("jumperlos-next")


def test_emulate_serves_the_upstream_persona() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "jumperless_mcp", "emulate", "--persona", "jumperlos-upstream"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        assert info["persona"] == "jumperlos-upstream" and info["firmware"] == "5.7.11"
        with RawRepl(info["repl"]) as repl:
            assert repl.eval("get_path_current(0)") == "None"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 0


# --- projects, parts, the background callback (7077df9) -------------------------------------------------------------


def test_parts_are_placed_listed_and_removed(upstream: RawRepl) -> None:
    lines = upstream.lines(
        f"print(place_part('R1', 10, {R1_PINS!r}, 'sip2', 'resistor', '10k'))\n"
        "print(is_connected(10, GND), is_connected(11, 20))\n"
        "p = list_parts()[0]\nprint(p['name'], p['row'], p['footprint'], p['placed'], p['measured'], p['value'])\n"
        "print(sorted(p['pins'].items()))\n"
        f"print(place_part('R1', 30, {ONE_PIN!r}), place_part('', 1, '{{}}'), place_part('X', 1, 'nope'))\n"
        "print(remove_part('R1'), remove_part('R1'), list_parts(), is_connected(10, GND))"
    )
    assert lines == [
        "0",
        "CONNECTED CONNECTED",
        "R1 10 sip2 True 0.0 10k",
        "[('A', {'node': 10, 'connect': 100, 'class': 'signal'}), "
        "('B', {'node': 11, 'connect': 20, 'class': 'signal'})]",
        "-1 -1 -1",
        "0 -1 [] DISCONNECTED",
    ]


def test_place_part_refusals_print_a_reason(make_board) -> None:  # type: ignore[no-untyped-def]
    board = make_board("", persona="jumperlos-upstream")
    with MainPortClient(board.main_path) as main, RawRepl(board.repl_path) as repl:
        assert repl.eval(f"place_part('A_NAME_TOO_LONG_', 1, {ONE_PIN!r})") == "-1"
        assert repl.eval(f"place_part('U1', 1, {ONE_PIN!r}, 'qfn8')") == "-1"
        said = main.read_quiet().decode()
    assert "place_part: name must be 1-15 characters" in said and "place_part: unknown footprint qfn8" in said


def test_projects_and_the_background_callback(upstream: RawRepl, make_board) -> None:  # type: ignore[no-untyped-def]
    lines = upstream.lines(
        "connect(1, 2)\nprint(load_project('555'), guide_progress(), get_num_bridges())\n"
        "print(load_project('/projects/555/555_run.yaml'), load_project('/nowhere.yaml'))\n"
        "print(bg_active(), bg_start(lambda now: None, 5), bg_active(), bg_stop(), bg_active())\n"
        "bg_start(print)\nprint(bg_active(), bg_start(None), bg_active())"
    )
    assert lines == ["True -1 0", "True False", "False None True None False", "True None False"]
    assert outcome(upstream, "bg_start(5)") == "TypeError bg_start: callable required"
    assert outcome(upstream, "part_identify(1, 2)").startswith("NotImplementedError part_identify")
    stable = make_board("", persona="jumperlos-5.7.5")
    with RawRepl(stable.repl_path) as repl:  # the stable 5.7.5 tree has the scan and USB audio, no parts
        assert outcome(repl, "list_parts()").startswith("NameError")
        assert repl.eval("(get_net_current(1), usb_audio_is_enabled())") == "(None, False)"
