"""What a running tool can use: the board, the configuration, progress reporting and server-side memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from jumperless_mcp.bench.board import Board
from jumperless_mcp.settings.config import Config

Progress = Callable[[float, float | None, str], Awaitable[None]]


async def _no_progress(progress: float, total: float | None, message: str) -> None:
    return None


@dataclass
class ServerMemory:
    """State the server keeps between calls (snapshots an agent can restore)."""

    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    core2_paused: bool = False  # saving a slot while core 2 is paused deadlocks the firmware


@dataclass
class ToolContext:
    board: Board
    config: Config
    memory: ServerMemory
    progress: Progress = _no_progress
