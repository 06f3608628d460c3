"""The board's time axis: its clock, what drove the circuit when, and the voltages and levels at a moment.

`BoardModel` owns one `TimeModel` and exposes `now()`, `gpio_level_at()` and `node_voltage_at()` through it.
Changes are recorded as frames (timeline.py) by `sync()`: the GPIO, PWM, DAC and generator functions call it at
the moment they act; every query calls it too, so a change made any other way counts from the next query.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from jumperless_mcp.emulator.electrical import GPIO_PIN_NODES, LOGIC_THRESHOLD, POWER_KEYS
from jumperless_mcp.emulator.timeline import WINDOW_SECONDS, BoardClock, Frame, PinDrive, Pwm, Timeline
from jumperless_mcp.emulator.transient import Models, Topology, Transient
from jumperless_mcp.emulator.waveforms import WaveState


class _Pin(Protocol):
    direction: object
    latch: bool
    pull: object
    pwm_frequency: float | None
    pwm_duty: float
    pwm_origin: float


class _Board(Protocol):
    """What the time model reads of `BoardModel` (it must not import board.py)."""

    netlist: Any  # routing.Netlist
    no_free_path: set
    power: dict[str, float]
    wavegen: Any  # board.Wavegen
    gpio: list
    capacitors: list
    parts: list
    fake_pins: dict

    def fake_outputs(self) -> list[tuple[int, float]]: ...


class TimeModel:
    def __init__(self, board: _Board, time_scale: float = 1.0, seed: int = 0) -> None:
        self.board = board
        self.clock = BoardClock(time_scale)
        self.seed = seed
        self.timeline = Timeline(WINDOW_SECONDS)
        self.models = Models()
        self.transient = Transient(WINDOW_SECONDS, self.models)
        self._signature: list = []
        self._topologies: dict[object, Topology] = {}
        self._parts_generation = 0  # parts_changed() counts up
        self._drives: dict[tuple, PinDrive] = {}

    def now(self) -> float:
        return self.clock.now()

    # --- recording ---------------------------------------------------------------------------------------
    def sync(self, t: float | None = None) -> Frame:
        """Record the board's drive as of now (a new frame only when something changed); the frame in force.

        Called on every sample, so the check is a flat list of plain attributes (few Python calls: the REPL's
        trace hook makes each call cost); frames are built only when it differs, from cached parts."""
        board = self.board
        w = board.wavegen
        bridges = tuple(board.netlist.bridges)
        power = tuple(board.power.values())
        pins = [(p.direction, p.latch, p.pull, p.pwm_frequency, p.pwm_duty, p.pwm_origin) for p in board.gpio]
        wave = (w.running, w.output, w.wave, w.frequency, w.amplitude, w.offset, w.started)
        fakes = tuple(board.fake_outputs()) if board.fake_pins else ()
        signature = [bridges, len(board.no_free_path), power, wave, pins, fakes]
        last = self.timeline.last()
        if last is not None and signature == self._signature:
            return last
        previous, self._signature = self._signature, signature
        t = self.now() if t is None else t
        topology = last.topology if last is not None and previous[:2] == signature[:2] else self._topology()
        cached = self._drives.get
        drives = tuple([cached(raw) or self._drive(raw, pin) for raw, pin in zip(pins, board.gpio, strict=True)])
        if last is not None and previous[2] == power:
            power_volts = last.power
        else:
            power_volts = tuple(float(board.power[k]) for k in POWER_KEYS)
        state = None
        if w.running:
            state = WaveState(w.output, w.wave, float(w.frequency), float(w.amplitude), float(w.offset), w.started)
        self.timeline.record(Frame(t, topology, power_volts, state, drives, fakes))
        return self.timeline.last()  # type: ignore[return-value]

    def _drive(self, raw: tuple, pin: _Pin) -> PinDrive:
        """One PinDrive per distinct pin state, so a long history of writes holds references, not copies."""
        found = self._drives.get(raw)
        if found is None:
            if len(self._drives) > 4096:
                self._drives.clear()
            found = self._drives[raw] = _drive(pin)
        return found

    def _topology(self) -> Topology:
        board = self.board
        key = (tuple(board.netlist.bridges), frozenset(board.no_free_path), self._parts_generation)  # type: ignore[attr-defined]
        found = self._topologies.get(key)
        if found is None:
            membership = {n: net.number for net in board.netlist.nets() for n in net.nodes}  # type: ignore[attr-defined]
            diodes = [(d.a, d.b, d.saturation_amps, d.emission) for d in getattr(board, "diodes", ())]
            found = Topology(key, membership, [(p.a, p.b, p.ohms) for p in board.parts],
                             [(c.a, c.b, c.farads) for c in board.capacitors], diodes)  # fmt: skip
            if len(self._topologies) > 64:
                self._topologies.pop(next(iter(self._topologies)))
            self._topologies[key] = found
        return found

    def parts_changed(self) -> None:
        """A part was pushed in or pulled out while running: later samples see the new circuit, earlier ones
        keep theirs (the next sync records a new frame with a rebuilt topology)."""
        self._parts_generation += 1  # in the topology's key: frames before and after differ
        self._topologies.clear()
        if self._signature:
            self._signature = [None] * len(self._signature)

    def synced_now(self) -> float:
        """Now, after recording any change not yet on the timeline (so a sample taken now sees it)."""
        self.sync()
        return self.now()

    # --- queries -------------------------------------------------------------------------------------------
    def voltage_at(self, node: int, t: float) -> float | None:
        """A node's voltage at board time t (None if it floats); t later than now counts as now."""
        now = self.now()
        self.sync(now)
        t = min(t, now)
        frame = self.timeline.at(t)
        caps = self.transient.caps_at(self.timeline, t) if frame.topology.capacitors else []  # type: ignore[attr-defined]
        return self.models.get(frame, None).voltage(node, t, caps)

    def gpio_level_at(self, pin: int, t: float) -> int:
        """GPIO_1..8 (and 9, 10 = UART TX, RX) at t: its driven level, else the level its node reads."""
        if not 1 <= pin <= len(GPIO_PIN_NODES):
            raise ValueError(f"pin must be 1-{len(GPIO_PIN_NODES)} (GPIO_1-GPIO_8, 9 UART_TX, 10 UART_RX), got {pin!r}")
        now = self.now()
        self.sync(now)
        t = min(t, now)
        level = self.timeline.at(t).pins[pin - 1].level_at(t)
        if level is not None:
            return level
        volts = self.voltage_at(GPIO_PIN_NODES[pin - 1], t)
        return 1 if volts is not None and volts > LOGIC_THRESHOLD else 0

    def noise(self, channel: int, t: float, sigma: float) -> float:
        """Gaussian noise as a function of (seed, channel, time): the same seed and sample times give the same."""
        if not sigma:
            return 0.0
        return random.Random(f"{self.seed}:{channel}:{round(t * 1e9)}").gauss(0.0, sigma)


def _drive(pin: _Pin) -> PinDrive:
    pull = getattr(pin.pull, "value", pin.pull)
    if getattr(pin.direction, "name", "") == "OUTPUT":
        pwm = Pwm(float(pin.pwm_frequency), float(pin.pwm_duty), pin.pwm_origin) if pin.pwm_frequency else None
        return PinDrive(True, int(bool(pin.latch)), pwm, 0)
    return PinDrive(False, 0, None, pull if pull in (1, -1) else 0)  # type: ignore[arg-type]
