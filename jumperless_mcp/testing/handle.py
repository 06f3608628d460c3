"""A board of the plugin's test session: a `SyncBoard` (every `Board` method without `await`, on an event loop
in a thread of its own, so it outlives each test's own loop) with the name and target the session knows it by.

`jumperless.dac_set(0, 1.5)`, `jumperless.measure(20)`, `with jumperless.batch() as b: ...`;
`handle.run(async_fn, ...)` runs your own coroutine function on the board's loop (for code written against the
async `Board`, reached as `handle.board`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.sync_board import SyncBoard

T = TypeVar("T")


class BoardHandle:
    """One session board of the plugin: `name`, `target`, the async `board`, and the SyncBoard's methods."""

    def __init__(self, name: str, target: str, sync: SyncBoard) -> None:
        self.name = name
        self.target = target
        self.sync = sync

    @property
    def board(self) -> Board:
        return self.sync.aio

    def run(self, function: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        """Run `await function(*args, **kwargs)` on the board's event loop and return its result."""
        return self.sync.run_async(function, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sync, name)

    def __repr__(self) -> str:
        return f"<Jumperless {self.name} ({self.target}), firmware {self.board.firmware}>"
