"""docs/api.md, the `Board` API reference, is what `tools/api_reference.py` generates now, and says the right things.

Like the README's tool table (tests/test_readme.py): a method added to the catalog or to `Board`, or a tool that
starts using a method, makes the checked-in file stale and this test fail until it is regenerated.
"""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from jumperless_mcp.bench.board import GENERATED, Board
from jumperless_mcp.tools import ALL_TOOLS

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "tools" / "api_reference.py"
DOC = ROOT / "docs" / "api.md"


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_reference", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(member: str) -> str:
    text = DOC.read_text()
    rows = [line for line in text.splitlines() if line.startswith(("| `await board.", "| `board.", "| `Board."))]
    found = [row for row in rows if row.split("`")[1].split("(")[0].rsplit(".", 1)[1] == member]
    assert len(found) == 1, f"{member}: {len(found)} rows"
    return found[0]


def test_docs_api_md_is_current() -> None:
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, "run `python tools/api_reference.py`:\n" + done.stdout[-3000:] + done.stderr[-2000:]


def test_every_board_member_has_one_row() -> None:
    members = [name for name in dir(Board) if not name.startswith("_")]
    assert len(members) > 190
    for member in members:
        _row(member)


def test_rows_say_signature_returns_firmware_and_tool() -> None:
    dac = _row("dac_set")
    assert "`await board.dac_set(channel: int \\| str, voltage: float, save: bool = True, *, timeout:" in dac
    assert "| None | all | `dac_set`" in dac
    assert "JumperlOS (5.6+), 5.7.11 or later" in _row("bg_active")
    assert "| all |" in _row("arduino_reset") and "JumperlOS (5.6+) |" in _row("check_switch_position")
    assert "| VoltageReading | all | `measure` |" in _row("measure")
    assert "get_net_current` (JumperlOS" in _row("net_currents")  # a workflow's firmware, from what it calls
    assert "| `capture` |" in _row("capture")
    assert "| property |" not in _row("firmware") and "str \\| None" in _row("firmware")


def test_every_firmware_tool_is_listed_beside_its_method(reference: ModuleType) -> None:
    """A tool that is one firmware function (firmware_tool) appears in that function's row."""
    by_method = reference.tools_by_method()
    checked = 0
    for spec in ALL_TOOLS:
        names = inspect.getclosurevars(spec.run).nonlocals
        function = names.get("function")
        if isinstance(function, str) and "entry" in names:
            method = reference.ALIASES[function]
            assert spec.name in by_method[method], (spec.name, method)
            assert f"`{spec.name}`" in _row(method)
            checked += 1
    assert checked >= 1
    assert set(GENERATED) <= set(reference.ENTRIES)
