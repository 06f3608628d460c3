"""Measurement workflows through `Board` on virtual boards behind real ptys (issue 17 section 1, done-when):
resistance within 2 % (or the range limit stated), continuity, diode test, I-V slope, the board left as it was,
also when a step fails part-way or the call is cancelled."""

from __future__ import annotations

import io
from pathlib import Path

import anyio
import pytest
from PIL import Image

from firmware_api import nodes
from firmware_api.errors import ArgumentError, UnsupportedByFirmware
from jumperless_mcp import Board
from jumperless_mcp.bench.measure_fixture import MeasureError

PARTS = (Path(__file__).parent / "data" / "measure_parts.toml").read_text()
# tests/data/measure_parts.toml: 100 ohm rows 10-11, 4.7k 12-13, 1M 14-15, 10 ohm 16-17, diode anode 21 cathode 20


def board_state(vboard) -> tuple[list, dict]:  # type: ignore[no-untyped-def]
    with vboard.model.lock:
        return sorted((b.a, b.b) for b in vboard.model.netlist.bridges), dict(vboard.model.power)


@pytest.fixture
def parts_board(make_board):  # type: ignore[no-untyped-def]
    return make_board(PARTS)


async def test_resistors_within_two_percent_and_the_range_limit_stated(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        await board.connect(30, 31)  # the person's own bridge: must stay
        await board.dac_set(1, 1.5, False)  # DAC1 has no bridge: borrowed, then put back to 1.5 V
        before = board_state(parts_board)
        r100 = await board.measure_resistance(10, 11)
        r4k7 = await board.measure_resistance("12", "13")
        r1m = await board.measure_resistance(14, 15)
        after = board_state(parts_board)
    assert r100.ohms == pytest.approx(100, rel=0.02) and r4k7.ohms == pytest.approx(4700, rel=0.02)
    assert r1m.ohms is None and r1m.open and r1m.range_limit_ohms == pytest.approx(5.0 / 0.000762939, rel=1e-3)
    assert "range limit" in r1m.note and r1m.test_volts == 5.0
    assert after == before and after[1]["dac1"] == pytest.approx(1.5)
    assert r100.changes.connected[:2] == (("DAC1", "ISENSE_PLUS"), ("ISENSE_MINUS", "10"))
    assert r100.changes.restored[0] == "DAC1 back to 1.5 V" and len(r100.changes.restored) == 6
    assert r100.test_volts == 1.0 and r4k7.test_volts == 5.0  # the ladder stopped once the current sufficed
    assert [p.dac_volts for p in r4k7.ladder] == [0.1, 0.3, 1.0, 3.0, 5.0]


async def test_a_higher_test_voltage_widens_the_range(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        reading = await board.measure_resistance(12, 13, max_volts=8.0)
        low = await board.measure_resistance(12, 13, max_volts=2.0)
    assert reading.ohms == pytest.approx(4700, rel=0.02) and reading.range_limit_ohms > 10_000
    assert low.ohms is None and low.above_range and not low.open and "range limit" in low.note


async def test_continuity_tells_ten_ohms_from_an_open(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        short = await board.continuity(16, 17)
        open_ = await board.continuity(40, 41)
        far = await board.continuity(10, 11, threshold_ohms=50)
    assert short.connected and short.ohms == pytest.approx(10, rel=0.02)
    assert not open_.connected and open_.ohms is None and open_.reading.open
    assert not far.connected and far.ohms == pytest.approx(100, rel=0.02)


async def test_diode_forward_voltage_and_direction_either_way_round(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        before = board_state(parts_board)
        forward = await board.diode_test(21, 20)
        backward = await board.diode_test(20, 21)
        resistor = await board.diode_test(10, 11)
        after = board_state(parts_board)
    for result in (forward, backward):
        assert result.found and (result.anode, result.cathode) == ("21", "20")
        assert result.forward_volts == pytest.approx(0.65, abs=0.02)  # the part's vf at 1 mA
        assert result.reverse_amps is not None and result.reverse_amps < 1e-4
    assert not resistor.found and "both ways" in resistor.verdict
    assert after == before


async def test_iv_sweep_of_a_resistor_is_a_straight_line_with_its_slope(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        sweep = await board.iv_sweep(10, 11, start=-2.0, stop=2.0, steps=11)
        diode = await board.iv_sweep(21, 20, start=0.0, stop=1.0, steps=6, max_amps=0.01)
    assert len(sweep.points) == 11 and sweep.fit is not None
    assert sweep.fit.ohms == pytest.approx(100, rel=0.02) and sweep.fit.r_squared > 0.9999
    image = Image.open(io.BytesIO(sweep.png()))
    assert image.size[0] <= 1200 and image.size[1] <= 600 and len(sweep.png()) < 100_000
    assert diode.note.startswith("stopped at") and diode.points[-1].amps > 0.01  # the current cap ends it
    assert diode.fit is not None and diode.fit.r_squared < 0.99  # a diode is no straight line


async def test_a_refused_bridge_part_way_restores_what_was_done(parts_board) -> None:  # type: ignore[no-untyped-def]
    parts_board.block_path(nodes.ADC1, 11)  # the firmware finds no path for the fifth bridge
    async with Board(parts_board.info()) as board:
        await board.dac_set(1, -0.5, False)
        before = board_state(parts_board)
        with pytest.raises(MeasureError, match="refused the bridge ADC1-11"):
            await board.measure_resistance(10, 11)
        assert board_state(parts_board) == before


async def test_a_failure_mid_ladder_restores_the_board(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        before = board_state(parts_board)
        original = board.batch
        runs = {"n": 0}

        def failing_batch():  # type: ignore[no-untyped-def]
            batch = original()
            real_run = batch.run

            async def run(*args, **kwargs):  # type: ignore[no-untyped-def]
                runs["n"] += 1
                if runs["n"] == 4:  # a ladder step, with the DAC already driving the part
                    raise RuntimeError("injected failure")
                return await real_run(*args, **kwargs)

            batch.run = run
            return batch

        board.batch = failing_batch  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="injected"):
            await board.measure_resistance(10, 11)
        board.batch = original  # type: ignore[method-assign]
        assert board_state(parts_board) == before


async def test_a_cancelled_sweep_restores_the_board(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        await board.dac_set(1, 0.7, False)
        before = board_state(parts_board)
        with anyio.move_on_after(0.15) as scope:
            await board.iv_sweep(10, 11, start=-1, stop=1, steps=200, settle=0.05)
        assert scope.cancelled_caught
        assert board_state(parts_board) == before
        assert (await board.measure_resistance(10, 11)).ohms == pytest.approx(100, rel=0.02)  # still usable


async def test_instruments_in_use_are_not_borrowed(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        await board.connect(nodes.ISENSE_PLUS, 40)
        with pytest.raises(MeasureError, match="INA0"):
            await board.measure_resistance(10, 11)
        await board.disconnect(nodes.ISENSE_PLUS, 40)
        for adc in (nodes.ADC0, nodes.ADC1, nodes.ADC2, nodes.ADC3):
            await board.connect(adc, 50)
        before = board_state(parts_board)
        with pytest.raises(MeasureError, match="free ADC"):
            await board.measure(10)
        assert board_state(parts_board) == before


async def test_bad_arguments_are_refused_before_anything_is_sent(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        before = board_state(parts_board)
        cases = [
            (board.measure_resistance(10, 10), "b"),
            (board.measure_resistance("TOP_RAIL", 10), "a"),
            (board.measure_resistance(10, "ROW99"), "b"),
            (board.measure_resistance(10, 11, max_volts=9.0), "max_volts"),
            (board.iv_sweep(10, 11, start=1.0, stop=1.0), "stop"),
            (board.iv_sweep(10, 11, steps=1), "steps"),
            (board.measure(10, samples=0), "samples"),
            (board.diode_test(10, 11, max_volts=0.0), "max_volts"),
        ]
        for call, parameter in cases:
            with pytest.raises(ArgumentError) as caught:
                await call
            assert caught.value.parameter == parameter
        assert board_state(parts_board) == before


async def test_measure_a_node_voltage(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        await board.dac_set(0, 2.0, False)
        await board.connect(nodes.DAC0, 10)
        await board.connect(11, nodes.GND)
        reading = await board.measure(10, samples=5, settle=0.0, adc=2)
        floating = await board.measure(45, samples=3, settle=0.0)
    assert reading.mean == pytest.approx(2.0, abs=1e-3) and reading.adc == "ADC2" and reading.samples == 5
    assert reading.stdev == pytest.approx(0.0, abs=1e-6) and reading.units == "V"
    assert reading.changes.connected == (("ADC2", "10"),) and reading.changes.restored == ("removed ADC2-10",)
    assert floating.mean == 0.0  # an undriven net reads 0 V, as adc_get does


async def test_identify_part_on_the_host_says_so(parts_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        diode = await board.identify_part(20, 21)
        resistor = await board.identify_part(12, 13)
        short = await board.identify_part(16, 17)
        open_ = await board.identify_part(40, 41)
    assert diode.kind == "diode" and diode.anode == "21" and diode.how == "host tests"
    assert "no part_identify" in diode.notes[0]
    assert resistor.kind == "resistor" and resistor.ohms == pytest.approx(4700, rel=0.02)
    assert short.kind == "resistor" and short.ohms == pytest.approx(10, rel=0.02)  # 10 ohm is above SHORT_OHMS
    assert open_.kind == "open"


async def test_identify_part_falls_back_when_the_firmware_cannot(make_board) -> None:  # type: ignore[no-untyped-def]
    vboard = make_board(PARTS, persona="jumperlos-upstream")
    async with Board(vboard.info()) as board:
        ident = await board.identify_part(10, 11)
        nano = await board.identify_part(10, "D5")
    assert ident.kind == "resistor" and ident.how == "host tests"
    assert "part_identify failed" in ident.notes[0]
    assert "rows only" in nano.notes[0]


async def test_net_currents_needs_the_scan(parts_board, make_board) -> None:  # type: ignore[no-untyped-def]
    async with Board(parts_board.info()) as board:
        with pytest.raises(UnsupportedByFirmware, match=r"5\.7\.5"):
            await board.net_currents()
    vboard = make_board(PARTS, persona="jumperlos-5.7.5")
    async with Board(vboard.info()) as board:
        await board.dac_set(0, 2.0, False)
        await board.connect(nodes.DAC0, 10)
        await board.connect(11, nodes.GND)
        scan = await board.net_currents()
    assert scan["scanned"]
    currents = [n["current_mA"] for n in scan["nets"] if n["current_mA"]]
    assert any(abs(c) == pytest.approx(20.0, rel=0.01) for c in currents), scan
    assert any(p["current_mA"] is not None and abs(p["current_mA"]) == pytest.approx(20.0, rel=0.01)
               for p in scan["paths"])  # fmt: skip


async def test_on_legacy_firmware_too(make_board) -> None:  # type: ignore[no-untyped-def]
    vboard = make_board(PARTS, persona="legacy")
    async with Board(vboard.info()) as board:
        await board.connect(30, 31)  # saved to the slot file, as the host's connect does on 5.3.x
        before = board_state(vboard), list(vboard.model.slots[vboard.model.current_slot].bridges)
        reading = await board.measure_resistance(16, 17, max_volts=1.0)
        after = board_state(vboard), list(vboard.model.slots[vboard.model.current_slot].bridges)
    assert reading.ohms == pytest.approx(10, rel=0.02)
    assert after == before  # the bridges in RAM and in the slot file (the measurement's were saved, then removed)
