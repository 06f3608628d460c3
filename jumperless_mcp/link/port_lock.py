"""One process per board: a lock file per serial device, holding the owner's PID.

The serial open itself is also exclusive where the OS supports it (flock on POSIX,
always on Windows), but only the lock file can tell the second process *who* holds
the board, and it covers ports we close after the handshake.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
from pathlib import Path

import platformdirs

from jumperless_mcp.errors import BoardBusy

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl


def lock_dir() -> Path:
    """Where lock files live; `JUMPERLESS_LOCK_DIR` overrides it (tests, shared machines)."""
    override = os.environ.get("JUMPERLESS_LOCK_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_state_dir("jumperless-mcp", appauthor=False)) / "locks"


def lock_name(device: str) -> str:
    """A file name for a device: its resolved path made safe, plus a short hash to keep it unique."""
    resolved = os.path.realpath(device) if os.path.exists(device) else device  # COM5, socket://... as given
    readable = re.sub(r"[^A-Za-z0-9]+", "_", resolved).strip("_")[-60:]
    digest = hashlib.sha1(resolved.encode()).hexdigest()[:10]
    return f"{readable}-{digest}.lock"


class PortLock:
    """An exclusive, non-blocking lock on one device, released on `release()` or process exit."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.path = lock_dir() / lock_name(device)
        self._file: object | None = None

    def acquire(self) -> None:
        """Take the lock or raise `BoardBusy` naming the holder; on any failure nothing stays open."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            _lock(handle)
        except OSError:
            handle.seek(0)
            text = handle.read().strip()
            handle.close()
            raise BoardBusy(self.device, int(text) if text.isdigit() else None) from None
        except BaseException:
            handle.close()
            raise
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except BaseException:
            handle.close()  # closing drops the lock
            raise
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.truncate(0)  # type: ignore[attr-defined]
        handle.close()  # type: ignore[attr-defined]  # closing drops the lock


def _lock(handle) -> None:  # type: ignore[no-untyped-def]
    if sys.platform == "win32":  # pragma: no cover
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
