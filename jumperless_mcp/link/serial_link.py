"""One serial port as an async byte stream: open exclusively, write, read up to a marker.

This is the only module that touches pyserial. Channels (raw REPL, `>` one-liner)
build their framing on top of `SerialLink`; a lost port always surfaces here as
`BoardDisconnected`, whatever the OS said. Received bytes go straight into our own
buffer (an asyncio protocol), so reading, peeking and dropping stale input cost no
extra wake-ups or cancel scopes on the hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import sys
import time

import anyio
import serial
import serial_asyncio_fast

from jumperless_mcp.errors import BoardBusy, BoardDisconnected, BoardNotFound
from jumperless_mcp.link.port_lock import PortLock
from jumperless_mcp.link.recording import Tap, tap_for

log = logging.getLogger(__name__)

Marker = bytes | tuple[bytes, ...] | re.Pattern[bytes]  # tuples and bytes need no regex built per request
BAUDRATE = 115200  # USB CDC ignores it, but 1200 would reboot the RP2350 into its bootloader (§1.6)


class _Receiver(asyncio.Protocol):
    """Feeds the link's buffer from the event loop's reader callback."""

    def __init__(self, link: SerialLink) -> None:
        self.link = link

    def data_received(self, data: bytes) -> None:
        self.link._received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.link._lost(exc)

    def pause_writing(self) -> None:
        self.link._writable.clear()

    def resume_writing(self) -> None:
        self.link._writable.set()


class SerialLink:
    """An open port with a read buffer. Not safe for concurrent use: the session serialises access."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._lock = PortLock(device)
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._arrived = asyncio.Event()
        self._writable = asyncio.Event()
        self._closed = asyncio.Event()
        self._error: str | None = None
        self._tap: Tap | None = None  # set while the port is recorded (link/recording.py)

    @property
    def is_open(self) -> bool:
        return self._transport is not None and self._error is None

    async def open(self) -> None:
        """Take the lock file, then open the port; a failed or cancelled open leaves neither held."""
        self._lock.acquire()
        try:
            transport = await self._open_port()
        except BaseException:
            self._lock.release()
            raise
        self._transport = transport
        self._tap = tap_for(self.device)
        self._buffer.clear()
        self._error = None
        self._closed.clear()
        self._writable.set()
        log.debug("opened %s", self.device)

    async def _open_port(self) -> asyncio.Transport:
        options: dict[str, object] = {"baudrate": BAUDRATE}
        if "://" not in self.device and sys.platform != "win32":
            options["exclusive"] = True  # flock: a second opener fails even without our lock file
        loop = asyncio.get_running_loop()
        try:
            if "://" in self.device:  # socket:// and other URL handlers
                transport, _ = await serial_asyncio_fast.create_serial_connection(
                    loop, lambda: _Receiver(self), self.device, **options
                )
                return transport  # type: ignore[return-value]
            # The OS open runs in a worker thread. Cancelled while it runs (a call's timeout), the port it
            # opens later must still be closed: the shield keeps the thread's result, the callback closes it.
            opening = loop.run_in_executor(None, functools.partial(serial.serial_for_url, self.device, **options))
            try:
                instance = await asyncio.shield(opening)
            except asyncio.CancelledError:
                opening.add_done_callback(_close_abandoned)
                raise
            transport, _ = await serial_asyncio_fast.connection_for_serial(loop, lambda: _Receiver(self), instance)
            return transport  # type: ignore[return-value]
        except serial.SerialException as exc:
            text = str(exc)
            if "exclusively lock" in text:
                raise BoardBusy(self.device, None) from None
            if "No such file" in text or "could not open port" in text:
                raise BoardNotFound(f"cannot open {self.device}: {text}") from None
            raise BoardDisconnected(f"cannot open {self.device}: {text}") from None
        except OSError as exc:
            raise BoardNotFound(f"cannot open {self.device}: {exc}") from None

    async def close(self) -> None:
        """Close the port and release the lock file, even when cancelled while waiting for the OS."""
        transport, self._transport = self._transport, None
        try:
            if transport is not None:
                with contextlib.suppress(Exception):
                    transport.close()
                # The port (and its flock) is released a few loop turns later: wait, so it can be reopened at once.
                with anyio.move_on_after(1.0):
                    await self._closed.wait()
        finally:
            self._lock.release()

    # --- protocol callbacks ----------------------------------------------------------------------
    def _received(self, data: bytes) -> None:
        if self._tap is not None:
            self._tap("rx", data)
        self._buffer += data
        self._arrived.set()

    def _lost(self, exc: Exception | None) -> None:
        if exc is not None or self._transport is not None:
            self._error = f"the port went away ({exc or 'closed by the OS'})"
        self._closed.set()
        self._arrived.set()
        self._writable.set()

    # --- reading and writing ---------------------------------------------------------------------
    def _check(self) -> None:
        if self._error is not None:
            raise BoardDisconnected(f"{self.device}: {self._error}")
        if self._transport is None:
            raise BoardDisconnected(f"{self.device} is not open")

    async def write(self, data: bytes) -> None:
        self._check()
        if not self._writable.is_set():
            await self._writable.wait()
            self._check()
        if self._tap is not None:
            self._tap("tx", data)
        try:
            self._transport.write(data)  # type: ignore[union-attr]
        except (serial.SerialException, OSError, ConnectionError) as exc:
            raise BoardDisconnected(f"{self.device}: write failed ({exc})") from None

    async def _more(self) -> None:
        """Wait until more bytes arrive (callers bound the wait)."""
        self._check()
        self._arrived.clear()
        await self._arrived.wait()
        if not self._buffer:
            self._check()

    async def read_until(self, marker: Marker, timeout: float | None = None) -> bytes:
        """Everything up to and including the first match (of any of the markers in a tuple: the earliest);
        the rest stays buffered.

        With a timeout, raises TimeoutError (the buffer is kept) if the marker does not arrive in time;
        without one, the caller's own deadline bounds the wait.
        """
        if timeout is None:
            return await self._read_until(marker)
        with anyio.fail_after(timeout):
            return await self._read_until(marker)

    async def _read_until(self, marker: Marker) -> bytes:
        searched = 0
        while True:
            end = _match_end(self._buffer, marker, searched)
            if end is not None:
                data = bytes(self._buffer[:end])
                del self._buffer[:end]
                return data
            if not isinstance(marker, re.Pattern):
                longest = len(marker) if isinstance(marker, bytes) else max(map(len, marker))
                searched = max(0, len(self._buffer) - longest + 1)
            await self._more()

    async def skip_until(self, markers: tuple[bytes, ...]) -> bytes:
        """Drop everything before the first of `markers` (which stays buffered); return that marker.

        Memory stays bounded however much arrives first: only a marker's length of tail is kept while
        searching (a JumperlOS line editor echoes ~0.5 MB for a 1000-character line). Callers bound the wait.
        """
        keep = max(len(marker) for marker in markers) - 1
        while True:
            found = [(index, marker) for marker in markers if (index := self._buffer.find(marker)) >= 0]
            if found:
                index, marker = min(found)
                del self._buffer[:index]
                return marker
            if len(self._buffer) > keep:
                del self._buffer[: len(self._buffer) - keep]
            await self._more()

    async def read_quiet(self, quiet: float, limit: float) -> bytes:
        """Everything until `quiet` seconds pass with no byte, or `limit` seconds in all."""
        deadline = time.monotonic() + limit
        while True:
            remaining = min(quiet, deadline - time.monotonic())
            if remaining <= 0:
                break
            with anyio.move_on_after(remaining) as scope:
                await self._more()
            if scope.cancelled_caught:
                break
        return self.take_buffered()

    def take_buffered(self) -> bytes:
        """What has arrived but nobody read (unsolicited output between requests)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    async def discard_pending(self) -> bytes:
        """Drop input that already arrived (stale or unsolicited) without waiting for more."""
        await anyio.sleep(0)  # let the loop deliver bytes the OS already holds
        self._check()
        return self.take_buffered()


def _close_abandoned(opening: asyncio.Future[serial.Serial]) -> None:
    """Close a port whose open finished after its caller gave up on it."""
    if not opening.cancelled() and opening.exception() is None:
        with contextlib.suppress(Exception):
            opening.result().close()


def _match_end(buffer: bytearray, marker: Marker, start: int = 0) -> int | None:
    if isinstance(marker, bytes):
        index = buffer.find(marker, start)
        return None if index < 0 else index + len(marker)
    if isinstance(marker, tuple):
        found = [(index, len(m)) for m in marker if (index := buffer.find(m, start)) >= 0]
        return None if not found else sum(min(found))
    found = marker.search(buffer)
    return None if found is None else found.end()
