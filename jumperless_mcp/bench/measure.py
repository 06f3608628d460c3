"""Bench measurements built from primitives: Board.measure, measure_resistance, continuity, diode_test,
iv_sweep, net_currents, identify_part.

Each workflow borrows free instruments (a DAC, ADCs, INA0) through a `Fixture` (measure_fixture.py), which
records every bridge it adds and every setpoint it changes and undoes them when the workflow ends, also when it
fails part-way (exception, cancellation, timeout). Each result carries `changes`: what was connected, set and
restored.

Two-terminal tests (resistance, continuity, diode, I-V) wire a Kelvin fixture: the DAC drives current through
INA0 into node a (DAC -> ISENSE_PLUS, ISENSE_MINUS -> a), node b goes to GND, and one ADC sits on a, another on
b. The ADCs carry no current, so the volts across the part are read at its own ends and the crossbar paths'
resistance (and the shunt's) drop out; the INA gives the current. The test voltage climbs a ladder
(LADDER, capped by max_volts) until the current is large enough for the INA's resolution
(measure_analysis.py); a part that draws too little even at the top is "above the range limit" (ohms None),
and one that draws nothing measurable is reported open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import anyio

from firmware_api import nodes
from firmware_api.catalog import by_name
from firmware_api.errors import ArgumentError, FirmwareError, UnsupportedByFirmware
from jumperless_mcp.bench import measure_analysis as analysis
from jumperless_mcp.bench.measure_fixture import ADCS, DACS, Changes, Fixture, MeasureError, MeasuringBoard
from jumperless_mcp.bench.records import Measurement
from jumperless_mcp.signals.plot import render_xy_png

__all__ = [
    "Changes",
    "ContinuityResult",
    "DiodeResult",
    "IVSweep",
    "MeasureError",
    "MeasureMethods",
    "PartIdentity",
    "ResistanceReading",
    "VoltageReading",
]

DAC_LIMIT = 8.0  # the DACs' hardware range, +-8 V
LADDER = (0.1, 0.3, 1.0, 3.0, 5.0, 8.0)  # test volts, lowest first (a short draws ~50 mA at the first)
DEFAULT_MAX_VOLTS = 5.0
TARGET_AMPS = 5e-3  # the ladder stops once the current reaches this (half an INA step is then 0.3 %)...
SENSE_VOLTS = 0.2  # ...and the drop across the part this (the ADCs step ~4.5 mV: 18.28 V / 4095, Peripherals.cpp)
MAX_AMPS = 0.1  # the INA's range is +-160 mA (PGA /8, 2 ohm): a step that draws more ends the test
CONTINUITY_VOLTS = 1.0
DIODE_MAX_VOLTS = 3.0
DIODE_COARSE_STEP = 0.15  # volts per step until something conducts: at most ~25x more current per step...
DIODE_FINE_FROM_AMPS = 0.3e-3  # ...so from this current on (10 INA steps, before 1 mA: < ~10 mA at worst)...
DIODE_STEP = 0.05  # ...the steps are finer: ~3x per step near a silicon diode's knee
DIODE_SAMPLES = 2  # readings per point (the diode test has many points)
SAMPLES = 4  # readings averaged per point
READS_PER_BATCH = 100
SETTLE = 0.01  # seconds between setting the DAC and reading
MAX_SWEEP_STEPS = 201
GROUND_NODES = frozenset({nodes.GND, nodes.TOP_RAIL_GND, nodes.BOTTOM_RAIL_GND})
PART_NODES = frozenset([*nodes.ROWS, *range(69, 94)])  # rows and Nano header pins: where a part's leg can be
IDENTIFY = by_name().get("part_identify", ())


# --- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoltageReading:
    node: str
    adc: str
    mean: float
    min: float
    max: float
    stdev: float
    samples: int
    settle: float
    units: str = "V"
    changes: Changes = field(default_factory=Changes)

    def record(self, name: str | None = None, **details: Any) -> Measurement:
        """This reading as a measurement record (bench/records.py): the mean, in volts; `details` sets
        low, high, board, firmware, note or time."""
        return Measurement(name or self.node, self.mean, self.units, settle=self.settle, **details)


@dataclass(frozen=True)
class Point:
    """One test step: the DAC setpoint, the volts across the part (ADC a - ADC b) and the current (INA0)."""

    dac_volts: float
    volts: float
    amps: float


@dataclass(frozen=True)
class ResistanceReading:
    """A resistance between two nodes: `ohms` is None when open or above `range_limit_ohms`."""

    a: str
    b: str
    ohms: float | None
    open: bool
    range_limit_ohms: float  # the largest value this test resolves within measure_analysis.ACCURACY
    test_volts: float  # the DAC setpoint of the reading used
    amps: float  # the current through the part (INA0, midpoint of its step)
    volts: float = 0.0  # the volts across the part (Kelvin: an ADC at each end)
    note: str = ""
    ladder: tuple[Point, ...] = ()
    changes: Changes = field(default_factory=Changes)

    @property
    def above_range(self) -> bool:
        return self.ohms is None and not self.open

    def record(self, name: str | None = None, **details: Any) -> Measurement:
        """This reading as a measurement record (bench/records.py): ohms, None when open or above the range
        (said in its note); `details` sets low, high, board, firmware, note or time."""
        why = "open" if self.open else f"above {self.range_limit_ohms:g} ohm" if self.above_range else ""
        details.setdefault("note", self.note or why)
        return Measurement(name or f"{self.a}-{self.b}", self.ohms, "ohm", settle=SETTLE, **details)


@dataclass(frozen=True)
class ContinuityResult:
    a: str
    b: str
    connected: bool
    ohms: float | None
    threshold_ohms: float
    reading: ResistanceReading


@dataclass(frozen=True)
class DiodeResult:
    a: str
    b: str
    found: bool
    anode: str | None
    cathode: str | None
    forward_volts: float | None  # at DIODE_AMPS (log-interpolated between the last two steps)
    forward_amps: float | None
    reverse_amps: float | None  # at the same test volts the other way round
    verdict: str
    points: tuple[Point, ...] = ()
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True)
class IVSweep:
    a: str
    b: str
    points: tuple[Point, ...]
    fit: analysis.Fit | None
    note: str
    changes: Changes = field(default_factory=Changes)

    def png(self, width: int = 900, height: int = 500) -> bytes:
        title = f"I-V {self.a} -> {self.b}, {len(self.points)} points"
        if self.fit is not None and self.fit.ohms is not None:
            title += f", fit {self.fit.ohms:.5g} ohm (r2 {self.fit.r_squared:.4f})"
        fit_line = (self.fit.slope, self.fit.intercept) if self.fit is not None else None
        return render_xy_png(
            [p.volts for p in self.points],
            [p.amps for p in self.points],
            x_label="voltage across (V)",
            y_unit="A",
            title=title,
            fit=fit_line,
            width=width,
            height=height,
        )


@dataclass(frozen=True)
class PartIdentity:
    a: str
    b: str
    kind: str  # short | resistor | diode | open | (the firmware's type)
    how: str  # "firmware part_identify" | "host tests"
    summary: str
    ohms: float | None = None
    anode: str | None = None
    cathode: str | None = None
    forward_volts: float | None = None
    fields: dict[str, str] = field(default_factory=dict)  # part_identify's own fields, when it answered
    notes: tuple[str, ...] = ()
    changes: Changes = field(default_factory=Changes)


# --- the mixin -------------------------------------------------------------------------------------------


class MeasureMethods:
    """Mixed into `Board`."""

    async def measure(
        self: MeasuringBoard, node: int | str, *, samples: int = 16, settle: float = 0.05, adc: int | None = None
    ) -> VoltageReading:
        """A node's voltage: bridged to a free ADC, `settle` s, `samples` readings, unbridged."""
        node_id = _node("node", node)
        if node_id in ADCS.values():
            raise ArgumentError("node", "is an ADC itself", "a row, Nano pin, rail or other node")
        _check_int("samples", samples, 1, 1000)
        _check_number("settle", settle, 0.0, 10.0)
        if adc is not None and adc not in ADCS:
            raise ArgumentError("adc", f"{adc!r} is not an ADC channel", "0, 1, 2, 3")
        async with Fixture(self) as fx:
            channel = fx.free_adcs(1, [adc] if adc is not None else ())[0]
            await fx.connect(ADCS[channel], node_id)
            if settle:
                await anyio.sleep(settle)
            values: list[float] = []
            for start in range(0, samples, READS_PER_BATCH):  # a long batch is a long write on 5.3.x's `>` line
                batch = self.batch()
                pending = [batch.call("adc_get", channel) for _ in range(min(READS_PER_BATCH, samples - start))]
                await batch.run()
                values += [float(p.value) for p in pending]
        s = analysis.stats(values)
        return VoltageReading(
            nodes.canonical_name(node_id),
            f"ADC{channel}",
            s.mean,
            s.min,
            s.max,
            s.stdev,
            s.count,
            settle,
            changes=fx.changes(),
        )

    async def measure_resistance(
        self: MeasuringBoard, a: int | str, b: int | str, *, max_volts: float | None = None
    ) -> ResistanceReading:
        """Resistance between nodes a and b by the Kelvin fixture and the voltage ladder (module docstring)."""
        top = DEFAULT_MAX_VOLTS if max_volts is None else max_volts
        _check_number("max_volts", top, LADDER[0], DAC_LIMIT)
        a_id, b_id = _pair_nodes(a, b)
        async with Fixture(self) as fx:
            wiring = await _wire(self, fx, a_id, b_id)
            ladder = _ladder(top)
            points: list[Point] = []
            for index, volts in enumerate(ladder):
                points.append(await _step(self, fx, wiring, volts))
                following = ladder[index + 1] if index + 1 < len(ladder) else None
                if _enough(points[-1], following):
                    break
        return _resistance(a_id, b_id, points, ladder[-1], fx.changes())

    async def continuity(
        self: MeasuringBoard,
        a: int | str,
        b: int | str,
        *,
        threshold_ohms: float = analysis.CONTINUITY_OHMS,
        max_volts: float = CONTINUITY_VOLTS,
    ) -> ContinuityResult:
        """Whether a and b are joined by at most `threshold_ohms` (a resistance test at up to `max_volts`)."""
        _check_number("threshold_ohms", threshold_ohms, 0.1, 1000.0)
        reading = await MeasureMethods.measure_resistance(self, a, b, max_volts=max_volts)  # type: ignore[arg-type]
        connected = reading.ohms is not None and reading.ohms <= threshold_ohms
        return ContinuityResult(reading.a, reading.b, connected, reading.ohms, threshold_ohms, reading)

    async def diode_test(
        self: MeasuringBoard, a: int | str, b: int | str, *, max_volts: float = DIODE_MAX_VOLTS
    ) -> DiodeResult:
        """A diode between a and b: forward voltage at ~1 mA and which end is the anode.

        The DAC steps both ways (+v drives a -> b, -v drives b -> a), DIODE_COARSE_STEP until something
        conducts, then DIODE_STEP, until one way conducts DIODE_AMPS; a diode conducts one way only (the
        other under DIODE_REVERSE_SHARE of it)."""
        _check_number("max_volts", max_volts, 0.2, DAC_LIMIT)
        a_id, b_id = _pair_nodes(a, b)
        points: list[Point] = []
        found: tuple[Point, Point] | None = None
        async with Fixture(self) as fx:
            wiring = await _wire(self, fx, a_id, b_id)
            volts, step = 0.0, DIODE_COARSE_STEP
            while volts < max_volts - 1e-9:
                volts = min(round(volts + step, 6), max_volts)
                forward, backward = await _steps(self, fx, wiring, (volts, -volts), samples=DIODE_SAMPLES)
                points += [forward, backward]
                drawn = max(abs(forward.amps), abs(backward.amps))
                if drawn >= analysis.DIODE_AMPS or _symmetric(forward, backward):
                    found = (forward, backward)
                    break
                if drawn >= DIODE_FINE_FROM_AMPS:
                    step = DIODE_STEP
        return _diode(a_id, b_id, found, points, max_volts, fx.changes())

    async def iv_sweep(
        self: MeasuringBoard,
        a: int | str,
        b: int | str,
        *,
        start: float = -2.0,
        stop: float = 2.0,
        steps: int = 21,
        max_amps: float = 0.05,
        settle: float = SETTLE,
    ) -> IVSweep:
        """The DAC swept from start to stop volts in `steps` points through the part (Kelvin fixture): a table
        of (volts across, amps) with a least-squares line (slope = 1/ohms); stops early above `max_amps`."""
        _check_number("start", start, -DAC_LIMIT, DAC_LIMIT)
        _check_number("stop", stop, -DAC_LIMIT, DAC_LIMIT)
        _check_int("steps", steps, 2, MAX_SWEEP_STEPS)
        _check_number("max_amps", max_amps, 1e-3, MAX_AMPS)
        _check_number("settle", settle, 0.0, 2.0)
        if start == stop:
            raise ArgumentError("stop", "must differ from start", "a voltage other than start")
        a_id, b_id = _pair_nodes(a, b)
        points: list[Point] = []
        note = ""
        async with Fixture(self) as fx:
            wiring = await _wire(self, fx, a_id, b_id)
            for k in range(steps):
                volts = start + (stop - start) * k / (steps - 1)
                point = await _step(self, fx, wiring, volts, settle=settle)
                points.append(point)
                if abs(point.amps) > max_amps:
                    note = f"stopped at {volts:g} V: {point.amps * 1e3:.3g} mA is above max_amps {max_amps * 1e3:g} mA"
                    break
        fit = analysis.line_fit([p.volts for p in points], [p.amps for p in points])
        return IVSweep(_name(a_id), _name(b_id), tuple(points), fit, note, fx.changes())

    async def net_currents(self: MeasuringBoard) -> dict[str, Any]:
        """The firmware's background scan: each net's dominant current and each path's current (JumperlOS
        with the scan, upstream 5.7.5 and later). Reads only."""
        firmware = await self._firmware()
        if not any(f.available_in(firmware) for f in by_name().get("get_net_current", ())):
            raise UnsupportedByFirmware(
                f"net_currents needs the firmware's net scan (get_net_current, JumperlOS 5.7.5 and later); "
                f"this board runs {firmware}"
            )
        count = int(await self.call("get_num_nets"))
        paths = int(await self.call("get_num_paths", False))
        batch = self.batch()
        net_entries = [(n, batch.call("get_net_current", n)) for n in range(1, count)]
        path_entries = [(i, batch.call("get_path_info", i), batch.call("get_path_current", i)) for i in range(paths)]
        if net_entries or path_entries:
            await batch.run()
        nets = [_net_entry(n, p.value) for n, p in net_entries if p.value is not None]
        path_list = [_path_entry(i, info.value, amps.value) for i, info, amps in path_entries]
        return {
            "nets": nets,
            "paths": path_list,
            "scanned": bool(nets) or any(p["current_mA"] is not None for p in path_list),
        }

    async def identify_part(
        self: MeasuringBoard,
        a: int | str,
        b: int | str,
        *,
        use_firmware: bool = True,
        max_volts: float = DEFAULT_MAX_VOLTS,
    ) -> PartIdentity:
        """What sits between a and b: the firmware's part_identify where it has one (upstream 5.7.11+, rows
        only), else host tests (diode test, then resistance): short, resistor with value, diode with
        direction, or open. Says which way it was done."""
        a_id, b_id = _pair_nodes(a, b)
        notes: list[str] = []
        firmware = await self._firmware()
        if use_firmware and any(f.available_in(firmware) for f in IDENTIFY):
            if a_id in nodes.ROWS and b_id in nodes.ROWS:
                try:
                    text = await self.call("part_identify", a_id, b_id)
                except FirmwareError as exc:
                    notes.append(f"the firmware's part_identify failed ({exc}); host tests used instead")
                else:
                    fields = analysis.parse_identification(str(text))
                    kind = fields.get("type", "unknown")
                    return PartIdentity(
                        _name(a_id), _name(b_id), kind, "firmware part_identify", str(text), fields=fields
                    )
            else:
                notes.append("part_identify takes breadboard rows only; host tests used instead")
        elif use_firmware:
            notes.append(f"{firmware} has no part_identify (upstream JumperlOS 5.7.11+): host tests used")
        return await _identify_on_host(self, a_id, b_id, max_volts, notes)


# --- the Kelvin fixture ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wiring:
    dac: int
    adc_a: int
    adc_b: int | None  # None when b is ground itself


async def _wire(board: MeasuringBoard, fx: Fixture, a: int, b: int) -> _Wiring:
    """DAC -> ISENSE_PLUS, ISENSE_MINUS -> a, b -> GND, an ADC on a and one on b; the DAC at 0 V first."""
    fx.check_ina_free()
    dac = fx.free_dac()
    grounded = b in GROUND_NODES
    adcs = fx.free_adcs(1 if grounded else 2)
    await fx.remember(dac)
    await fx.set_dac(dac, 0.0)
    pairs = [(DACS[dac], nodes.ISENSE_PLUS), (nodes.ISENSE_MINUS, a), (ADCS[adcs[0]], a)]
    if not grounded:
        pairs[2:2] = [(b, nodes.GND)]
        pairs.append((ADCS[adcs[1]], b))
    await fx.connect_all(pairs)
    return _Wiring(dac, adcs[0], None if grounded else adcs[1])


async def _step(board: MeasuringBoard, fx: Fixture, wiring: _Wiring, volts: float, settle: float = SETTLE) -> Point:
    """The DAC at `volts`, then SAMPLES readings of each ADC and of INA0, averaged."""
    batch = board.batch()
    batch.call("dac_set", wiring.dac, volts, False)
    if settle:
        await batch.run()
        fx.note_set(wiring.dac, volts)
        await anyio.sleep(settle)
        batch = board.batch()
    else:
        fx.note_set(wiring.dac, volts)
    at_a = [batch.call("adc_get", wiring.adc_a) for _ in range(SAMPLES)]
    at_b = [batch.call("adc_get", wiring.adc_b) for _ in range(SAMPLES)] if wiring.adc_b is not None else []
    amps = [batch.call("ina_get_current", 0) for _ in range(SAMPLES)]
    await batch.run()
    return _point(volts, at_a, at_b, amps)


def _symmetric(forward: Point, backward: Point) -> bool:
    """Both ways conduct alike, well above the INA's resolution: a resistive part, no need to go higher."""
    f, b = abs(forward.amps), abs(backward.amps)
    return min(f, b) >= 10 * analysis.INA_STEP_AMPS and 0.5 <= f / b <= 2.0


async def _steps(
    board: MeasuringBoard, fx: Fixture, wiring: _Wiring, levels: tuple[float, ...], samples: int = SAMPLES
) -> list[Point]:
    """Several DAC levels read in one round trip, no settle time (DC parts only: the diode test)."""
    batch = board.batch()
    pending = []
    for volts in levels:
        batch.call("dac_set", wiring.dac, volts, False)
        fx.note_set(wiring.dac, volts)
        at_a = [batch.call("adc_get", wiring.adc_a) for _ in range(samples)]
        at_b = [batch.call("adc_get", wiring.adc_b) for _ in range(samples)] if wiring.adc_b is not None else []
        pending.append((volts, at_a, at_b, [batch.call("ina_get_current", 0) for _ in range(samples)]))
    await batch.run()
    return [_point(volts, at_a, at_b, amps) for volts, at_a, at_b, amps in pending]


def _point(volts: float, at_a: list[Any], at_b: list[Any], amps: list[Any]) -> Point:
    va = analysis.stats([float(p.value) for p in at_a]).mean
    vb = analysis.stats([float(p.value) for p in at_b]).mean if at_b else 0.0
    return Point(volts, va - vb, analysis.ina_amps([float(p.value) for p in amps]))


def _enough(point: Point, following: float | None) -> bool:
    """Whether the ladder can stop here: enough current and drop for both instruments, or the next step would
    drive more than MAX_AMPS (a low resistance, where the current grows with the test level)."""
    if abs(point.amps) >= TARGET_AMPS and abs(point.volts) >= SENSE_VOLTS:
        return True
    if following is None or point.dac_volts == 0:
        return True
    return abs(point.amps) * following / point.dac_volts > MAX_AMPS


def _ladder(top: float) -> tuple[float, ...]:
    steps = tuple(v for v in LADDER if v < top - 1e-9)
    return (*steps, top)


def _resistance(a: int, b: int, points: list[Point], top: float, changes: Changes) -> ResistanceReading:
    last = points[-1]
    limit = analysis.range_limit_ohms(top)
    common = {"a": _name(a), "b": _name(b), "range_limit_ohms": limit, "ladder": tuple(points), "changes": changes}
    if analysis.is_zero_current(last.amps):
        note = (
            f"no current at {last.dac_volts:g} V: open, or above the range limit (~{limit:.3g} ohm at "
            f"{top:g} V; INA0 resolves {analysis.INA_STEP_AMPS * 1e6:.3g} uA)"
        )
        return ResistanceReading(
            ohms=None, open=True, test_volts=last.dac_volts, amps=0.0, volts=last.volts, note=note, **common
        )  # type: ignore[arg-type]
    ohms = last.volts / last.amps
    if abs(last.amps) < analysis.MIN_AMPS:
        note = (
            f"above the range limit: ~{ohms:.3g} ohm drew {last.amps * 1e6:.3g} uA at {last.dac_volts:g} V, too "
            f"little for {analysis.ACCURACY:.0%} (the limit is ~{limit:.3g} ohm at {top:g} V)"
        )
        return ResistanceReading(
            ohms=None, open=False, test_volts=last.dac_volts, amps=last.amps, volts=last.volts, note=note, **common
        )  # type: ignore[arg-type]
    ohms = max(ohms, 0.0)
    note = "a short" if ohms <= analysis.SHORT_OHMS else ""
    return ResistanceReading(
        ohms=ohms, open=False, test_volts=last.dac_volts, amps=last.amps, volts=last.volts, note=note, **common
    )  # type: ignore[arg-type]


def _diode(
    a: int, b: int, found: tuple[Point, Point] | None, points: list[Point], top: float, changes: Changes
) -> DiodeResult:
    names = (_name(a), _name(b))
    if found is None:
        verdict = f"no conduction of {analysis.DIODE_AMPS * 1e3:g} mA either way up to {top:g} V: open (or no diode)"
        return DiodeResult(*names, False, None, None, None, None, None, verdict, tuple(points), changes)
    forward, backward = found
    if abs(forward.amps) >= abs(backward.amps):
        conducting, blocked, anode, cathode = forward, backward, names[0], names[1]
    else:
        conducting, blocked, anode, cathode = backward, forward, names[1], names[0]
    if abs(blocked.amps) > analysis.DIODE_REVERSE_SHARE * abs(conducting.amps):
        ohms = abs(conducting.volts / conducting.amps)
        verdict = f"conducts both ways alike (~{ohms:.3g} ohm at {abs(conducting.dac_volts):g} V): not a diode"
        return DiodeResult(*names, False, None, None, None, abs(conducting.amps), abs(blocked.amps), verdict,
                           tuple(points), changes)  # fmt: skip
    vf = _volts_at(analysis.DIODE_AMPS, [p for p in points if (p.dac_volts > 0) == (conducting.dac_volts > 0)])
    verdict = f"a diode: anode {anode}, cathode {cathode}, {vf:.3f} V forward at {analysis.DIODE_AMPS * 1e3:g} mA"
    return DiodeResult(*names, True, anode, cathode, vf, abs(conducting.amps), abs(blocked.amps), verdict,
                       tuple(points), changes)  # fmt: skip


def _volts_at(amps: float, points: list[Point]) -> float:
    """The volts across at `amps`, interpolated on a log-current scale between the last two points (a diode's
    current grows exponentially); the last point's volts when the one before drew nothing."""
    last = points[-1]
    if len(points) > 1:
        before = points[-2]
        i0, i1 = abs(before.amps), abs(last.amps)
        if 0 < i0 < amps <= i1:
            share = math.log(amps / i0) / math.log(i1 / i0)
            return abs(before.volts) + share * (abs(last.volts) - abs(before.volts))
    return abs(last.volts)


async def _identify_on_host(board: MeasuringBoard, a: int, b: int, max_volts: float, notes: list[str]) -> PartIdentity:
    diode = await MeasureMethods.diode_test(board, a, b, max_volts=min(max_volts, DIODE_MAX_VOLTS))  # type: ignore[arg-type]
    how = "host tests"
    if diode.found:
        return PartIdentity(
            diode.a, diode.b, "diode", how, diode.verdict, anode=diode.anode, cathode=diode.cathode,
            forward_volts=diode.forward_volts, notes=tuple(notes), changes=diode.changes,
        )  # fmt: skip
    reading = await MeasureMethods.measure_resistance(board, a, b, max_volts=max_volts)  # type: ignore[arg-type]
    changes = _merge(diode.changes, reading.changes)
    if reading.ohms is not None and reading.ohms <= analysis.SHORT_OHMS:
        kind, summary = "short", f"a short ({reading.ohms:.3g} ohm)"
    elif reading.ohms is not None:
        kind, summary = "resistor", f"a resistor of {reading.ohms:.4g} ohm"
    elif reading.open:
        kind = "open"
        summary = f"open: nothing conducts up to {reading.test_volts:g} V (a capacitor also reads open at DC)"
    else:
        kind, summary = "resistor", f"a high resistance: {reading.note}"
    return PartIdentity(
        reading.a, reading.b, kind, how, summary, ohms=reading.ohms, notes=tuple(notes), changes=changes
    )


def _merge(first: Changes, second: Changes) -> Changes:
    return Changes(first.connected + second.connected, first.set + second.set, first.restored + second.restored)


def _net_entry(number: int, value: Any) -> dict[str, Any]:
    entry = dict(value) if isinstance(value, dict) else {"value": value}
    out: dict[str, Any] = {"net": number}
    out["current_mA"] = _float_or_none(entry.get("current_mA"))
    out["voltage"] = _float_or_none(entry.get("voltage"))
    for key in ("from_node", "to_node"):
        node = entry.get(key)
        out[key] = _name(int(node)) if isinstance(node, int) and node >= 0 else None
    return out


def _path_entry(index: int, info: Any, milliamps: Any) -> dict[str, Any]:
    info = info if isinstance(info, dict) else {}
    ends = [info.get("node1"), info.get("node2")]
    names = [_name(int(n)) if isinstance(n, int) and n >= 0 else (str(n) if n is not None else None) for n in ends]
    return {
        "index": index,
        "node1": names[0],
        "node2": names[1],
        "net": info.get("net") if isinstance(info.get("net"), int) else None,
        "current_mA": _float_or_none(milliamps),
    }


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# --- arguments -------------------------------------------------------------------------------------------


def _name(node_id: int) -> str:
    return nodes.canonical_name(node_id)


def _node(parameter: str, value: int | str) -> int:
    try:
        return nodes.resolve_node(value)
    except (ValueError, TypeError) as exc:
        raise ArgumentError(parameter, str(exc), "a row 1-60, a Nano pin, GND, or another node name") from None


def _pair_nodes(a: int | str, b: int | str) -> tuple[int, int]:
    """The two ends of a two-terminal test: a on a row or Nano pin; b too, or a ground node."""
    a_id, b_id = _node("a", a), _node("b", b)
    if a_id not in PART_NODES:
        raise ArgumentError("a", f"{_name(a_id)} is not where a part's leg can be", "a row 1-60 or a Nano pin")
    if b_id not in PART_NODES and b_id not in GROUND_NODES:
        raise ArgumentError("b", f"{_name(b_id)} is not where a part's leg can be", "a row 1-60, a Nano pin or GND")
    if a_id == b_id:
        raise ArgumentError("b", "is the same node as a", "a node other than a")
    return a_id, b_id


def _check_number(parameter: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ArgumentError(parameter, f"{value!r} is not a number", f"{low:g} to {high:g}")
    if not low <= value <= high:
        raise ArgumentError(parameter, f"{value:g} is out of range", f"{low:g} to {high:g}")


def _check_int(parameter: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ArgumentError(parameter, f"{value!r} is not an integer in range", f"{low} to {high}")
