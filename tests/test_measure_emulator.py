"""The virtual board's model for the measurement workflows: a diode part (Shockley, solved by Newton's method in
the DC solver and linearised per frame in the time model), and INA0 quantised as the firmware configures it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from serial_clients import RawRepl

from jumperless_mcp.emulator.circuit import Circuit
from jumperless_mcp.emulator.electrical import INA_CALIBRATION, INA_CURRENT_LSB, ina219_reading
from jumperless_mcp.emulator.parts import Diode, PartsFileError, parse_parts


def test_a_diode_in_series_with_a_resistor_solves_to_shockley() -> None:
    diode = Diode("D", 1, 2, vf=0.65, emission=1.8)
    circuit = Circuit()
    circuit.fix("in", 5.0)
    circuit.fix("gnd", 0.0)
    circuit.diode("in", "k", diode.saturation_amps, diode.emission)
    circuit.resistor("k", "gnd", 1000.0)
    volts = circuit.solve()
    amps = volts["k"] / 1000.0  # type: ignore[operator]
    across = 5.0 - volts["k"]  # type: ignore[operator]
    assert amps == pytest.approx(diode.saturation_amps * math.expm1(across / (1.8 * 0.025852)), rel=1e-6)
    assert 0.65 < across < 0.8 and amps == pytest.approx((5.0 - across) / 1000.0)


def test_a_reversed_diode_blocks_and_a_diode_alone_floats() -> None:
    circuit = Circuit()
    circuit.fix("in", 5.0)
    circuit.fix("gnd", 0.0)
    circuit.diode("k", "in", 1e-12, 1.0)  # cathode at +5 V: reverse biased
    circuit.resistor("k", "gnd", 1000.0)
    assert abs(circuit.solve()["k"]) < 1e-6  # type: ignore[arg-type]
    lonely = Circuit()
    lonely.fix("gnd", 0.0)
    lonely.diode("x", "y", 1e-12, 1.0)
    assert lonely.solve()["x"] is None


def test_diode_parts_file_entries() -> None:
    parts = parse_parts({"diode": [{"between": [21, 20]}, {"name": "LED", "between": [5, "GND"], "vf": 1.9, "n": 2}]})
    assert parts[0] == Diode("D1", 21, 20, 0.65, 1.8)
    assert parts[1].name == "LED" and parts[1].vf == 1.9 and parts[1].b == 100
    assert parts[0].saturation_amps * math.expm1(0.65 / (1.8 * 0.025852)) == pytest.approx(1e-3)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"between": [1, 2], "vf": 9}, "'vf' must be a number from 0.05 to 5"),
        ({"between": [1, 2], "n": "2"}, "'n' must be a number"),
        ({"between": [1, 2], "ohms": 3}, "unknown key(s) ['ohms']"),
        ({"between": [1]}, "exactly two places"),
    ],
)
def test_diode_parts_file_errors(entry: dict, fragment: str) -> None:
    with pytest.raises(PartsFileError, match="diode #1") as caught:
        parse_parts({"diode": [entry]})
    assert fragment in str(caught.value)


def test_ina219_quantised_as_the_firmware_configures_it() -> None:
    assert INA_CALIBRATION == 671 and pytest.approx(30.5e-6, rel=1e-3) == INA_CURRENT_LSB
    amps, shunt = ina219_reading(2.0 * 1e-3)  # 1 mA through the 2 ohm shunt
    assert shunt == pytest.approx(2e-3) and amps == 32 * INA_CURRENT_LSB  # truncated: 0.977 mA
    assert ina219_reading(2.0 * 10e-6)[0] == 0.0  # 10 uA is below one step
    assert ina219_reading(-2.0 * 5e-3)[0] == pytest.approx(-5e-3, abs=INA_CURRENT_LSB)
    assert ina219_reading(1.0)[1] == pytest.approx(0.32)  # the PGA's +-320 mV clips


def test_diode_on_the_board_through_the_repl(make_board) -> None:  # type: ignore[no-untyped-def]
    parts = Path(__file__).parent / "data" / "measure_parts.toml"
    board = make_board(parts.read_text())
    with RawRepl(board.repl_path) as repl:
        stdout, stderr = repl.exec(
            "connect(DAC1, 21)\nconnect(20, ADC0)\nconnect(20, 10)\n"
            "connect(11, ISENSE_PLUS)\nconnect(ISENSE_MINUS, GND)\n"
            "dac_set(DAC1, 2.0)\nprint(adc_get(0), ina_get_current(0))\n"
            "dac_set(DAC1, -2.0)\nprint(adc_get(0), ina_get_current(0))"
        )
    assert stderr == ""
    (fwd_v, fwd_i), (rev_v, rev_i) = [map(float, line.split()) for line in stdout.splitlines()]
    # 100 ohm and the shunt in series: ~12.5 mA, so vf (0.65 V at 1 mA) plus n*Vt*ln(12.5)
    assert 2.0 - fwd_v == pytest.approx(0.65 + 1.8 * 0.025852 * math.log(fwd_v / 102.0 / 1e-3), abs=1e-3)
    assert fwd_i == pytest.approx(fwd_v / 102.0, abs=INA_CURRENT_LSB)
    assert abs(rev_v) < 1e-6 and rev_i == 0.0


async def test_a_diode_rectifies_the_generator_in_the_time_model(make_board) -> None:  # type: ignore[no-untyped-def]
    from jumperless_mcp import Board

    parts = Path(__file__).parent / "data" / "measure_parts.toml"
    vboard = make_board(parts.read_text())  # diode anode 21 cathode 20; 100 ohm rows 10-11
    async with Board(vboard.info()) as board:
        async with board.batch() as batch:
            batch.wavegen_set_output(0)
            batch.wavegen_set_wave(3)  # square, +-2 V
            batch.wavegen_set_freq(50.0)
            batch.wavegen_set_amplitude(4.0)
            batch.wavegen_set_offset(0.0)
            batch.wavegen_start()
        for a, b in (("DAC0", 21), (20, 10), (11, "GND"), (20, "ADC0")):
            assert (await board.connect(a, b)).ok
        capture = await board.capture([0], rate=2000, samples=120)
        await board.call("wavegen_stop")
    volts = capture.samples["ADC0"]
    assert min(volts) == pytest.approx(0.0, abs=1e-3)  # reverse half: the diode blocks
    assert max(volts) == pytest.approx(2.0 - (0.65 + 1.8 * 0.025852 * math.log(max(volts) / 100 / 1e-3)), abs=0.01)
