"""`jumperless-mcp emulate` end to end: the JSON line, a stock mpremote on the REPL port, clean shutdown."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

MPREMOTE = [sys.executable, "-m", "mpremote"]


def start_emulator(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jumperless_mcp", "emulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict]]:
    parts = tmp_path / "parts.toml"
    parts.write_text(
        '[[resistor]]\nbetween = [10, 11]\nohms = "10k"\n\n[[resistor]]\nbetween = [11, "GND"]\nohms = "10k"\n'
    )
    process = start_emulator("--parts", str(parts), "--fs-dir", str(tmp_path / "fs"))
    info = json.loads(process.stdout.readline())  # type: ignore[union-attr]
    yield process, info
    if process.poll() is None:
        process.kill()
        process.wait()


def mpremote(port: str, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MPREMOTE, "connect", port, *command], capture_output=True, text=True, timeout=30)


def test_emulate_prints_one_json_line_then_serves_until_interrupted(emulator) -> None:  # type: ignore[no-untyped-def]
    process, info = emulator
    assert set(info) == {"main", "repl", "aux", "persona", "firmware", "time_scale"}
    assert info["persona"] == "jumperlos" and info["firmware"].startswith("5.7.")
    assert Path(info["main"]).exists() and Path(info["repl"]).exists()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == ""  # nothing but the JSON line ever goes to stdout
    assert "virtual Jumperless V5" in err


def test_stock_mpremote_executes_code_on_the_repl_port(emulator) -> None:  # type: ignore[no-untyped-def]
    _, info = emulator
    result = mpremote(info["repl"], "exec", "print(adc_get(0))")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0.0\n"
    # the parts file's 10k/10k divider, driven from the top rail through a bridge
    result = mpremote(
        info["repl"], "exec", "dac_set(TOP_RAIL, 5.0)\nconnect(TOP_RAIL, 10)\nconnect(11, ADC0)\nprint(adc_get(0))"
    )
    assert result.stdout == "2.5\n", result.stderr


def test_stock_mpremote_runs_a_script_and_reports_errors(emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, info = emulator
    script = tmp_path / "blink.py"
    script.write_text("total = 0\nfor i in range(5):\n    total += i\nprint('total', total)\n")
    result = mpremote(info["repl"], "run", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "total 10\n"
    result = mpremote(info["repl"], "exec", "adc_get(7)")
    assert result.returncode == 1
    assert "ValueError: ADC channel must be 0-3" in result.stdout + result.stderr


def test_stock_mpremote_filesystem_commands(emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, info = emulator
    local = tmp_path / "notes.txt"
    local.write_text("hello from the bench\n")
    assert mpremote(info["repl"], "fs", "cp", str(local), ":notes.txt").returncode == 0
    listing = mpremote(info["repl"], "fs", "ls")
    assert "notes.txt" in listing.stdout
    assert mpremote(info["repl"], "fs", "cat", ":notes.txt").stdout == "hello from the bench\n"


def test_legacy_persona_has_no_repl_port() -> None:
    process = start_emulator("--persona", "legacy")
    try:
        info = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        assert info["firmware"] == "5.3.2.4" and info["persona"] == "legacy"
        assert info["repl"] is not None  # 5.3.x CDC2 is the logic analyzer ("JL Logic Analyzer"), not a REPL
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_bad_parts_file_is_reported_on_stderr(tmp_path: Path) -> None:
    parts = tmp_path / "bad.toml"
    parts.write_text('[[resistor]]\nbetween = [10, 10]\nohms = "10k"\n')
    process = start_emulator("--parts", str(parts))
    out, err = process.communicate(timeout=10)
    assert process.returncode == 2
    assert out == ""
    assert "bad.toml" in err and "resistor #1" in err
