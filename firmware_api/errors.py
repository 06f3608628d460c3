"""Typed errors shared by the host side and the virtual board."""

from __future__ import annotations


class JumperlessError(Exception):
    """Base of every error this project raises on purpose."""


class ArgumentError(JumperlessError, ValueError):
    """Bad input caught on the host before anything is sent to the board."""

    def __init__(self, parameter: str, message: str, allowed: str | None = None) -> None:
        self.parameter = parameter
        self.allowed = allowed
        text = f"{parameter}: {message}"
        if allowed:
            text += f" (allowed: {allowed})"
        super().__init__(text)


class UnsupportedByFirmware(JumperlessError):
    """The connected firmware family does not have this function."""


class ReplyParseError(JumperlessError, ValueError):
    """A printed reply did not look like the repr the catalog promises."""


class NonFiniteReading(JumperlessError):
    """The board answered nan or inf where a reading was promised: a failed conversion or a missing sensor.

    Raised rather than returned: nan is no voltage or current, JSON has no spelling for it, and a nan compared
    in a bench script passes every `<` and `>` check silently. Not a ReplyParseError: the reply was well framed.
    """

    def __init__(self, text: str, call: str | None = None) -> None:
        self.text = text  # as the board printed it: nan, inf, -inf
        self.call = call  # the call's source, when the caller knows it (dac_get(0))
        where = f" for {call}" if call else ""
        super().__init__(f"the board answered {text}{where} where a number was expected")


class FirmwareError(JumperlessError):
    """An exception raised on the board, rebuilt from its MicroPython traceback."""

    def __init__(self, exc_type: str, message: str, traceback: str = "") -> None:
        self.exc_type = exc_type
        self.message = message
        self.traceback = traceback
        super().__init__(f"{exc_type}: {message}" if message else exc_type)

    @property
    def retryable(self) -> bool:
        """Only an interrupted call may succeed if sent again unchanged."""
        return False


class FirmwareValueError(FirmwareError, ValueError):
    """The firmware rejected an argument (unknown node, channel out of range...)."""


class FirmwareTypeError(FirmwareError, TypeError):
    """The firmware rejected an argument's type or count."""


class FirmwareNameError(FirmwareError, NameError):
    """The name does not exist on this firmware (often: a newer function on older firmware)."""


class FirmwareOSError(FirmwareError, OSError):
    """A filesystem or device error on the board."""


class FirmwareInterrupted(FirmwareError):
    """The code was interrupted (Ctrl-C / Ctrl-Q) before it finished."""

    @property
    def retryable(self) -> bool:
        return True


_BY_TYPE: dict[str, type[FirmwareError]] = {
    "ValueError": FirmwareValueError,
    "TypeError": FirmwareTypeError,
    "NameError": FirmwareNameError,
    "ImportError": FirmwareNameError,
    "AttributeError": FirmwareNameError,
    "OSError": FirmwareOSError,
    "KeyboardInterrupt": FirmwareInterrupted,
}


def firmware_error(exc_type: str, message: str, traceback: str = "") -> FirmwareError:
    """The most specific FirmwareError subclass for a MicroPython exception name."""
    cls = _BY_TYPE.get(exc_type, FirmwareError)
    return cls(exc_type, message, traceback)
