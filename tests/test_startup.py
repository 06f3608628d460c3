"""What the command line does before it serves: how little it loads, and the garbage collector's state.

Start-up speed itself is measured by `benchmarks/call_path.py` (spawn to first call vs a ten-line SDK server);
these tests pin the behaviour that speed relies on, and that must not leak into a bench script's process.
"""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

import jumperless_mcp
from jumperless_mcp import cli


def _fresh_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_the_command_line_loads_the_bench_layer_only_when_it_needs_it() -> None:
    loaded = _fresh_python("import sys, jumperless_mcp.cli; print('jumperless_mcp.bench.board' in sys.modules)")
    assert loaded == "False"


def test_a_bench_script_still_finds_board_and_the_exceptions_on_the_package() -> None:
    names = _fresh_python(
        "from jumperless_mcp import Board, Batch, Pending, BoardTimeout, ForbiddenConnection, __version__\n"
        "import jumperless_mcp\n"
        "print(Board.__module__, Pending.__module__, BoardTimeout.__name__, 'Board' in dir(jumperless_mcp))"
    )
    assert names == "jumperless_mcp.bench.board jumperless_mcp.bench.pending BoardTimeout True"
    assert set(jumperless_mcp.__all__) <= set(dir(jumperless_mcp))
    with pytest.raises(AttributeError, match="no attribute 'Bored'"):
        jumperless_mcp.Bored  # noqa: B018


def test_a_failed_start_leaves_the_garbage_collector_on(capsys: pytest.CaptureFixture[str]) -> None:
    """`run_serve` turns collection off while it starts; a start that fails must turn it back on."""
    assert gc.isenabled()
    assert cli.main(["serve", "--http", "localhost:http"]) == 2
    assert gc.isenabled()
    assert "http" in capsys.readouterr().err
