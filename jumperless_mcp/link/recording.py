"""Record a board's serial exchange, both directions, every port, to a JSON Lines file.

A recording from a real board is what lets us turn "it failed on my bench" into a test: the virtual board
replays it (emulator/replay.py). `SerialLink` (the one module that touches pyserial) asks `tap_for(device)`
when it opens a port, so every port the host opens is covered (main, REPL, aux, logic analyzer) whoever
opens it. The session registers the board's ports here (`Recorder.watch`) before opening any.

Format (one JSON object a line, UTF-8):

    {"format": "jumperless-mcp-recording", "version": 1, "started": "<ISO time>", "time_scale": 1.0}
    {"t": 0.0123, "port": "main", "dir": "tx", "data": "print(1)\\n"}
    {"t": 0.0150, "port": "main", "dir": "rx", "data": "aGVsbG8=", "enc": "base64"}

`t` is seconds since the header; `port` is the device's role (main, repl, aux, uart, or la: the 5.3.x
firmware's second port is its logic analyzer); `dir` is tx (host to board) or rx (board to host); `data` is
the bytes as text when they are valid UTF-8 (JSON escapes the control characters), else base64 with
"enc": "base64". A `{"note": ...}` line marks a port opened or closed ("open main /dev/ttyACM0").
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

FORMAT = "jumperless-mcp-recording"
VERSION = 1
Tap = Callable[[str, bytes], None]  # (direction "tx" | "rx", bytes)

_watched: dict[str, tuple[Recorder, str]] = {}  # device path (real path) -> its recorder and role
_watched_lock = threading.Lock()


def encode(data: bytes) -> dict[str, str]:
    """The `data` (and `enc`) fields for some bytes."""
    try:
        return {"data": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"data": base64.b64encode(data).decode("ascii"), "enc": "base64"}


def decode(event: dict[str, object]) -> bytes:
    text = str(event.get("data", ""))
    return base64.b64decode(text) if event.get("enc") == "base64" else text.encode("utf-8")


class Recorder:
    """One recording file; thread-safe, flushed after every line so a crash keeps what came before."""

    def __init__(self, path: str | os.PathLike[str], *, time_scale: float = 1.0) -> None:
        self.path = Path(path)
        self.time_scale = time_scale
        self._file: IO[str] | None = None
        self._start = 0.0
        self._lock = threading.Lock()
        self.events = 0
        self._finalizer: weakref.finalize | None = None

    def _open(self) -> IO[str]:
        if self._file is None:
            reopened = self._start > 0  # the session reconnected after a close: carry on in the same file
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a" if reopened else "w", encoding="utf-8")
            self._finalizer = weakref.finalize(self, self._file.close)
            if reopened:
                return self._file
            self._start = time.monotonic()
            header = {
                "format": FORMAT,
                "version": VERSION,
                "started": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "time_scale": self.time_scale,
            }
            self._file.write(json.dumps(header) + "\n")
        return self._file

    def _write(self, line: dict[str, object]) -> None:
        with self._lock:
            handle = self._open()
            line = {"t": round(time.monotonic() - self._start, 6), **line}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            handle.flush()
            self.events += 1

    def note(self, text: str) -> None:
        self._write({"note": text})

    def event(self, role: str, direction: str, data: bytes) -> None:
        if data:
            self._write({"port": role, "dir": direction, **encode(data)})

    def tap(self, role: str, device: str) -> Tap:
        self.note(f"open {role} {device}")
        return lambda direction, data: self.event(role, direction, data)

    def watch(self, roles: dict[str, str | None], time_scale: float | None = None) -> None:
        """Record the ports of a board from now on: {role: device path} (None entries are skipped)."""
        if time_scale is not None and self._file is None:
            self.time_scale = time_scale
        with _watched_lock:
            for role, device in roles.items():
                if device:
                    _watched[_key(device)] = (self, role)

    def close(self) -> None:
        with _watched_lock:
            for key in [key for key, (rec, _) in _watched.items() if rec is self]:
                del _watched[key]
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _key(device: str) -> str:
    return os.path.realpath(device) if "://" not in device else device


def tap_for(device: str) -> Tap | None:
    """What `SerialLink` calls with every chunk it writes or receives on `device` (None: not recorded)."""
    with _watched_lock:
        found = _watched.get(_key(device))
    if found is None:
        return None
    recorder, role = found
    return recorder.tap(role, device)


def read_recording(path: str | os.PathLike[str]) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The header and the events (notes left out) of a recording file."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ValueError(f"{path}: empty recording")
    header = json.loads(lines[0])
    if header.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file (first line {lines[0][:80]!r})")
    events = [event for line in lines[1:] if line.strip() and "dir" in (event := json.loads(line))]
    return header, events


def recording_path(path: str | os.PathLike[str] | None, board: str | None = None) -> Path | None:
    """The file one board of a server records to: FILE itself for a single (unnamed) board, else
    FILE.NAME.jsonl beside it, so several boards never write into one file."""
    if not path:
        return None
    chosen = Path(path)
    if board in (None, "board"):  # settings.board_config.SINGLE_NAME: the one board of a plain `serve`
        return chosen
    return chosen.with_name(f"{chosen.stem}.{board}{chosen.suffix or '.jsonl'}")
