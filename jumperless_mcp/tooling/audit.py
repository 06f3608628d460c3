"""The audit log: every tool call this server runs, one JSON line each, so a bench session can be read back
and turned into a script (`jumperless-mcp log`, serving/audit_script.py).

An entry holds the time, the server run's session id, the board, the tool, its arguments, the Python the
session sent for it (link/session.py collects it per call in a context variable, so concurrent calls never mix),
the result or the error, and the duration. Long values (file contents, base64 pictures, long lists) are cut and
secrets (tokens, passwords, the configured HTTP token) are replaced, so the log can be shared. The file is
rotated by size. Writing never breaks a call: the first failure is logged to stderr, later ones are dropped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_log_dir

from jumperless_mcp.link.session import SENT
from jumperless_mcp.settings.model import Config

log = logging.getLogger("jumperless_mcp.audit")

FILE_NAME = "audit.jsonl"
MAX_BYTES = 2_000_000  # one file's size before it is rotated
BACKUPS = 4  # audit.jsonl.1 ... .4 kept besides the current file
RECHECK_EVERY = 32  # entries between checks that the open file is still the log's (another server may rotate it)
MAX_TEXT = 800  # characters of one string kept
MAX_ITEMS = 64  # items of one list or keys of one dict kept
MAX_DEPTH = 8
MAX_SOURCE = 4000  # characters of one statement sent to the board kept
MAX_SOURCES = 40  # statements of one call kept
SECRET_KEY = re.compile(r"token|secret|passw|authori[sz]ation|api[_-]?key|bearer|cookie|credential", re.IGNORECASE)
BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
PNG_BASE64 = "iVBORw0KGgo"
REDACTED = "[redacted]"
SESSION = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{os.getpid()}-{secrets.token_hex(2)}"


def session_id() -> str:
    """This server run's id: every entry it writes carries it (`log --export-script --session ID`)."""
    return SESSION


def new_session() -> str:
    """Start a new session id (a test, or a process that serves several runs one after the other)."""
    global SESSION
    SESSION = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{os.getpid()}-{secrets.token_hex(2)}"
    return SESSION


def folder(config: Config) -> Path:
    """Where the log lives: the audit_dir setting, else the user log directory."""
    return (
        Path(config.audit_dir).expanduser()
        if config.audit_dir
        else Path(user_log_dir("jumperless-mcp", appauthor=False))
    )


class AuditLog:
    """One log file with its rotated predecessors; appends are serialised within the process."""

    def __init__(self, directory: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        self._failed = False
        self._file: Any = None  # kept open between entries: a call pays one write
        self._size = 0  # the file's size as this process wrote it
        self._unchecked = 0  # entries since the file was last checked against the path (another process rotating)

    def write(self, entry: dict[str, Any]) -> bool:
        """Append one entry; False (and a warning on stderr the first time) when it could not be written."""
        try:
            line = json.dumps(entry, ensure_ascii=False, default=str, allow_nan=False) + "\n"
        except (TypeError, ValueError):
            line = json.dumps(_finite(entry), ensure_ascii=False, default=str) + "\n"
        data = line.encode("utf-8")
        try:
            with self._lock:
                if self._file is None or self._unchecked >= RECHECK_EVERY:
                    self._size = self._current_size()
                if self._size + len(data) > self.max_bytes and self._size > 0:
                    self._close()
                    self._rotate()
                    self._size = self._current_size()
                self._file.write(data)
                self._size += len(data)
                self._unchecked += 1
            return True
        except OSError as exc:
            self._close()
            if not self._failed:
                self._failed = True
                log.warning("the audit log %s cannot be written (%s); tool calls go on unlogged", self.path, exc)
            return False

    def _current_size(self) -> int:
        """The file's size, (re)opening it when it is not ours any more (rotated or removed by another process)."""
        self._unchecked = 0
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            found = None
        if self._file is not None and found is not None:
            mine = os.fstat(self._file.fileno())
            if (mine.st_dev, mine.st_ino) == (found.st_dev, found.st_ino):
                return found.st_size
        self._close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - kept open between entries; unbuffered
        return os.fstat(self._file.fileno()).st_size

    def _close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _rotate(self) -> None:
        for index in range(self.backups, 0, -1):
            older = self.path.with_name(f"{FILE_NAME}.{index}")
            newer = self.path if index == 1 else self.path.with_name(f"{FILE_NAME}.{index - 1}")
            if newer.exists():
                os.replace(newer, older)
        if self.backups == 0:
            self.path.unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """The log's files, oldest first."""
        rotated = [self.path.with_name(f"{FILE_NAME}.{i}") for i in range(self.backups, 0, -1)]
        return [path for path in [*rotated, self.path] if path.exists()]

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every readable entry, oldest first (a torn or foreign line is skipped)."""
        for path in self.files():
            with open(path, encoding="utf-8", errors="replace") as file:
                for line in file:
                    with contextlib.suppress(ValueError):
                        entry = json.loads(line)
                        if isinstance(entry, dict):
                            yield entry


_logs: dict[Path, AuditLog] = {}
_folders: dict[tuple[str | None, ...], Path] = {}
_logs_lock = threading.Lock()
_DIR_ENV = ("XDG_STATE_HOME", "HOME", "LOCALAPPDATA")  # what the user log directory is derived from


def log_for(config: Config) -> AuditLog | None:
    """The log this configuration writes to (one writer per folder in the process); None when it is off."""
    if not config.audit_log:
        return None
    key = (config.audit_dir, *(os.environ.get(name) for name in _DIR_ENV))
    with _logs_lock:
        where = _folders.get(key)
        if where is None:  # platformdirs is slow enough to matter on every call: once per setting
            where = _folders[key] = folder(config)
        found = _logs.get(where)
        if found is None:
            found = _logs[where] = AuditLog(where)
        return found


# --- cutting and redacting ---------------------------------------------------------------------------


def secret_values(config: Config) -> tuple[str, ...]:
    """The secrets this configuration knows (the HTTP token, remote boards' tokens), to scrub from any text."""
    found = [config.http_token or ""] + [entry.token or "" for entry in config.boards]
    return tuple(sorted({value for value in found if len(value) >= 4}, key=len, reverse=True))


def clean(value: object, secrets_: tuple[str, ...] = (), depth: int = 0) -> object:
    """`value` made fit for the log: secrets replaced, long strings and lists cut, pictures summarised."""
    if isinstance(value, str):
        return _clean_text(value, secrets_, MAX_TEXT)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"[{len(value)} bytes]"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= MAX_DEPTH:
        return "[nested too deeply]"
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= MAX_ITEMS:
                out["…"] = f"[{len(value) - MAX_ITEMS} more keys cut]"
                break
            name = str(key)
            out[name] = REDACTED if SECRET_KEY.search(name) and item else clean(item, secrets_, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        items = [clean(item, secrets_, depth + 1) for item in list(value)[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"[{len(value) - MAX_ITEMS} more items cut]")
        return items
    return _clean_text(repr(value), secrets_, MAX_TEXT)


def _clean_text(text: str, secrets_: tuple[str, ...], limit: int) -> str:
    for secret in secrets_:
        text = text.replace(secret, REDACTED)
    text = BEARER.sub(r"\1" + REDACTED, text)
    if text.startswith(PNG_BASE64):
        return f"[PNG, {len(text) * 3 // 4} bytes]"
    if len(text) > limit:
        return f"{text[:limit]}…[{len(text) - limit} chars cut]"
    return text


def clean_sources(statements: list[str], secrets_: tuple[str, ...]) -> list[str]:
    kept = [_clean_text(statement, secrets_, MAX_SOURCE) for statement in statements[:MAX_SOURCES]]
    if len(statements) > MAX_SOURCES:
        kept.append(f"[{len(statements) - MAX_SOURCES} more statements cut]")
    return kept


def _finite(value: object) -> object:
    """nan and infinities as strings: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


# --- one call ----------------------------------------------------------------------------------------


@dataclass
class CallRecord:
    """What one call is building up; `entry()` is the line written when it ends."""

    board: str
    target: str
    tool: str
    arguments: object
    secrets: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)
    wall: float = field(default_factory=time.time)
    sent: list[str] = field(default_factory=list)
    outcome: str = "interrupted"
    result: object = None
    error: dict[str, object] | None = None
    images: list[int] = field(default_factory=list)
    firmware: str | None = None

    def entry(self) -> dict[str, Any]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.wall)) + f".{int(self.wall * 1000) % 1000:03d}Z"
        entry: dict[str, Any] = {
            "time": stamp,
            "session": SESSION,
            "board": self.board,
            "target": self.target,
            "firmware": self.firmware,
            "tool": self.tool,
            "arguments": clean(self.arguments, self.secrets),
            "python": clean_sources(self.sent, self.secrets),
            "outcome": self.outcome,
            "duration_ms": round((time.monotonic() - self.started) * 1000, 1),
        }
        if self.outcome == "ok":
            entry["result"] = clean(self.result, self.secrets)
            if self.images:
                entry["images"] = [f"[PNG, {size} bytes]" for size in self.images]
        elif self.error is not None:
            entry["error"] = clean(self.error, self.secrets)
        return entry


@contextlib.contextmanager
def recording(
    config: Config, board: str, target: str, tool: str, arguments: object, firmware: Any = None
) -> Iterator[CallRecord | None]:
    """Collect what one call sends and write its entry when it ends (None inside when the log is off)."""
    audit = log_for(config)
    if audit is None:
        yield None
        return
    record = CallRecord(board, target, tool, arguments, secret_values(config))
    token = SENT.set(record.sent)
    try:
        yield record
    except BaseException as exc:  # cancelled, or a question sent back to the client (asking.InputRequired)
        record.outcome = "interrupted"
        record.error = {"kind": type(exc).__name__, "message": str(exc)[:MAX_TEXT]}
        raise
    finally:
        SENT.reset(token)
        try:
            known = firmware() if callable(firmware) else firmware
            record.firmware = None if known is None else str(known)
            audit.write(record.entry())
        except Exception as exc:  # never break a call over its log line
            log.debug("audit entry not written: %s", exc)
