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
from firmware_api.replies import TRACEBACK_HEADER, parse_traceback

ANSI_CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
IN_BAND = re.compile(r"[\x0e\x0f]")
# a complete MicroPython traceback as the firmware prints it: the header, indented frames, `Type[: message]`
TRACEBACK_BLOCK = rb"Traceback \(most recent call last\):\r?\n(?:[ \t][^\n]*\n)*[A-Za-z_][\w.]*(?::[^\n]*)?\r?\n"
_BLOCK = re.compile(TRACEBACK_BLOCK.decode())
COMPILE_ERRORS = frozenset({"SyntaxError", "IndentationError"})  # raised before any statement runs
# a header-less error line (`KeyboardInterrupt: `, a MemoryError with no room for a traceback)
BARE_ERROR = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)(?::.*)?")


def clean_text(data: bytes | str) -> str:
    """Decode board output, dropping ANSI colour codes and the in-band SO/SI bytes."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return IN_BAND.sub("", ANSI_CSI.sub("", text))


def error_in(stderr: str) -> FirmwareError | None:
    """The error a channel's error text reports, or None if it holds none (bytes that are not the board's answer).

    The traceback is parsed from its header on, so text that landed before it is not taken for the exception.
    """
    start = stderr.find(TRACEBACK_HEADER)
    if start >= 0:
        block = _BLOCK.match(stderr, start)  # up to its exception line: what follows was not printed with it
        return parse_traceback(block.group() if block else stderr[start:])
    lines = [line.strip() for line in stderr.replace("\r", "\n").split("\n") if line.strip()]
    if lines and BARE_ERROR.fullmatch(lines[-1]):
        return parse_traceback(lines[-1])
    return None


def is_compile_error(error: FirmwareError | None, text: str) -> bool:
    """Whether the error is the parser's (its traceback names a line but no function): nothing of the code ran."""
    return error is not None and error.exc_type in COMPILE_ERRORS and ", in " not in text


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
    async def interrupt(self) -> bool:
        """After a timeout: stop what the board runs for the request, at once and without reading anything
        (`recover(interrupted=True)` drains and checks the channel later). False when nothing was in flight."""

    @abstractmethod
    async def recover(self, interrupted: bool = False) -> bool:
        """After a timeout or cancellation: interrupt (unless `interrupt()` already did), drain and
        resynchronise, or raise.

        Returns False when nothing was in flight (cancelled before sending), so nothing was done.
        """

    @abstractmethod
    async def close(self) -> None:
        """Release the ports this channel owns."""
