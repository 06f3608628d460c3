"""Run Python sources under real MicroPython: the WebAssembly port from npm, driven by tests/micropython/run.mjs.

One Node process runs every job (starting the interpreter costs far more than a job). The package is pinned in
tests/micropython/package.json and installed by `npm ci --prefix tests/micropython` (`.ci/run` does it; where
Node and npm are present and the package is not, the first test that needs it runs that command itself, so the
README's test command works on a fresh machine). Under `CI=true` a missing Node fails the test; a developer
without Node gets a skip that says how to install it. The WebAssembly build is double-precision: it cannot
confirm the firmware's float32 printing.
"""

from __future__ import annotations

import fcntl  # the virtual board needs pseudo-terminals: the suite runs on POSIX only
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "micropython"
PACKAGE = "@micropython/micropython-webassembly-pyscript"
INSTALL = "npm ci --prefix tests/micropython"
RUN_TIMEOUT = 120.0  # a hung interpreter must not hang the suite


@dataclass(frozen=True)
class Job:
    """One source to run, with the stub module standing in for `jumperless` and the return variant."""

    module: str
    source: str
    variant: int = 0


@dataclass(frozen=True)
class Result:
    stdout: str
    error: str | None  # the traceback of an uncaught exception


def pinned_version() -> str:
    return json.loads((HERE / "package.json").read_text())["dependencies"][PACKAGE]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"real MicroPython is required in CI: {reason}")
    pytest.skip(f"real MicroPython check skipped: {reason}")


def node_command() -> list[str]:
    """The command that runs the runner; fails (CI) or skips (no Node) when MicroPython is not available."""
    node = shutil.which("node")
    if node is None:
        _unavailable(f"Node.js is not installed (install Node.js (20 is tested), then `{INSTALL}`)")
    if installed_version() != pinned_version():
        _install()
    version = installed_version()
    if version is None:
        pytest.fail(f"{PACKAGE} is not installed: run `{INSTALL}`")
    if version != pinned_version():
        pytest.fail(f"{PACKAGE} {version} is installed but {pinned_version()} is pinned: run `{INSTALL}`")
    return [node, str(HERE / "run.mjs")]


def installed_version() -> str | None:
    installed = HERE / "node_modules" / PACKAGE / "package.json"
    return json.loads(installed.read_text())["version"] if installed.exists() else None


def _install() -> None:
    """`npm ci` the pinned package (the npm registry is reachable wherever the suite runs).

    Test workers run in parallel: the first one installs under a file lock, the others then find it installed.
    """
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"{PACKAGE} is not installed and npm is not on PATH: run `{INSTALL}`")
    with open(HERE / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() == pinned_version():
            return
        completed = subprocess.run(
            [npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"], capture_output=True, text=True, timeout=300
        )
    if completed.returncode != 0:
        pytest.fail(f"`{INSTALL}` failed: {completed.stderr[-1500:]}")


def run(modules: dict[str, str], jobs: list[Job]) -> tuple[str, list[Result]]:
    """The interpreter's `name version`, and each job's output and traceback, in order."""
    request = {"modules": modules, "jobs": [job.__dict__ for job in jobs]}
    completed = subprocess.run(
        node_command(), input=json.dumps(request), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    if completed.returncode != 0:
        raise AssertionError(f"the MicroPython runner failed ({completed.returncode}): {completed.stderr[-2000:]}")
    answer = json.loads(completed.stdout)
    results = [Result(item["stdout"], item["error"]) for item in answer["results"]]
    assert len(results) == len(jobs)
    return answer["implementation"], results
