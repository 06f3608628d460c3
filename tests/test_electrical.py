"""The virtual board's DC model read through its instruments: DAC, ADC, GPIO, INA (protocol §4.3, §4.4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serial_clients import RawRepl

from jumperless_mcp.emulator.circuit import Circuit
from jumperless_mcp.emulator.parts import PartsFileError, Resistor, load_parts, parse_ohms

SHUNT = 2.0  # ohms between ISENSE+ and ISENSE-
GPIO_OHMS = 30.0


def floats(repl: RawRepl, code: str) -> list[float]:
    """Run code that prints numbers separated by spaces/lines; return them as floats."""
    return [float(x) for line in repl.lines(code) for x in line.split()]


def resistor(a: object, b: object, ohms: object, name: str = "") -> str:
    named = f'name = "{name}"\n' if name else ""
    return f"[[resistor]]\n{named}between = [{json.dumps(a)}, {json.dumps(b)}]\nohms = {json.dumps(ohms)}\n"


# --- DAC -> ADC ----------------------------------------------------------------------------------------------------


def test_dac_to_adc_through_a_bridge(repl: RawRepl) -> None:
    assert floats(
        repl, "print(adc_get(0))\ndac_set(DAC0, 2.5)\nprint(adc_get(0))\nconnect(DAC0, ADC0)\nprint(adc_get(0))"
    ) == [
        0.0,
        0.0,  # the DAC alone does not reach the ADC
        2.5,
    ]


def test_dac_to_adc_through_a_row(repl: RawRepl) -> None:
    values = floats(repl, "dac_set(DAC1, 1.25)\nconnect(DAC1, 20)\nconnect(20, ADC2)\nprint(adc_get(2), adc_get(1))")
    assert values == [1.25, 0.0]
    values = floats(repl, "dac_set(DAC1, -3.75)\nprint(adc_get(2))\ndisconnect(20, ADC2)\nprint(adc_get(2))")
    assert values == [-3.75, 0.0]


def test_rails_drive_the_adc(repl: RawRepl) -> None:
    values = floats(
        repl,
        "connect(TOP_RAIL, ADC3)\nprint(adc_get(3))\ndac_set(TOP_RAIL, 4.2)\nprint(adc_get(3))\n"
        "dac_set(BOTTOM_RAIL, -2.0)\nconnect(BOTTOM_RAIL, 15)\nconnect(15, ADC1)\nprint(adc_get(1))",
    )
    assert values == pytest.approx([3.3, 4.2, -2.0], abs=1e-6)


def test_adc_of_an_undriven_net_reads_zero(repl: RawRepl) -> None:
    assert repl.lines("connect(ADC0, 33)\nconnect(33, 34)\nprint(repr(adc_get(0)))") == ["0.0"]


def test_adc_net_special_in_get_state(repl: RawRepl) -> None:
    stdout, _ = repl.exec("dac_set(DAC0, 2.5)\nconnect(DAC0, ADC0)\nprint(get_state())")
    net4 = json.loads(stdout)["nets"][3]
    assert net4 == {"index": 4, "name": "DAC 0", "nodes": ["DAC_0", "ADC_0"], "special": "ADC", "voltage": 2.5}


def test_adc_channel_range(repl: RawRepl) -> None:
    _, stderr = repl.exec("adc_get(4)")
    assert stderr.endswith("ValueError: ADC channel must be 0-3\n")


# --- parts: dividers and pull-ups ---------------------------------------------------------------------------------


def test_voltage_divider_from_a_parts_file(make_board) -> None:  # type: ignore[no-untyped-def]
    board = make_board(resistor(10, 11, "4.7k", "R1") + resistor(11, 12, "10k", "R2"))
    with RawRepl(board.repl_path) as repl:
        values = floats(
            repl,
            "dac_set(TOP_RAIL, 5.0)\nconnect(TOP_RAIL, 10)\nconnect(ADC0, 11)\nprint(adc_get(0))\n"
            "connect(12, GND)\nprint(adc_get(0))",
        )
    assert values[0] == pytest.approx(5.0, abs=1e-3)  # no ground: no current, the row follows the rail
    assert values[1] == pytest.approx(5.0 * 10_000 / 14_700, abs=1e-3)  # 3.401


def test_resistors_on_rail_strips(make_board) -> None:  # type: ignore[no-untyped-def]
    board = make_board(resistor("TOP_RAIL", 25, "2k") + resistor(25, "GND", "3k"))
    with RawRepl(board.repl_path) as repl:
        values = floats(repl, "dac_set(TOP_RAIL, 2.5)\nconnect(25, ADC1)\nprint(adc_get(1))")
    assert values == pytest.approx([2.5 * 3 / 5], abs=1e-3)


def test_pull_up_and_pull_down_by_divider(make_board) -> None:  # type: ignore[no-untyped-def]
    board = make_board(resistor(5, "TOP_RAIL", "10k") + resistor(5, 6, "1k"))
    with RawRepl(board.repl_path) as repl:
        lines = repl.lines(
            "gpio_set_dir(1, INPUT)\nconnect(GPIO_1, 5)\nconnect(ADC0, 5)\nprint(gpio_get(1), adc_get(0))\n"
            "connect(6, GND)\nprint(gpio_get(1), adc_get(0))",
        )
    high, low = lines[0].split(), lines[1].split()
    assert high[0] == "HIGH"
    assert float(high[1]) == pytest.approx(3.3, abs=1e-3)
    assert low[0] == "LOW"
    assert float(low[1]) == pytest.approx(3.3 * 1_000 / 11_000, abs=1e-3)  # 0.3 V


def test_gpio_input_floating_and_internal_pulls(repl: RawRepl) -> None:
    lines = repl.lines(
        "gpio_set_dir(1, INPUT)\nprint(gpio_get(1))\n"
        "gpio_set_pull(1, 1)\nprint(gpio_get(1))\n"
        "gpio_set_pull(1, -1)\nprint(gpio_get(1))\n"
        "gpio_set_pull(1, 0)\nprint(gpio_get(1))\n"
        "gpio_set_read_floating(1, False)\nprint(gpio_get(1))\n"
        "print(gpio_get(2), int(gpio_get(2)), bool(gpio_get(2)))",
    )
    assert lines == ["FLOATING", "HIGH", "LOW", "FLOATING", "LOW", "FLOATING 2 False"]


def test_weak_internal_pull_loses_to_a_driven_net(repl: RawRepl) -> None:
    lines = repl.lines(
        "gpio_set_dir(1, INPUT)\ngpio_set_pull(1, 1)\nconnect(GPIO_1, 40)\nconnect(40, GND)\nprint(gpio_get(1))"
    )
    assert lines == ["LOW"]


def test_gpio_output_drives_an_adc(repl: RawRepl) -> None:
    values = floats(
        repl,
        "gpio_set_dir(1, True)\ngpio_set(1, True)\nconnect(GPIO_1, ADC0)\nprint(adc_get(0))\n"
        "gpio_set(1, False)\nprint(adc_get(0))\ngpio_set(1, 'HIGH')\nprint(adc_get(0))",
    )
    assert values[0] == pytest.approx(3.3, abs=0.01)
    assert values[1] == pytest.approx(0.0, abs=0.01)
    assert values[2] == pytest.approx(3.3, abs=0.01)


def test_gpio_output_into_a_load(make_board) -> None:  # type: ignore[no-untyped-def]
    board = make_board(resistor(40, "GND", "1k"))
    with RawRepl(board.repl_path) as repl:
        values = floats(
            repl, "gpio_set_dir(2, OUTPUT)\ngpio_set(2, 1)\nconnect(GPIO_2, 40)\nconnect(ADC1, 40)\nprint(adc_get(1))"
        )
    assert values == pytest.approx([3.3 * 1000 / (1000 + GPIO_OHMS)], abs=1e-3)


def test_gpio_output_read_back(repl: RawRepl) -> None:
    assert repl.lines(
        "gpio_set_dir(3, OUTPUT)\ngpio_set(3, HIGH)\nprint(gpio_get(3))\ngpio_set(3, LOW)\nprint(gpio_get(3))"
    ) == [
        "HIGH",
        "LOW",
    ]


# --- INA -----------------------------------------------------------------------------------------------------------


def test_ina_current_through_the_shunt(make_board) -> None:  # type: ignore[no-untyped-def]
    board = make_board(resistor(30, "GND", 100))
    with RawRepl(board.repl_path) as repl:
        values = floats(
            repl,
            "print(ina_get_current(0))\n"
            "dac_set(TOP_RAIL, 5.0)\nconnect(TOP_RAIL, ISENSE_PLUS)\nconnect(ISENSE_MINUS, 30)\n"
            "print(ina_get_current(0), ina_get_bus_voltage(0), ina_get_voltage(0), ina_get_power(0))\n"
            "print(ina_get_current(1))",
        )
    idle, current, bus, voltage, power, other = values
    assert idle == 0.0
    assert current == pytest.approx(5.0 / 102, abs=1e-5)
    assert bus == pytest.approx(5.0 * 100 / 102, abs=1e-3)
    assert voltage == bus  # ina_get_voltage returns the bus voltage too
    assert power == pytest.approx(current * bus, rel=1e-5)
    assert other == 0.0  # nothing is wired to INA 1


@pytest.mark.parametrize(
    "call", ["ina_get_current(2)", "ina_get_bus_voltage(-1)", "ina_get_power(5)", "ina_get_voltage(2)"]
)
def test_ina_sensor_range(repl: RawRepl, call: str) -> None:
    stdout, stderr = repl.exec(f"print({call})")
    assert stdout == ""
    assert stderr.endswith("ValueError: INA sensor must be 0 or 1\n")


def test_reads_are_deterministic(make_board) -> None:  # type: ignore[no-untyped-def]
    board = make_board(resistor(10, 11, "3.3k") + resistor(11, "GND", "6.8k"))
    with RawRepl(board.repl_path) as repl:
        repl.lines("dac_set(TOP_RAIL, 4.0)\nconnect(TOP_RAIL, 10)\nconnect(11, ADC0)\nconnect(11, ISENSE_PLUS)")
        code = "print(repr(adc_get(0)), repr(ina_get_current(0)), repr(ina_get_power(0)), gpio_get(1))"
        first, second = repl.lines(code), repl.lines(code)
    assert first == second
    assert float(first[0].split()[0]) == pytest.approx(4.0 * 6.8 / 10.1, abs=1e-3)


# --- parts files ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ohms"),
    [("10k", 10_000.0), ("4k7", 4_700.0), ("4.7k", 4_700.0), ("1M", 1e6), ("220R", 220.0), (330, 330.0),
     ("4R7", 4.7), (" 68 ", 68.0), ("2.2M", 2.2e6), (0.5, 0.5), ("100 ohm", 100.0)],
)  # fmt: skip
def test_parse_ohms(value: object, ohms: float) -> None:
    assert parse_ohms(value) == pytest.approx(ohms)


@pytest.mark.parametrize("value", ["abc", "", "10x", "4.7k7", 0, -5, "0", True, None, [10]])
def test_parse_ohms_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_ohms(value)


def test_load_parts(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(resistor(10, 11, "10k", "R1") + resistor("TOP_RAIL", "d13", 220) + resistor("GND", 60, "1M"))
    assert load_parts(path) == [
        Resistor("R1", 10, 11, 10_000.0),
        Resistor("R2", 101, 83, 220.0),
        Resistor("R3", 100, 60, 1e6),
    ]
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert load_parts(empty) == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (resistor(1, 2, "10k") + resistor(3, 4, "ten"), "resistor #2: cannot read resistance 'ten'"),
        (resistor(1, 2, "10k") + "[[resistor]]\nbetween = [3, 4]\nohms = 1\ncolour = 'red'\n",
         "resistor #2: unknown key(s) ['colour']"),
        (resistor(1, "DAC0", "1k"), "resistor #1: 'DAC0' is not a breadboard place"),
        (resistor(1, "GPIO_1", "1k"), "resistor #1: 'GPIO_1' is not a breadboard place"),
        (resistor(7, "7", "1k"), "resistor #1: both ends are on 7"),
        (resistor(1, "ROW_X", "1k"), "resistor #1: "),
        ("[[resistor]]\nbetween = [1]\nohms = 1\n", "resistor #1: 'between' must list exactly two places"),
        ("[[inductor]]\nbetween = [1, 2]\n", "unknown part kind(s) ['inductor']"),
        ("[[resistor]\n", ""),
    ],
)  # fmt: skip
def test_parts_file_errors_name_file_and_entry(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad_parts.toml"
    path.write_text(text)
    with pytest.raises(PartsFileError) as info:
        load_parts(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert fragment in message


def test_missing_parts_file(tmp_path: Path) -> None:
    with pytest.raises(PartsFileError, match=r"nope\.toml"):
        load_parts(tmp_path / "nope.toml")


# --- Circuit unit tests --------------------------------------------------------------------------------------------


def test_circuit_divider_and_floating_nodes() -> None:
    circuit = Circuit()
    circuit.fix("vcc", 9.0)
    circuit.fix("gnd", 0.0)
    circuit.resistor("vcc", "mid", 1_000)
    circuit.resistor("mid", "gnd", 2_000)
    circuit.resistor("island_a", "island_b", 10)
    voltages = circuit.solve()
    assert voltages["mid"] == pytest.approx(6.0)
    assert voltages["island_a"] is None
    assert voltages["island_b"] is None
    assert circuit.current(voltages, "vcc", "mid", 1_000) == pytest.approx(0.003)
    assert circuit.current(voltages, "island_a", "island_b", 10) == 0.0


def test_circuit_thevenin_sources_and_shorts() -> None:
    circuit = Circuit()
    circuit.source("pin", 3.3, 30.0)
    circuit.resistor("pin", "gnd", 300.0)
    circuit.fix("gnd", 0.0)
    circuit.fix("gnd", 5.0)  # a second, different ideal source: a short, the first wins
    voltages = circuit.solve()
    assert voltages["pin"] == pytest.approx(3.0)
    assert voltages["gnd"] == 0.0
    assert circuit.shorts == [("gnd", 0.0, 5.0)]
    with pytest.raises(ValueError):
        circuit.resistor("a", "b", 0)
