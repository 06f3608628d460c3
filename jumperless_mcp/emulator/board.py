"""The virtual board's hardware state: slots, routing, DACs, GPIO, OLED, probe, overlays.

This module knows nothing of serial ports or Python execution; `module.py`
exposes it as the `jumperless` functions and the ports talk to those.
Everything is guarded by one lock because tests read state from their own thread.
"""

from __future__ import annotations

import collections
import copy
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from firmware_api import nodes
from firmware_api.values import GPIODirection, GPIOPull, GPIOState, ProbeButton
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.emulator.circuit import Circuit
from jumperless_mcp.emulator.electrical import (
    DAC_LIMIT,
    FAKE_GPIO_OHMS,
    FIXED_SUPPLIES,
    GPIO_HIGH_VOLTS,
    GPIO_OUTPUT_OHMS,
    GPIO_PIN_NODES,
    GPIO_PULL_OHMS,
    LOGIC_THRESHOLD,
    POWER_KEYS,
    POWER_NODES,
    SHUNT_OHMS,
    ina219_reading,
)
from jumperless_mcp.emulator.floats import float_repr, to_float32
from jumperless_mcp.emulator.parts import Capacitor, Diode, Part, Resistor
from jumperless_mcp.emulator.retained_state import AnalyzerSettings, AudioSettings, Screens
from jumperless_mcp.emulator.routing import Netlist
from jumperless_mcp.emulator.slotfiles import SlotFiles, SlotState
from jumperless_mcp.emulator.time_model import TimeModel

NUM_SLOTS = 8
ADC_LIMITS = {0: 8.0, 1: 8.0, 2: 8.0, 3: 8.0, 4: 5.0, 7: 8.0}
ADC_NODES = {0: nodes.ADC0, 1: nodes.ADC1, 2: nodes.ADC2, 3: nodes.ADC3, 4: nodes.ADC4, 7: nodes.ADC7}
NET_COLORS = (
    (0xFF0000, "red"),
    (0xFF8000, "orange"),
    (0xFFFF00, "yellow"),
    (0x00FF00, "green"),
    (0x00FFFF, "cyan"),
    (0x0000FF, "blue"),
    (0x8000FF, "purple"),
    (0xFF00FF, "magenta"),
    (0xFF80C0, "pink"),
    (0xFFFFFF, "white"),
)
SPECIAL_NET_COLORS = {
    1: (0x001C04, "dark green"),
    2: (0x1C0702, "red"),
    3: (0x1C0107, "pink"),
    4: (0x231111, "salmon"),
    5: (0x230913, "violet"),
}


class MicroFloat(float):
    """A single-precision float that prints as the running board's MicroPython does (`floats.float_repr`)."""

    def __repr__(self) -> str:
        return float_repr(self)

    __str__ = __repr__


def single(value: float) -> MicroFloat:
    """Round to single precision, as the firmware's floats are."""
    return MicroFloat(to_float32(value))  # beyond float32's range: inf, as on the board


@dataclass
class GpioPin:
    direction: GPIODirection = GPIODirection.INPUT
    latch: bool = False
    pull: GPIOPull = GPIOPull.NONE
    read_floating: bool = True
    claimed: bool = False
    pwm_frequency: float | None = None
    pwm_duty: float = 0.5
    pwm_origin: float = 0.0  # board seconds at the start of a PWM period (time_model.py)


@dataclass
class Wavegen:
    output: int = 1
    frequency: float = 100.0
    wave: int = 0
    amplitude: float = 3.3
    offset: float = 1.65
    sweep: tuple[float, float, float] = (0.0, 0.0, 0.0)
    running: bool = False
    started: float = 0.0  # board seconds when it started: phase 0 of the wave


@dataclass
class Oled:
    connected: bool = True
    text_size: int = 2  # the size of the text shown now
    default_size: int = 2  # JumperlOS default_oled_text_size (oled_set_text_size; oled_print without a size)
    text: str = ""
    width: int = 128
    height: int = 32
    pixels: bytearray = field(default_factory=lambda: bytearray(128 * 32 // 8))
    font: str = "Eurostile"  # assumed: the first family jl_oled_get_fonts lists
    copy_print: bool = False
    bitmap: tuple[int, int, bytes] | None = None  # oled_load_bitmap: width, height, data


@dataclass
class FakePin:
    """A FakeGpioPin's configuration (JOS mjc :2990): an OUTPUT drives its node, an INPUT reads it."""

    output: bool
    high: float | int  # volts, or (node-based) the node whose voltage HIGH takes
    low: float | int
    node_based: bool
    threshold_high: float
    threshold_low: float
    value: int = 0


@dataclass
class Overlay:
    name: str
    row: int
    col: int
    width: int
    height: int
    colors: list[int]


@dataclass
class Elements:
    """The board's electrical elements by node id: ideal supplies, resistors, Thevenin sources."""

    fixed: list[tuple[int, float]]
    resistors: list[tuple[int, int, float]]
    sources: list[tuple[int, float, float]]  # node, volts, ohms
    diodes: list[tuple[int, int, float, float]] = field(default_factory=list)  # anode, cathode, Is, emission


class ProbeInput:
    """Probe touches, buttons, switch and clickwheel: events a test scripts, the firmware consumes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.pads: collections.deque[int] = collections.deque()
        self.buttons: collections.deque[ProbeButton] = collections.deque()
        self.held_button = ProbeButton.NONE
        self.switch_position = 0
        self.autoconnect = True
        self.wheel_position = 0
        self.wheel_direction = 0
        self.wheel_button = 0

    def touch(self, pad: int | str) -> None:
        """Script a probe touch on a row or pad."""
        with self._cond:
            self.pads.append(pad if isinstance(pad, int) else nodes.resolve_node(pad))
            self._cond.notify_all()

    def press(self, button: ProbeButton | str) -> None:
        """Script a press of the probe's CONNECT or REMOVE button."""
        with self._cond:
            self.buttons.append(button if isinstance(button, ProbeButton) else ProbeButton[button.upper()])
            self._cond.notify_all()

    def take_pad(self, wait: Callable[[float], None] | None) -> int:
        """Next touched pad; -1 (NO_PAD) when none and not waiting; `wait` sleeps interruptibly."""
        return self._take(self.pads, -1, wait)

    def take_button(self, wait: Callable[[float], None] | None, consume: bool = True) -> int:
        """Next press (consumed), or without consume the button state now: a pending press or the held one."""
        if consume:
            return int(self._take(self.buttons, ProbeButton.NONE, wait))
        while True:
            with self._cond:
                state = self.buttons[0] if self.buttons else self.held_button
            if state is not ProbeButton.NONE or wait is None:
                return int(state)
            wait(0.02)

    def _take(self, queue: collections.deque, empty: object, wait: Callable[[float], None] | None):  # type: ignore[no-untyped-def]
        while True:
            with self._cond:
                if queue:
                    return queue.popleft()
                if wait is None:
                    return empty
            wait(0.02)


class BoardModel:
    """The state of one virtual Jumperless V5."""

    def __init__(
        self,
        version: FirmwareVersion,
        fs_root: Path,
        parts: list[Part] | None = None,
        adc_noise: float = 0.0,
        seed: int = 0,
        time_scale: float = 1.0,
    ) -> None:
        self.version = version
        self.family = version.family
        self.lock = threading.RLock()
        self.fs_root = fs_root
        fs_root.mkdir(parents=True, exist_ok=True)
        self.parts = [part for part in parts or [] if isinstance(part, Resistor)]
        self.capacitors = [part for part in parts or [] if isinstance(part, Capacitor)]
        self.diodes = [part for part in parts or [] if isinstance(part, Diode)]
        self.adc_noise = adc_noise
        self.random = random.Random(seed)
        self.current_slot = 0
        self.no_free_path: set[frozenset[int]] = set()  # see VirtualBoard.block_path
        self.netlist = Netlist(self.family, no_free_path=self.no_free_path)
        self.power = {"dac0": 0.0, "dac1": 0.0, "top_rail": 3.3, "bottom_rail": 0.0}
        self.slot_files = SlotFiles(self.family, fs_root)
        self.slots = self.slot_files.load_all(NUM_SLOTS, self.power)
        self.gpio = [GpioPin() for _ in range(10)]
        self.gpio[8].direction = GPIODirection.OUTPUT  # UART TX idles as an output
        self.gpio[8].latch = True
        self.wavegen = Wavegen()
        self.wavegen_configured = False
        self.oled = Oled()
        self.probe = ProbeInput()
        self.overlays: list[Overlay] = []
        self.net_names: dict[int, str] = {}
        self.net_colors: dict[int, tuple[int, str]] = {}
        self.entry_state: SlotState | None = None
        self.history: list[tuple[str, SlotState]] = []
        self.history_position = 0
        self.context = "global"
        self.core2_paused = False
        self.arduino_resets = 0
        self.probe_read_calls = 0
        # State the firmware keeps in C (it survives a soft reset of the VM):
        self.oled_screens = Screens()
        self.logic_analyzer = AnalyzerSettings()
        self.usb_audio = AudioSettings()
        self.fake_pins: dict[int, FakePin] = {}
        self.placed_parts: dict = {}  # upstream place_part's table (projects.PlacedPart by name)
        self.raw_crossbar: list[tuple[int, int, int, int]] = []
        self.main_port_writer: Callable[[str], None] = lambda text: None
        self.main_port_waiter: Callable[[Callable[[float], None]], None] | None = None
        # The time axis: now(), gpio_level_at(), node_voltage_at(). VirtualBoard's time_scale shortens the main
        # port's menu waits and runs this clock 1/time_scale times as fast; MicroPython's ticks and sleeps, like
        # the firmware's, count this clock.
        self.time = TimeModel(self, time_scale, seed)
        self.load_slot(0)
        self.snapshot("boot")

    # --- slots -----------------------------------------------------------------
    def load_slot(self, slot: int) -> None:
        state = self.slots[slot]
        self.current_slot = slot
        self.netlist = Netlist(self.family, state.bridges, self.no_free_path)
        if self.family is Family.JUMPERLOS and state.power is not None:
            self.power = dict(state.power)
        self.entry_state = self.capture()

    def save_slot(self, slot: int | None = None) -> int:
        target = self.current_slot if slot is None or slot == -1 else slot
        if 0 <= target < NUM_SLOTS:
            self.slots[target] = SlotState(list(self.netlist.bridges), dict(self.power))
            self.slot_files.save(target, self.netlist, self.power, self.net_color)
        return target

    def capture(self) -> SlotState:
        return SlotState(list(self.netlist.bridges), dict(self.power))

    def restore(self, state: SlotState) -> None:
        self.netlist = Netlist(self.family, state.bridges, self.no_free_path)
        if state.power is not None:
            self.power = dict(state.power)

    def has_changes(self) -> bool:
        saved = self.slots[self.current_slot]
        return saved.bridges != self.netlist.bridges or (
            self.family is Family.JUMPERLOS and saved.power is not None and saved.power != self.power
        )

    # --- undo history (JumperlOS) -------------------------------------------------
    def snapshot(self, label: str) -> None:
        """Record the state after a change; undo walks back through these."""
        del self.history[self.history_position + 1 :]
        self.history.append((label, copy.deepcopy(self.capture())))
        self.history_position = len(self.history) - 1
        self.time.sync()  # a change counts from this moment

    def history_jump(self, position: int) -> bool:
        if not 0 <= position < len(self.history):
            return False
        self.history_position = position
        self.restore(copy.deepcopy(self.history[position][1]))
        return True

    # --- connections -------------------------------------------------------------
    def connect(self, a: int, b: int, duplicates: int = -1, save: bool = False) -> bool:
        added = self.netlist.add(a, b, duplicates)
        if save and (added or self.netlist.has_bridge(a, b)):
            self.save_slot()  # 5.3.x persists the bridge even when it was already in RAM unsaved
        if added:
            self.snapshot(f"connect {nodes.short_name(a)}-{nodes.short_name(b)}")
        return added

    def disconnect(self, a: int, b: int = -1) -> int:
        removed = self.netlist.remove(a, b)
        if removed:
            self.snapshot(f"disconnect {nodes.short_name(a)}")
        return removed

    def clear(self) -> None:
        self.netlist.clear()
        self.snapshot("clear")

    def is_connected(self, a: int, b: int) -> bool:
        """Direct bridges only, as both families check (5.3.x reads the saved slot file)."""
        if self.family is Family.LEGACY:
            return any(br.joins(a, b) for br in self.slots[self.current_slot].bridges)
        return self.netlist.has_bridge(a, b)

    # --- power -------------------------------------------------------------------
    def set_power(self, channel: int, volts: float) -> float:
        """Set a DAC channel (0 DAC0, 1 DAC1, 2 top rail, 3 bottom rail); clamps to the ±8 V hardware range."""
        volts = max(-DAC_LIMIT, min(DAC_LIMIT, volts))
        self.power[POWER_KEYS[channel]] = single(volts)
        self.snapshot(f"dac {channel}")
        return self.power[POWER_KEYS[channel]]

    def driven_power(self) -> dict[str, float]:
        """Setpoints with a running wavegen replaced by its mean (the DC level a DMM would read)."""
        power = dict(self.power)
        if self.wavegen.running:
            power[POWER_KEYS[self.wavegen.output]] = self.wavegen.offset
        return power

    # --- time (time_model.py): the API the logic analyzer and captures use ------------------------------
    def now(self) -> float:
        """Board seconds since boot (time.ticks_us() on the board agrees)."""
        return self.time.now()

    def gpio_level_at(self, pin: int, t: float) -> int:
        """GPIO_1..8 (pin 1-8) at board time t: 0/1 from PWM, the writes' history, or the input's node."""
        with self.lock:  # callable from any thread
            return self.time.gpio_level_at(pin, t)

    def node_voltage_at(self, node: int, t: float) -> float:
        """Any node's voltage at board time t (recent past or now); 0.0 where the node floats."""
        with self.lock:
            volts = self.time.voltage_at(node, t)
        return 0.0 if volts is None else volts

    def fake_outputs(self) -> list[tuple[int, float]]:
        """FakeGpioPin outputs as (node, volts)."""
        fixed = {**FIXED_SUPPLIES, **{POWER_NODES[k]: v for k, v in self.driven_power().items()}}
        return [(node_id, self._fake_level(fake, fixed)) for node_id, fake in self.fake_pins.items() if fake.output]

    # --- electrical model ---------------------------------------------------------
    def electrical_key(self) -> Callable[[int], tuple[str, int]]:
        membership = {n: net.number for net in self.netlist.nets() for n in net.nodes}
        return lambda n: ("net", membership[n]) if n in membership else ("node", n)

    def elements(self) -> Elements:
        """Every electrical element by the node it attaches to (nets are applied by `solve`)."""
        power = self.driven_power()
        fixed = [*FIXED_SUPPLIES.items(), *((POWER_NODES[name], volts) for name, volts in power.items())]
        resistors = [(nodes.ISENSE_PLUS, nodes.ISENSE_MINUS, SHUNT_OHMS)]
        resistors += [(part.a, part.b, part.ohms) for part in self.parts]
        sources: list[tuple[int, float, float]] = []
        for pin, node_id in zip(self.gpio, GPIO_PIN_NODES, strict=True):
            if pin.direction is GPIODirection.OUTPUT:
                level = GPIO_HIGH_VOLTS * (pin.pwm_duty if pin.pwm_frequency else float(pin.latch))
                sources.append((node_id, level, GPIO_OUTPUT_OHMS))
            elif pin.pull in (GPIOPull.PULLUP, GPIOPull.PULLDOWN):
                level = GPIO_HIGH_VOLTS if pin.pull is GPIOPull.PULLUP else 0.0
                sources.append((node_id, level, GPIO_PULL_OHMS))
        for node_id, fake in self.fake_pins.items():
            if fake.output:
                sources.append((node_id, self._fake_level(fake, dict(fixed)), FAKE_GPIO_OHMS))
        diodes = [(d.a, d.b, d.saturation_amps, d.emission) for d in self.diodes]
        return Elements(fixed, resistors, sources, diodes)

    @staticmethod
    def _fake_level(fake: FakePin, fixed: dict[int, float]) -> float:
        level = fake.high if fake.value else fake.low
        return fixed.get(int(level), 0.0) if fake.node_based else float(level)

    def solve(self) -> tuple[dict[object, float | None], Callable[[int], tuple[str, int]]]:
        key = self.electrical_key()
        circuit = Circuit()
        elements = self.elements()
        for node_id, volts in elements.fixed:
            circuit.fix(key(node_id), volts)
        for a, b, ohms in elements.resistors:
            if key(a) != key(b):
                circuit.resistor(key(a), key(b), ohms)
        for node_id, volts, ohms in elements.sources:
            circuit.source(key(node_id), volts, ohms)
        for a, k, saturation, emission in elements.diodes:
            circuit.diode(key(a), key(k), saturation, emission)
        return circuit.solve(), key

    def voltage(self, node_id: int) -> float | None:
        """The DC voltage on a node's net, None if nothing drives it."""
        voltages, key = self.solve()
        return voltages.get(key(node_id))

    def adc_read(self, channel: int) -> float:
        """A sample at the moment of the call (adc_get)."""
        return self.adc_sample_at(channel, self.time.synced_now())

    def adc_sample_at(self, channel: int, t: float) -> float:
        """An ADC sample at board time t from the time model; the noise is seeded by (seed, channel, t)."""
        volts = self.time.voltage_at(ADC_NODES[channel], t)
        reading = (0.0 if volts is None else volts) + self.time.noise(channel, t, self.adc_noise)
        limit = ADC_LIMITS[channel]
        return single(max(-limit, min(limit, reading)))

    def ina(self, sensor: int) -> tuple[float, float, float]:
        """(current A, bus V, shunt V) for INA 0 across ISENSE+/ISENSE-; INA 1 has nothing attached here.

        The current and shunt voltage quantised as the INA219 reports them with the firmware's calibration
        (electrical.ina219_reading); the bus voltage is left exact (the chip's 4 mV steps are not modelled)."""
        if sensor != 0:
            return 0.0, 0.0, 0.0
        t = self.time.synced_now()
        v_plus, v_minus = self.time.voltage_at(nodes.ISENSE_PLUS, t), self.time.voltage_at(nodes.ISENSE_MINUS, t)
        if v_plus is None or v_minus is None:
            return 0.0, v_minus or v_plus or 0.0, 0.0
        amps, shunt = ina219_reading(v_plus - v_minus)
        return single(amps), single(v_minus), single(shunt)

    def gpio_read(self, pin_number: int) -> GPIOState:
        pin = self.gpio[pin_number - 1]
        volts = self.time.voltage_at(GPIO_PIN_NODES[pin_number - 1], self.time.synced_now())
        if volts is None:
            return GPIOState.FLOATING if pin.read_floating else GPIOState.LOW
        return GPIOState.HIGH if volts > LOGIC_THRESHOLD else GPIOState.LOW

    # --- nets as the firmware names and colours them ---------------------------------
    def net_name(self, number: int) -> str:
        if number in self.net_names:
            return self.net_names[number]
        if number in nodes.SPECIAL_NETS:
            return nodes.SPECIAL_NETS[number][0]
        return f"Net {number}" if number > 0 else ""

    def net_color(self, number: int) -> tuple[int, str]:
        if number in self.net_colors:
            return self.net_colors[number]
        if number in SPECIAL_NET_COLORS:
            return SPECIAL_NET_COLORS[number]
        return NET_COLORS[(number - 6) % len(NET_COLORS)] if number >= 6 else (0, "black")

    def number_of_nets(self) -> int:
        """Like the firmware's numberOfNets: one past the highest net in use."""
        return max(net.number for net in self.netlist.nets()) + 1
