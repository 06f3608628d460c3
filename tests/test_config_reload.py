"""Hot reload of the config file never widens a limit or drops the board by accident (F6).

A truncating writer (`> config.toml`, some editors) shows states that are valid TOML: an empty file (port
back to auto) or one cut after its first line (max_voltage back to 8 V). These serve a virtual board from a
real config file through the MCP server, write such states and reload (`Bench.rescan`, what the watcher
runs every second): the board and its limits stay, with a warning; a complete file that writes a looser
limit is applied; a file still being written is applied only once it holds still.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import anyio
import pytest
from fault_scenarios import config_bench
from mcp import Client

from jumperless_mcp.multiboard.board_list import BoardList, unsafe_changes
from jumperless_mcp.settings import config as settings
from jumperless_mcp.settings.board_config import BoardEntry
from jumperless_mcp.settings.config import Config

GOOD = 'port = "emulator"\nmax_voltage = 5.0\nread_only = false\n'
SETTLE = 0.05


class Stamps:
    """Writes the file with a new mtime each time (some filesystems keep whole seconds)."""

    def __init__(self, path: Path) -> None:
        self.path, self.stamp = path, 1_000_000

    def write(self, text: str) -> None:
        self.path.write_text(text)
        self.stamp += 10
        os.utime(self.path, (self.stamp, self.stamp))


async def dac0(client: Client) -> float:
    result = await client.call_tool("dac_get", {"channel": "DAC0"})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return float(result.structured_content["voltage"])


async def test_half_written_files_keep_the_board_and_its_limits_and_say_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = Stamps(tmp_path / "config.toml")
    file.write(GOOD)
    async with config_bench(file.path, SETTLE) as (bench, client):
        board = bench.federation.member("board")
        for half_written in ("", 'port = "emulator"\n'):  # emptied; cut after its first line
            caplog.clear()
            file.write(half_written)
            with caplog.at_level(logging.WARNING, logger="jumperless_mcp.multiboard.federation"):
                await bench.rescan()
            assert bench.federation.member("board") is board, f"{half_written!r}: the board was replaced"
            assert "would loosen" in caplog.text and str(file.path) in caplog.text
            refused = await client.call_tool("dac_set", {"channel": "DAC0", "voltage": 7.0})
            assert refused.is_error and "max_voltage" in refused.content[0].text  # type: ignore[union-attr]
            assert await dac0(client) == 0.0, "nothing reached the board"

        file.write(GOOD.replace("5.0", "7.5"))  # a complete file that says so: applied
        await bench.rescan()
        done = await client.call_tool("dac_set", {"channel": "DAC0", "voltage": 7.0})
        assert not done.is_error, done.content
        assert await dac0(client) == pytest.approx(7.0)


async def test_a_file_still_being_written_is_applied_once_it_holds_still(tmp_path: Path) -> None:
    file = Stamps(tmp_path / "config.toml")
    file.write(GOOD)
    async with config_bench(file.path, SETTLE) as (bench, _):

        async def finish_writing() -> None:
            await anyio.sleep(SETTLE / 2)  # before the reload's second read
            file.write(GOOD.replace("5.0", "6.0"))

        file.write('port = "emulator"\n')  # the writer is half-way (valid TOML, max_voltage back to 8 V)
        async with anyio.create_task_group() as group:
            group.start_soon(bench.rescan)
            group.start_soon(finish_writing)
        assert bench.boards.config.max_voltage == 6.0  # the finished file, never the half-written one


async def test_a_deeply_nested_file_while_serving_is_logged_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = Stamps(tmp_path / "config.toml")
    file.write(GOOD)
    async with config_bench(file.path, SETTLE) as (bench, client):
        file.write("x = " + "[" * 5000 + "]" * 5000 + "\n")
        with caplog.at_level(logging.ERROR, logger="jumperless_mcp.multiboard.federation"):
            await bench.rescan()
        assert "nested too deeply" in caplog.text and "Traceback" not in caplog.text
        assert bench.boards.config.max_voltage == 5.0
        assert await dac0(client) == 0.0


def test_a_limit_that_vanished_from_a_board_table_was_not_said(tmp_path: Path) -> None:
    """Cut inside [boards.a]: a's 5 V falls back to the top level's 8 V, which the file writes, but not for a."""
    path = tmp_path / "config.toml"
    full = (
        'max_voltage = 8.0\n[boards.a]\nport = "emulator"\nmax_voltage = 5.0\n'
        '[boards.b]\nport = "emulator:legacy"\nread_only = true\n'
    )

    def planned(text: str) -> tuple[list[BoardEntry], Config]:
        path.write_text(text)
        config = settings.load(environ={settings.CONFIG_ENV: str(path)})
        return BoardList(config, scan=list).entries(), config

    served, _ = planned(full)
    cut, config = planned(full[: full.index("max_voltage = 5.0")])  # b is gone too: not every board
    assert unsafe_changes(served, cut, config) == [
        "board a: max_voltage would go from 5.0 to 8.0, not written in [boards.a]"
    ]
    said, config = planned(full.replace("max_voltage = 5.0", "max_voltage = 6.0").replace("true", "false"))
    assert unsafe_changes(served, said, config) == []
    emptied, config = planned("")
    assert unsafe_changes(served, emptied, config) == [
        "it drops every board served now (a = emulator, b = emulator:legacy) and names no port or [boards]"
    ]
