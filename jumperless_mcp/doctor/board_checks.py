"""Talk to the board, read-only: the handshake (firmware version), the channel the host picks, one `print(1)`.

It goes through `link.session.Session`, the same path the server and `Board` take, so what it reports is what
they will meet. Nothing is changed on the board.
"""

from __future__ import annotations

import time

from firmware_api.versions import Family
from jumperless_mcp.doctor.report import Check
from jumperless_mcp.errors import BoardBusy, JumperlessError
from jumperless_mcp.link.session import Session
from jumperless_mcp.link.targets import Target

NAMES = ("firmware", "channel", "round trip", "REPL port")
NO_ANSWER_FIX = (
    "unplug and replug the board (or press its reset), close any serial terminal on it, and run doctor again; "
    "a program running on the board can keep the main port silent"
)
GIVE_REPL = (
    "give the REPL port too: its path, a port mapping (what `jumperless-mcp emulate` prints), a /dev/jumperless_* "
    "link from the udev rules, or --port auto"
)
CHANNELS = {
    "raw-repl": "the MicroPython raw REPL on the REPL port",
    "main-oneliner": "the `>` one-liner on the main port",
}


def skipped(reason: str, names: tuple[str, ...] = NAMES) -> list[Check]:
    return [Check(name, "skipped", reason) for name in names]


async def board_checks(target: Target, *, timeout: float) -> list[Check]:
    """Firmware, channel, a round trip and the REPL port, or why they could not be checked."""
    session = Session(target, timeout=timeout, connect_timeout=timeout)
    try:
        try:
            await session.connect()
        except BoardBusy as exc:
            holder = f"PID {exc.pid}" if exc.pid else "another process"
            return [
                Check("firmware", "fail", f"{exc.port} is held by {holder}", "close that program, then run doctor"),
                *skipped("the board could not be opened", NAMES[1:]),
            ]
        except JumperlessError as exc:
            return [
                Check("firmware", "fail", f"no handshake: {exc}", NO_ANSWER_FIX),
                *skipped("no handshake", NAMES[1:]),
            ]
        version, ports = session.version, session.ports
        assert version is not None and ports is not None
        family = "JumperlOS" if version.family is Family.JUMPERLOS else "5.3.x-5.5.x (legacy)"
        checks = [Check("firmware", "ok", f"{version} ({family})")]
        health = session.health()
        channel = session.channel or "?"
        where = ports.repl if channel == "raw-repl" else ports.main
        described = f"{channel}: {CHANNELS.get(channel, channel)} ({where})"
        if health.note:
            checks.append(Check("channel", "warn", f"{described}; {health.note}", GIVE_REPL))
        else:
            checks.append(Check("channel", "ok", described))
        started = time.monotonic()
        try:
            reply = await session.run(["print(1)"], timeout=timeout)
        except JumperlessError as exc:
            checks.append(Check("round trip", "fail", f"print(1) failed: {exc}", NO_ANSWER_FIX))
            return [*checks, *skipped("the round trip failed", ("REPL port",))]
        took = (time.monotonic() - started) * 1000
        if reply.error is not None or reply.stdout.strip() != "1":
            problem = reply.error or f"printed {reply.stdout.strip()[:80]!r}"
            checks.append(Check("round trip", "fail", f"print(1) answered wrongly: {problem}", NO_ANSWER_FIX))
        else:
            checks.append(Check("round trip", "ok", f"print(1) answered in {took:.0f} ms"))
        checks.append(_repl_check(version.has_raw_repl, channel, ports.repl, checks[-1].status == "ok"))
        return checks
    finally:
        await session.close()


def _repl_check(has_raw_repl: bool, channel: str, repl: str | None, answered: bool) -> Check:
    if not has_raw_repl:
        return Check(
            "REPL port",
            "skipped",
            "this firmware has no MicroPython REPL port (5.3.x puts the logic analyzer there); "
            "calls go through the main port's `>` channel",
        )
    if channel != "raw-repl":
        return Check("REPL port", "skipped", "not given and not found from the port's name (see channel)")
    if answered:
        return Check("REPL port", "ok", f"{repl} answers in raw REPL mode")
    return Check("REPL port", "fail", f"{repl} did not answer print(1)", NO_ANSWER_FIX)
