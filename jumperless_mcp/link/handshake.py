"""Find out what is on the other end of a port: the firmware version, and which port it is.

Main port (§9): DLE (stop an LED dump), CR, flush, then `?` -> `Jumperless firmware version: X`, awaited
with no settling pause: DLE takes effect before `?` is read (5.3.2.4 main.cpp handles DLE in its command switch,
after a help probe that only peeks at the next byte, here CR; JumperlOS acts on it in band), and the reply pattern
skips any LED-dump text still in flight. If nothing answers, a bare newline (line-buffered input), then
Ctrl-Q x8 (stuck in the on-board REPL, or a 5.3.x program: its check reads through everything pending to a Ctrl-Q)
and ask again. A JumperlOS program cannot be stopped that way: its check only looks at the first
pending byte (P2), which by then is our DLE; the REPL port's lone Ctrl-C does it (the session
tries that port when the main port is silent). REPL port: Ctrl-C on its own, twice, then Ctrl-B
-> the MicroPython banner, whose `jumperless-v5 vX` names the firmware.
"""

from __future__ import annotations

import logging
import re

import anyio

from firmware_api.versions import FirmwareVersion
from jumperless_mcp.errors import ProtocolError
from jumperless_mcp.link.serial_link import SerialLink
from jumperless_mcp.link.transport import clean_text
from jumperless_mcp.link.transport_raw_repl import interrupt_twice

log = logging.getLogger(__name__)

VERSION_REPLY = re.compile(rb"Jumperless firmware version:[^\n]*\n")
BANNER_VERSION = re.compile(r"jumperless-v5 v([0-9][0-9.]*[0-9])")
BANNER_THEN_PROMPT = re.compile(rb"MicroPython [^\n]*\n(?:[^\n]*\n)*?>>> ")


async def _ask_version(link: SerialLink, wait: float) -> FirmwareVersion | None:
    await link.write(b"?\n")
    try:
        reply = await link.read_until(VERSION_REPLY, wait)
    except TimeoutError:
        return None
    return FirmwareVersion.from_banner(clean_text(reply))


async def main_port_version(link: SerialLink, *, time_scale: float = 1.0, patient: bool = True) -> FirmwareVersion:
    """The firmware version from the main port, unsticking the board if needed."""
    await link.write(b"\x10\r")  # stop an LED dump; `?` follows at once: the reply is awaited, not a settle
    await link.discard_pending()
    wait = max(0.5, 1.5 * time_scale)  # a virtual board's faster timers answer sooner; hardware keeps 1.5 s
    version = await _ask_version(link, wait)
    if version is None and patient:
        await link.write(b"\n")
        version = await _ask_version(link, wait)
    if version is None and patient:
        log.info("%s: no answer to '?'; sending Ctrl-Q to leave a running program or the REPL", link.device)
        for _ in range(8):
            await link.write(b"\x11")
            await anyio.sleep(0.25 * time_scale)
        await link.read_quiet(0.3, limit=2.0)
        version = await _ask_version(link, wait)
    if version is None:
        raise ProtocolError(f"{link.device}: no 'Jumperless firmware version' reply to '?'")
    await link.discard_pending()  # anything that came with the reply (an LED dump's tail)
    return version


async def repl_port_version(link: SerialLink) -> FirmwareVersion:
    """The firmware version from the REPL banner (Ctrl-C twice, each alone: `interrupt_twice`; then Ctrl-B)."""
    await interrupt_twice(link)
    await link.discard_pending()
    await link.write(b"\x02")
    try:
        banner = await link.read_until(BANNER_THEN_PROMPT, 1.5)  # not an earlier `>>> ` answering a Ctrl-C
    except TimeoutError:
        raise ProtocolError(f"{link.device}: no MicroPython banner on Ctrl-B") from None
    match = BANNER_VERSION.search(clean_text(banner))
    if not match:
        raise ProtocolError(f"{link.device}: the MicroPython banner names no Jumperless firmware: {banner[-120:]!r}")
    return FirmwareVersion.parse(match.group(1))


async def identify(link: SerialLink, *, time_scale: float = 1.0) -> tuple[str, FirmwareVersion]:
    """Which port this is ('main' or 'repl') and the firmware version, by talking to it."""
    try:
        return "main", await main_port_version(link, time_scale=time_scale, patient=False)
    except ProtocolError:
        pass
    try:
        return "repl", await repl_port_version(link)
    except ProtocolError:
        pass
    return "main", await main_port_version(link, time_scale=time_scale, patient=True)
