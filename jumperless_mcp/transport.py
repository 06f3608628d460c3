"""What a channel to the board's MicroPython can do, whatever the wire underneath.

Two channels implement it: the raw REPL on the REPL port (`transport_raw_repl`)
and the `>` one-liner on the main port (`transport_oneliner`). The session and the
`Board` API only see this interface.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

from firmware_api.errors import FirmwareError

ANSI_CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
IN_BAND = re.compile(r"[\x0e\x0f]")


def clean_text(data: bytes | str) -> str:
    """Decode board output, dropping ANSI colour codes and the in-band SO/SI bytes."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return IN_BAND.sub("", ANSI_CSI.sub("", text))


@dataclass(frozen=True)
class Reply:
    """What one run printed: stdout, and the error its traceback reported (if any)."""

    stdout: str
    error: FirmwareError | None = None


class Transport(ABC):
    """A way to run MicroPython statements on the board and read what they print."""

    name: str
    max_line: int | None = None  # longest text of statements joined with ';' per request (None: no limit)

    @abstractmethod
    async def start(self) -> None:
        """Bring the channel to its ready state (e.g. enter the raw REPL)."""

    def prepare(self, statements: list[str]) -> list[str]:
        """The statements as they will go on the wire: bytes the channel would act on escaped in literals.

        Raises `ArgumentError` for text it cannot carry. `execute` takes prepared statements.
        """
        return statements

    @abstractmethod
    async def execute(self, statements: list[str]) -> Reply:
        """Run prepared statements in order, stopping at the first error. Callers bound the wait."""

    @abstractmethod
    async def recover(self) -> bool:
        """After a timeout or cancellation: interrupt, drain and resynchronise, or raise.

        Returns False when nothing was in flight (cancelled before sending), so nothing was done.
        """

    @abstractmethod
    async def close(self) -> None:
        """Release the ports this channel owns."""
