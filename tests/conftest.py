"""Fixtures: virtual boards of both personas on real pseudo-terminals, and serial clients for them.

Every test runs isolated from the user's own state: a session-wide, autouse fixture points the lock
directory and the platformdirs config/state/cache/data homes at a temporary directory and drops any
JUMPERLESS_* variable inherited from the shell, so a test run neither reads the developer's settings nor
leaves (or collides with) lock files in the user-wide lock directory. Subprocesses inherit the same
environment. Tests that set their own JUMPERLESS_LOCK_DIR (monkeypatch) still do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from serial_clients import MainPortClient, RawRepl

from jumperless_mcp.emulator import VirtualBoard, load_parts

pytest_plugins = ["result_schema_plugin"]  # every MCP result the suite sees is checked against its schema

LEGACY_TIME_SCALE = 0.05  # the 1 s `>` collector becomes 50 ms

# The platformdirs homes (Linux/BSD XDG variables) the code may reach, and the project's own overrides.
USER_DIR_VARIABLES = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")
INHERITED_PREFIXES = ("JUMPERLESS_", "YGG_MCP_")
APP = "jumperless-mcp"
# Where the user-wide directories are outside the test session (resolved before the fixture below changes
# the environment): tests/test_isolation.py checks that the session never writes there.
USER_WIDE_DIRS = {
    "locks": Path(platformdirs.user_state_dir(APP, appauthor=False)) / "locks",
    "config": Path(platformdirs.user_config_dir(APP, appauthor=False)),
    "cache": Path(platformdirs.user_cache_dir(APP, appauthor=False)),
    "data": Path(platformdirs.user_data_dir(APP, appauthor=False)),
}


@pytest.fixture(scope="session", autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's own lock directory and user dirs; yields their root."""
    root = tmp_path_factory.mktemp("user-dirs")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(INHERITED_PREFIXES):
                patch.delenv(name)
        patch.setenv("JUMPERLESS_LOCK_DIR", str(root / "locks"))
        for variable in USER_DIR_VARIABLES:
            patch.setenv(variable, str(root / variable.lower()))
        (root / "home").mkdir()
        patch.setenv("HOME", str(root / "home"))  # macOS: platformdirs builds ~/Library/... from HOME, not XDG
        yield root


@pytest.fixture
def jos_board(tmp_path: Path) -> Iterator[VirtualBoard]:
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as board:
        yield board
    assert not board.crashes, f"the virtual board's thread failed:\n{board.crashes[0]}"


@pytest.fixture
def legacy_board(tmp_path: Path) -> Iterator[VirtualBoard]:
    with VirtualBoard("legacy", fs_dir=tmp_path / "fs", time_scale=LEGACY_TIME_SCALE) as board:
        yield board
    assert not board.crashes, f"the virtual board's thread failed:\n{board.crashes[0]}"


@pytest.fixture
def repl(jos_board: VirtualBoard) -> Iterator[RawRepl]:
    with RawRepl(jos_board.repl_path) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def make_board(tmp_path: Path) -> Iterator:
    """Build a board with a parts file written from TOML text: make_board(toml_text, persona=..., time_scale=...).

    The default time_scale runs the board's clock 20 times fast (the legacy menu's 1 s waits take 50 ms); a test
    that samples a signal over time passes time_scale=1.0, so a pause of the machine is not 20 times longer in
    board time."""
    boards: list[VirtualBoard] = []

    def make(parts_toml: str = "", persona: str = "jumperlos", time_scale: float = LEGACY_TIME_SCALE) -> VirtualBoard:
        parts_file = tmp_path / f"parts{len(boards)}.toml"
        parts_file.write_text(parts_toml)
        board = VirtualBoard(
            persona, parts=load_parts(parts_file), fs_dir=tmp_path / f"fs{len(boards)}", time_scale=time_scale
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
