"""Fixtures: virtual boards of both personas on real pseudo-terminals, and serial clients for them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from serial_clients import MainPortClient, RawRepl

from jumperless_mcp.emulator import VirtualBoard, load_parts

LEGACY_TIME_SCALE = 0.05  # the 1 s `>` collector becomes 50 ms


@pytest.fixture
def jos_board(tmp_path: Path) -> Iterator[VirtualBoard]:
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as board:
        yield board


@pytest.fixture
def legacy_board(tmp_path: Path) -> Iterator[VirtualBoard]:
    with VirtualBoard("legacy", fs_dir=tmp_path / "fs", time_scale=LEGACY_TIME_SCALE) as board:
        yield board


@pytest.fixture
def repl(jos_board: VirtualBoard) -> Iterator[RawRepl]:
    with RawRepl(jos_board.repl_path) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def make_board(tmp_path: Path) -> Iterator:
    """Build a board with a parts file written from TOML text: make_board(toml_text, persona=...)."""
    boards: list[VirtualBoard] = []

    def make(parts_toml: str = "", persona: str = "jumperlos") -> VirtualBoard:
        parts_file = tmp_path / f"parts{len(boards)}.toml"
        parts_file.write_text(parts_toml)
        board = VirtualBoard(
            persona, parts=load_parts(parts_file), fs_dir=tmp_path / f"fs{len(boards)}", time_scale=LEGACY_TIME_SCALE
        ).start()
        boards.append(board)
        return board

    yield make
    for board in boards:
        board.stop()


@pytest.fixture
def main_client(jos_board: VirtualBoard) -> Iterator[MainPortClient]:
    with MainPortClient(jos_board.main_path) as client:
        yield client


@pytest.fixture
async def jos_mcp(jos_board: VirtualBoard):
    """An MCP client on our server, serving a JumperlOS virtual board."""
    from mcp_harness import serve

    async with serve(jos_board) as harness:
        yield harness


@pytest.fixture
async def legacy_mcp(legacy_board: VirtualBoard):
    """An MCP client on our server, serving a 5.3.x virtual board."""
    from mcp_harness import serve

    async with serve(legacy_board) as harness:
        yield harness


@pytest.fixture(params=["jos_mcp", "legacy_mcp"])
def h(request: pytest.FixtureRequest):
    """The MCP harness on each persona in turn."""
    return request.getfixturevalue(request.param)
