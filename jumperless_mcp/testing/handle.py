"""A `Board` driven from synchronous test code: every method blocks until the board's event loop has run it.

The plugin keeps its boards open for the whole test session, so they cannot live on a test's own event loop
(pytest-asyncio and anyio give each test a fresh one). They live on one loop in a thread of its own (an anyio
blocking portal); `BoardHandle` forwards attribute access to the `Board` there: `jumperless.dac_set(0, 1.5)`,
`jumperless.measure("ROW_5")`, `with jumperless.batch() as b: ...`. `handle.run(async_fn, ...)` runs your own
coroutine function on that loop (for code written against the async `Board`, reached as `handle.board`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal

from jumperless_mcp.bench.board import Board

T = TypeVar("T")


async def _invoke(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = function(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


class Blocking:
    """Any object of the board's loop seen from another thread: calls block, async context managers become
    plain ones; what comes back that is itself an async context manager (a `Batch`) is wrapped the same way."""

    def __init__(self, target: Any, portal: BlockingPortal) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_portal", portal)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value) or isinstance(value, type):
            return value

        def blocking(*args: Any, **kwargs: Any) -> Any:
            return self._wrap(self._portal.call(_invoke, value, args, kwargs))

        blocking.__name__ = name
        blocking.__doc__ = getattr(value, "__doc__", None)
        return blocking

    def _wrap(self, value: Any) -> Any:
        return Blocking(value, self._portal) if hasattr(value, "__aenter__") else value

    def __enter__(self) -> Any:
        return self._wrap(self._portal.call(self._target.__aenter__))

    def __exit__(self, *exc: object) -> None:
        self._portal.call(self._target.__aexit__, *exc)

    def __repr__(self) -> str:
        return f"<blocking {self._target!r}>"


class BoardHandle(Blocking):
    """One session board of the plugin: `name`, `target`, the async `board`, and its methods, blocking."""

    def __init__(self, name: str, target: str, board: Board, portal: BlockingPortal) -> None:
        super().__init__(board, portal)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "target", target)

    @property
    def board(self) -> Board:
        return self._target  # type: ignore[no-any-return]

    def run(self, function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run `await function(*args, **kwargs)` on the board's event loop and return its result."""
        return self._portal.call(_invoke, function, args, kwargs)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<Jumperless {self.name} ({self.target}), firmware {self.board.firmware}>"
