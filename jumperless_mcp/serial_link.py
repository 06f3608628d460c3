"""One serial port as an async byte stream: open exclusively, write, read up to a marker.

This is the only module that touches pyserial. Channels (raw REPL, `>` one-liner)
build their framing on top of `SerialLink`; a lost port always surfaces here as
`BoardDisconnected`, whatever the OS said.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import time

import anyio
import serial
import serial_asyncio_fast

from jumperless_mcp.errors import BoardBusy, BoardDisconnected, BoardNotFound
from jumperless_mcp.port_lock import PortLock

log = logging.getLogger(__name__)

BAUDRATE = 115200  # USB CDC ignores it, but 1200 would reboot the RP2350 into its bootloader (§1.6)
CHUNK = 4096


class SerialLink:
    """An open port with a read buffer. Not safe for concurrent use: the session serialises access."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._lock = PortLock(device)
        self._reader: serial_asyncio_fast.asyncio.StreamReader | None = None  # type: ignore[name-defined]
        self._writer = None
        self._buffer = bytearray()
        self.last_received: float | None = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def open(self) -> None:
        self._lock.acquire()
        options: dict[str, object] = {"url": self.device, "baudrate": BAUDRATE}
        if "://" not in self.device and sys.platform != "win32":
            options["exclusive"] = True  # flock: a second opener fails even without our lock file
        try:
            self._reader, self._writer = await serial_asyncio_fast.open_serial_connection(**options)
        except serial.SerialException as exc:
            self._lock.release()
            text = str(exc)
            if "exclusively lock" in text:
                raise BoardBusy(self.device, None) from None
            if "No such file" in text or "could not open port" in text:
                raise BoardNotFound(f"cannot open {self.device}: {text}") from None
            raise BoardDisconnected(f"cannot open {self.device}: {text}") from None
        except OSError as exc:
            self._lock.release()
            raise BoardNotFound(f"cannot open {self.device}: {exc}") from None
        self._buffer.clear()
        log.debug("opened %s", self.device)

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
            await anyio.sleep(0)  # the transport closes its fd on the next loop turn
        self._lock.release()

    async def write(self, data: bytes) -> None:
        if self._writer is None:
            raise BoardDisconnected(f"{self.device} is not open")
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (serial.SerialException, OSError, ConnectionError) as exc:
            raise BoardDisconnected(f"{self.device}: write failed ({exc})") from None

    async def _fill(self) -> None:
        """Wait for at least one more byte (callers bound the wait)."""
        if self._reader is None:
            raise BoardDisconnected(f"{self.device} is not open")
        try:
            data = await self._reader.read(CHUNK)
        except (serial.SerialException, OSError, ConnectionError) as exc:
            raise BoardDisconnected(f"{self.device}: the port went away ({exc})") from None
        if not data:
            raise BoardDisconnected(f"{self.device}: the port went away (end of stream)")
        self._buffer += data
        self.last_received = time.monotonic()

    async def read_until(self, marker: bytes | re.Pattern[bytes], timeout: float) -> bytes:
        """Everything up to and including the first match; the rest stays buffered.

        Raises TimeoutError (the buffer is kept) if the marker does not arrive in time.
        """
        with anyio.fail_after(timeout):
            while True:
                end = _match_end(self._buffer, marker)
                if end is not None:
                    data = bytes(self._buffer[:end])
                    del self._buffer[:end]
                    return data
                await self._fill()

    async def read_quiet(self, quiet: float, limit: float) -> bytes:
        """Everything until `quiet` seconds pass with no byte, or `limit` seconds in all."""
        deadline = time.monotonic() + limit
        while True:
            remaining = min(quiet, deadline - time.monotonic())
            if remaining <= 0:
                break
            with anyio.move_on_after(remaining) as scope:
                await self._fill()
            if scope.cancelled_caught:
                break
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def take_buffered(self) -> bytes:
        """What has arrived but nobody read (unsolicited output between requests)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    async def discard_pending(self) -> bytes:
        """Drop input that already arrived (stale or unsolicited) without waiting for more."""
        while True:
            with anyio.move_on_after(0) as scope:
                await self._fill()  # returns at once while the stream has data buffered
            if scope.cancelled_caught:
                return self.take_buffered()


def _match_end(buffer: bytearray, marker: bytes | re.Pattern[bytes]) -> int | None:
    if isinstance(marker, bytes):
        index = buffer.find(marker)
        return None if index < 0 else index + len(marker)
    found = marker.search(buffer)
    return None if found is None else found.end()
