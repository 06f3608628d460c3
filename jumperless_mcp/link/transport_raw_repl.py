"""The raw REPL on the REPL port (JumperlOS >= 5.6): the standard MicroPython framing.

    -> code, Ctrl-D           <- OK <stdout> \\x04 <stderr> \\x04 >

Stdout and the traceback come back separated. The code first prints a fresh start
marker, so the reply is known by `OK` followed by that marker: bytes on the port that
look like a frame (`OK`, `\\x04`, `>`, a whole forged frame) are not read as the reply,
and text landing between the two `\\x04` is an error only if it holds one.

Why plain raw mode and not raw-paste (JumperlOS 5.7.0.13 source): in raw mode
MpRemoteService reads CDC2 itself and hands each byte to pyexec
(MpRemoteService.cpp:150-200), which stores it verbatim until Ctrl-D, and no interrupt
check runs until the code does. Raw-paste data instead goes through mp_hal_stdin_rx_chr
(mphalport.c:101-175), which turns `\n` into `\r` (a `\r\n` becomes two newlines),
treats Ctrl-C and Ctrl-Q in the data as interrupts, and, while waiting for more data,
runs the interrupt check that takes a Ctrl-D at the head of the input for a soft-reset
request: the closing Ctrl-D can be eaten. So: plain raw mode, `\n` between statements,
and Ctrl-A..Ctrl-D inside literals escaped (transport_text); the whole request is one
write, read by pyexec before anything runs.

Interrupts: the firmware only looks at the first pending byte of a port while code runs
(Python_Proper.cpp:497-549), so Ctrl-C is always sent on its own, never after other
bytes, and nothing else is written while code may be running.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets

import anyio

from jumperless_mcp.errors import ConnectionProblem, ProtocolError
from jumperless_mcp.link.serial_link import SerialLink
from jumperless_mcp.link.transport import Reply, Transport, error_in, is_compile_error
from jumperless_mcp.link.transport_text import escape_source, raw_repl_unsafe

log = logging.getLogger(__name__)

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
ENTER_TIMEOUT = 2.0
# the end of stderr: the prompt, or (after SystemExit, PYEXEC_FORCED_EXIT) a soft reboot back into raw mode
END = re.compile(rb"\x04(?:>|soft reboot\r\n)")


class RawReplTransport(Transport):
    name = "raw-repl"

    def __init__(self, link: SerialLink) -> None:
        self.link = link
        self._outstanding = False  # code sent whose reply was not read to the end

    async def start(self) -> None:
        """Interrupt whatever runs (`interrupt_twice`), then Ctrl-A into the raw REPL."""
        await interrupt_twice(self.link)
        await self.link.discard_pending()
        await self.link.write(b"\x01")
        try:
            await self.link.read_until(RAW_PROMPT, ENTER_TIMEOUT)
        except TimeoutError:
            raise ProtocolError(f"{self.link.device}: no raw REPL prompt (is this the REPL port?)") from None

    def prepare(self, statements: list[str]) -> list[str]:
        """Ctrl-A..Ctrl-D would reset, leave, clear or end the raw REPL buffer: escaped inside literals."""
        return [escape_source(statement, raw_repl_unsafe) for statement in statements]

    async def execute(self, statements: list[str]) -> Reply:
        """Run the statements after a print of this request's start marker; the reply is the frame it opens.

        `OK` right before the marker starts the reply, so frame look-alikes on the port (`OK`, `\\x04`, `>`, a
        whole forged frame) are skipped; a frame with an empty stdout is ours only if its error is a compile
        error (code that does not compile prints nothing, not even the marker).
        """
        nonce = secrets.token_hex(4)
        stale = await self.link.discard_pending()
        if stale:
            log.debug("dropped unsolicited REPL output %r", stale[-200:])
        self._outstanding = True  # from here on, a reply may be in flight
        await self.link.write("\n".join([f"print('\\x02'+'{nonce}')", *statements]).encode() + b"\x04")
        start = b"\x02" + nonce.encode() + b"\n"
        opening = (b"OK" + start, b"OK\x04")  # whichever comes first
        while True:
            head = await self.link.read_until(opening)
            ours = head.endswith(start)
            if head[: head.rfind(b"OK")]:
                log.debug("ignored %r before OK", head[: head.rfind(b"OK")][-200:])
            stdout = (await self.link.read_until(b"\x04"))[:-1] if ours else b""
            stderr = await self.link.read_until(END)
            if not stderr.endswith(b">"):
                log.info("%s: the code ended with SystemExit; the board soft-rebooted its VM", self.link.device)
                await self.link.read_until(RAW_PROMPT)
                stderr = stderr[: -len(b"soft reboot\r\n")] + b">"
            error_text = stderr[:-2].decode("utf-8", "replace")
            error = error_in(error_text)
            if ours or is_compile_error(error, error_text):
                break
            log.debug("ignored a frame that is not this request's: %r", (head + stderr)[-200:])
        self._outstanding = False
        if error is None and error_text.strip():
            log.debug("ignored %r between the reply's two \\x04: no error the board reports", error_text[-200:])
        return Reply(stdout.decode("utf-8", "replace"), error)

    async def interrupt(self) -> bool:
        if not self._outstanding:
            return False
        await self.link.write(b"\x03")
        return True

    async def recover(self, interrupted: bool = False) -> bool:
        """Ctrl-C, re-enter the raw REPL, and check with a fresh nonce that nothing stale is left."""
        if not self._outstanding:  # cancelled before sending: nothing to interrupt or drain
            return False
        if not interrupted:
            await self.link.write(b"\x03")
        with anyio.move_on_after(0.5):
            await self.link.read_until(b"\x04>")  # the interrupted run ends its reply
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


async def interrupt_twice(link: SerialLink) -> None:
    """Ctrl-C, a pause, Ctrl-C: stops running code even if it catches the first KeyboardInterrupt.

    Each Ctrl-C goes alone, so it is the first pending byte: the firmware's interrupt check only peeks at the
    head of the input (JOS Python_Proper.cpp:497-549), so a byte written before it would hide it. The pause
    outlasts the check's 20 ms debounce, which drops a second interrupt byte. Ctrl-C also cancels a friendly
    line, paste mode or a raw-paste transfer, so what follows lands on an empty line.
    """
    await link.write(b"\x03")
    await anyio.sleep(INTERRUPT_GAP)
    await link.write(b"\x03")


INTERRUPT_GAP = 0.03  # past the firmware's 20 ms interrupt debounce, with room for USB scheduling
