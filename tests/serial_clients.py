"""Minimal test-side serial clients for the virtual board's ports (pyserial, blocking).

They speak the wire protocol directly so the tests check bytes, not our own host code
(the host transport is a separate layer with its own tests).
"""

from __future__ import annotations

import time

import serial

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"


class RawRepl:
    """The REPL port in raw mode: `exec()` returns (stdout, stderr) as text."""

    def __init__(self, path: str, timeout: float = 5.0) -> None:
        self.serial = serial.Serial(path, 115200, timeout=timeout, exclusive=True)
        self.timeout = timeout
        self.serial.write(b"\r\x03\x03")
        time.sleep(0.05)
        self.serial.reset_input_buffer()
        self.serial.write(b"\r\x01")
        self.read_until(RAW_PROMPT)

    def read_until(self, marker: bytes, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout or self.timeout)
        data = b""
        while not data.endswith(marker):
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited for {marker!r}, got {data[-200:]!r}")
            data += self.serial.read(1)
        return data

    def exec_raw(self, code: str | bytes, timeout: float | None = None) -> bytes:
        """Send code + Ctrl-D; return everything up to and including the final `\\x04>`."""
        payload = code.encode() if isinstance(code, str) else code
        self.serial.write(payload + b"\x04")
        return self.read_until(b"\x04>", timeout)

    def exec(self, code: str | bytes, timeout: float | None = None) -> tuple[str, str]:
        reply = self.exec_raw(code, timeout)
        assert reply.startswith(b"OK"), reply
        stdout, stderr, tail = reply[2:].split(b"\x04")
        assert tail == b">"
        return stdout.decode(), stderr.decode()

    def lines(self, code: str) -> list[str]:
        """Run code that must not fail; return the lines it printed."""
        stdout, stderr = self.exec(code)
        assert stderr == "", stderr
        return stdout.splitlines()

    def eval(self, expression: str) -> str:
        """The printed repr of one expression; raises AssertionError on a traceback."""
        stdout, stderr = self.exec(f"print(repr({expression}))")
        assert stderr == "", stderr
        return stdout.strip()

    def close(self) -> None:
        self.serial.close()

    def __enter__(self) -> RawRepl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MainPortClient:
    """The main port: write commands, read replies with ANSI and SO/SI left in."""

    def __init__(self, path: str, timeout: float = 5.0) -> None:
        self.serial = serial.Serial(path, 115200, timeout=0.05, exclusive=True)
        self.timeout = timeout

    def send(self, data: bytes) -> None:
        self.serial.write(data)

    def read_until(self, marker: bytes, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout or self.timeout)
        data = b""
        while marker not in data:
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited for {marker!r}, got {data[-300:]!r}")
            data += self.serial.read(self.serial.in_waiting or 1)
        return data

    def read_quiet(self, quiet: float = 0.3, timeout: float | None = None) -> bytes:
        """Everything until `quiet` seconds pass with no byte."""
        deadline = time.monotonic() + (timeout or self.timeout)
        data, last = b"", time.monotonic()
        while time.monotonic() - last < quiet and time.monotonic() < deadline:
            chunk = self.serial.read(self.serial.in_waiting or 1)
            if chunk:
                data, last = data + chunk, time.monotonic()
        return data

    def close(self) -> None:
        self.serial.close()

    def __enter__(self) -> MainPortClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
