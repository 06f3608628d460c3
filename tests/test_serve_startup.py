"""Every start-up error of `jumperless-mcp serve` is one clear line on stderr and exit status 2.

An MCP client that launches the server shows little more than "failed to connect"; the one line on stderr
is what the user gets to read (a bad parts file used to print a 57-line traceback, a port typo was taken as
a device path to wait for). Run through the real command, as a client launches it.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from stdio_harness import server_command, server_env

from jumperless_mcp.link.targets import Target
from jumperless_mcp.settings import config as settings

FORMS = "emulator, emulator:jumperlos-upstream, emulator:jumperlos-5.7.5, emulator:legacy"  # in every port refusal


def serve(tmp_path: Path, *args: str) -> str:
    """Run `jumperless-mcp serve ARGS`, which must refuse to start: its one stderr line."""
    done = subprocess.run(
        [*server_command(), "serve", *args],
        capture_output=True,
        text=True,
        env=server_env(tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("jumperless-mcp: ")
    return lines[0]


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ("emulatr", "did you mean 'emulator'?"),
        ("emulator:legacyy", "did you mean 'emulator:legacy'?"),
        ("autoo", "did you mean 'auto'?"),
        ("bogus", "'bogus' is neither a known port form nor a path"),
    ],
)
def test_a_port_that_is_no_known_form_and_no_path_is_refused_with_the_forms(
    tmp_path: Path, port: str, expected: str
) -> None:
    line = serve(tmp_path, "--port", port)
    assert expected in line and "port" in line and FORMS in line


def test_bad_parts_file_config_file_and_board_flag_are_one_line_each(tmp_path: Path) -> None:
    parts = tmp_path / "bad-parts.toml"
    parts.write_text('[[resistor]]\nbetween = [10, 10]\nohms = "10k"\n')
    line = serve(tmp_path, "--port", "emulator", "--parts", str(parts))
    assert "bad-parts.toml" in line and "resistor #1" in line

    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in serve(tmp_path, "--config", str(deep))

    assert "did you mean 'emulator'?" in serve(tmp_path, "--board", "a=emulatr")


def test_a_busy_http_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = serve(tmp_path, "--port", "emulator", "--http", f"127.0.0.1:{port}")
    assert f"cannot listen on 127.0.0.1:{port}" in line


@pytest.mark.parametrize("port", ["/dev/ttyACM9", "/dev/jumperless_main", "COM7", "com12", "socket://bench:4000"])
def test_a_device_named_explicitly_is_accepted_before_it_is_plugged_in(port: str) -> None:
    """The session waits for a named device; only strings that cannot be one are refused."""
    assert settings.load({"port": port}, environ={}).port == port
    assert Target(port).kind == "path"
