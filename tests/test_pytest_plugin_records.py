"""Measurement records (bench/records.py): limits, CSV and JSON Lines files with their metadata header, and the
records the measurement workflows make of their readings. The plugin's own use is in test_pytest_plugin.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware_api.versions import FirmwareVersion
from jumperless_mcp.bench.measure import ResistanceReading, VoltageReading
from jumperless_mcp.bench.records import FORMAT, Measurement, read, write
from jumperless_mcp.testing.selection import Requirement, SelectionError, clauses, parse_ports


def test_limits_decide_passed() -> None:
    assert Measurement("v", 3.3, "V").passed is None  # no limits: nothing to judge
    assert Measurement("v", 3.3, "V", low=3.2, high=3.4).passed is True
    assert Measurement("v", 3.5, "V", low=3.2, high=3.4).passed is False
    assert Measurement("v", 3.1, "V", low=3.2).passed is False
    assert Measurement("v", None, "ohm", high=100.0).passed is False  # nothing measured is not a pass
    assert Measurement("v", 3.5, "V", low=3.2, high=3.4).describe() == "v = 3.5 V (limits 3.2..3.4): FAIL"
    with pytest.raises(ValueError, match="low: 2 is above high 1"):
        Measurement("v", 1.0, "V", low=2, high=1)
    with pytest.raises(ValueError, match="name"):
        Measurement(" ", 1.0, "V")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_files_round_trip_with_one_metadata_header(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"run{suffix}"
    first = Measurement("vcc", 3.301, "V", time=1_700_000_000.25, board="bench", firmware="5.7.0.13", settle=0.05)
    second = Measurement("r1", None, "ohm", low=9e3, high=11e3, note="open")
    write(path, [first], {"station": "desk 3"})
    write(path, [second], {"station": "ignored: the file has its header"})
    metadata, got = read(path)
    assert metadata["format"] == FORMAT and metadata["station"] == "desk 3" and "created" in metadata
    assert got == [first, second]
    text = path.read_text()
    assert text.count("desk 3") == 1 and "ignored" not in text
    if suffix == ".jsonl":
        lines = [json.loads(line) for line in text.splitlines()]
        assert list(lines[0]) == ["metadata"] and lines[1]["iso_time"] == "2023-11-14T22:13:20.250+00:00"
        assert lines[2]["passed"] is False
    else:
        assert text.splitlines()[4].startswith("name,value,units,time,board,firmware,settle,low,high,note")


def test_an_unknown_file_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"path: records are written as \.csv or \.jsonl"):
        write(tmp_path / "run.txt", [])
    assert not (tmp_path / "run.txt").exists()


def test_readings_become_records() -> None:
    volts = VoltageReading("ROW_20", "ADC1", 2.0, 1.99, 2.01, 0.004, 16, 0.05)
    record = volts.record(low=1.9, high=2.1, board="bench")
    assert (record.name, record.value, record.units, record.settle, record.passed) == ("ROW_20", 2.0, "V", 0.05, True)
    short = ResistanceReading("ROW_3", "ROW_4", 998.0, False, 1e5, 1.0, 1e-3, 0.998)
    assert short.record("r1", low=990, high=1010).passed is True
    open_ = ResistanceReading("ROW_3", "ROW_4", None, True, 1e5, 5.0, 0.0)
    assert (open_.record().name, open_.record().value, open_.record().note) == ("ROW_3-ROW_4", None, "open")
    above = ResistanceReading("ROW_3", "ROW_4", None, False, 1e5, 5.0, 1e-6)
    assert above.record().note == "above 100000 ohm"


def test_port_lists_and_firmware_requirements() -> None:
    assert parse_ports(["emulator", "bench=/dev/ttyACM0", "socket://h:1?x=1"]) == {
        "board1": "emulator",
        "bench": "/dev/ttyACM0",
        "board3": "socket://h:1?x=1",
    }
    v57 = FirmwareVersion.parse("5.7.0.13")
    assert [text for text, test in clauses(">=5.7, <=5.7, 5.7, !=5.7.5, <6") if test(v57)] == [
        ">=5.7",
        "<=5.7",
        "==5.7",
        "!=5.7.5",
        "<6",
    ]
    assert not any(test(v57) for _, test in clauses("<5.7,>5.7,==5.3.2.4"))
    assert Requirement(firmware=">=5.6").unmet(FirmwareVersion.parse("5.3.2.4"), None) == (
        "needs firmware >=5.6; the board runs 5.3.2.4 (fails >=5.6)"
    )
    assert Requirement(persona="legacy").unmet(FirmwareVersion.parse("5.3.2.4"), None) is None
    assert "this is a real board" in str(Requirement(persona="jumperlos-upstream").unmet(v57, None))
    with pytest.raises(SelectionError, match="persona 'jumperlo' is not one of jumperlos, legacy"):
        Requirement.from_marker((), {"persona": "jumperlo"})
    with pytest.raises(SelectionError, match="only the keywords firmware, persona and board"):
        Requirement.from_marker((), {"fw": "5.7"})
