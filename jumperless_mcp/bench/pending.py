"""`Pending`, the placeholder a batched call returns until the batch has run.

Its own module so that the generated method types (`board_methods`) can name it without importing `board`,
which imports them: the dependency runs one way, board -> board_methods -> pending.
"""

from __future__ import annotations

from typing import Any

from jumperless_mcp.errors import JumperlessError


class Pending:
    """The result of a call recorded in a batch; `.value` once the batch has run."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._value: object = None
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    @property
    def value(self) -> Any:
        if not self._done:
            raise JumperlessError(f"{self.label}: the batch has not run (or stopped before this call)")
        return self._value

    def _set(self, value: object) -> None:
        self._value, self._done = value, True

    def __repr__(self) -> str:
        return f"<Pending {self.label}: {self._value!r}>" if self._done else f"<Pending {self.label}>"
