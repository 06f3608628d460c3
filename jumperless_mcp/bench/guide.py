"""Guided placement (Board.guide_place): light a part's rows, tell the person on the OLED, wait, then verify.

The board shows where the part goes (an overlay over the pins' row strips on JumperlOS: pin 1 or the anode
green, the other pins amber; 5.3.x has no overlays, so only the OLED says it), then the host polls the probe
about every POLL seconds until the person taps one of the part's rows or presses CONNECT (REMOVE cancels), or
the timeout passes. Events already pending when the wait starts are taken first and do not count. Overlay and
OLED text are cleared afterwards in every case (confirmed, timed out, cancelled, failed).

What can be verified is then measured (bench/measure.py): a resistor's value with `measure_resistance`
(within VALUE_TOLERANCE), a diode's or LED's orientation with `diode_test` (which end conducts ~1 mA as the
anode); a capacitor or an IC cannot be told at DC here and is reported as not verified. On firmware with
upstream's parts table (`place_part`, 5.7.11) a confirmed part is registered there too, without bridging its
legs (the host wires the circuit), so the board knows it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from firmware_api import nodes
from firmware_api.catalog import by_name
from firmware_api.values import ProbeButton
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.bench.build_plan import PartSpec, Placement, placement_for
from jumperless_mcp.bench.measure import DiodeResult, ResistanceReading
from jumperless_mcp.errors import ArgumentError, JumperlessError

POLL = 0.15  # seconds between probe polls (one round trip each)
VALUE_TOLERANCE = 0.05  # a resistor reads within 5 % of its value (parts are 1-5 %, the path adds a little)
DIODE_TEST_VOLTS = 3.0  # the diode test's top step: any silicon or red/green LED conducts its ~1 mA below it
LED_TEST_VOLTS = 4.0  # blue and white LEDs need ~2.7-3.2 V for ~1 mA
PIN1_COLOR = 0x00C000
PIN_COLOR = 0xC07000
OLED_SIZE = 1
MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 600.0
log = logging.getLogger(__name__)


class _Board(Protocol):
    """What guidance needs of `Board` (this mixin must not import bench/board.py)."""

    async def _firmware(self) -> FirmwareVersion: ...

    async def call(self, name: str, /, *args: object, timeout: float | None = None, **kwargs: object) -> Any: ...

    def batch(self) -> Any: ...

    async def measure_resistance(self, a: str, b: str, *, max_volts: float | None = None) -> ResistanceReading: ...

    async def diode_test(self, a: str, b: str, *, max_volts: float = ...) -> DiodeResult: ...


@dataclass(frozen=True)
class Verification:
    """What was measured after placing: status ok / wrong_value / reversed / not_detected / not_verified."""

    status: str
    detail: str
    ohms: float | None = None
    forward_volts: float | None = None  # a diode's or LED's, at ~1 mA

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class GuideResult:
    """One guided placement: where, whether the person confirmed (and how), what was verified and shown."""

    placement: Placement
    status: str  # confirmed | timeout | cancelled
    confirmed_by: str | None  # "probe row 12" | "CONNECT button" | None
    waited: float
    lit: bool  # an overlay showed the holes (JumperlOS)
    verification: Verification | None
    registered: bool | None  # place_part on firmware with a parts table (None: not available / not tried)
    cleared: bool = True  # the overlay and the OLED text were removed afterwards
    notes: list[str] = field(default_factory=list)

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"

    def summary(self) -> str:
        part = self.placement.part
        head = f"{part.label} at {self.placement.describe_rows()}: {self.status}"
        if self.confirmed_by:
            head += f" ({self.confirmed_by})"
        if self.verification is not None:
            head += f"; verify: {self.verification.status} ({self.verification.detail})"
        return head


def overlay_name(part: PartSpec) -> str:
    return f"guide_{part.name}"


def instruction(placement: Placement) -> str:
    """The OLED text: short lines for the 128x32 screen at size 1 (21 characters a line)."""
    part = placement.part
    head = f"Place {part.name}" + (f" {part.value}" if part.value else "")
    if part.kind.dip:
        where = f"pin1 row {placement.first_row}"
    elif part.kind.polarized:
        where = f"A{placement.rows['anode']} K{placement.rows['cathode']}"
    else:
        where = "rows " + " ".join(str(r) for r in placement.rows.values())
    return f"{head}\n{where}\ntap row or CONNECT"


def overlay_args(placement: Placement) -> tuple[int, int, int, int, list[int]]:
    """overlay_set's x, y, height, width and colours covering the pins' strips (0 = transparent elsewhere)."""
    cells = placement.cells()
    xs = [x for x, _ in cells]
    ys = [y for _, y in cells]
    x0, y0 = min(xs), min(ys)
    width, height = max(xs) - x0 + 1, max(ys) - y0 + 1
    first = placement.part.kind.pins[0]
    colors = []
    for y in range(y0, y0 + height):
        for x in range(x0, x0 + width):
            pin = cells.get((x, y))
            colors.append(0 if pin is None else PIN1_COLOR if pin == first else PIN_COLOR)
    return x0, y0, height, width, colors


def has_parts_table(firmware: FirmwareVersion) -> bool:
    return any(f.available_in(firmware) for f in by_name().get("place_part", ()))


class GuideMethods:
    """Mixed into `Board`."""

    async def guide_place(
        self: _Board,
        kind: str,
        rows: Sequence[int],
        *,
        name: str | None = None,
        value: object = None,
        timeout: float = 60.0,
        verify: bool = True,
        register: bool = True,
    ) -> GuideResult:
        """Guide a person to place one part (`kind`: resistor, capacitor, diode, led, dip8/14/16) on `rows`
        (two rows in pin order; a DIP's pin 1 row) and verify it. A timeout is a result, not an error."""
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT
        ):
            raise ArgumentError(
                "timeout", f"{timeout!r} is not a usable wait", f"{MIN_TIMEOUT:g}-{MAX_TIMEOUT:g} seconds"
            )
        spec = PartSpec.of(name or _default_name(kind), kind, value)
        placement = placement_for(spec, list(rows))
        return await run_guide(self, placement, timeout=timeout, verify=verify, register=register)


def _default_name(kind: str) -> str:
    prefix = {"resistor": "R", "capacitor": "C", "diode": "D", "led": "LED"}.get(kind, "U")
    return f"{prefix}1"


async def run_guide(
    board: _Board,
    placement: Placement,
    *,
    timeout: float,
    verify: bool = True,
    register: bool = True,
    expected_ohms: float | None = None,
) -> GuideResult:
    """Show, wait, clean up, verify, register: one part (build_circuit calls this for each part)."""
    firmware = await board._firmware()
    jos = firmware.family is Family.JUMPERLOS
    notes: list[str] = []
    started = time.monotonic()
    cleared = False
    try:
        async with board.batch() as batch:
            _, held = _drain(batch, jos)  # a touch or press from before the wait does not confirm
            if jos:
                batch.overlay_set(overlay_name(placement.part), *overlay_args(placement))
            batch.oled_print(instruction(placement), OLED_SIZE)
        if not jos:
            notes.append("5.3.x has no overlays: only the OLED shows where the part goes")
        status, how = await _wait(board, placement, timeout, jos, ProbeButton(int(held.value or 0)))
    finally:
        with anyio.CancelScope(shield=True):
            cleared = await _clear(board, placement, jos)
    waited = round(time.monotonic() - started, 2)
    result = GuideResult(placement, status, how, waited, jos, None, None, cleared, notes)
    if not cleared:
        notes.append("could not clear the overlay and OLED text (the board did not answer)")
    if status != "confirmed":
        return result
    if verify:
        result.verification = await verify_part(board, placement, expected_ohms)
    if register and has_parts_table(firmware):
        result.registered = await _register(board, placement, notes)
    return result


def _drain(batch: Any, jos: bool) -> tuple[Any, Any]:
    pad = batch.probe_read_nonblocking()
    button = batch.probe_button_nonblocking(True) if jos else batch.probe_button_nonblocking()
    return pad, button


async def _wait(
    board: _Board, placement: Placement, timeout: float, jos: bool, held: ProbeButton
) -> tuple[str, str | None]:
    rows = set(placement.rows.values())
    deadline = time.monotonic() + timeout
    last_button = ProbeButton.NONE if jos else held  # 5.3.x reads the button's state: only a change counts
    while time.monotonic() < deadline:
        await anyio.sleep(POLL)
        async with board.batch() as batch:
            pad, button = _drain(batch, jos)
        row = pad.value.row if pad.value is not None else None
        if row in rows:
            return "confirmed", f"probe row {row}"
        pressed = ProbeButton(int(button.value or 0))
        if pressed is not last_button and pressed is ProbeButton.CONNECT:
            return "confirmed", "CONNECT button"
        if pressed is not last_button and pressed is ProbeButton.REMOVE:
            return "cancelled", "REMOVE button"
        last_button = ProbeButton.NONE if jos else pressed  # JumperlOS: each press is its own (consumed) event
    return "timeout", None


async def _clear(board: _Board, placement: Placement, jos: bool) -> bool:
    try:
        async with board.batch() as batch:
            if jos:
                batch.overlay_clear(overlay_name(placement.part))
            batch.oled_clear()
    except JumperlessError as exc:
        log.warning("guide %s: clearing the overlay and OLED failed: %s", placement.part.name, exc)
        return False
    return True


async def verify_part(board: _Board, placement: Placement, expected_ohms: float | None = None) -> Verification:
    """Measure what can be measured of a placed part (see the module docstring). `expected_ohms`: what the
    rows should read with the parts already placed beside it (build_circuit knows), else the part's value."""
    part, rows = placement.part, placement.rows
    if part.kind.dip or part.kind.name == "capacitor":
        what = "an IC" if part.kind.dip else "a capacitor"
        return Verification("not_verified", f"{what} cannot be checked at DC here")
    first, second = (str(rows[pin]) for pin in part.kind.pins)
    try:
        if part.kind.polarized:
            top = LED_TEST_VOLTS if part.kind.name == "led" else DIODE_TEST_VOLTS
            return _orientation(await board.diode_test(first, second, max_volts=top), first, second)
        reading = await board.measure_resistance(first, second)
    except NotImplementedError:
        return Verification("not_verified", "this board API has no resistance measurement yet")
    except JumperlessError as exc:  # e.g. no free DAC/ADC for the test fixture: the part stays unchecked
        return Verification("not_verified", f"could not measure: {exc}")
    return _resistor(part, reading, part.ohms if expected_ohms is None else expected_ohms)


def _resistor(part: PartSpec, reading: ResistanceReading, expected: float | None) -> Verification:
    if reading.open:
        return Verification("not_detected", "open between its rows: is it seated in both?")
    if reading.ohms is None:
        return Verification("not_verified", f"above the {reading.range_limit_ohms:g} ohm range")
    if expected is None:
        return Verification("ok", f"{reading.ohms:.4g} ohm (no value given to compare)", reading.ohms)
    words = f"{reading.ohms:.4g} ohm, expected {expected:.4g}"
    if part.ohms is None or abs(expected - part.ohms) > 1e-6 * max(part.ohms, 1.0):
        words += f" ({part.value} with the parts beside it)"
    if abs(reading.ohms - expected) <= VALUE_TOLERANCE * expected + 1.0:  # 1 ohm: the crossbar path
        return Verification("ok", words, reading.ohms)
    return Verification("wrong_value", words, reading.ohms)


def _orientation(test: DiodeResult, anode: str, cathode: str) -> Verification:
    """The diode test's verdict against the rows the anode and cathode were meant for."""
    volts = f", {test.forward_volts:.3g} V forward" if test.forward_volts is not None else ""
    if test.found and test.anode == nodes.canonical_name(int(anode)):
        return Verification("ok", f"conducts anode to cathode only{volts}", forward_volts=test.forward_volts)
    if test.found and test.anode == nodes.canonical_name(int(cathode)):
        return Verification("reversed", f"conducts cathode to anode{volts}: turn it round", None, test.forward_volts)
    return Verification("not_detected", f"no diode between its rows ({test.verdict}): is it seated?")


async def _register(board: _Board, placement: Placement, notes: list[str]) -> bool:
    """place_part without `connect` targets: the board records the part and bridges nothing."""
    part = placement.part
    base = min(placement.rows.values()) if not part.kind.dip else placement.first_row
    if part.kind.dip:
        pins: dict[str, dict[str, int]] = {pin: {"pin": int(pin)} for pin in part.kind.pins}
    else:
        pins = {pin: {"offset": row - base} for pin, row in placement.rows.items()}
    async with board.batch() as batch:
        batch.call("remove_part", part.name)  # guiding a part again replaces the old record
        placed = batch.call("place_part", part.name, base, pins, part.kind.footprint, part.kind.name, part.value)
    if placed.value != 0:
        notes.append(f"the firmware refused place_part for {part.name} (it printed why)")
        return False
    notes.append(f"registered {part.name} in the firmware's parts table (place_part, no bridges)")
    return True
