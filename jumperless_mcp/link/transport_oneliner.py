"""The `>` one-liner on the main port: the only channel on firmware before 5.6 (and JumperlOS's fallback).

The main port has no framing, echoes commands (JumperlOS) and prints unsolicited
lines, so each request is one line wrapped in host-generated sentinels:

    >print('\\x02'+'<nonce>');<statements>;print('<nonce>'+'\\x03')

The markers are built by concatenation so the echoed command never contains them.
The reply is what follows its own start marker, up to its end marker or a complete
traceback that starts a line (the firmware prints it with `\r\n` line ends, on 5.3.x
after its Ctrl-Q notice and colour codes); the call's own output (reprs of stored
text, printed look-alikes) and unsolicited lines cannot end it early. Before the
start marker only a compile error is ours. On 5.3.x each request costs the
firmware's 1 s input collector: batch statements.

JumperlOS specifics (firmware 5.7.0.13 source):
* the request starts with SO, so the line editor frames it at the newline whatever the
  user's line-buffering setting (in character mode a command's argument is whatever
  arrives within 50 ms, SingleCharCommands.cpp:1376-1400);
* the editor re-renders the whole line on every keystroke (about 0.5 MB of echo for a
  1000-character line, Jerial.cpp:470-490, :696-746): the reader drops the echo as it
  arrives, keeping only a marker's length of it, and the line is kept under the editor's
  1023 characters;
* the editor drops anything outside printable ASCII and prints the version for `?`, so
  such characters are escaped inside literals (transport_text);
* after every `>` command the firmware leaves the interrupt char at -1 and nothing on the
  main-port path sets it back (micropython_embed.c:162/:180): each request first runs
  `micropython.kbd_intr(17)`, which re-arms it for that command, so a Ctrl-Q can stop it.
  Recovery does not rely on that: it waits for the interrupted request's own end marker or
  traceback, and gives up on the connection (the session reconnects) if none comes.
"""

from __future__ import annotations

import logging
import re
import secrets

import anyio

from firmware_api.errors import FirmwareError
from firmware_api.replies import parse_traceback
from firmware_api.versions import Family
from jumperless_mcp.errors import ProtocolError
from jumperless_mcp.link.serial_link import SerialLink
from jumperless_mcp.link.transport import TRACEBACK_BLOCK, Reply, Transport, clean_text, is_compile_error
from jumperless_mcp.link.transport_text import editor_unsafe, escape_source, line_unsafe

log = logging.getLogger(__name__)

CTRL_Q = b"\x11"
SO = b"\x0e"  # JumperlOS: line buffering on (Jerial.cpp:211-214), silently
TRACEBACK_HEAD = b"Traceback (most recent call last):"
# where the firmware's own traceback starts: a line start (5.3.x prints its Ctrl-Q notice and colour codes first,
# `^Q\n\r\x1b[..mKeyboardInterrupt (Ctrl+Q)\n\r\x1b[..m`, V5 Python_Proper.cpp:226-231), past colour codes and SO/SI
LINE_START = rb"[\r\n](?:\x1b\[[0-9;?]*[ -/]*[@-~]|[\x0e\x0f])*"
REARM = "import micropython;micropython.kbd_intr(17);"
SETTLE = 0.02  # 5.3.x drops input while Python runs: let it finish after the end marker
MID_LINE_WAIT = 0.1  # a traceback after text with no line end: ours only if our end marker does not follow
LINE_LIMIT = {Family.JUMPERLOS: 1023, Family.LEGACY: 2000}  # the JumperlOS editor holds 1023 characters
END_WAIT = 3.0  # recovery: how long an interrupted request may take to end by itself


class OneLinerTransport(Transport):
    name = "main-oneliner"

    def __init__(self, link: SerialLink, family: Family, time_scale: float = 1.0) -> None:
        self.link = link
        self.family = family
        self.time_scale = time_scale  # < 1 only for a virtual board running its timers faster
        self.max_line = LINE_LIMIT[family] - len(self._line([""], "0" * 8).lstrip(SO).rstrip(b"\n")) + 1
        self._outstanding: str | None = None  # nonce of a line sent whose reply was not read to the end

    async def start(self) -> None:
        """Nothing to enter: the handshake left the menu idle."""

    def prepare(self, statements: list[str]) -> list[str]:
        """Comments dropped (the line joins statements with `;`), unsafe characters escaped in literals."""
        unsafe = editor_unsafe if self.family is Family.JUMPERLOS else line_unsafe
        return [escape_source(statement, unsafe, drop_comments=True) for statement in statements]

    def _line(self, statements: list[str], nonce: str) -> bytes:
        body = ";".join(statements)
        if self.family is Family.JUMPERLOS:
            return SO + rf">{REARM}print('\x02'+'{nonce}');{body};print('{nonce}'+'\x03')".encode() + b"\n"
        return rf">print('\x02'+'{nonce}');{body};print('{nonce}'+'\x03')".encode() + b"\n"

    async def execute(self, statements: list[str]) -> Reply:
        """Run prepared statements as one `>` line (the caller keeps it under `max_line`).

        The reply is what follows this request's own start marker, up to its end marker or the firmware's
        traceback; marker and traceback look-alikes in the echo, in what the call prints, or in unsolicited
        output are text, not the end of the reply.
        """
        nonce = secrets.token_hex(4)
        stale = await self.link.discard_pending()
        if stale:
            log.debug("dropped unsolicited main-port output %r", stale[-200:])
        self._outstanding = nonce  # from here on, a reply may be in flight
        await self.link.write(self._line(statements, nonce))
        not_compiled = await self._skip_to_start(nonce)
        if not_compiled is None:
            body, error = await self._read_reply(nonce)
        else:
            body, error = b"", not_compiled
        self._outstanding = None
        if self.family is Family.LEGACY:
            await anyio.sleep(SETTLE)
        if body.startswith(b"\r\n"):
            body = body[2:]  # the start marker's own line end
        return Reply(_normalise(clean_text(body)), error)

    async def _skip_to_start(self, nonce: str) -> FirmwareError | None:
        """Drop the echo (as it arrives) and this request's start marker.

        Before the start marker only a compile error can be this request's (the line never ran): that error
        is returned. A complete traceback of another kind there is not ours (an earlier request still running,
        or unsolicited output): ProtocolError, so the session resynchronises instead of reading it.
        """
        start = b"\x02" + nonce.encode()
        # at the head of the buffer: a whole traceback, a header that no traceback follows (echoed text), or
        # further on, the start marker
        quoted = re.escape(TRACEBACK_HEAD) + rb"(?=[^\r\n]|\r[^\n])"
        decide = re.compile(rb"\A(?:" + TRACEBACK_BLOCK + rb"|" + quoted + rb")|" + re.escape(start))
        while await self.link.skip_until((start, TRACEBACK_HEAD)) != start:
            seen = await self.link.read_until(decide)
            if seen.endswith(start):
                return None
            if seen == TRACEBACK_HEAD:
                continue  # text that quotes the header, e.g. in the echo of the command
            text = clean_text(seen)
            error = parse_traceback(text)
            if is_compile_error(error, text):
                return error
            raise ProtocolError(
                f"{self.link.device}: a traceback before the reply's start marker: {clean_text(seen)[-160:]!r}"
            )
        await self.link.read_until(start)
        return None

    async def _read_reply(self, nonce: str) -> tuple[bytes, FirmwareError | None]:
        """What the request printed after its start marker, and its error: up to the end marker, or up to the
        firmware's traceback, which starts a line (or follows text printed without a line end, and then nothing
        of ours follows it)."""
        marker = nonce.encode() + b"\x03"
        end_marker = re.escape(marker)
        end = re.compile(
            rb"(?P<end>" + end_marker + rb")|(?P<lead>" + LINE_START + rb")?(?P<traceback>" + TRACEBACK_BLOCK + rb")"
        )
        body = b""
        chunk = await self.link.read_until(end)  # bounded by the session's per-call timeout
        while True:
            found = end.search(chunk)
            assert found is not None  # the chunk ends with the first match
            closed = chunk.find(marker, found.start())  # our end marker inside a look-alike's last line
            if found.group("end") or closed >= 0:
                return body + chunk[: closed if closed >= 0 else found.start()], None
            if found.group("lead") is None:  # mid-line: the firmware's, unless more of the reply follows
                try:
                    following = await self.link.read_until(end, MID_LINE_WAIT)
                except TimeoutError:
                    pass
                else:
                    body, chunk = body + chunk, following
                    continue
            traceback = found.group("traceback")
            return body + chunk[: found.start("traceback")], parse_traceback(clean_text(traceback))

    async def interrupt(self) -> bool:
        if self._outstanding is None:
            return False
        await self.link.write(CTRL_Q)
        return True

    async def recover(self, interrupted: bool = False) -> bool:
        """Stop the interrupted request, wait for its end, then check with a fresh nonce.

        Ctrl-Q stops code on 5.3.x (unless it neither prints nor sleeps) and, re-armed by each request,
        on JumperlOS too, but only when it is the first byte pending; so success is judged by the request's
        own end marker or traceback, never by the Ctrl-Q. If neither comes, the board is still busy: the
        session drops the link and reconnects later, which sends nothing that could run or change state.
        Only here, after the host's own Ctrl-Q, is a traceback taken wherever it starts: JumperlOS prints it
        straight after its `^Q` echo, and what was printed around it is dropped anyway.
        """
        nonce = self._outstanding
        if nonce is None:  # cancelled before sending: nothing to interrupt or drain
            return False
        if not interrupted:
            await self.link.write(CTRL_Q)
        ended = re.compile(re.escape(nonce.encode() + b"\x03") + b"|" + TRACEBACK_BLOCK)
        with anyio.move_on_after(END_WAIT) as waiting:
            await self.link.read_until(ended)
        if waiting.cancelled_caught:
            raise ProtocolError(f"{self.link.device}: the interrupted call is still running on the board")
        self._outstanding = None
        quiet = 1.5 * self.time_scale if self.family is Family.LEGACY else 0.2
        await self.link.read_quiet(quiet, limit=max(2.0, 4 * quiet))
        check = secrets.token_hex(4)
        with anyio.fail_after(max(3.0, 5 * quiet)):
            reply = await self.execute([f"print('{check}')"])
        if reply.stdout.strip() != check or reply.error:
            raise ProtocolError(f"{self.link.device}: main port did not resynchronise ({reply.stdout[-80:]!r})")
        return True

    async def close(self) -> None:
        await self.link.close()


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
