"""The `>` one-liner on the main port: the only channel on firmware before 5.6.

The main port has no framing, echoes commands (JumperlOS) and prints unsolicited
lines, so each request is one line wrapped in host-generated sentinels:

    >print('\\x02'+'<nonce>');<statements>;print('<nonce>'+'\\x03')

The markers are built by concatenation so the echoed command never contains them.
A request ends at the end marker, a complete traceback, or the Ctrl-Q interrupt notice.
On 5.3.x each request costs the firmware's 1 s input collector: batch statements.
"""

from __future__ import annotations

import logging
import re
import secrets

import anyio

from firmware_api.errors import FirmwareInterrupted
from firmware_api.replies import find_traceback
from firmware_api.versions import Family
from jumperless_mcp.errors import ProtocolError
from jumperless_mcp.serial_link import SerialLink
from jumperless_mcp.transport import Reply, Transport, clean_text

log = logging.getLogger(__name__)

CTRL_Q = b"\x11"
TRACEBACK_DONE = rb"Traceback \(most recent call last\):\r?\n(?:[ \t][^\n]*\n)*[^ \t\r\n][^\n]*\n"
INTERRUPTED = rb"KeyboardInterrupt \(Ctrl\+Q\)"
SETTLE = 0.02  # 5.3.x drops input while Python runs: let it finish after the end marker
LINE_LIMIT = {Family.JUMPERLOS: 1000, Family.LEGACY: 2000}  # JumperlOS refuses > 1024 characters


class OneLinerTransport(Transport):
    name = "main-oneliner"

    def __init__(self, link: SerialLink, family: Family, time_scale: float = 1.0) -> None:
        self.link = link
        self.family = family
        self.time_scale = time_scale  # < 1 only for a virtual board running its timers faster
        self.max_line = LINE_LIMIT[family]
        self._outstanding = False  # a line sent whose reply was not read to the end

    async def start(self) -> None:
        """Nothing to enter: the handshake left the menu idle."""

    def _line(self, statements: list[str], nonce: str) -> str:
        body = ";".join(statements)
        return rf">print('\x02'+'{nonce}');{body};print('{nonce}'+'\x03')" + "\n"

    async def execute(self, statements: list[str]) -> Reply:
        """Run the statements as one `>` line (the caller keeps it under `max_line`)."""
        nonce = secrets.token_hex(4)
        stale = await self.link.discard_pending()
        if stale:
            log.debug("dropped unsolicited main-port output %r", stale[-200:])
        self._outstanding = True  # from here on, a reply may be in flight
        await self.link.write(self._line(statements, nonce).encode())
        done = re.compile(re.escape(nonce.encode() + b"\x03") + b"|" + TRACEBACK_DONE + b"|" + INTERRUPTED)
        raw = await self.link.read_until(done, 1e9)  # bounded by the session's per-call timeout
        if self.family is Family.LEGACY:
            await anyio.sleep(SETTLE)
        start = raw.find(b"\x02" + nonce.encode())
        body = raw[start + 1 + len(nonce) :] if start >= 0 else raw
        if body.endswith(nonce.encode() + b"\x03"):
            body = body[: -len(nonce) - 1]
        text = clean_text(body)
        if re.search(INTERRUPTED.decode(), text):
            before = text[: text.find("^Q")] if "^Q" in text else ""
            self._outstanding = False
            return Reply(_normalise(before), FirmwareInterrupted("KeyboardInterrupt", "interrupted (Ctrl+Q)"))
        before, error = find_traceback(text)
        if start < 0 and error is None:
            raise ProtocolError(f"{self.link.device}: reply without its start marker: {text[-120:]!r}")
        self._outstanding = False
        return Reply(_normalise(before), error)

    async def recover(self) -> bool:
        """Ctrl-Q stops running code; then wait out the 5.3.x collector and check with a fresh nonce."""
        if not self._outstanding:  # cancelled before sending: nothing to interrupt or drain
            return False
        await self.link.write(CTRL_Q)
        quiet = 1.5 * self.time_scale if self.family is Family.LEGACY else 0.2
        await self.link.read_quiet(quiet, limit=max(5.0, 4 * quiet))
        nonce = secrets.token_hex(4)
        with anyio.fail_after(max(3.0, 5 * quiet)):
            reply = await self.execute([f"print('{nonce}')"])
        if reply.stdout.strip() != nonce or reply.error:
            raise ProtocolError(f"{self.link.device}: main port did not resynchronise ({reply.stdout[-80:]!r})")
        return True

    async def close(self) -> None:
        await self.link.close()


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
