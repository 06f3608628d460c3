"""The README's bench-script example runs as printed, on the virtual board."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def first_python_block() -> str:
    match = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert match, "the README has no python example"
    return match.group(1)


def test_readme_board_example_runs_on_the_virtual_board(tmp_path: Path) -> None:
    script = tmp_path / "bench.py"
    script.write_text(first_python_block())
    env = {**os.environ, "JUMPERLESS_PORT": "emulator", "JUMPERLESS_LOCK_DIR": str(tmp_path / "locks")}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "True NANO_D13-20 connected"
    assert lines[1] == "[0.0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4, 2.7, 3.0]"  # ADC0 follows DAC0
    assert lines[2] == "True healthy"
