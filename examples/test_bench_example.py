"""A bench test suite for the jumperless pytest plugin (installed with jumperless-mcp).

    pytest examples/test_bench_example.py --jumperless-port emulator      # the virtual board
    pytest examples/test_bench_example.py --jumperless-port /dev/ttyACM0  # a real board (or JUMPERLESS_PORT)
    pytest examples/test_bench_example.py                                 # no board: every test skips

The `jumperless` fixture is one connected board for the whole session; its methods are the `Board` methods,
called without `await`. `jumperless_clean` is the same board, snapshotted before the test and put back
(safe state, then the snapshot) after it. `jumperless_record` puts a measurement into the report (JUnit XML
properties with `--junitxml`) and, with `--jumperless-records out.csv`, into a file.
"""

from __future__ import annotations

import pytest


def test_board_answers(jumperless):
    assert jumperless.firmware  # e.g. "5.7.0.13"
    assert jumperless.ping().connected


def test_dac_drives_a_row(jumperless_clean, jumperless_record):
    board = jumperless_clean
    assert board.connect("DAC1", 20).ok  # verified: read back from the board
    board.dac_set("DAC1", 2.0)
    reading = board.measure(20, samples=8, settle=0.01)  # a free ADC is bridged to row 20, then unbridged
    jumperless_record(reading, "row20_volts", low=1.9, high=2.1, check=True)  # fails the test when outside


def test_rows_left_apart_read_open(jumperless_clean, jumperless_record):
    reading = jumperless_clean.measure_resistance(30, 31, max_volts=1.0)
    jumperless_record(reading, "row30_row31_ohms")
    assert reading.open


def test_batch_runs_in_one_round_trip(jumperless_clean):
    with jumperless_clean.batch() as batch:
        setpoint = batch.dac_set("DAC0", 1.25)
        readback = batch.dac_get("DAC0")
    assert setpoint.done and abs(readback.value - 1.25) < 0.01


@pytest.mark.jumperless(firmware=">=5.6")
def test_state_document_on_jumperlos(jumperless):
    state = jumperless.get_state()
    assert "nets" in state


@pytest.mark.jumperless(persona="legacy")
def test_only_on_legacy_firmware(jumperless):
    assert jumperless.firmware.startswith("5.")  # skipped on JumperlOS (5.6 and later) with the reason
