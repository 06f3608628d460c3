"""The board list while serving: config reload, USB auto naming, and several boards over stdio."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import anyio
import pytest
from mcp import Client, types
from stdio_harness import server_env, spawn

from jumperless_mcp.link.discovery import BoardPorts
from jumperless_mcp.multiboard.board_list import BoardList, open_bench
from jumperless_mcp.serving.server import federation_server
from jumperless_mcp.settings import config as settings
from jumperless_mcp.settings.config import Config

WATCH = 0.05


def write_config(path: Path, text: str, stamp: int) -> None:
    """Write the file and give it a distinct mtime (some filesystems keep whole seconds)."""
    path.write_text(text)
    os.utime(path, (stamp, stamp))


async def test_the_board_list_follows_edits_of_the_config_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.toml"
    write_config(path, '[boards.one]\nport = "emulator"\n', 1_000_000)
    environ = {"JUMPERLESS_CONFIG": str(path)}
    config = settings.load(environ=environ)
    changes: list[str] = []

    async def on_message(message: object) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changes.append("changed")

    async def wait_for(count: int) -> None:
        with anyio.fail_after(10):
            while len(changes) < count:
                await anyio.sleep(0.01)

    reload = lambda: settings.load(environ=environ)  # noqa: E731
    async with (
        open_bench(config, reload=reload, config_path=path, interval=WATCH) as federation,
        Client(federation_server(federation, environ={}), mode="legacy", message_handler=on_message) as client,
    ):

        async def names() -> set[str]:
            return {tool.name for tool in (await client.list_tools()).tools}

        assert {"connect", "boards"} <= await names()  # one board: bare names
        one = federation.member("one")

        write_config(
            path, '[boards.one]\nport = "emulator"\n\n[boards.two]\nport = "emulator"\nread_only = true\n', 1_000_010
        )
        await wait_for(1)
        listed = await names()
        assert {"one_connect", "one_dac_set", "two_adc_read", "boards"} <= listed
        assert "two_dac_set" not in listed, "two is read-only"
        assert federation.member("one") is one, "an unchanged board keeps its open session"
        result = await client.call_tool("two_dac_get", {"channel": "DAC0"})
        assert not result.is_error

        with caplog.at_level(logging.ERROR, logger="jumperless_mcp.multiboard.federation"):
            write_config(path, '[boards.one]\nport = "emulator"\nmax_voltage = 12\n', 1_000_020)
            await anyio.sleep(WATCH * 6)
        assert len(changes) == 1 and "one_connect" in await names(), "a broken edit keeps the current boards"
        assert "line 3" in caplog.text and "boards.one.max_voltage" in caplog.text

        write_config(path, '[boards.two]\nport = "emulator"\nread_only = false\n', 1_000_030)  # says it: no guard
        await wait_for(2)
        listed = await names()
        assert {"connect", "dac_set", "boards"} <= listed and not any(n.startswith("one_") for n in listed)
        assert [member.name for member in federation.members] == ["two"]


def test_auto_mode_names_boards_by_usb_location_and_keeps_the_names() -> None:
    found = [BoardPorts(main="/dev/ttyACM4", location="1-1.4"), BoardPorts(main="/dev/ttyACM0", location="1-1.2")]
    boards = BoardList(Config(port="auto"), scan=lambda: found)
    entries = boards.entries()
    assert [(e.name, e.selector) for e in entries] == [("board1", "usb:1-1.2"), ("board2", "usb:1-1.4")]
    assert all(e.config.port == e.selector for e in entries)
    found.insert(0, BoardPorts(main="/dev/ttyACM8", location="1-1.1"))  # plugged in later, at a lower location
    later = boards.entries()
    assert [(e.name, e.selector) for e in later] == [
        ("board1", "usb:1-1.2"),
        ("board2", "usb:1-1.4"),
        ("board3", "usb:1-1.1"),
    ]
    single = BoardList(Config(port="auto"), scan=lambda: found[:1]).entries()
    assert [(e.name, e.selector) for e in single] == [("board", "auto")]
    assert BoardList(Config(port="emulator")).entries()[0].selector == "emulator"


async def test_auto_mode_with_several_boards_says_how_it_named_them(caplog: pytest.LogCaptureFixture) -> None:
    found = [BoardPorts(main="/dev/ttyACM4", location="1-1.4"), BoardPorts(main="/dev/ttyACM0", location="1-1.2")]
    with caplog.at_level(logging.INFO, logger="jumperless_mcp.multiboard.federation"):
        async with open_bench(Config(port="auto", timeout=1.0), scan=lambda: found, interval=WATCH) as federation:
            assert [m.name for m in federation.members] == ["board1", "board2"]
            assert federation.directory.find("board2_connect").internal_name == "board2.connect"  # type: ignore[union-attr]
    assert "named by USB location order: board1 = usb:1-1.2, board2 = usb:1-1.4" in caplog.text


async def test_two_boards_from_flags_over_stdio(tmp_path: Path) -> None:
    async with spawn(tmp_path, "--board", "bench-a=emulator", "--board", "bench_b=emulator") as server:
        names = await server.tool_names()
        assert {"bench_a_connect", "bench_b_connect", "boards"} <= names and "connect" not in names
        await server.ok("bench_b_dac_set", channel="DAC1", voltage=2.5)
        assert (await server.ok("bench_b_dac_get", channel="DAC1"))["voltage"] == 2.5
        assert (await server.ok("bench_a_dac_get", channel="DAC1"))["voltage"] == 0.0
        health = (await server.ok("boards"))["boards"]
        assert [(b["name"], b["prefix"], b["level"]) for b in health] == [
            ("bench-a", "bench_a", "healthy"),
            ("bench_b", "bench_b", "healthy"),
        ]


def test_a_bad_board_list_stops_the_server_naming_file_line_and_key(tmp_path: Path) -> None:
    import subprocess

    from stdio_harness import server_command

    path = tmp_path / "config.toml"
    path.write_text('[boards.bench-a]\nport = "emulator"\n\n[boards.bench_a]\nport = "emulator"\n')
    env = server_env(tmp_path, JUMPERLESS_CONFIG=str(path))
    done = subprocess.run(
        server_command(), env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 2 and done.stdout == ""
    assert (
        str(path) in done.stderr and "line 4" in done.stderr and "bench-a" in done.stderr and "bench_a" in done.stderr
    )


async def test_serve_http_from_the_command_line_requires_its_token(tmp_path: Path) -> None:
    import re
    import subprocess

    import httpx2
    from mcp.client.streamable_http import streamable_http_client
    from stdio_harness import server_command

    token = "a-long-enough-bench-token-42"
    env = server_env(tmp_path, JUMPERLESS_HTTP_TOKEN=token)
    exposed = subprocess.run(
        [*server_command(), "serve", "--http", "0.0.0.0:8765", "--port", "emulator"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exposed.returncode == 2 and "http_token" in exposed.stderr and "0.0.0.0" in exposed.stderr

    errlog = tmp_path / "server.stderr"
    with open(errlog, "w") as err:
        process = subprocess.Popen(
            [*server_command(), "serve", "--http", "127.0.0.1:0", "--board", "a=emulator", "--board", "b=emulator"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    try:
        with anyio.fail_after(60):
            while not (found := re.search(r"http://127\.0\.0\.1:\d+/mcp", errlog.read_text())):
                assert process.poll() is None, errlog.read_text()
                await anyio.sleep(0.05)
        url = found.group(0)
        async with httpx2.AsyncClient() as anonymous:
            refused = await anonymous.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert refused.status_code == 401
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"a_connect", "b_dac_set", "boards"} <= names
            result = await client.call_tool("b_dac_get", {"channel": "DAC0"})
            assert not result.is_error and result.structured_content["voltage"] == 0.0  # type: ignore[index]
        assert process.stdout is not None and process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert token not in errlog.read_text()
