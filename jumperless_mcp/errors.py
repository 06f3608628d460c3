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
    """The board did not finish in time; it was interrupted and resynchronised."""


class ProtocolError(ConnectionProblem):
    """The board answered with something the channel cannot frame; the session resynchronises."""


class ForbiddenConnection(ArgumentError):
    """A bridge the firmware refuses (rails, GND and DACs must never short), caught before sending."""
