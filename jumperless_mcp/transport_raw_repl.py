"""The raw REPL on the REPL port (JumperlOS >= 5.6): the standard MicroPython framing.

    -> code, Ctrl-D           <- OK <stdout> \\x04 <stderr> \\x04 >

Stdout and the traceback come back separated, so no sentinels are needed; a
fresh nonce is printed only to check that a resynchronised channel is really clean.
"""

from __future__ import annotations

import contextlib
import logging
import secrets

import anyio

from firmware_api.replies import parse_traceback
from jumperless_mcp.errors import ConnectionProblem, ProtocolError
from jumperless_mcp.serial_link import SerialLink
from jumperless_mcp.transport import Reply, Transport

log = logging.getLogger(__name__)

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
ENTER_TIMEOUT = 2.0


class RawReplTransport(Transport):
    name = "raw-repl"

    def __init__(self, link: SerialLink) -> None:
        self.link = link
        self._outstanding = False  # code sent whose reply was not read to the end

    async def start(self) -> None:
        """Interrupt whatever runs (Ctrl-C twice), then Ctrl-A into the raw REPL."""
        await self.link.write(b"\r\x03\x03")
        await anyio.sleep(0.05)
        await self.link.discard_pending()
        await self.link.write(b"\r\x01")
        try:
            await self.link.read_until(RAW_PROMPT, ENTER_TIMEOUT)
        except TimeoutError:
            raise ProtocolError(f"{self.link.device}: no raw REPL prompt (is this the REPL port?)") from None

    async def execute(self, statements: list[str]) -> Reply:
        stale = await self.link.discard_pending()
        if stale:
            log.debug("dropped unsolicited REPL output %r", stale[-200:])
        self._outstanding = True  # from here on, a reply may be in flight
        await self.link.write("\n".join(statements).encode() + b"\x04")
        head = await self.link.read_until(b"OK", _FOREVER)
        if head != b"OK":
            log.debug("ignored %r before OK", head[:-2][-200:])
        stdout = await self.link.read_until(b"\x04", _FOREVER)
        stderr = await self.link.read_until(b"\x04>", _FOREVER)
        self._outstanding = False
        error_text = stderr[:-2].decode("utf-8", "replace")
        return Reply(
            stdout[:-1].decode("utf-8", "replace"), parse_traceback(error_text) if error_text.strip() else None
        )

    async def recover(self) -> bool:
        """Ctrl-C, re-enter the raw REPL, and check with a fresh nonce that nothing stale is left."""
        if not self._outstanding:  # cancelled before sending: nothing to interrupt or drain
            return False
        await self.link.write(b"\x03")
        with anyio.move_on_after(0.5):
            await self.link.read_until(b"\x04>", _FOREVER)  # the interrupted run ends its reply
        await self.start()
        nonce = secrets.token_hex(4)
        with anyio.fail_after(ENTER_TIMEOUT):
            reply = await self.execute([f"print('{nonce}')"])
        if reply.stdout.strip() != nonce or reply.error:
            raise ProtocolError(f"{self.link.device}: raw REPL did not resynchronise ({reply.stdout[-80:]!r})")
        return True

    async def close(self) -> None:
        if self.link.is_open:
            with anyio.move_on_after(0.2), contextlib.suppress(ConnectionProblem):
                await self.link.write(b"\x02")  # back to the friendly REPL for the next user
        await self.link.close()


_FOREVER = 1e9  # execute() is bounded by the session's per-call timeout
