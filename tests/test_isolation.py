"""The suite keeps to its own lock directory and user dirs (conftest.isolated_user_dirs), in and out of process.

A fresh clone's suite once failed on a shared machine because tests took locks in the user-wide lock
directory, keyed by pty paths that other users' processes recycle; these tests fail if any of that comes back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import platformdirs
from conftest import APP, USER_WIDE_DIRS

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.link.port_lock import lock_dir
from jumperless_mcp.settings.config import default_config_path

PROJECT = Path(__file__).resolve().parent.parent

PROBE = """
import json, platformdirs
from jumperless_mcp.settings.config import default_config_path
from jumperless_mcp.link.port_lock import lock_dir
print(json.dumps({
    "locks": str(lock_dir()),
    "config": str(default_config_path()),
    "state": platformdirs.user_state_dir("jumperless-mcp", appauthor=False),
    "cache": platformdirs.user_cache_dir("jumperless-mcp", appauthor=False),
}))
"""


def _inside(path: str | Path, root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root.resolve())


def _listing(directory: Path) -> list[str] | None:
    return sorted(os.listdir(directory)) if directory.is_dir() else None


def test_lock_and_user_dirs_resolve_inside_the_session(isolated_user_dirs: Path) -> None:
    assert _inside(lock_dir(), isolated_user_dirs), lock_dir()
    assert not _inside(lock_dir(), USER_WIDE_DIRS["locks"].parent)
    for resolved in (
        default_config_path(),
        platformdirs.user_state_dir(APP, appauthor=False),
        platformdirs.user_cache_dir(APP, appauthor=False),
        platformdirs.user_data_dir(APP, appauthor=False),
    ):
        if sys.platform.startswith("linux"):  # the XDG variables are the platformdirs homes there
            assert _inside(resolved, isolated_user_dirs), resolved
    assert not any(name.startswith("JUMPERLESS_") for name in os.environ if name != "JUMPERLESS_LOCK_DIR")


def test_subprocesses_inherit_the_session_dirs(isolated_user_dirs: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(done.stdout)
    assert _inside(seen["locks"], isolated_user_dirs), seen
    if sys.platform.startswith("linux"):
        assert all(_inside(path, isolated_user_dirs) for path in seen.values()), seen


async def test_a_board_lock_is_taken_in_the_session_dir_not_the_user_wide_one(
    isolated_user_dirs: Path, tmp_path: Path
) -> None:
    user_wide_before = _listing(USER_WIDE_DIRS["locks"])
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as vboard:
        async with Board.open(vboard.info()) as board:
            assert await board.node("D13") == 83
            held = list(lock_dir().glob("*.lock"))
            assert held and all(_inside(path, isolated_user_dirs) for path in held), held
            assert _listing(USER_WIDE_DIRS["locks"]) == user_wide_before, "a lock appeared in the user-wide dir"
    assert _listing(USER_WIDE_DIRS["locks"]) == user_wide_before
