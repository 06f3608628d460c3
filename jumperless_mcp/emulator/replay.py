"""A virtual board that replays a recording (link/recording.py's JSON Lines) on pseudo-terminals.

How strict it is:
* Each port (main, repl/la, aux) gets a pty. What the host writes on a port must be the recorded requests
  (`tx`) of that port, byte for byte and in order; how the host's writes are split does not matter.
* Except nonces the host draws at random: the request nonce of both channels (`'\\x02'+'<8 hex>'`,
  `'<8 hex>'+'\\x03'`), the resync check (`print('<8 hex>')`) and the result/capture tag (`\\x1e<4 hex>`).
  There any hex of the same length is accepted (a nonce that occurs twice in one request must be the same
  both times); the live value is bound to the recorded one and put in place of it in the replies that
  follow. Each request binds afresh: a short tag drawn again by a later request (4 hex digits repeat within
  a few hundred requests) is that request's own, not the earlier one's.
* A recorded reply (`rx`) is sent once the host has sent every request recorded before it on its port and
  the latest request before it on any port, after the same delay that followed that request when recorded.
* Anything else - different bytes, or a request past the end of the recording - fails loudly: `failure`
  names the port, the event number (line of the file), the bytes expected and the bytes received; the
  ports close (the host sees the board go away) and a reconnect is refused with that message.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jumperless_mcp.emulator.ports import IoThread, PtyPort

log = logging.getLogger(__name__)

FORMAT = "jumperless-mcp-recording"
PTY_ROLE = {"main": "main", "repl": "repl", "la": "repl", "aux": "aux", "uart": "uart"}
# (pattern over the request bytes, group 1 = the nonce) and how it shows in replies
NONCES = (
    re.compile(rb"'\\x02'\+'([0-9a-f]{8})'"),
    re.compile(rb"'([0-9a-f]{8})'\+'\\x03'"),
    re.compile(rb"print\('([0-9a-f]{8})'\)"),
    re.compile(rb"\\x1e([0-9a-f]{4})"),
)
HEX = frozenset(b"0123456789abcdef")
MAX_DELAY = 5.0  # a recorded pause longer than this is shortened (the board thought for a while)


class ReplayMismatch(AssertionError):
    """The host sent something the recording does not have."""


@dataclass
class Event:
    index: int  # line number in the file (1 = the header)
    t: float
    port: str  # pty role
    direction: str
    data: bytes
    after: int = -1  # rx: the index in `events` of the latest tx before it (any port)
    done: float | None = None  # tx: when matched; rx: when sent


@dataclass
class _Port:
    pty: PtyPort
    pending: bytearray = field(default_factory=bytearray)  # host bytes not matched yet
    received: bytearray = field(default_factory=bytearray)  # the part of the current request matched so far


class ReplayBoard:
    """Duck-types the parts of VirtualBoard that link/targets.py uses (paths, plugged_in, start, stop)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        lines = self.path.read_text(encoding="utf-8").splitlines()
        header = json.loads(lines[0]) if lines else {}
        if header.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file")
        self.time_scale = float(header.get("time_scale", 1.0))
        self.events: list[Event] = []
        last_tx = -1
        for number, line in enumerate(lines[1:], start=2):
            record = json.loads(line) if line.strip() else {}
            if "dir" not in record:
                continue
            text = str(record.get("data", ""))
            data = base64.b64decode(text) if record.get("enc") == "base64" else text.encode("utf-8")
            event = Event(number, float(record["t"]), PTY_ROLE.get(str(record["port"]), "main"), record["dir"], data)
            if event.direction == "rx":
                event.after = last_tx
            else:
                last_tx = len(self.events)
            self.events.append(event)
        roles = {"main"} | {event.port for event in self.events}
        self._ports = {role: _Port(PtyPort(role)) for role in sorted(roles)}
        self._queues = {role: [event for event in self.events if event.port == role] for role in self._ports}
        self._bound: dict[bytes, bytes] = {}  # recorded nonce -> live nonce
        self._cond = threading.Condition()
        self._io = IoThread()
        self._thread = threading.Thread(target=self._run, name="replay-board", daemon=True)
        self._stop = False
        self._started_at = 0.0
        self.failure: str | None = None
        self.plugged_in = True

    # --- what targets.py reads -------------------------------------------------------------------
    @property
    def main_path(self) -> str:
        return self._ports["main"].pty.path

    @property
    def repl_path(self) -> str | None:
        return self._ports["repl"].pty.path if "repl" in self._ports else None

    @property
    def aux_path(self) -> str | None:
        return self._ports["aux"].pty.path if "aux" in self._ports else None

    @property
    def finished(self) -> bool:
        """Every recorded request was received and every recorded reply sent."""
        return all(event.done is not None for event in self.events)

    def check(self) -> None:
        """Raise ReplayMismatch if the host strayed from the recording."""
        if self.failure:
            raise ReplayMismatch(self.failure)

    def start(self) -> ReplayBoard:
        self._started_at = time.monotonic()
        self._io.start()
        for port in self._ports.values():
            self._io.add(port.pty, lambda data, port=port: self._from_host(port, data))
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=2)
        self._io.stop()
        for port in self._ports.values():
            port.pty.close()
        self.plugged_in = False

    def __enter__(self) -> ReplayBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- matching requests -----------------------------------------------------------------------
    def _undone(self, role: str) -> list[Event]:
        """The port's events not done yet, in order (done ones are dropped from the front as they finish)."""
        queue = self._queues[role]
        while queue and queue[0].done is not None:
            queue.pop(0)
        return queue

    def _next_tx(self, role: str) -> Event | None:
        return next((e for e in self._undone(role) if e.direction == "tx"), None)

    def _expected(self, event: Event) -> tuple[bytes, set[int], list[tuple[int, bytes]]]:
        """The recorded request, the positions of its nonce characters (any hex there), and its nonces."""
        data = event.data
        wild: set[int] = set()
        fresh: list[tuple[int, bytes]] = []
        for pattern in NONCES:
            for found in pattern.finditer(data):
                fresh.append((found.start(1), found.group(1)))
                wild.update(range(found.start(1), found.end(1)))
        return data, wild, fresh

    def _from_host(self, port: _Port, data: bytes) -> None:
        with self._cond:
            if self.failure or self._stop:
                return
            port.pending += data
            try:
                self._match(port)
            except ReplayMismatch as exc:
                self._fail(str(exc))
            self._cond.notify_all()

    def _match(self, port: _Port) -> None:
        role = port.pty.role
        while port.pending:
            event = self._next_tx(role)
            if event is None:
                raise ReplayMismatch(
                    f"replay {self.path.name}: unexpected request on port {role} after the end of its "
                    f"recorded requests: {bytes(port.pending[:120])!r}"
                )
            expected, wild, fresh = self._expected(event)
            start = len(port.received)
            got = bytes(port.pending[: len(expected) - start])
            for i, byte in enumerate(got):
                at = start + i
                if (byte in HEX) if at in wild else byte == expected[at]:
                    continue
                sent = bytes(port.received) + got
                raise ReplayMismatch(
                    f"replay {self.path.name}: unexpected request on port {role} at line {event.index} of the "
                    f"recording (byte {at} of the recorded request): expected "
                    f"{expected[max(0, at - 30) : at + 40]!r}, got {sent[max(0, at - 30) : at + 40]!r}"
                )
            del port.pending[: len(got)]
            port.received += got
            if len(port.received) < len(expected):
                return
            bound: dict[bytes, bytes] = {}  # the whole request arrived: bind its nonces
            for position, nonce in fresh:
                live = bytes(port.received[position : position + len(nonce)])
                if bound.setdefault(nonce, live) != live:
                    raise ReplayMismatch(
                        f"replay {self.path.name}: on port {role} at line {event.index} of the recording the "
                        f"nonce recorded as {nonce!r} came as {bound[nonce]!r} and as {live!r} in one request"
                    )
            self._bound.update(bound)
            port.received.clear()
            for earlier in list(self._undone(role)):  # replies recorded before it went out before it was sent
                if earlier is event:
                    break
                if earlier.direction == "rx" and earlier.done is None:
                    self._send(earlier)
            event.done = time.monotonic()

    # --- sending replies -------------------------------------------------------------------------
    def _due(self, event: Event) -> float | None:
        """When a reply may go out (None: not yet known)."""
        if event.after < 0:
            return self._started_at
        cause = self.events[event.after]
        if cause.done is None:
            return None
        return cause.done + min(MAX_DELAY, max(0.0, event.t - cause.t))

    def _send(self, event: Event) -> None:
        """Write a reply with the live nonces in place of the recorded ones. A nonce may straddle two recorded
        chunks, so the chunks after it that may go out now go out with it, as one."""
        data = event.data
        event.done = time.monotonic()
        queue = self._undone(event.port)
        while queue and queue[0].direction == "rx" and self._cause_done(queue[0]):
            data += queue[0].data
            queue[0].done = event.done
            queue = self._undone(event.port)
        for recorded, live in self._bound.items():
            if len(recorded) == 4:
                data = data.replace(b"\x1e" + recorded, b"\x1e" + live)
            else:
                data = data.replace(recorded, live)
        self._ports[event.port].pty.write(data)

    def _cause_done(self, event: Event) -> bool:
        return event.after < 0 or self.events[event.after].done is not None

    def _run(self) -> None:
        with self._cond:
            while not self._stop:
                now = time.monotonic()
                wait = 0.2
                for role in self._queues:
                    queue = self._undone(role)
                    while queue and queue[0].direction == "rx" and not self.failure:
                        due = self._due(queue[0])
                        if due is None:
                            break
                        if due > now:
                            wait = min(wait, due - now)
                            break
                        self._send(queue[0])
                        queue = self._undone(role)
                self._cond.wait(wait)

    def _fail(self, message: str) -> None:
        self.failure = message
        log.error("%s", message)
        self.plugged_in = False
        for port in self._ports.values():
            port.pty.close()
