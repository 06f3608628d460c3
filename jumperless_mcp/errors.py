"""Errors a caller of `Board` can catch: the firmware's own, plus what can go wrong on the link.

Every connection error says whether sending the same call again may work (`retryable`),
so an agent or a bench script can decide to retry without parsing messages.
"""

from __future__ import annotations

from firmware_api.errors import (
    ArgumentError,
    FirmwareError,
    FirmwareInterrupted,
    FirmwareNameError,
    FirmwareOSError,
    FirmwareTypeError,
    FirmwareValueError,
    JumperlessError,
    NonFiniteReading,
    ReplyParseError,
    UnsupportedByFirmware,
)

__all__ = [
    "ArgumentError",
    "BoardBusy",
    "BoardDisconnected",
    "BoardNotFound",
    "BoardTimeout",
    "ConnectionProblem",
    "FirmwareError",
    "FirmwareInterrupted",
    "FirmwareNameError",
    "FirmwareOSError",
    "FirmwareTypeError",
    "FirmwareValueError",
    "ForbiddenConnection",
    "JumperlessError",
    "NonFiniteReading",
    "ProtocolError",
    "ReplyParseError",
    "UnsupportedByFirmware",
]


class ConnectionProblem(JumperlessError):
    """The board could not be reached or did not answer as expected."""

    retryable = True


class BoardNotFound(ConnectionProblem):
    """No board matched the selection (nothing plugged in, wrong path...)."""


class BoardBusy(ConnectionProblem):
    """Another process holds the board; only one may talk to it at a time."""

    retryable = False

    def __init__(self, port: str, pid: int | None) -> None:
        self.port = port
        self.pid = pid
        holder = f"held by PID {pid}" if pid else "held by another process"
        super().__init__(f"board busy: {port} is {holder}; close that program first")


class BoardDisconnected(ConnectionProblem):
    """The port went away (unplug, reboot); the next call reconnects by itself when it returns."""


class BoardTimeout(ConnectionProblem, TimeoutError):
    """A call ran out of its time (running, or connecting first); the message says what was done about it:
    interrupted (the next call checks the channel first), resynchronised, or the link closed to be reopened by
    the next call.

    `ready` tells a caller that rewords the error (a probe wait that simply ended) whether the channel is
    open and clean again; `interrupted` that the board was interrupted and the link kept, to be checked by
    the next call. Both False when the link was closed or could not be opened.
    """

    def __init__(self, message: str, *, ready: bool = True, interrupted: bool = False) -> None:
        super().__init__(message)
        self.ready = ready
        self.interrupted = interrupted


class ProtocolError(ConnectionProblem):
    """The board answered with something the channel cannot frame; the session resynchronises."""


class ForbiddenConnection(ArgumentError):
    """A bridge the firmware refuses (rails, GND and DACs must never short), caught before sending."""
