"""The `jumperless` MicroPython module of the virtual board, implemented on `BoardModel`.

Function names and aliases come from `firmware_api.catalog`, so the virtual
board exports exactly what the catalog says each family has. Argument checks
and error messages follow the firmware source (see the protocol reference).
"""

from __future__ import annotations

import contextlib
import json
import types
from collections.abc import Callable, Iterator
from typing import Protocol

from firmware_api import catalog, nodes
from firmware_api.calls import DAC_CHANNEL_NODES
from firmware_api.values import GPIODirection, GPIOPull, GPIOState
from firmware_api.versions import Family
from jumperless_mcp.emulator import netprint, state_json
from jumperless_mcp.emulator.board import GPIO_PIN_NODES, NUM_SLOTS, POWER_KEYS, BoardModel, Overlay, single
from jumperless_mcp.emulator.filesystem import BoardFiles
from jumperless_mcp.emulator.fwtypes import (
    ConnectionStateObject,
    FirmwareObject,
    GPIODirectionObject,
    GPIOPullObject,
    GPIOStateObject,
    NodeObject,
    ProbeButtonObject,
    ProbePadObject,
)


class ExecutionContext(Protocol):
    """What module functions need from whoever runs the code."""

    def write(self, text: str) -> None: ...  # the calling port's stdout
    def sleep(self, seconds: float) -> None: ...  # interruptible: raises KeyboardInterrupt
    def main_port(self, text: str) -> None: ...  # text the firmware prints on the main port
    def wait_main_port_input(self) -> None: ...  # block until a byte is pending on the main port


GPIO_PIN_ERROR = "GPIO pin must be 1-10, GPIO_1-GPIO_8, GPIO_20-GPIO_27, or UART_TX/UART_RX"
PWM_PIN_ERROR = "GPIO pin must be 1-8 or GPIO_1-GPIO_8"
DAC_CHANNEL_ERROR = "Invalid DAC channel or node. Use 0-3, DAC0, DAC1, TOP_RAIL, or BOTTOM_RAIL"
WAVEGEN_OUTPUT_ERROR = "Invalid output. Use DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL"
_GPIO_PIN_OF_NODE = {node_id: pin for pin, node_id in enumerate(GPIO_PIN_NODES, start=1)}
_WAVE_NAMES = {"SINE": 0, "TRIANGLE": 1, "TRI": 1, "RAMP": 2, "SAW": 2, "SAWTOOTH": 2, "SQUARE": 3, "SQ": 3,
               "ARBITRARY": 4, "ARB": 4}  # fmt: skip

_UNSET: object = type("Unset", (), {"__repr__": lambda self: "<unset>"})()  # an argument the caller did not pass


def node_value(value: object) -> int:
    """get_node_value(): an int passes unchecked, a string is looked up, a node object gives its id."""
    if isinstance(value, FirmwareObject):
        return value.value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if text.isdigit() and 1 <= int(text) <= 200:
            return int(text)
        try:
            return nodes.resolve_node(text)
        except ValueError:
            raise ValueError("Unknown node name") from None
    raise TypeError("Expected node, int, or string")


def gpio_pin(value: object) -> int:
    """map_pin_obj_to_physical_gpio(): 1-10, raw 20-27 (-> 1-8), or a GPIO/UART node object; not the int 131."""
    if isinstance(value, NodeObject):
        if value.value in _GPIO_PIN_OF_NODE:
            return _GPIO_PIN_OF_NODE[value.value]
        raise ValueError(GPIO_PIN_ERROR)
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= 10:
            return value
        if 20 <= value <= 27:
            return value - 19
    raise ValueError(GPIO_PIN_ERROR)


def pwm_pin(value: object) -> int:
    number = int(value)  # type: ignore[call-overload]
    if 131 <= number <= 138:
        number -= 130
    if not 1 <= number <= 8:
        raise ValueError(PWM_PIN_ERROR)
    return number


def dac_channel(value: object, error: str = DAC_CHANNEL_ERROR) -> int:
    """get_dac_channel(): 0-3, or the DAC0/DAC1/TOP_RAIL/BOTTOM_RAIL node (as name, object or id)."""
    if isinstance(value, (FirmwareObject, str)):
        channel = DAC_CHANNEL_NODES.get(node_value(value))
    elif isinstance(value, int):
        channel = value if 0 <= value <= 3 else DAC_CHANNEL_NODES.get(value)
    else:
        channel = None
    if channel is None:
        raise ValueError(error)
    return channel


class JumperlessModule:
    """One method per catalog function (by its primary name); `namespace()` adds the aliases."""

    def __init__(self, board: BoardModel, context: ExecutionContext) -> None:
        self.board = board
        self.ctx = context
        self.family = board.family
        self.files = BoardFiles(board.fs_root)

    # --- nodes and connections ---------------------------------------------------------
    def connect(self, node1: object, node2: object, extra: object = None) -> None:
        a, b = node_value(node1), node_value(node2)
        with self.board.lock:
            if self.family is Family.LEGACY:
                self.board.connect(a, b, save=bool(extra))
            else:
                self.board.connect(a, b, -1 if extra is None else int(extra))  # type: ignore[call-overload]

    def disconnect(self, node1: object, node2: object = -1) -> None:
        with self.board.lock:
            a, b = node_value(node1), node_value(node2)
            self.board.disconnect(a, b)
            if self.family is Family.LEGACY:
                self.board.save_slot()  # 5.3.x writes the flash file directly

    fast_connect = connect
    fast_disconnect = disconnect

    def nodes_clear(self) -> None:
        with self.board.lock:
            self.board.clear()

    def is_connected(self, node1: object, node2: object) -> ConnectionStateObject:
        with self.board.lock:
            return ConnectionStateObject.of(self.board.is_connected(node_value(node1), node_value(node2)))

    def nodes_save(self, slot: int = -1) -> int:
        with self.board.lock:
            return self.board.save_slot(int(slot))

    def nodes_discard(self) -> None:
        with self.board.lock:
            if self.board.entry_state is not None:
                self.board.restore(self.board.entry_state)

    def nodes_has_changes(self) -> bool:
        with self.board.lock:
            return self.board.has_changes()

    def switch_slot(self, slot: int) -> int:
        slot = int(slot)
        if not 0 <= slot < NUM_SLOTS:
            raise ValueError("Invalid slot number")
        with self.board.lock:
            previous = self.board.current_slot
            if slot != previous:
                self.board.load_slot(slot)
                self.board.snapshot(f"slot {slot}")
            return previous

    def CURRENT_SLOT(self) -> int:
        return self.board.current_slot

    def node(self, name: object) -> NodeObject:
        if not isinstance(name, (str, int, FirmwareObject)) or isinstance(name, bool):
            raise TypeError("Node must be created from string, int, or another node")
        return NodeObject.of(node_value(name))

    def send_raw(self, chip: object, x: int, y: int, set: int = 1) -> None:
        if isinstance(chip, str) and len(chip) == 1 and "A" <= chip.upper() <= "L":
            number = ord(chip.upper()) - ord("A")
        elif isinstance(chip, int):
            number = chip
        else:
            raise ValueError("Chip must be integer (0-11) or string ('A'-'L')")
        if not 0 <= number <= 11:
            self.ctx.main_port(f"jl_send_raw: Invalid chip number: {number}\r\n")
        elif not (0 <= x <= 15 and 0 <= y <= 15):
            self.ctx.main_port(f"jl_send_raw: Invalid coordinates: {x},{y}\r\n")
        else:
            with self.board.lock:
                self.board.raw_crossbar.append((number, x, y, int(set)))

    def context_toggle(self) -> None:
        self.board.context = "python" if self.board.context == "global" else "global"

    def context_get(self) -> str:
        return self.board.context

    def get_state(self) -> str:
        with self.board.lock:
            return state_json.get_state(self.board)

    def set_state(self, text: str, clear_first: bool = True, from_wokwi: bool = False) -> int:
        if from_wokwi:
            self.ctx.main_port("set_state wokwi error: Wokwi diagrams are not emulated\r\n")
            return -1
        with self.board.lock:
            try:
                state_json.set_state(self.board, str(text), bool(clear_first))
            except state_json.StateError as exc:
                self.ctx.main_port(f"set_state error: {exc}\r\n")
                return -1
        return 0

    def undo(self) -> bool:
        with self.board.lock:
            return self.board.history_jump(self.board.history_position - 1)

    def redo(self) -> bool:
        with self.board.lock:
            return self.board.history_jump(self.board.history_position + 1)

    def history_position(self) -> int:
        return self.board.history_position

    def history_size(self) -> int:
        return len(self.board.history)

    def history_label(self, offset: int = 0) -> str:
        index = self.board.history_position + int(offset)
        return self.board.history[index][0] if 0 <= index < len(self.board.history) else ""

    def history_jump(self, position: int) -> bool:
        with self.board.lock:
            return self.board.history_jump(int(position))

    def history_snapshot(self) -> bool:
        with self.board.lock:
            self.board.snapshot("python")
        return True

    def history_snapshot_count(self) -> int:
        return len(self.board.history)

    # --- DAC, ADC, INA ---------------------------------------------------------------
    def dac_set(self, channel: object, voltage: float, save: bool = True) -> None:
        ch = dac_channel(channel)
        with self.board.lock:
            self.board.set_power(ch, float(voltage))

    def dac_get(self, channel: object) -> float:
        with self.board.lock:
            return single(self.board.power[POWER_KEYS[dac_channel(channel)]])

    def adc_get(self, channel: int) -> float:
        channel = int(channel)
        if not 0 <= channel <= 3:
            raise ValueError("ADC channel must be 0-3")
        with self.board.lock:
            return self.board.adc_read(channel)

    def _ina(self, sensor: int) -> tuple[float, float, float]:
        if int(sensor) not in (0, 1):
            raise ValueError("INA sensor must be 0 or 1")
        with self.board.lock:
            return self.board.ina(int(sensor))

    def ina_get_current(self, sensor: int) -> float:
        return self._ina(sensor)[0]

    def ina_get_bus_voltage(self, sensor: int) -> float:
        return self._ina(sensor)[1]

    ina_get_voltage = ina_get_bus_voltage  # both families return the bus voltage here

    def ina_get_power(self, sensor: int) -> float:
        current, bus, _ = self._ina(sensor)
        return single(current * bus)

    def get_node_voltage(self, node: object) -> float | None:
        with self.board.lock:
            volts = self.board.voltage(node_value(node))
        return None if volts is None else single(volts)

    def get_net_current(self, net: int) -> float | None:
        return None  # the virtual board has no per-net current scan data, as on boards without a scan

    def get_path_current(self, index: int) -> float | None:
        return None

    # --- GPIO and PWM ------------------------------------------------------------------
    def gpio_set(self, pin: object, value: object) -> None:
        level = _gpio_level(value)
        number = gpio_pin(pin)
        with self.board.lock:
            self.board.gpio[number - 1].latch = bool(level == 1)

    def gpio_get(self, pin: object) -> GPIOStateObject:
        number = gpio_pin(pin)
        with self.board.lock:
            state = self.board.gpio_read(number)
        if state is GPIOState.FLOATING and isinstance(pin, int) and 20 <= pin <= 27:
            state = GPIOState.LOW  # raw RP pin numbers use plain gpio_get(): 0/1, never FLOATING
        return GPIOStateObject.of(state)

    def gpio_set_dir(self, pin: object, direction: object) -> None:
        wanted = _direction(direction)
        number = gpio_pin(pin)
        with self.board.lock:
            self.board.gpio[number - 1].direction = wanted

    def gpio_get_dir(self, pin: object) -> GPIODirectionObject:
        number = gpio_pin(pin)
        return GPIODirectionObject.of(self.board.gpio[number - 1].direction)

    def gpio_set_pull(self, pin: object, pull: object) -> None:
        wanted = _pull(pull)
        number = gpio_pin(pin)
        with self.board.lock:
            self.board.gpio[number - 1].pull = wanted

    def gpio_get_pull(self, pin: object) -> GPIOPullObject:
        return GPIOPullObject.of(self.board.gpio[gpio_pin(pin) - 1].pull, self.family)

    def gpio_set_read_floating(self, pin: object, enabled: object) -> None:
        self.board.gpio[gpio_pin(pin) - 1].read_floating = bool(enabled)

    def gpio_get_read_floating(self, pin: object) -> bool:
        return self.board.gpio[gpio_pin(pin) - 1].read_floating

    def gpio_claim_pin(self, pin: object) -> None:
        self.board.gpio[gpio_pin(pin) - 1].claimed = True

    def gpio_release_pin(self, pin: object) -> None:
        self.board.gpio[gpio_pin(pin) - 1].claimed = False

    def gpio_release_all_pins(self) -> None:
        for pin in self.board.gpio:
            pin.claimed = False

    def pwm(self, pin: object, frequency: float = 1.0, duty: float = 0.5) -> None:
        number = pwm_pin(pin)
        _check_pwm(frequency, duty)
        with self.board.lock:
            gpio = self.board.gpio[number - 1]
            gpio.direction, gpio.pwm_frequency, gpio.pwm_duty = GPIODirection.OUTPUT, float(frequency), float(duty)

    def pwm_set_duty_cycle(self, pin: object, duty: float) -> None:
        number = pwm_pin(pin)
        _check_pwm(1.0, duty)
        self.board.gpio[number - 1].pwm_duty = float(duty)

    def pwm_set_frequency(self, pin: object, frequency: float) -> None:
        number = pwm_pin(pin)
        _check_pwm(frequency, 0.5)
        self.board.gpio[number - 1].pwm_frequency = float(frequency)

    def pwm_stop(self, pin: object) -> None:
        self.board.gpio[pwm_pin(pin) - 1].pwm_frequency = None

    # --- waveform generator (the C side clamps silently) ----------------------------------
    def wavegen_set_output(self, channel: object) -> None:
        self._wavegen().output = dac_channel(channel, WAVEGEN_OUTPUT_ERROR)

    def wavegen_set_freq(self, hz: float) -> None:
        self._wavegen().frequency = single(max(float(hz), 0.0001))

    def wavegen_set_wave(self, wave: object) -> None:
        if isinstance(wave, str):
            if wave.upper() not in _WAVE_NAMES:
                raise ValueError("Unknown waveform")
            number = _WAVE_NAMES[wave.upper()]
        elif isinstance(wave, int):
            if not 0 <= wave <= 4:
                raise ValueError("Waveform must be 0-4")
            number = int(wave)
        else:
            raise TypeError("Expected int or string for waveform")
        if number == 4:
            raise NotImplementedError("ARBITRARY waveform not implemented yet")
        self._wavegen().wave = number

    def wavegen_set_amplitude(self, vpp: float) -> None:
        self._wavegen().amplitude = single(max(float(vpp), 0.0))

    def wavegen_set_offset(self, volts: float) -> None:
        self._wavegen().offset = single(float(volts))

    def wavegen_set_sweep(self, start_hz: float, end_hz: float, seconds: float) -> None:
        self._wavegen().sweep = (max(float(start_hz), 0.0001), max(float(end_hz), 0.0001), max(float(seconds), 0.0))

    def _wavegen(self):  # type: ignore[no-untyped-def]
        self.board.wavegen_configured = True
        return self.board.wavegen

    def wavegen_start(self, run: object = True) -> None:
        self.board.wavegen.running = bool(run)

    def wavegen_stop(self) -> None:
        self.board.wavegen.running = False

    def wavegen_get_output(self) -> int:
        return self.board.wavegen.output

    def wavegen_get_freq(self) -> float:
        return self.board.wavegen.frequency

    def wavegen_get_wave(self) -> int:
        return self.board.wavegen.wave

    def wavegen_get_amplitude(self) -> float:
        return self.board.wavegen.amplitude

    def wavegen_get_offset(self) -> float:
        return self.board.wavegen.offset

    def wavegen_is_running(self) -> bool:
        return self.board.wavegen.running

    # --- OLED --------------------------------------------------------------------------
    def oled_print(self, *values: object, sep: object = _UNSET, end: object = _UNSET, size: object = _UNSET) -> None:
        no_keywords = sep is _UNSET and end is _UNSET and size is _UNSET
        sep = " " if sep is _UNSET or sep is None else sep
        end = "" if end is _UNSET or end is None else end
        size = -1 if size is _UNSET else int(size)  # type: ignore[call-overload]
        # Back-compat oled_print(text, size): exactly two positional arguments, an int second, no keywords.
        if no_keywords and len(values) == 2 and isinstance(values[1], int) and not isinstance(values[1], bool):
            values, size = values[:1], values[1]
        if not isinstance(sep, str):
            raise TypeError("sep must be str or None")
        if not isinstance(end, str):
            raise TypeError("end must be str or None")
        oled = self.board.oled
        if not oled.connected:
            return
        text = sep.join(_oled_text(v, self.family) for v in values) + end
        with self.board.lock:
            if size == 0:  # small scrolling text appends
                oled.text = (oled.text + "\n" + text).strip("\n") if oled.text else text
            else:
                oled.text = text
                oled.text_size = oled.text_size if size < 0 else int(size)
            oled.pixels[:] = bytes(len(oled.pixels))

    def oled_clear(self, show: bool = True) -> None:
        with self.board.lock:
            self.board.oled.text = ""
            self.board.oled.pixels[:] = bytes(len(self.board.oled.pixels))

    def oled_show(self) -> None:
        pass  # the framebuffer is always "shown" on the virtual board

    def oled_connect(self) -> None:
        self.board.oled.connected = True

    def oled_disconnect(self) -> None:
        self.board.oled.connected = False

    def oled_set_text_size(self, size: int) -> bool:
        if not 0 <= int(size) <= 2 or not self.board.oled.connected:
            return False
        self.board.oled.text_size = int(size)
        return True

    def oled_get_text_size(self) -> int:
        return self.board.oled.text_size

    def oled_get_framebuffer(self) -> bytes | None:
        return bytes(self.board.oled.pixels) if self.board.oled.connected else None

    def oled_get_framebuffer_size(self) -> tuple[int, int, int]:
        oled = self.board.oled
        return (oled.width, oled.height, len(oled.pixels)) if oled.connected else (0, 0, 0)

    def oled_set_framebuffer(self, data: bytes) -> bool:
        if len(data) != len(self.board.oled.pixels):
            return False
        self.board.oled.pixels[:] = data
        return True

    def oled_set_pixel(self, x: int, y: int, on: int = 1) -> bool:
        oled = self.board.oled
        if not (0 <= x < oled.width and 0 <= y < oled.height) or not oled.connected:
            return False
        index, bit = x + (y // 8) * oled.width, 1 << (y % 8)
        oled.pixels[index] = (oled.pixels[index] | bit) if on else (oled.pixels[index] & ~bit)
        return True

    def oled_get_pixel(self, x: int, y: int) -> int:
        oled = self.board.oled
        if not (0 <= x < oled.width and 0 <= y < oled.height) or not oled.connected:
            return -1
        return int(bool(oled.pixels[x + (y // 8) * oled.width] & (1 << (y % 8))))

    def oled_get_fonts(self) -> list[str]:
        return ["Eurostile", "Jokerman", "Comic Sans", "Courier New", "New Science", "New Science Ext",
                "Andale Mono", "Free Mono", "Iosevka Regular", "Berkeley Mono", "Pragmatism"]  # fmt: skip

    # --- probe, switch, clickwheel ------------------------------------------------------
    def probe_read(self, blocking: object = True) -> ProbePadObject:
        with _interrupt_says_ctrl_q():
            pad = self.board.probe.take_pad(self.ctx.sleep if blocking else None)
        return ProbePadObject.of(pad, self.family)

    def probe_button(self, blocking: object = True, consume: object = False) -> ProbeButtonObject:
        wait = self.ctx.sleep if blocking else None
        with _interrupt_says_ctrl_q():
            return ProbeButtonObject.of(self.board.probe.take_button(wait, bool(consume)))

    def probe_tap(self, node: object) -> None:
        node_value(node)  # a no-op on the firmware too, after the argument check

    def clickwheel_up(self, clicks: int = 1) -> None:
        self.board.probe.wheel_direction = 1  # the firmware ignores the count: one event
        self.board.probe.wheel_position += 1

    def clickwheel_down(self, clicks: int = 1) -> None:
        self.board.probe.wheel_direction = 2
        self.board.probe.wheel_position -= 1

    def clickwheel_press(self) -> None:
        self.board.probe.wheel_button = 3  # pressed, then released

    def get_switch_position(self) -> int:
        return self.board.probe.switch_position

    def set_switch_position(self, position: int) -> None:
        if int(position) in (-1, 0, 1):
            self.board.probe.switch_position = int(position)

    check_switch_position = get_switch_position

    def probe_autoconnect(self, enabled: object = -1) -> bool:
        if enabled != -1:
            self.board.probe.autoconnect = bool(enabled)
        return self.board.probe.autoconnect

    def clickwheel_get_position(self) -> int:
        return self.board.probe.wheel_position

    def clickwheel_reset_position(self) -> None:
        self.board.probe.wheel_position = 0

    def clickwheel_get_direction(self, consume: object = True) -> int:
        direction = self.board.probe.wheel_direction
        if consume:
            self.board.probe.wheel_direction = 0
        return direction

    def clickwheel_get_button(self) -> int:
        return self.board.probe.wheel_button

    def clickwheel_is_initialized(self) -> bool:
        return True

    # --- nets, paths, colours, overlays ------------------------------------------------------
    def _net(self, number: int):  # type: ignore[no-untyped-def]
        return next((n for n in self.board.netlist.nets() if n.number == number), None)

    def get_net_name(self, net: int) -> str | None:
        return self.board.net_name(int(net)) if 0 <= int(net) < 60 else None

    def set_net_name(self, net: int, name: str | None) -> None:
        if name is None:
            self.board.net_names.pop(int(net), None)
        else:
            self.board.net_names[int(net)] = str(name)

    def get_net_color(self, net: int) -> int:
        return self.board.net_color(int(net))[0] if 0 <= int(net) < 60 else 0

    def get_net_color_name(self, net: int) -> str:
        return self.board.net_color(int(net))[1] if 0 <= int(net) < 60 else "unknown"

    def set_net_color(self, net: int, color: object, *rgb: int) -> bool:
        if not 0 <= int(net) < 60:
            return False
        parsed = _parse_color(color, rgb)
        if parsed is None:
            raise ValueError("Color must be string name, hex integer, or (r,g,b) tuple")
        self.board.net_colors[int(net)] = parsed
        return True

    def set_net_color_hsv(self, net: int, hue: float, saturation: float = 1.0, value: float = 1.0) -> bool:
        import colorsys

        if not 0 <= int(net) < 60:
            return False
        r, g, b = (round(c * 255) for c in colorsys.hsv_to_rgb(float(hue), float(saturation), float(value)))
        name = f"hsv({round(hue * 255)},{round(saturation * 255)},{round(value * 255)})"
        self.board.net_colors[int(net)] = ((r << 16) | (g << 8) | b, name)
        return True

    def get_num_nets(self) -> int:
        return self.board.number_of_nets()

    def get_num_bridges(self) -> int:
        return len(self.board.netlist.bridges)

    def get_net_nodes(self, net: int) -> str:
        found = self._net(int(net))
        return ",".join(nodes.short_name(n) for n in found.nodes) if found else ""

    def get_bridge(self, index: int) -> tuple[int, int, int] | None:
        bridges = self.board.netlist.bridges
        if not 0 <= int(index) < len(bridges):
            return None
        bridge = bridges[int(index)]
        return (bridge.a, bridge.b, bridge.duplicates)

    def get_net_info(self, net: int) -> dict | None:
        name = self.get_net_name(net)
        if name is None:
            return None
        return {"name": name, "number": int(net), "color": self.get_net_color(net),
                "color_name": self.get_net_color_name(net), "nodes": self.get_net_nodes(net)}  # fmt: skip

    def get_all_nets(self) -> list[dict | None]:
        return [self.get_net_info(i) for i in range(self.get_num_nets())]

    def _paths(self) -> list[dict]:
        """Routed bridges as paths; the virtual board has no crossbar chips, so coordinates are -1."""
        nets, _ = self.board.netlist.routed()
        return [{"node1": br.a, "node2": br.b, "net": net.number, "chips": [-1] * 4, "x": [-1] * 6,
                 "y": [-1] * 6, "duplicate": 0} for net in nets for br in net.bridges]  # fmt: skip

    def get_num_paths(self, include_duplicates: bool = True) -> int:
        return len(self._paths())

    def get_path_info(self, index: int) -> dict | None:
        paths = self._paths()
        return paths[int(index)] if 0 <= int(index) < len(paths) else None

    def get_all_paths(self) -> list[dict]:
        paths = self._paths()
        self.ctx.main_port(f"jl_get_all_path_info: numBridges={self.get_num_bridges()}, numPaths={len(paths)}\r\n")
        return paths

    def get_path_between(self, node1: int, node2: int) -> dict | None:
        return next((p for p in self._paths() if {p["node1"], p["node2"]} == {int(node1), int(node2)}), None)

    def overlay_set(self, name: str, x: int, y: int, height: int, width: int, colors: object) -> int:
        flat = _flatten_colors(colors)
        if len(flat) < width * height:
            raise ValueError("Color array too small")
        if not (1 <= y <= 10 and 1 <= x <= 30 and 1 <= width <= 30 and 1 <= height <= 10):
            return -1
        overlay = Overlay(str(name), int(y), int(x), int(width), int(height), flat[: width * height])
        existing = [i for i, o in enumerate(self.board.overlays) if o.name == overlay.name]
        if existing:
            self.board.overlays[existing[0]] = overlay
            return existing[0]
        self.board.overlays.append(overlay)
        return len(self.board.overlays) - 1

    def overlay_clear(self, name: str) -> int:
        before = len(self.board.overlays)
        self.board.overlays = [o for o in self.board.overlays if o.name != name]
        return int(len(self.board.overlays) < before)

    def overlay_clear_all(self) -> None:
        self.board.overlays.clear()

    def overlay_set_pixel(self, x: int, y: int, color: int) -> None:
        direct = next((o for o in self.board.overlays if o.name == "_DIRECT_PIXELS_"), None)
        if direct is None:
            direct = Overlay("_DIRECT_PIXELS_", 1, 1, 30, 10, [0] * 300)
            self.board.overlays.append(direct)
        if 1 <= x <= 30 and 1 <= y <= 10:
            direct.colors[(y - 1) * 30 + (x - 1)] = int(color)

    def overlay_count(self) -> int:
        return len(self.board.overlays)

    def _move_overlay(self, name: str, row: Callable[[int], int], col: Callable[[int], int]) -> int:
        overlay = next((o for o in self.board.overlays if o.name == name), None)
        if overlay is None:
            return 0
        overlay.row = (row(overlay.row) - 1) % 10 + 1
        overlay.col = (col(overlay.col) - 1) % 30 + 1
        return 1

    def overlay_shift(self, name: str, dx: int, dy: int) -> int:
        return self._move_overlay(name, lambda r: r + dy, lambda c: c + dx)

    def overlay_place(self, name: str, x: int, y: int) -> int:
        return self._move_overlay(name, lambda r: y, lambda c: x)

    def overlay_serialize(self) -> str:
        body = ",".join("\n    " + state_json.overlay_json(o) for o in self.board.overlays)
        return '  "overlays": [' + body + "\n  ]"

    def change_terminal_color(self, color: int = -1, flush: bool = True) -> None:
        if int(color) >= 0:
            self.ctx.write(f"\x1b[38;5;{int(color)}m")

    def cycle_term_color(self, reset: bool = False, step: float = 1.0, flush: bool = True) -> None:
        pass  # colour cycling only changes escape codes on the terminal

    # --- filesystem --------------------------------------------------------------------------
    def fs_exists(self, path: str) -> bool:
        return self.files.exists(path)

    def fs_listdir(self, path: str = "/") -> list[str]:
        return self.files.listdir_marked(path)

    def fs_read(self, path: str) -> str | None:
        return self.files.read_text(path, limit=4095)

    def fs_write(self, path: str, text: str) -> bool:
        return self.files.write_text(path, str(text))

    def fs_cwd(self) -> str:
        return "/"

    # --- system ----------------------------------------------------------------------------
    def arduino_reset(self) -> None:
        self.board.arduino_resets += 1

    def pause_core2(self, pause: object) -> None:
        if isinstance(pause, str):
            self.board.core2_paused = pause.lower() in ("true", "1", "on", "yes")
        elif isinstance(pause, (bool, int)):
            self.board.core2_paused = bool(pause)
        else:
            raise TypeError("pause_core2() argument must be bool, int, or string")

    def run_app(self, name: str) -> None:
        raise NotImplementedError(f"run_app: on-board apps are not emulated by the virtual board ({name!r})")

    def force_service(self, name: str) -> bool:
        return str(name) in _SERVICES

    def force_service_by_index(self, index: int) -> bool:
        return 0 <= int(index) < len(_SERVICES)

    def get_service_index(self, name: str) -> int:
        return _SERVICES.index(name) if name in _SERVICES else -1

    def print_bridges(self) -> None:
        self.ctx.write(netprint.bridges_compact(self.board))

    print_paths = print_bridges

    def print_crossbars(self) -> None:
        self.ctx.write("The virtual board routes nets without modelling the 12 crossbar chips.\n")

    print_chip_status = print_crossbars

    def print_nets(self) -> None:
        self.ctx.write(netprint.netlist(self.board).replace("\r\n", "\n"))
        if netprint.interactive(self.board):
            self.ctx.wait_main_port_input()  # live mode: ends when a byte arrives on the main port

    def la_is_capturing(self) -> bool:
        return False

    def la_stop_capture(self) -> None:
        pass  # nothing captures on the virtual board

    def help(self, section: str | None = None) -> None:
        names = sorted(catalog.names(self.family))
        if section is None:
            self.ctx.write("Jumperless functions:\n" + "\n".join(f"  {n}()" for n in names) + "\n")
        else:
            self.ctx.write(f"Unknown help section: {section}\nUse help() to see available sections.\n\n")

    def nodes_help(self) -> None:
        self.ctx.write("Nodes: rows 1-60, NANO_D0-D13, NANO_A0-A7, GND, TOP_RAIL, BOTTOM_RAIL, DAC0, DAC1, "
                       "ADC0-ADC4, ISENSE_PLUS/MINUS, GPIO_1-GPIO_8, UART_TX/RX, BUFFER_IN/OUT\n")  # fmt: skip

    # --- the namespace the firmware puts in globals ------------------------------------------
    def namespace(self) -> dict[str, object]:
        """Every function (with catalog aliases) and constant, as `from jumperless import *` gives."""
        ns: dict[str, object] = {}
        for entry in catalog.functions(self.family):
            implementation = getattr(self, entry.name)
            for name in entry.names:
                ns[name] = implementation
        ns.update(self._extras())
        ns.update(self._constants())
        return ns

    def _extras(self) -> dict[str, object]:
        extras: dict[str, object] = {"help": self.help, "nodes_help": self.nodes_help,
                                     "change_terminal_color": self.change_terminal_color,
                                     "cycle_term_color": self.cycle_term_color,
                                     "jfs": self.files.jfs_module()}  # fmt: skip
        if self.family is Family.JUMPERLOS:
            extras.update(oled_get_fonts=self.oled_get_fonts, oled_set_framebuffer=self.oled_set_framebuffer,
                          force_service_by_index=self.force_service_by_index,
                          set_gpio_read_floating=self.gpio_set_read_floating,
                          get_gpio_read_floating=self.gpio_get_read_floating)  # fmt: skip
        return extras

    def _constants(self) -> dict[str, object]:
        ns: dict[str, object] = {}
        for node_id, node in nodes.NODES.items():
            if node.kind is nodes.NodeKind.ROW:
                continue
            fake_gpio = node_id in nodes.FAKE_GPIO_OUT or node_id in nodes.FAKE_GPIO_IN
            if fake_gpio and self.family is not Family.JUMPERLOS:
                continue
            for name in (node.name, *node.aliases):
                if name.isidentifier():
                    ns[name] = NodeObject(node_id, node.name)
        ns.update(
            HIGH=GPIOStateObject.of(GPIOState.HIGH), LOW=GPIOStateObject.of(GPIOState.LOW),
            FLOATING=GPIOStateObject.of(GPIOState.FLOATING), INPUT=GPIODirectionObject.of(GPIODirection.INPUT),
            OUTPUT=GPIODirectionObject.of(GPIODirection.OUTPUT),
            SINE=0, TRIANGLE=1, SAWTOOTH=2, SQUARE=3, RAMP=2, ARBITRARY=4,
            BUTTON_NONE=ProbeButtonObject.of(0), BUTTON_CONNECT=ProbeButtonObject.of(1),
            BUTTON_REMOVE=ProbeButtonObject.of(2), CONNECT_BUTTON=ProbeButtonObject.of(1),
            REMOVE_BUTTON=ProbeButtonObject.of(2), NO_PAD=ProbePadObject.of(-1, self.family),
        )  # fmt: skip
        if self.family is Family.JUMPERLOS:
            ns.update(SWITCH_MEASURE=0, SWITCH_SELECT=1, SWITCH_UNKNOWN=-1, CLICKWHEEL_NONE=0, CLICKWHEEL_UP=1,
                      CLICKWHEEL_DOWN=2, CLICKWHEEL_IDLE=0, CLICKWHEEL_PRESSED=1, CLICKWHEEL_HELD=2,
                      CLICKWHEEL_RELEASED=3, CLICKWHEEL_DOUBLECLICKED=4)  # fmt: skip
        return ns

    def module(self) -> types.ModuleType:
        module = types.ModuleType("jumperless")
        module.__dict__.update(self.namespace())
        return module


_SERVICES = ["probe", "clickwheel", "oled", "leds", "routing", "gpio", "usb"]


@contextlib.contextmanager
def _interrupt_says_ctrl_q() -> Iterator[None]:
    """Blocking probe calls raise KeyboardInterrupt('Ctrl+Q') when interrupted, whichever key did it."""
    try:
        yield
    except KeyboardInterrupt:
        raise KeyboardInterrupt("Ctrl+Q") from None


def _gpio_level(value: object) -> int:
    if isinstance(value, FirmwareObject):
        return value.value
    if isinstance(value, str):
        words = {"HIGH": 1, "1": 1, "LOW": 0, "0": 0, "FLOATING": 2, "Z": 2}
        if value.upper() not in words:
            raise ValueError("GPIO state string must be 'HIGH', 'LOW', or 'FLOATING'")
        return words[value.upper()]
    if isinstance(value, int):
        return value
    return 1 if value else 0


def _direction(value: object) -> GPIODirection:
    if isinstance(value, GPIODirectionObject):
        return GPIODirection(value.value)
    if isinstance(value, bool):
        return GPIODirection.OUTPUT if value else GPIODirection.INPUT
    if isinstance(value, int):
        return GPIODirection.OUTPUT if value == 0 else GPIODirection.INPUT
    if isinstance(value, str):
        word = value.upper()
        if word in ("OUTPUT", "OUT"):
            return GPIODirection.OUTPUT
        if word in ("INPUT", "IN"):
            return GPIODirection.INPUT
    raise ValueError("Direction string must be 'INPUT' or 'OUTPUT'")


def _pull(value: object) -> GPIOPull:
    if isinstance(value, FirmwareObject):
        return GPIOPull(value.value)
    if isinstance(value, bool):
        return GPIOPull.PULLUP if value else GPIOPull.NONE
    if isinstance(value, int):
        return GPIOPull(value) if value in (-1, 0, 1, 2) else GPIOPull.NONE
    words = {"PULLUP": 1, "UP": 1, "PULLDOWN": -1, "DOWN": -1, "NO_PULL": 0, "NOPULL": 0, "NONE": 0, "OFF": 0,
             "BUS_KEEPER": 2, "BUSKEEPER": 2}  # fmt: skip
    if isinstance(value, str) and value.upper() in words:
        return GPIOPull(words[value.upper()])
    raise ValueError("Pull string must be 'NO_PULL', 'PULLUP', 'PULLDOWN', or 'BUS_KEEPER'")


def _check_pwm(frequency: float, duty: float) -> None:
    if float(frequency) < 0.0009 or float(frequency) > 62_500_000.0:
        raise ValueError("PWM frequency must be 0.001Hz to 62.5MHz")
    if not 0.0 <= float(duty) <= 1.0:
        raise ValueError("PWM duty cycle must be 0.0 to 1.0")


def _oled_text(value: object, family: Family) -> str:
    """5.3.x formats floats with %.3f; JumperlOS converts every value with str(), as print() does."""
    if isinstance(value, float):
        return f"{value:.3f}" if family is Family.LEGACY else str(single(value))
    return str(value)


_COLOR_NAMES = {"red": 0xFF0000, "orange": 0xFF8000, "yellow": 0xFFFF00, "green": 0x00FF00, "cyan": 0x00FFFF,
                "blue": 0x0000FF, "purple": 0x8000FF, "magenta": 0xFF00FF, "pink": 0xFF80C0, "white": 0xFFFFFF,
                "black": 0x000000}  # fmt: skip


def _parse_color(color: object, rgb: tuple[int, ...]) -> tuple[int, str] | None:
    if rgb and isinstance(color, int) and len(rgb) == 2:
        color = (color, *rgb)
    if isinstance(color, (tuple, list)) and len(color) == 3:
        r, g, b = (max(0, min(255, int(c))) for c in color)
        return (r << 16) | (g << 8) | b, f"#{r:02X}{g:02X}{b:02X}"
    if isinstance(color, int) and not isinstance(color, bool):
        return color & 0xFFFFFF, f"#{color & 0xFFFFFF:06X}"
    if isinstance(color, str):
        text = color.strip().lower()
        if text in _COLOR_NAMES:
            return _COLOR_NAMES[text], text
        if text.startswith("#") and len(text) == 7:
            try:
                return int(text[1:], 16), color.strip()
            except ValueError:
                return None
    return None


def _flatten_colors(colors: object) -> list[int]:
    if isinstance(colors, str):
        colors = json.loads(colors)
    flat: list[int] = []
    for item in colors:  # type: ignore[attr-defined]
        if isinstance(item, (list, tuple)):
            flat.extend(int(c) for c in item)
        else:
            flat.append(int(item))
    return flat
