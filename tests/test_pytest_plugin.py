"""The pytest plugin, as a user meets it: `python -m pytest` in a subprocess on a temporary directory, with the
plugin loaded through its `pytest11` entry point (the installed package), against the virtual board.

The subprocess inherits this session's isolated environment (conftest.py: no JUMPERLESS_* variables, its own
lock directory), so a board is configured only where a test says so.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

from jumperless_mcp.bench import records

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "test_bench_example.py"
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def run_pytest(where: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pytest in `where` as its own project (its own pytest.ini, not this repository's settings)."""
    (where / "pytest.ini").write_text(INI)
    (where / EXAMPLE.name).write_text(EXAMPLE.read_text())
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-rs", *args]
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    environment = {**inherited, **(env or {})}
    return subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=120, env=environment)


def outcome(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    last = result.stdout.strip().splitlines()[-1]
    return {word: int(count) for count, word in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", last)}


def properties(junit: Path) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        found[case.get("name", "")] = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    return found


def test_the_plugin_is_a_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("jumperless") == "jumperless_mcp.testing.plugin"


def test_the_example_passes_on_the_emulator_and_records_into_junit_xml(tmp_path: Path) -> None:
    csv_file = tmp_path / "measurements.csv"
    result = run_pytest(
        tmp_path,
        EXAMPLE.name,
        "--jumperless-port",
        "emulator",
        "--junitxml",
        str(tmp_path / "junit.xml"),
        "--jumperless-records",
        str(csv_file),
    )
    assert outcome(result) == {"passed": 5, "skipped": 1}, result.stdout + result.stderr
    assert "jumperless: board1=emulator" in result.stdout  # the report header
    # the legacy-only test is skipped at its own line, with the reason
    assert re.search(r"SKIPPED \[1\] \S*test_bench_example.py:\d+: board1: needs the legacy persona", result.stdout)
    props = properties(tmp_path / "junit.xml")["test_dac_drives_a_row"]
    assert abs(float(props["row20_volts"]) - 2.0) < 0.1
    assert props["row20_volts.units"] == "V"
    assert (props["row20_volts.low"], props["row20_volts.high"], props["row20_volts.passed"]) == ("1.9", "2.1", "True")
    assert properties(tmp_path / "junit.xml")["test_rows_left_apart_read_open"]["row30_row31_ohms"] == "none"
    metadata, rows = records.read(csv_file)
    assert metadata["format"] == records.FORMAT and "board1" in metadata["boards"]
    assert [r.name for r in rows] == ["row20_volts", "row30_row31_ohms"]
    assert rows[0].board == "board1" and rows[0].firmware.startswith("5.7") and rows[0].passed is True
    assert rows[1].value is None and rows[1].note


def test_without_a_board_every_board_test_skips_with_the_reason(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, EXAMPLE.name)
    assert outcome(result) == {"skipped": 6}, result.stdout + result.stderr
    assert result.returncode == 0
    assert result.stdout.count("no Jumperless configured: give --jumperless-port TARGET") == 6
    assert "JUMPERLESS_PORT" in result.stdout


USER_TESTS = """
import pytest

@pytest.mark.jumperless(firmware="<5.6")
def test_needs_old_firmware(jumperless):
    raise AssertionError("must be skipped on 5.7")

@pytest.mark.jumperless(firmware=">=5.7,<5.8", persona="jumperlos")
def test_needs_57(jumperless):
    assert jumperless.firmware.startswith("5.7")

@pytest.mark.jumperless(persona="jumperlos-upstream")
def test_needs_upstream():
    raise AssertionError("must be skipped: board1 is the jumperlos persona")

@pytest.mark.jumperless(board="bench2")
def test_needs_a_board_not_given():
    raise AssertionError("must be skipped")

@pytest.mark.jumperless(firmware="five")
def test_bad_requirement():
    pass

def test_two_boards_by_name(jumperless_boards):
    assert list(jumperless_boards) == ["board1", "up"]
    assert jumperless_boards["board1"].target == "emulator"
    assert jumperless_boards["up"].board.virtual_board is not jumperless_boards["board1"].board.virtual_board

def test_dirty(jumperless_clean):
    jumperless_clean.connect(40, 41)
    jumperless_clean.dac_set("DAC0", 2.5)

def test_cleaned_up(jumperless):
    assert not jumperless.is_connected(40, 41)
    assert abs(jumperless.dac_get("DAC0")) < 0.01

def test_plain_record(jumperless_record):
    m = jumperless_record(3.0, "gain", units="dB", low=3.5, check=False)
    assert m.passed is False
    jumperless_record(4.0, "gain2", units="dB", low=3.5, check=True)
"""


def test_marker_skips_on_a_mismatch_and_fixtures_work_together(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    ports = ["--jumperless-port", "emulator", "--jumperless-port", "up=emulator:jumperlos-upstream"]
    result = run_pytest(tmp_path, "test_user.py", "-W", "error::pytest.PytestUnknownMarkWarning", "-v", *ports)
    text = result.stdout
    assert outcome(result) == {"passed": 5, "error": 1, "skipped": 3}, text + result.stderr
    assert re.search(r"test_user.py:\d+: board1: needs firmware <5.6; the board runs 5\.7\.\S+ \(fails <5.6\)", text)
    assert "board1: needs the jumperlos-upstream persona; the virtual board is jumperlos" in text
    assert "needs the Jumperless 'bench2'; configured: board1, up" in text
    assert "ERROR at setup of test_bad_requirement" in text and "During handling" not in text
    assert "firmware 'five' is not understood" in text


def test_a_bad_port_is_a_usage_error_naming_the_option(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    result = run_pytest(tmp_path, "--jumperless-port", "emulatr", "test_nothing.py")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "emulator" in result.stderr and "port" in result.stderr
    result = run_pytest(tmp_path, "--jumperless-port", "a=emulator", "--jumperless-port", "a=emulator")
    assert result.returncode == 4 and "the name 'a' is given twice" in result.stderr


INERT_CONFTEST = """
import pytest

@pytest.fixture
def jos_board():
    return "ours"
"""
INERT_TESTS = """
import sys

def test_our_own_fixture(jos_board):
    assert jos_board == "ours"

def test_no_board_was_opened():
    assert "jumperless_mcp.bench.board" not in sys.modules  # the host is loaded only to open a board
    assert "jumperless_mcp.emulator" not in sys.modules
"""


def test_the_plugin_is_inert_when_no_test_asks_for_a_board(tmp_path: Path) -> None:
    """A developer's JUMPERLESS_PORT (even a wrong one) changes nothing for tests that use no jumperless fixture."""
    (tmp_path / "conftest.py").write_text(INERT_CONFTEST)
    (tmp_path / "test_ours.py").write_text(INERT_TESTS)
    result = run_pytest(tmp_path, "test_ours.py", "-W", "error", env={"JUMPERLESS_PORT": "not-a-port"})
    assert outcome(result) == {"passed": 2}, result.stdout + result.stderr


def test_jumperless_port_in_the_environment_configures_the_board(tmp_path: Path) -> None:
    (tmp_path / "test_env.py").write_text(
        "def test_env_board(jumperless):\n    assert (jumperless.name, jumperless.target) == ('board1', 'emulator')\n"
    )
    result = run_pytest(tmp_path, "test_env.py", env={"JUMPERLESS_PORT": "emulator"})
    assert outcome(result) == {"passed": 1}, result.stdout + result.stderr
