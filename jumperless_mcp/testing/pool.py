"""The boards of one test session: opened on first use (each a SyncBoard), closed at the session's end.

Opening a board takes its port lock for the rest of the session (another process, or a second pytest-xdist
worker, is refused with the lock holder's PID). A board that failed to open is not tried again: every later
test that needs it fails at once with the same message. Closing puts each board in the safe state (rails and
DACs to 0 V, wavegen and PWM off) before releasing it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a board is first opened: pytest starts without loading the host
    from jumperless_mcp.testing.handle import BoardHandle

log = logging.getLogger(__name__)


class BoardPool:
    def __init__(self, targets: dict[str, str]) -> None:
        self.targets = dict(targets)  # name -> target, in the order given
        self.opened: dict[str, BoardHandle] = {}
        self.failures: dict[str, str] = {}

    @property
    def first(self) -> str | None:
        return next(iter(self.targets), None)

    def get(self, name: str) -> BoardHandle:
        """The named board, connected (opened now if this is the first test to need it)."""
        if name in self.opened:
            return self.opened[name]
        if name not in self.targets:
            raise LookupError(f"board: no Jumperless named {name!r}; configured: {', '.join(self.targets) or 'none'}")
        if name in self.failures:
            raise RuntimeError(self.failures[name])
        from jumperless_mcp.bench.sync_board import SyncBoard
        from jumperless_mcp.testing.handle import BoardHandle

        target = self.targets[name]
        sync: SyncBoard | None = None
        try:
            sync = SyncBoard(target, safe_state=True)
            sync.start()
        except Exception as exc:
            if sync is not None:
                sync.close()
            self.failures[name] = f"could not open Jumperless {name} ({target}): {type(exc).__name__}: {exc}"
            raise RuntimeError(self.failures[name]) from exc
        handle = BoardHandle(name, target, sync)
        self.opened[name] = handle
        return handle

    def close(self) -> None:
        """Safe state and close every opened board and stop its loop thread; never raises."""
        for name, handle in reversed(list(self.opened.items())):
            try:
                handle.sync.close()
            except Exception as exc:  # the session ends anyway: say so, do not mask test results
                log.warning("closing Jumperless %s failed: %s", name, exc)
        self.opened.clear()
