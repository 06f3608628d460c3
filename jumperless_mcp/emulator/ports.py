"""Pseudo-terminal endpoints and the byte plumbing behind each virtual USB CDC port.

The host opens `PtyPort.path` with the same serial code it uses for hardware.
An I/O thread reads what the host writes into each port's `InputBuffer`; the
board's own thread consumes those buffers, like the firmware's main loop does,
and running code only peeks at them for interrupt bytes, as the firmware's
interrupt check does.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import threading
import time
import tty
from collections.abc import Callable, Iterable


class PtyPort:
    """One CDC port as a pseudo-terminal: the host side is `path`, the board keeps the master."""

    WRITE_TIMEOUT = 1.0  # like the USB stack, give up on a host that stopped reading

    def __init__(self, role: str) -> None:
        self.role = role
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # before anything is written: no echo, no CR/LF translation
        self.path = os.ttyname(self._slave)
        os.set_blocking(self.master, False)
        self._write_lock = threading.Lock()
        self.closed = False
        self.written = 0  # bytes the board has sent on this port (echo volume, for tests and benchmarks)

    def write(self, data: bytes) -> None:
        if not data or self.closed:
            return
        with self._write_lock:
            self.written += len(data)
            view = memoryview(data)
            deadline = time.monotonic() + self.WRITE_TIMEOUT
            while view:
                try:
                    sent = os.write(self.master, view)
                    view = view[sent:]
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        return  # host is not reading: drop, as the CDC stack does
                    time.sleep(0.001)
                except OSError as exc:
                    if exc.errno in (errno.EIO, errno.EBADF):
                        return
                    raise

    def read_available(self) -> bytes:
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EBADF):
                return b""
            raise

    def close(self) -> None:
        """Unplug: the device node disappears and an open host handle sees an error."""
        if self.closed:
            return
        self.closed = True
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class InputBuffer:
    """Bytes the host sent that the board has not consumed yet."""

    def __init__(self, cond: threading.Condition) -> None:
        self._cond = cond
        self._data = bytearray()
        self.received = 0  # bytes fed in all

    def feed(self, data: bytes) -> None:
        with self._cond:
            self._data.extend(data)
            self.received += len(data)
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._data)

    def read_byte(self, timeout: float = 0.0) -> int | None:
        """Consume one byte, waiting up to `timeout` seconds for it."""
        with self._cond:
            if not self._data and timeout > 0:
                self._cond.wait_for(lambda: bool(self._data), timeout)
            if not self._data:
                return None
            byte = self._data[0]
            del self._data[0]
            return byte

    def peek_byte(self, timeout: float = 0.0) -> int | None:
        with self._cond:
            if not self._data and timeout > 0:
                self._cond.wait_for(lambda: bool(self._data), timeout)
            return self._data[0] if self._data else None

    def take_all(self) -> bytes:
        with self._cond:
            data = bytes(self._data)
            self._data.clear()
            return data

    def read_until_deadline(self, seconds: float, stop: Iterable[int] = ()) -> bytes:
        """Read until a stop byte (consumed, not returned) or until `seconds` have passed in all."""
        out = bytearray()
        stops = set(stop)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            byte = self.read_byte(left)
            if byte is None:
                break
            if byte in stops:
                break
            out.append(byte)
        return bytes(out)

    def read_until_gap(self, gap: float, stop: Iterable[int] = (), limit: int = 1 << 20) -> bytes:
        """Read until `gap` seconds pass with no byte, or a stop byte (consumed, not returned)."""
        out = bytearray()
        stops = set(stop)
        while len(out) < limit:
            byte = self.read_byte(gap)
            if byte is None:
                break
            if byte in stops:
                break
            out.append(byte)
        return bytes(out)


class IoThread:
    """Reads every port's master side and hands bytes to the port's `on_bytes` callback."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._stop = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="virtual-board-io", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, port: PtyPort, on_bytes: Callable[[bytes], None]) -> None:
        with self._lock:
            self._selector.register(port.master, selectors.EVENT_READ, (port, on_bytes))
        os.write(self._wake_w, b"x")

    def remove(self, port: PtyPort) -> None:
        with self._lock, contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(port.master)
        os.write(self._wake_w, b"x")

    def _run(self) -> None:
        while not self._stop:
            with self._lock:
                pass  # let add/remove finish before selecting again
            for key, _ in self._selector.select(timeout=0.2):
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 1024)
                    continue
                port, on_bytes = key.data
                data = port.read_available()
                if data:
                    on_bytes(data)
                elif port.closed:
                    self.remove(port)

    def stop(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        self._thread.join(timeout=2)
        self._selector.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
