"""The circuit over time: node voltages at a moment, and RC transients by backward Euler.

A frame (timeline.py) and a moment give the sources' values; resistors, the shunt and the bridges come from the
frame's topology. The circuit is linear, so for each frame it is solved once per input (superposition, the
`LinearModel`): the constant sources, then one volt on each time-varying input (the generator's channel, each
PWM pin, each capacitor's voltage); a voltage at a moment is then a few multiplications, cheap enough for every
sample under the REPL's trace hook, where each Python call costs.

Diodes make the circuit nonlinear: each frame's model linearises them once, at the frame's DC operating point
(sources at their means, capacitors open, circuit.py's Newton solve), and superposes around that point. That is
exact for a frame with constant sources and no capacitor away from its DC voltage (every DC measurement, each
step of a sweep). With the generator or PWM running and no capacitor, each moment is solved in full instead
(Newton, a few ms: a rectifier rectifies); with capacitors too, a diode behaves as its tangent at that point.

Capacitors: their voltages are the state, stepped from the last evaluated time to the asked one by backward
Euler (each capacitor a conductance C/h with a current C/h·v_prev), the sources averaged over each step (exact
for PWM). Steps are about tau/40 long, end at every frame change (partial steps use halvings of the step, so
few step models are built), and with constant sources the state is taken as the DC one 20 time constants after
a change. After a long gap stepping restarts a bounded span before the asked time from the DC state with mean
sources. A moment is evaluated with each capacitor held at its (interpolated) voltage through a stiff
conductance, so the generator, PWM and GPIO writes stay sharp on resistive nodes. Capacitor states are kept for
the timeline's window so past voltages can be asked for.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from firmware_api import nodes
from jumperless_mcp.emulator.circuit import Circuit
from jumperless_mcp.emulator.electrical import (
    DAC_LIMIT,
    FAKE_GPIO_OHMS,
    FIXED_SUPPLIES,
    GPIO_HIGH_VOLTS,
    GPIO_OUTPUT_OHMS,
    GPIO_PIN_NODES,
    GPIO_PULL_OHMS,
    POWER_NODES,
    SHUNT_OHMS,
)
from jumperless_mcp.emulator.timeline import Frame, Timeline

Key = Hashable
STEPS_PER_TAU = 40  # backward Euler: about 1 % error at t = tau
MIN_STEP = 20e-6  # steps no shorter (a step costs ~20 us under the trace hook: sampling must keep up)
MAX_STEPS = 2_000  # per evaluation; a longer gap restarts from the DC state with mean sources
SETTLED_TAUS = 20  # with constant sources the state is within e^-20 of DC after this many time constants
HALVINGS = 12  # a partial step is made of halvings of the step, down to step / 2^12
STIFF_SIEMENS = 1e4  # a capacitor held at its voltage while a moment is evaluated
MAX_HISTORY = 100_000  # capacitor states kept
_POWER_NODE_BY_CHANNEL = tuple(POWER_NODES.values())
NO_SOURCE = ("none", -1)


@dataclass(eq=False)
class Topology:
    """The routed bridges as the solver sees them: node -> electrical key, passive parts between keys."""

    key: object
    membership: dict[int, int]
    resistors: list[tuple[int, int, float]]
    capacitors: list[tuple[int, int, float]]
    diodes: list[tuple[int, int, float, float]] = field(default_factory=list)  # anode, cathode, Is, emission
    tau: float = field(init=False)

    def __post_init__(self) -> None:
        self.tau = self._shortest_tau()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Topology) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def node_key(self, node: int) -> Key:
        net = self.membership.get(node)
        return ("net", net) if net is not None else ("node", node)

    def _shortest_tau(self) -> float:
        """A lower bound of the RC time constants: each capacitor with the smallest resistance at its ends."""
        smallest: dict[Key, float] = {}
        for a, b, ohms in [*self.resistors, *((n, n, GPIO_OUTPUT_OHMS) for n in GPIO_PIN_NODES)]:
            for end in (self.node_key(a), self.node_key(b)):
                smallest[end] = min(smallest.get(end, math.inf), ohms)
        taus = [farads * min(smallest.get(self.node_key(a), math.inf), smallest.get(self.node_key(b), math.inf))
                for a, b, farads in self.capacitors]  # fmt: skip
        finite = [t for t in taus if math.isfinite(t) and t > 0]
        return min(finite) if finite else math.inf


def sources_circuit(
    frame: Frame, t0: float, t1: float, mean: bool = False, unit: tuple[str, int] | None = None
) -> Circuit:
    """The resistive circuit with the sources' values averaged over [t0, t1] (at t1 when equal; means if `mean`).

    With `unit` ("wave", channel) or ("pin", index), every source is at 0 V but that one, at 1 V (superposition)."""
    topo: Topology = frame.topology  # type: ignore[assignment]
    key = topo.node_key
    circuit = Circuit()
    for node_id, volts in FIXED_SUPPLIES.items():
        circuit.fix(key(node_id), 0.0 if unit else volts)
    power = list(frame.power)
    if frame.wave is not None:
        wave = frame.wave
        level = wave.offset if mean else wave.average(t0, t1) if t1 > t0 else wave.value(t1)
        power[wave.channel] = max(-DAC_LIMIT, min(DAC_LIMIT, level))
    for channel, volts in enumerate(power):
        circuit.fix(
            key(_POWER_NODE_BY_CHANNEL[channel]), (1.0 if unit == ("wave", channel) else 0.0) if unit else volts
        )
    if key(nodes.ISENSE_PLUS) != key(nodes.ISENSE_MINUS):
        circuit.resistor(key(nodes.ISENSE_PLUS), key(nodes.ISENSE_MINUS), SHUNT_OHMS)
    for a, b, ohms in topo.resistors:
        if key(a) != key(b):
            circuit.resistor(key(a), key(b), ohms)
    for a, k, saturation, emission in topo.diodes:
        circuit.diode(key(a), key(k), saturation, emission)
    for index, (drive, node_id) in enumerate(zip(frame.pins, GPIO_PIN_NODES, strict=True)):
        if drive.output:
            if drive.pwm is not None and mean:
                share = drive.pwm.duty
            else:
                share = drive.high_fraction(t0, t1) if t1 > t0 else float(drive.level_at(t1) or 0)
            volts = GPIO_HIGH_VOLTS * share
            circuit.source(key(node_id), (1.0 if unit == ("pin", index) else 0.0) if unit else volts, GPIO_OUTPUT_OHMS)
        elif drive.pull in (1, -1):
            volts = GPIO_HIGH_VOLTS if drive.pull == 1 else 0.0
            circuit.source(key(node_id), 0.0 if unit else volts, GPIO_PULL_OHMS)
    for node_id, volts in frame.fakes:
        circuit.source(key(node_id), 0.0 if unit else volts, FAKE_GPIO_OHMS)
    return circuit


class LinearModel:
    """A frame's node voltages as an affine function of its time-varying inputs (see the module docstring).

    `conductances` per capacitor: C/h for a backward-Euler step, STIFF_SIEMENS to evaluate a moment."""

    def __init__(self, frame: Frame, conductances: list[float]) -> None:
        topo: Topology = frame.topology  # type: ignore[assignment]
        self.frame = frame
        self.key = topo.node_key
        key = topo.node_key
        self.pwm_pins = [i for i, d in enumerate(frame.pins) if d.output and d.pwm is not None]
        pins = tuple(replace(d, pwm=None, level=0) if d.pwm is not None else d for d in frame.pins)
        power = list(frame.power)
        if frame.wave is not None:
            power[frame.wave.channel] = 0.0
        quiet = replace(frame, power=tuple(power), wave=None, pins=pins)
        self.caps = [(key(a), key(b), g) for (a, b, _), g in zip(topo.capacitors, conductances, strict=True)]
        self.diodes: list[tuple[object, object, float, float]] = []
        if topo.diodes:  # linearised at the DC operating point (module docstring)
            operating = sources_circuit(frame, frame.t, frame.t, mean=True)
            self.diodes = operating.companions(operating.solve())
        self.exact = bool(topo.diodes) and not topo.capacitors and (frame.wave is not None or bool(self.pwm_pins))
        self._moment: tuple[float, dict[Key, float | None]] | None = None
        self.base = self._solve(quiet, None, None)
        self.wave = None if frame.wave is None else self._solve(quiet, ("wave", frame.wave.channel), None)
        self.pwm = [self._solve(quiet, ("pin", i), None) for i in self.pwm_pins]
        self.held = [self._solve(quiet, NO_SOURCE, j) for j in range(len(self.caps))]
        # The same per capacitor (its voltage, a - b), for stepping the state.
        self.step_base = self._across(self.base)
        self.step_wave = self._across(self.wave) if self.wave is not None else None
        self.step_pwm = [self._across(unit) for unit in self.pwm]
        self.step_held = [self._across(unit) for unit in self.held]

    def _solve(self, quiet: Frame, unit: tuple[str, int] | None, held: int | None) -> dict[Key, float | None]:
        circuit = sources_circuit(quiet, quiet.t, quiet.t, unit=unit)
        circuit.diodes.clear()
        for ka, kk, g, amps in self.diodes:
            circuit.resistor(ka, kk, 1.0 / g)
            if unit is None:
                circuit.inject(kk, ka, amps)  # the companion's constant part belongs to the base solution
        for j, (ka, kb, g) in enumerate(self.caps):
            if ka != kb:
                circuit.resistor(ka, kb, 1.0 / g)
                if held == j:
                    circuit.inject(ka, kb, g)  # 1 V on this capacitor
        return circuit.solve()

    def _across(self, voltages: dict[Key, float | None]) -> list[float]:
        return [(voltages.get(ka) or 0.0) - (voltages.get(kb) or 0.0) for ka, kb, _ in self.caps]

    def inputs(self, t0: float, t1: float) -> tuple[float, list[float]]:
        """The generator's level and each PWM pin's volts, at t1 (t0 == t1) or averaged over [t0, t1]."""
        frame = self.frame
        wave = 0.0
        if frame.wave is not None:
            level = frame.wave.value(t1) if t1 <= t0 else frame.wave.average(t0, t1)
            wave = max(-DAC_LIMIT, min(DAC_LIMIT, level))
        pins = frame.pins
        volts = [GPIO_HIGH_VOLTS * (pins[i].high_fraction(t0, t1) if t1 > t0 else (pins[i].level_at(t1) or 0))
                 for i in self.pwm_pins]  # fmt: skip
        return wave, volts

    def voltage(self, node: int, t: float, caps: list[float]) -> float | None:
        if self.exact:  # diodes with time-varying sources: the nonlinear circuit at this moment
            if self._moment is None or self._moment[0] != t:
                self._moment = (t, sources_circuit(self.frame, t, t).solve())
            return self._moment[1].get(self.key(node))
        k = self.key(node)
        volts = self.base.get(k)
        if volts is None:
            return None
        wave, pwm = self.inputs(t, t)
        if self.wave is not None:
            volts += wave * (self.wave.get(k) or 0.0)
        for unit, level in zip(self.pwm, pwm, strict=True):
            volts += level * (unit.get(k) or 0.0)
        for unit, held in zip(self.held, caps, strict=True):
            volts += held * (unit.get(k) or 0.0)
        return volts

    def step(self, t0: float, t1: float, caps: list[float]) -> list[float]:
        """The capacitor voltages after one backward-Euler step over [t0, t1] (this model's h)."""
        wave, pwm = self.inputs(t0, t1)
        out = list(self.step_base)
        if self.step_wave is not None:
            out = [o + wave * w for o, w in zip(out, self.step_wave, strict=True)]
        for column, level in zip(self.step_pwm, pwm, strict=True):
            out = [o + level * c for o, c in zip(out, column, strict=True)]
        for column, held in zip(self.step_held, caps, strict=True):
            if held:
                out = [o + held * c for o, c in zip(out, column, strict=True)]
        return out


class Models:
    """Linear models by frame and conductances, the most recent few hundred (each holds its frame, so ids stay
    unique)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._cache: dict[tuple[int, float], LinearModel] = {}

    def get(self, frame: Frame, h: float | None) -> LinearModel:
        """h None: the model that evaluates a moment; else the backward-Euler step of length h."""
        token = (id(frame), h or 0.0)
        found = self._cache.get(token)
        if found is None:
            caps = frame.topology.capacitors  # type: ignore[attr-defined]
            found = LinearModel(frame, [STIFF_SIEMENS if h is None else farads / h for _, _, farads in caps])
            if len(self._cache) >= self.size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[token] = found
        return found


class Transient:
    """Capacitor voltages stepped through time, kept for the recent past."""

    def __init__(self, window: float, models: Models) -> None:
        self.window = window
        self.models = models
        self.t: float | None = None
        self.caps: list[float] = []
        self._times: list[float] = []
        self._states: list[list[float]] = []

    def caps_at(self, timeline: Timeline, t: float) -> list[float]:
        """The capacitor voltages at t (advancing the state to t first when t is later than the last step)."""
        if self.t is None or t > self.t:
            self._advance(timeline, t)
        times = self._times
        index = bisect_right(times, t)
        if index == 0:
            return self._states[0]
        if index >= len(times):
            return self._states[-1]
        t0, t1 = times[index - 1], times[index]
        s0, s1 = self._states[index - 1], self._states[index]
        share = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
        return [a + (b - a) * share for a, b in zip(s0, s1, strict=True)]

    def _advance(self, timeline: Timeline, target: float) -> None:
        h_target = _step(timeline.at(target))
        if self.t is None or target - self.t > MAX_STEPS * h_target:
            start = max(target - MAX_STEPS * h_target / 2, timeline.oldest() if self.t is None else self.t)
            self._settle(timeline.at(start), start)
        t = self.t
        assert t is not None
        while t < target:
            frame = timeline.at(t)
            end = min(target, timeline.next_change(t))
            topo: Topology = frame.topology  # type: ignore[assignment]
            h = _step(frame)
            steady = frame.wave is None and not any(d.pwm for d in frame.pins)
            if steady and end - t > SETTLED_TAUS * topo.tau + h:  # constant sources: settle, then the DC state
                t = self._run(frame, t, t + SETTLED_TAUS * topo.tau, h)
                self._settle(frame, end)
                t = end
                continue
            t = self._run(frame, t, end, h, exact=end < target)
            if t < end:  # less than the smallest halving left: count it as stepped
                t = end
        self.t = target

    def _run(self, frame: Frame, t: float, end: float, h: float, exact: bool = False) -> float:
        """Whole steps, then halvings up to `end` (reused while the frame lasts), or, for a frame that ended
        (`exact`), one step of what is left; the time reached."""
        if exact:
            whole = int((end - t) / h * (1 + 1e-9))
            t = self._run(frame, t, t + whole * h, h) if whole else t
            if end - t > 1e-12:
                self.caps = self.models.get(frame, end - t).step(t, end, self.caps)
                t = end
                self._keep(t)
            return t
        size = h
        for _ in range(HALVINGS + 1):
            model = None
            while end - t >= size * (1 - 1e-9):
                model = model or self.models.get(frame, size)
                self.caps = model.step(t, t + size, self.caps)
                t += size
                self._keep(t)
            size /= 2
        return t

    def _settle(self, frame: Frame, t: float) -> None:
        """The DC state with the sources at their means (capacitors open)."""
        topo: Topology = frame.topology  # type: ignore[assignment]
        voltages = sources_circuit(frame, t, t, mean=True).solve()
        key = topo.node_key
        self.caps = [(voltages.get(key(a)) or 0.0) - (voltages.get(key(b)) or 0.0) for a, b, _ in topo.capacitors]
        self.t = t
        self._keep(t)

    def _keep(self, t: float) -> None:
        if self._times and t <= self._times[-1]:
            self._states[-1] = self.caps
            return
        self._times.append(t)
        self._states.append(self.caps)
        if len(self._times) % 1024 == 0:  # trim in chunks: a list's front deletion is linear
            drop = max(len(self._times) - MAX_HISTORY, bisect_right(self._times, t - self.window) - 1)
            if drop > 0:
                del self._times[:drop]
                del self._states[:drop]


def _step(frame: Frame) -> float:
    tau = frame.topology.tau  # type: ignore[attr-defined]
    return max(tau / STEPS_PER_TAU, MIN_STEP) if math.isfinite(tau) else 0.01
