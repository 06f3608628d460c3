"""The selftest's "aux port" group: does the JumperlOS fourth port (Ser3Backchannel) answer as the host assumes?

board_picture, oled_frame and captures via="aux" read this port, and some of what they assume is inferred, not read
from the firmware source (link/backchannel.py, emulator/backchannel_port.py): 300 LEDs, 5 per row in strip order;
the `oled_b64{WxH:...}` framing; `:json` listing a bridge as one net with both nodes; `:json`'s dac0 and `:adc`
agreeing with the REPL. Each check compares one reply with what the REPL says about the same thing, while the
selftest's own bridge (rows 59-60) is made; the DAC0 check makes the selftest's 0.5 V excursion once more and puts
DAC0 back. Nothing else is changed. A port that fails (timeout, error frame, cannot be opened) fails its check with
what was seen; after a timeout the rest of the group is not run (each would cost the whole timeout), and the REPL
checks go on: the aux port never takes the session down.

Kept apart from bench/selftest.py (which calls `aux_checks` and files the results under GROUP): it imports nothing
of it, so the two never form an import cycle.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from firmware_api import nodes
from firmware_api.catalog import functions
from firmware_api.errors import FirmwareError
from firmware_api.versions import FirmwareVersion
from jumperless_mcp.errors import BoardTimeout, ConnectionProblem, JumperlessError
from jumperless_mcp.link.backchannel import (
    ADC_COUNT,
    AUX_SINCE,
    LEDS_PER_ROW,
    ROWS,
    Backchannel,
    aux_port,
    firmware_has_aux,
    row_colors,
)

if TYPE_CHECKING:
    from jumperless_mcp.bench.board import Board

GROUP = "aux port"
TIMEOUT = 2.0  # per aux reply: the port answers from the service loop at once
LED_COUNT = ROWS * LEDS_PER_ROW  # what board_picture assumes: rows 1..60, 5 LEDs each, in strip order
REPL_ADC_CHANNELS = 4  # adc_get takes 0-3 (the firmware rejects 4)
NAMES = ("aux :ver", "aux :leds", "aux :json nets", "aux :json dac0", "aux :oled:b64", "aux :adc")
T = TypeVar("T")


@dataclass(frozen=True)
class AuxResult:
    """One check's result; bench/selftest.py turns it into a `Check` of GROUP."""

    name: str
    outcome: str  # "pass", "fail" or "skip" (selftest.Outcome's values)
    detail: str
    ms: float = 0.0


class _Failed(Exception):
    pass


class _Skipped(Exception):
    pass


def _expect(condition: object, message: str) -> None:
    if not condition:
        raise _Failed(message)


def aux_path(board: Board) -> tuple[str | None, str]:
    """The aux port's path when the board has the fourth port (link/backchannel.aux_port), else why not."""
    version = board.version
    if not firmware_has_aux(version):
        return None, f"firmware {version or '?'} has no aux port (JumperlOS {AUX_SINCE} or later has one)"
    path = aux_port(version, board.session.ports)
    if path is None:
        return None, f"no aux port found for this board (firmware {version}: its fourth USB port is not listed)"
    return path, ""


async def aux_checks(
    board: Board,
    *,
    bridge: tuple[int, int] | None,
    dac_volts: float,
    dac_tolerance: float,
    dac_extra: tuple[object, ...] = (),
    not_run: str | None = None,
) -> list[AuxResult]:
    """The group's results: one SKIP when the board has no aux port. `bridge`: the selftest's bridge, made now
    (None if it could not be made); DAC0 goes to `dac_volts` (dac_set's extra args `dac_extra`) and back.
    `not_run`: why the selftest stopped (the REPL gone): one FAIL line saying so."""
    if not_run is not None:
        return [AuxResult(GROUP, "fail", f"not run: {not_run}")]
    path, why = aux_path(board)
    if path is None:
        return [AuxResult(GROUP, "skip", why)]
    try:
        async with Backchannel(path, TIMEOUT) as aux:
            group = _AuxGroup(board, aux, bridge, (dac_volts, dac_tolerance, dac_extra))
            await group.run()
            return group.results
    except ConnectionProblem as exc:  # the port could not be opened: every check fails with why
        return [AuxResult(name, "fail", f"cannot open the aux port {path}: {exc}"[:160]) for name in NAMES]


class _AuxGroup:
    def __init__(
        self,
        board: Board,
        aux: Backchannel,
        bridge: tuple[int, int] | None,
        dac: tuple[float, float, tuple[object, ...]],
    ) -> None:
        self.board, self.aux, self.bridge, self.dac = board, aux, bridge, dac
        self.results: list[AuxResult] = []
        self.gone: str | None = None  # the aux port timed out or the REPL is gone: the rest is not run
        self.rows: dict[int, tuple[int, int, int]] | None = None  # lit rows from :leds, for the nets check

    async def run(self) -> None:
        bodies = (self.ver, self.leds, self.json_nets, self.json_dac0, self.oled, self.adc)
        for name, body in zip(NAMES, bodies, strict=True):
            await self.check(name, body)

    async def check(self, name: str, body: Callable[[], Awaitable[str]]) -> None:
        if self.gone is not None:  # each would cost the whole timeout
            self.results.append(AuxResult(name, "fail", f"not run: {self.gone}"))
            return
        started = time.perf_counter()
        try:
            detail, outcome = await body(), "pass"
        except _Skipped as exc:
            detail, outcome = str(exc), "skip"
        except _Failed as exc:
            detail, outcome = str(exc), "fail"
        except ConnectionProblem as exc:  # the REPL side (the aux side's arrive as _Failed): stop the group
            detail, outcome = f"REPL: {type(exc).__name__}: {exc}", "fail"
            self.gone = self.gone or f"the REPL stopped answering at {name!r}"
        except (JumperlessError, FirmwareError) as exc:  # the REPL side of a comparison
            detail, outcome = f"REPL: {type(exc).__name__}: {exc}", "fail"
        ms = (time.perf_counter() - started) * 1000
        self.results.append(AuxResult(name, outcome, detail.replace("\n", " ")[:160], ms))

    async def ask(self, verb: str, request: Callable[[], Awaitable[T]]) -> T:
        """One aux request; its failure fails the check with the reply seen."""
        try:
            return await request()
        except BoardTimeout as exc:
            self.gone = f"the aux port stopped answering at :{verb}"
            raise _Failed(f"no reply: {exc}") from None
        except ConnectionProblem as exc:  # an error frame (unknown_verb ...), an unparseable reply, a closed port
            raise _Failed(f"{type(exc).__name__}: {exc}") from None

    # --- the checks ------------------------------------------------------------------------------
    async def ver(self) -> str:
        seen = await self.ask("ver", self.aux.version)
        repl = self.board.version
        try:
            same = FirmwareVersion.parse(seen) == repl
        except ValueError:
            same = False
        _expect(same, f":ver says {seen!r}, the REPL handshake {repl}")
        return f":ver {seen} = REPL handshake {repl}"

    async def leds(self) -> str:
        leds = await self.ask("leds", self.aux.leds)
        _expect(
            len(leds) == LED_COUNT,
            f"{len(leds)} LEDs, the host assumes {LED_COUNT} ({ROWS} rows x {LEDS_PER_ROW}): "
            "row colours in board_picture would be misplaced",
        )
        self.rows = row_colors(leds)
        return f"{len(leds)} LEDs as assumed; {len(self.rows)} row(s) lit"

    async def json_nets(self) -> str:
        document = await self.ask("json", self.aux.state)
        nets = _nets(document)
        if self.bridge is None:
            raise _Skipped(f":json parsed ({len(nets)} nets); the selftest's bridge could not be made to look for")
        a, b = self.bridge
        connected = await self.board.call("is_connected", a, b)
        found = [(number, members) for number, members in nets if a in members and b in members]
        _expect(
            found,
            f":json lists no net with both {a} and {b} (REPL is_connected {connected}): "
            "board_picture would not draw the bridge",
        )
        number, members = found[0]
        repl_text = await self.board.call("get_net_nodes", number)
        repl_members = _resolve_all(str(repl_text).split(","))
        _expect(
            set(repl_members) == set(members),
            f"net {number}: :json {_names(members)}, REPL get_net_nodes {repl_text!r}",
        )
        order = "same order" if repl_members == members else "other order"
        colours = await self._colours(number)
        return f"net {number} [{_names(members)}], REPL: {order}, is_connected {connected}{colours}"

    async def _colours(self, number: int) -> str:
        """Whether the bridge rows' LEDs show the net's colour: reported, never failed (real LEDs may be dimmed)."""
        if self.rows is None or self.bridge is None:  # :leds gave nothing to compare
            return ""
        lit = [self.rows[row] for row in self.bridge if row in self.rows]
        if not lit:
            return "; its rows' LEDs dark"
        led = (lit[0][0] << 16) | (lit[0][1] << 8) | lit[0][2]
        colour = await self.board.call("get_net_color", number)
        if isinstance(colour, int) and colour & 0xFFFFFF == led:
            return f"; LEDs #{led:06x} = net colour"
        return f"; LEDs #{led:06x}, net colour {colour if not isinstance(colour, int) else f'#{colour:06x}'}"

    async def json_dac0(self) -> str:
        volts, tolerance, extra = self.dac
        before = await self.board.dac_get(0)
        await self.board.call("dac_set", 0, volts, *extra)
        try:
            document = await self.ask("json", self.aux.state)
            repl = await self.board.dac_get(0)
        finally:
            await self.board.call("dac_set", 0, before, *extra)
        power = document.get("power")
        seen = power.get("dac0") if isinstance(power, dict) else None
        if not isinstance(seen, (int, float)):
            raise _Failed(f":json has no power.dac0 number (power: {str(power)[:60]})")
        _expect(
            abs(float(seen) - repl) <= tolerance,
            f"DAC0 set to {volts} V: :json dac0 {seen}, REPL dac_get(0) {repl:g}",
        )
        return f"DAC0 at {volts} V: :json dac0 {seen}, REPL dac_get(0) {repl:g}"

    async def oled(self) -> str:
        width, height, data = await self.ask("oled:b64", self.aux.oled)
        have = {f.name for f in functions(self.board.version)} if self.board.version else set()
        if "oled_get_framebuffer" not in have:
            if "oled_get_framebuffer_size" not in have:
                raise _Skipped(f"{width}x{height} parsed; this firmware cannot read the framebuffer on the REPL")
            size = _size(await self.board.call("oled_get_framebuffer_size"))
            _expect(size == (width, height), f":oled:b64 {width}x{height}, REPL size {size[0]}x{size[1]}")
            return f"{width}x{height} = REPL size (no oled_get_framebuffer here to compare bytes)"
        repl_size, repl_data = await self._repl_frame()
        if (width, height, data) != (*repl_size, repl_data):  # the display may have changed between: once more
            width, height, data = await self.ask("oled:b64", self.aux.oled)
            repl_size, repl_data = await self._repl_frame()
        _expect(
            (width, height) == repl_size,
            f":oled:b64 {width}x{height}, REPL oled_get_framebuffer_size {repl_size[0]}x{repl_size[1]}",
        )
        if width == 0:
            return "no display: 0x0 frame, as the REPL reports"
        differ = sum(x != y for x, y in zip(data, repl_data, strict=False)) + abs(len(data) - len(repl_data))
        _expect(differ == 0, f"{width}x{height}: {differ} of {len(repl_data)} bytes differ from oled_get_framebuffer")
        return f"{width}x{height}, {len(data)} bytes = oled_get_framebuffer"

    async def _repl_frame(self) -> tuple[tuple[int, int], bytes]:
        async with self.board.batch() as batch:
            data, size = batch.oled_get_framebuffer(), batch.oled_get_framebuffer_size()
        return _size(size.value), bytes(data.value or b"")

    async def adc(self) -> str:
        volts = await self.ask("adc", self.aux.adc)  # parse_adc: exactly adc0..adc4, else BackchannelError
        _expect(len(volts) == ADC_COUNT, f"{len(volts)} channels, {ADC_COUNT} assumed")
        async with self.board.batch() as batch:
            pending = [batch.adc_get(channel) for channel in range(REPL_ADC_CHANNELS)]
        repl = [p.value for p in pending]
        shown = "/".join(f"{v:.3f}" for v in volts)
        return f"adc0-4 {shown} V; REPL adc_get(0-3) " + "/".join(f"{float(v):.3f}" for v in repl)


def _nets(document: dict[str, Any]) -> list[tuple[int, list[int]]]:
    """(number, node ids in the order listed) of each `:json` net."""
    found = []
    for entry in document.get("nets") or []:
        if isinstance(entry, dict) and _number(entry.get("index")):
            found.append((int(entry["index"]), _resolve_all(entry.get("nodes") or [])))
    return found


def _resolve_all(names: list[Any]) -> list[int]:
    found = []
    for name in names:
        try:
            found.append(nodes.resolve_node(str(name).strip()))
        except (ValueError, TypeError):
            continue
    return found


def _names(members: list[int]) -> str:
    return ",".join(nodes.short_name(n) for n in members)


def _size(value: object) -> tuple[int, int]:
    if isinstance(value, (tuple, list)) and len(value) >= 2:
        return int(value[0]), int(value[1])
    return 0, 0


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
