"""`Board` methods an editor and a type checker can see: the generated `jumperless_mcp/bench/board_methods.py`.

The methods themselves are made from the catalog when `jumperless_mcp.bench.board` is imported; the generated module
holds their types. A stale module fails here, and mypy on a bench script sees every method: a typo in a name,
a wrong argument type or a wrong result type is an error.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jumperless_mcp.bench.board import GENERATED, Batch, Board

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "tools" / "board_methods.py"

GOOD_SCRIPT = """\
from jumperless_mcp import Board


async def main() -> None:
    async with Board.open("emulator") as board:
        await board.dac_set(0, 1.5)
        volts: float = await board.adc_get(0, timeout=2.0)
        text: str = await board.print_bridges()
        async with board.batch() as batch:
            reading = batch.adc_get(0)
        print(volts, text, reading.value)
"""
BAD_SCRIPT = """\
from jumperless_mcp import Board


async def main() -> None:
    async with Board.open("emulator") as board:
        await board.dac_sett(0, 1.5)
        await board.adc_get("zero")
        count: int = await board.adc_get(0)
"""


def test_the_checked_in_module_is_what_the_catalog_generates() -> None:
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, "run `python tools/board_methods.py`:\n" + done.stdout[-3000:]


def test_every_generated_method_is_declared_with_its_run_time_signature() -> None:
    from jumperless_mcp.bench import board_methods

    assert GENERATED, "the catalog made no methods"
    for name in GENERATED:
        for runtime, declared in ((Board, board_methods.BoardMethods), (Batch, board_methods.BatchMethods)):
            shown = inspect.signature(getattr(runtime, name))
            typed = inspect.signature(getattr(declared, name))
            assert list(shown.parameters) == list(typed.parameters), name
            assert [p.default for p in shown.parameters.values()] == [p.default for p in typed.parameters.values()]
    assert "dac_set" in GENERATED and not {"connect", "disconnect"} & set(GENERATED)  # hand-written ones stay


def _mypy(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "bench.py"
    path.write_text(script)
    command = [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache")]
    env = {**os.environ, "MYPYPATH": str(ROOT)}  # as installed: mypy cannot follow setuptools' editable import hook
    return subprocess.run([*command, str(path)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)


def test_mypy_sees_every_method_of_a_bench_script(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is in the test extras: pip install -e '.[test]'")
    good = _mypy(GOOD_SCRIPT, tmp_path)
    assert good.returncode == 0, good.stdout
    bad = _mypy(BAD_SCRIPT, tmp_path)
    assert bad.returncode == 1, bad.stdout
    assert '"Board" has no attribute "dac_sett"' in bad.stdout
    assert 'Argument 1 to "adc_get"' in bad.stdout and 'incompatible type "str"; expected "int"' in bad.stdout
    assert 'expression has type "float", variable has type "int"' in bad.stdout
    assert "Found 3 errors" in bad.stdout
