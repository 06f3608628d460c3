"""The TypeScript MCP SDK's client (MCP Inspector, agent frameworks on that SDK) reads our results.

That client checks any structuredContent against the listed tool's outputSchema, error results included, and
throws `MCP error -32602` instead of returning the result: every error we sent was lost to it. Here its real
client (pinned in tests/ts_client/package.json, run by tests/ts_client/run.mjs) spawns our stdio server and
calls a tool that succeeds and three that fail. Node and npm are needed; the package is installed with
`npm ci --prefix tests/ts_client` (.ci/run does it; here too when it is missing). Under CI=true a missing Node
fails the test; elsewhere it is skipped with the command to run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from stdio_harness import server_command, server_env

HERE = Path(__file__).parent / "ts_client"
PACKAGE = "@modelcontextprotocol/sdk"
INSTALL = "npm ci --prefix tests/ts_client --no-audit --no-fund"
RUN_TIMEOUT = 120.0

CALLS = [
    ["ok", "dac_get", {"channel": "DAC0"}],
    ["invalid", "dac_set", {"channel": "DAC0", "voltage": 99}],
    ["forbidden", "connect", {"node1": "TOP_RAIL", "node2": "GND"}],
    ["unavailable", "exec_python", {"code": "print(1)"}],  # off without --allow-python
    ["picture", "board_picture", {}],  # image content beside text and structured content
    ["capture", "capture", {"channels": [0], "rate": 1000, "samples": 50}],
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the TypeScript client check is required in CI: {reason}")
    pytest.skip(f"TypeScript client check skipped: {reason}")


def _node() -> str:
    """Node, with the pinned SDK installed (npm ci when it is not)."""
    node = shutil.which("node")
    if node is None:
        _unavailable(f"Node.js is not installed (install Node.js 20, then `{INSTALL}`)")
    pinned = json.loads((HERE / "package.json").read_text())["dependencies"][PACKAGE]
    installed = HERE / "node_modules" / PACKAGE / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != pinned:
        npm = shutil.which("npm")
        if npm is None:
            _unavailable(f"{PACKAGE} is not installed and npm is not on PATH: run `{INSTALL}`")
        completed = subprocess.run(
            [npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"], capture_output=True, text=True, timeout=300
        )
        if completed.returncode != 0:
            pytest.fail(f"`{INSTALL}` failed:\n{completed.stderr[-2000:]}")
    return node  # type: ignore[return-value]


def test_the_typescript_sdk_client_reads_our_results_and_errors(tmp_path: Path) -> None:
    node = _node()
    command = server_command()
    spec = {
        "command": command[0],
        "args": [*command[1:], "serve", "--port", "emulator"],
        "env": server_env(tmp_path),
        "calls": CALLS,
    }
    completed = subprocess.run(
        [node, str(HERE / "run.mjs"), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    out = json.loads(completed.stdout.strip().splitlines()[-1])
    calls = out["calls"]
    thrown = {label: answer["thrown"] for label, answer in calls.items() if "thrown" in answer}
    assert thrown == {}, f"the TypeScript client refused our results: {thrown}"
    assert out["tools"] > 50
    assert calls["ok"] == {
        "isError": False,
        "text": "DAC0 setpoint 0 V",
        "meta": None,
        "structured": {"channel": "DAC0", "voltage": 0},
        "kinds": ["text"],
    }
    links = {"picture": ["resource_link"], "capture": ["resource_link", "resource_link"]}  # serving/resources.py
    for label in ("picture", "capture"):  # the SDK accepted the image and link blocks and checked the structured part
        answer = calls[label]
        assert answer["isError"] is False and answer["structured"] is not None, answer
        assert answer["kinds"] == ["text", "image:image/png", *links[label]], answer
    for label, kind, parameter in (
        ("invalid", "invalid_argument", "voltage"),
        ("forbidden", "forbidden_connection", "node2"),
        ("unavailable", "unavailable", None),
    ):
        answer = calls[label]
        assert answer["isError"] is True and answer["structured"] is None, answer
        assert answer["text"].startswith(f"{kind}: "), answer
        details = answer["meta"]["jumperless/error"]
        assert details["kind"] == kind and answer["text"] == f"{kind}: {details['error']}"
        assert details.get("parameter") == parameter
