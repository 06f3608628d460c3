"""The `jumperless` MicroPython module of the virtual board, built from the firmware's own signature table.

The persona's firmware version picks the table (`firmware_api.signatures.tree_for`), and the module exports
exactly that tree's names: every function name of its globals table, bound to a `FirmwareFunction` that
checks and converts the call like MicroPython would (`strict.py`), and every constant with the firmware's
type and value. The implementations are the public methods of the function groups below and in
`gpio_functions`, `oled_functions`, `oled_screens`, `probe_functions`, `logic_analyzer` and `usb_audio`,
named as the firmware's functions; each cites the C it follows (JOS = jumperlos-5.7.0.13-fork, V5 =
v5-5.3.2.4, mjc = modules/jumperless/modjumperless.c, API = src/JumperlessMicroPythonAPI.cpp).
"""

from __future__ import annotations

import types
from collections.abc import Callable

from firmware_api import nodes
from firmware_api.c_module import ConstantSig
from firmware_api.calls import DAC_CHANNEL_NODES
from firmware_api.signatures import Tree, tree_for
from firmware_api.values import GPIODirection, GPIOState
from firmware_api.versions import Family
from jumperless_mcp.emulator import netprint, scan, state_json, strict
from jumperless_mcp.emulator.board import NUM_SLOTS, POWER_KEYS, BoardModel, Overlay, single
from jumperless_mcp.emulator.fake_gpio import FAKE_GPIO_MODE_INPUT, FAKE_GPIO_MODE_OUTPUT, fake_gpio_types
from jumperless_mcp.emulator.filesystem import BoardFiles
from jumperless_mcp.emulator.function_group import ExecutionContext, FunctionGroup
from jumperless_mcp.emulator.fwtypes import (
    ConnectionStateObject,
    GPIODirectionObject,
    GPIOStateObject,
    NodeObject,
    ProbeButtonObject,
    ProbePadObject,
)
from jumperless_mcp.emulator.gpio_functions import GpioFunctions
from jumperless_mcp.emulator.logic_analyzer import LogicAnalyzerFunctions
from jumperless_mcp.emulator.oled_functions import OledFunctions
from jumperless_mcp.emulator.oled_screens import OledScreenFunctions
from jumperless_mcp.emulator.probe_functions import ProbeFunctions
from jumperless_mcp.emulator.projects import ProjectFunctions
from jumperless_mcp.emulator.usb_audio import UsbAudioFunctions

__all__ = ["ExecutionContext", "JumperlessModule"]

DAC_CHANNEL_ERROR = "Invalid DAC channel or node. Use 0-3, DAC0, DAC1, TOP_RAIL, or BOTTOM_RAIL"
WAVEGEN_OUTPUT_ERROR = "Invalid output. Use DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL"
MAX_NETS = 60  # the nets the net-information API answers for (jl_get_net_name & co. check netNum < MAX_NETS)
_WAVE_NAMES = {"SINE": 0, "TRIANGLE": 1, "TRI": 1, "RAMP": 2, "SAW": 2, "SAWTOOTH": 2, "SQUARE": 3, "SQ": 3,
               "ARBITRARY": 4, "ARB": 4}  # fmt: skip  # get_wavegen_wave (JOS mjc :1880)
_SERVICES = ["probe", "clickwheel", "oled", "leds", "routing", "gpio", "usb"]
_COLOR_NAMES = {"red": 0xFF0000, "orange": 0xFF8000, "yellow": 0xFFFF00, "green": 0x00FF00, "cyan": 0x00FFFF,
                "blue": 0x0000FF, "purple": 0x8000FF, "magenta": 0xFF00FF, "pink": 0xFF80C0, "white": 0xFFFFFF,
                "black": 0x000000}  # fmt: skip  # a subset of parseColorValue's names (LEDs code, not in the reference)
# Integer constants whose table value is a C macro (JOS mjc :2969-2970).
_C_MACROS = {"FAKE_GPIO_MODE_INPUT": FAKE_GPIO_MODE_INPUT, "FAKE_GPIO_MODE_OUTPUT": FAKE_GPIO_MODE_OUTPUT}
# Separate C functions with the same body as another one (e.g. jl_read_probe_param_func and
# jl_probe_read_param_func, JOS mjc :3695-3725): the firmware's objects differ, the behaviour does not.
SAME_AS = {
    "read_probe": "probe_read",
    "probe_wait": "probe_read_blocking",
    "wait_probe": "probe_read_blocking",
    "probe_touch": "probe_read_blocking",
    "wait_touch": "probe_read_blocking",
    "get_button": "probe_button",
    "button_read": "probe_button",
    "read_button": "probe_button",
    "button_check": "check_button",
}


class JumperlessModule(FunctionGroup):
    """The core functions (nodes, slots, power, nets, paths, overlays, state, files, system) and the namespace."""

    def __init__(self, board: BoardModel, context: ExecutionContext, tree: Tree | None = None) -> None:
        super().__init__(board, context, tree or tree_for(board.version))
        self.files = BoardFiles(board.fs_root, self.family is Family.JUMPERLOS, missing_folder_raises=self._upstream)
        self.groups: tuple[FunctionGroup, ...] = (
            self,
            *(group(board, context, self.tree) for group in _GROUPS),
        )

    # --- the namespace the firmware puts in globals ----------------------------------------------------------
    def namespace(self) -> dict[str, object]:
        """Every name of the firmware table, as `from jumperless import *` gives them."""
        functions: dict[str, strict.FirmwareFunction] = {}
        namespace: dict[str, object] = {}
        for name, sig in self.tree.table.functions.items():
            if sig.c_function not in functions:  # aliases of one C object are one object (`is`)
                implementation = self.implementation(name)
                raw = getattr(implementation, "raw_positions", frozenset())
                converters = strict.converters_for(sig.arg_kinds, self.node_names, raw)
                functions[sig.c_function] = strict.FirmwareFunction(sig, implementation, converters)
            namespace[name] = functions[sig.c_function]
        pin_type, disconnect_type = fake_gpio_types(self.board)
        types_by_name = {"FakeGpioPin": pin_type, "FakeGpioDisconnect": disconnect_type}
        for name, constant in self.tree.table.constants.items():
            namespace[name] = self._constant(name, constant, types_by_name)
        return namespace

    def implementation(self, name: str) -> Callable[..., object]:
        """The method implementing a firmware function: its own, a same-bodied function's, or an alias's."""
        sig = self.tree.table.functions[name]
        siblings = [other for other, s in self.tree.table.functions.items() if s.c_function == sig.c_function]
        for candidate in [name, *([SAME_AS[name]] if name in SAME_AS else []), *siblings]:
            for group in self.groups:
                if not candidate.startswith("_") and callable(getattr(type(group), candidate, None)):
                    return getattr(group, candidate)  # type: ignore[no-any-return]
        raise LookupError(f"no implementation of {name} ({sig.c_function}) for firmware {self.tree.name}")

    def _constant(self, name: str, constant: ConstantSig, types_by_name: dict[str, type]) -> object:
        value = constant.value
        kind = constant.type_name
        if kind == "int":
            return _C_MACROS[value] if isinstance(value, str) else value
        if kind == "str":
            return value
        if kind == "module":
            return self.files.jfs_module()
        if kind == "type":
            return types_by_name[str(value)]
        if kind == "node":
            return NodeObject.of(int(value), family=self.family)  # type: ignore[arg-type]
        if kind == "ProbePad":
            return ProbePadObject.of(int(value), self.family)  # type: ignore[arg-type]
        if kind == "ProbeButton":
            return ProbeButtonObject.of(int(value), family=self.family)  # type: ignore[arg-type]
        if kind == "GPIOState":
            return GPIOStateObject.of(GPIOState[str(value).removeprefix("GPIO_STATE_")], family=self.family)
        if kind == "GPIODirection":  # the C object's bool: true = OUTPUT
            return GPIODirectionObject.of(
                GPIODirection.OUTPUT if value == "true" else GPIODirection.INPUT, family=self.family
            )
        raise LookupError(f"constant {name} of an unknown type {kind}")

    def module(self) -> types.ModuleType:
        module = types.ModuleType("jumperless")
        module.__dict__.update(self.namespace())
        return module

    # --- nodes and connections (JOS mjc :2330-2420, V5 :1560-1640) ----------------------------------------------
    def connect(self, node1: int, node2: int, extra: object = None) -> None:
        with self.board.lock:
            if self.family is Family.LEGACY:
                self.board.connect(node1, node2, save=bool(extra))  # V5: the third argument is `save`
            else:
                self.board.connect(node1, node2, -1 if extra is None else extra)  # type: ignore[arg-type]

    def disconnect(self, node1: int, node2: int) -> None:
        with self.board.lock:
            self.board.disconnect(node1, node2)
            if self.family is Family.LEGACY:
                self.board.save_slot()  # 5.3.x writes the flash file directly

    def fast_connect(self, node1: int, node2: int, duplicates: int = -1) -> None:
        with self.board.lock:
            self.board.connect(node1, node2, duplicates)

    def fast_disconnect(self, node1: int, node2: int) -> None:
        with self.board.lock:
            self.board.disconnect(node1, node2)

    def nodes_clear(self) -> None:
        with self.board.lock:
            self.board.clear()

    def is_connected(self, node1: int, node2: int) -> ConnectionStateObject:
        with self.board.lock:
            return ConnectionStateObject.of(self.board.is_connected(node1, node2), family=self.family)

    def nodes_save(self, slot: int = -1) -> int:
        with self.board.lock:
            return self.board.save_slot(slot)

    def nodes_discard(self) -> None:
        with self.board.lock:
            if self.board.entry_state is not None:
                self.board.restore(self.board.entry_state)

    def nodes_has_changes(self) -> bool:
        with self.board.lock:
            return self.board.has_changes()

    def switch_slot(self, slot: int) -> int:
        if not 0 <= slot < NUM_SLOTS:
            raise ValueError("Invalid slot number")
        with self.board.lock:
            previous = self.board.current_slot
            if slot != previous:
                self.board.load_slot(slot)
                self.board.snapshot(f"slot {slot}")
            return previous

    def CURRENT_SLOT(self) -> int:  # a function in the firmware's table, despite its name
        return self.board.current_slot

    def node(self, name: object) -> NodeObject:
        """jl_node_func (JOS mjc :3965): a name, an int, or a node (returned as is)."""
        if isinstance(name, str):
            found = strict.find_node_value(name, self.node_names)
            if found == -1:
                raise ValueError("Unknown node name")
            return NodeObject.of(found, family=self.family)
        if isinstance(name, int) and not isinstance(name, bool):
            return NodeObject.of(strict.machine_word(name), family=self.family)
        if isinstance(name, NodeObject):
            return name
        raise TypeError("Node must be created from string, int, or another node")

    def send_raw(self, chip: object, x: int, y: int, set_or_clear: int = 1) -> None:
        """jl_send_raw_func (JOS mjc :2474): an int chip, or a chip letter/number string (API :1529)."""
        if isinstance(chip, int) and not isinstance(chip, bool):
            number = strict.machine_word(chip)
        elif isinstance(chip, str):
            number = _chip_of(chip)
            if number < 0:
                return  # jl_send_raw_str ignores a chip it cannot parse
        else:
            raise ValueError("Chip must be integer (0-11) or string ('A'-'L')")
        if not 0 <= number <= 11:
            self.ctx.main_port(f"jl_send_raw: Invalid chip number: {number}\r\n")
        elif not (0 <= x <= 15 and 0 <= y <= 15):
            self.ctx.main_port(f"jl_send_raw: Invalid coordinates: {x},{y}\r\n")
        else:
            with self.board.lock:
                self.board.raw_crossbar.append((number, x, y, set_or_clear))

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
                state_json.set_state(self.board, text, clear_first)
            except state_json.StateError as exc:
                self.ctx.main_port(f"set_state error: {exc}\r\n")
                return -1
        return 0

    # --- undo history (JOS mjc :2400-2445) -------------------------------------------------------------------
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
        index = self.board.history_position + offset
        return self.board.history[index][0] if 0 <= index < len(self.board.history) else ""

    def history_jump(self, position: int) -> bool:
        with self.board.lock:
            return self.board.history_jump(position)

    def history_snapshot(self) -> bool:
        with self.board.lock:
            self.board.snapshot("python")
        return True

    def history_snapshot_count(self) -> int:
        return len(self.board.history)

    # --- DAC, ADC, INA (JOS mjc :1820-1985) ----------------------------------------------------------------------
    def _dac_channel(self, value: object, error: str = DAC_CHANNEL_ERROR) -> int:
        """get_dac_channel(): a node (or 0-3) mapped by map_node_to_dac_channel, else ValueError."""
        node_id = self._node(value)
        channel = DAC_CHANNEL_NODES.get(node_id, node_id if 0 <= node_id <= 3 else None)
        if channel is None:
            raise ValueError(error)
        return channel

    @strict.converts_itself(0, 1)
    def dac_set(self, channel: object, voltage: object, save: bool = True) -> None:
        number = self._dac_channel(channel)
        volts = strict.get_float(voltage)
        with self.board.lock:
            self.board.set_power(number, volts)

    @strict.converts_itself(0)
    def dac_get(self, channel: object) -> float:
        number = self._dac_channel(channel)
        with self.board.lock:
            return single(self.board.power[POWER_KEYS[number]])

    def adc_get(self, channel: int) -> float:
        highest = 7 if self._upstream else 3  # upstream reads 0-7 (4 = 0-5 V, 5 = probe sense, 7 = probe tip)
        if not 0 <= channel <= highest:
            raise ValueError(f"ADC channel must be 0-{highest}")
        with self.board.lock:
            return self.board.adc_read(channel) if channel in (0, 1, 2, 3, 4, 7) else single(0.0)

    def _ina(self, sensor: int) -> tuple[float, float, float]:
        if sensor not in (0, 1):
            raise ValueError("INA sensor must be 0 or 1")
        with self.board.lock:
            return self.board.ina(sensor)

    def ina_get_current(self, sensor: int) -> float:
        return self._ina(sensor)[0]

    def ina_get_bus_voltage(self, sensor: int) -> float:
        return self._ina(sensor)[1]

    def ina_get_voltage(self, sensor: int) -> float:
        return self._ina(sensor)[1]  # jl_ina_get_voltage reads getBusVoltage too (JOS API :397, V5 API :255)

    def ina_get_power(self, sensor: int) -> float:
        current, bus, _ = self._ina(sensor)
        return single(current * bus)

    # --- the background net scan (upstream mjc :3003-3050) -------------------------------------------------------
    def get_node_voltage(self, node: int) -> float | None:
        with self.board.lock:
            volts = scan.scan(self.board).node_volts.get(node)
        return None if volts is None else single(volts)

    def get_net_current(self, net: int) -> dict[str, object] | None:
        """The net's dominant path: {current_mA, voltage, from_node, to_node}, current flowing from -> to."""
        with self.board.lock:
            result = scan.scan(self.board)
        paths = [p for p in result.paths if p is not None and p.net == net]
        if net not in result.nets or not paths:
            return None
        top = max(paths, key=lambda p: abs(p.amps))
        source, sink = (top.node1, top.node2) if top.amps >= 0 else (top.node2, top.node1)
        return {"current_mA": single(abs(top.amps) * 1000), "voltage": single(result.nets[net]),
                "from_node": source, "to_node": sink}  # fmt: skip

    def get_path_current(self, index: int) -> float | None:
        with self.board.lock:
            paths = scan.scan(self.board).paths
        path = paths[index] if 0 <= index < len(paths) else None
        return None if path is None else single(path.amps * 1000)

    # --- waveform generator (JOS API :210-330; the C side clamps silently) ----------------------------------------
    def _wavegen(self):  # type: ignore[no-untyped-def]
        self.board.wavegen_configured = True
        return self.board.wavegen

    @strict.converts_itself(0)
    def wavegen_set_output(self, channel: object) -> None:
        self._wavegen().output = self._dac_channel(channel, WAVEGEN_OUTPUT_ERROR)

    def wavegen_set_freq(self, hz: float) -> None:
        self._wavegen().frequency = single(hz if hz > 0 else 0.0001)

    def wavegen_set_wave(self, wave: object) -> None:
        if isinstance(wave, int) and not isinstance(wave, bool):
            if not 0 <= wave <= 4:
                raise ValueError("Waveform must be 0-4")
            number = wave
        elif isinstance(wave, str):
            upper = "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in wave[:23])
            if upper not in _WAVE_NAMES:
                raise ValueError("Unknown waveform")
            number = _WAVE_NAMES[upper]
        else:
            raise TypeError("Expected int or string for waveform")
        if number == 4:
            raise NotImplementedError("ARBITRARY waveform not implemented yet")
        self._wavegen().wave = number

    def wavegen_set_amplitude(self, vpp: float) -> None:
        self._wavegen().amplitude = single(max(vpp, 0.0))

    def wavegen_set_offset(self, volts: float) -> None:
        self._wavegen().offset = single(volts)

    def wavegen_set_sweep(self, start_hz: float, end_hz: float, seconds: float) -> None:
        self._wavegen().sweep = (start_hz if start_hz > 0 else 0.0001, end_hz if end_hz > 0 else 0.0001,
                                 max(seconds, 0.0))  # fmt: skip

    def wavegen_start(self, run: bool = True) -> None:
        self.board.wavegen.running = run

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

    # --- nets, paths, colours (JOS mjc :2485-2935, API :752-995) --------------------------------------------------
    def _net(self, number: int):  # type: ignore[no-untyped-def]
        return next((n for n in self.board.netlist.nets() if n.number == number), None)

    def get_net_name(self, net: int) -> str | None:
        return self.board.net_name(net) if 0 <= net < MAX_NETS else None

    @strict.converts_itself(1)
    def set_net_name(self, net: int, name: object) -> None:
        """None clears a custom name; anything else must be a str (mp_obj_str_get_str)."""
        text = None if name is None else strict.get_str(name)
        if not 0 <= net < MAX_NETS:
            return
        if text is None:
            self.board.net_names.pop(net, None)
        else:
            self.board.net_names[net] = text

    def get_net_color(self, net: int) -> int:
        return self.board.net_color(net)[0] if 0 <= net < MAX_NETS else 0

    def get_net_color_name(self, net: int) -> str:
        return self.board.net_color(net)[1] if 0 <= net < MAX_NETS else "unknown"

    @strict.converts_itself(1, 2, 3)
    def set_net_color(self, net: int, *color: object) -> bool:
        """A name or '#RRGGBB' (False when it does not parse), a 0xRRGGBB int, an (r, g, b) list, or r, g, b."""
        if len(color) == 1:
            value = color[0]
            if isinstance(value, str):
                parsed = _parse_color_name(value)
                return parsed is not None and self._set_color(net, parsed[0], parsed[1])
            if isinstance(value, int) and not isinstance(value, bool):
                return self._set_rgb(net, *_channels(strict.machine_word(value)))
            if isinstance(value, (tuple, list)) and len(value) >= 3:
                return self._set_rgb(net, *(strict.get_int(c) for c in value[:3]))
            raise ValueError("Color must be string name, hex integer, or (r,g,b) tuple")
        if len(color) == 3:
            return self._set_rgb(net, *(strict.get_int(c) for c in color))
        raise ValueError("Invalid arguments for set_net_color")

    def set_net_color_hsv(self, net: int, hue: float, saturation: float = -1.0, value: float = -1.0) -> bool:
        """JOS API :869: h in 0-1 scales everything by 255, else 0-255; omitted s = 255, omitted v = 32."""
        if not 0 <= net < MAX_NETS:
            return False
        if 0.0 <= hue <= 1.0:
            h = int(hue * 255) & 0xFF
            s = 255 if saturation < 0 else int(saturation * 255) & 0xFF
            v = 32 if value < 0 else int(value * 255) & 0xFF
        else:
            h, s, v = (int(hue) & 0xFF, 255 if saturation < 0 else int(saturation) & 0xFF,
                       32 if value < 0 else int(value) & 0xFF)  # fmt: skip
        r, g, b = _hsv_to_rgb(h, s, v)
        return self._set_color(net, (r << 16) | (g << 8) | b, f"hsv({h},{s},{v})")

    def _set_rgb(self, net: int, r: int, g: int, b: int) -> bool:
        raw = ((r & 0xFF) << 16) | ((g & 0xFF) << 8) | (b & 0xFF)
        return self._set_color(net, raw, f"#{raw:06X}")

    def _set_color(self, net: int, raw: int, name: str) -> bool:
        if not 0 <= net < MAX_NETS:
            return False
        self.board.net_colors[net] = (raw, name)
        return True

    def get_num_nets(self) -> int:
        return self.board.number_of_nets()

    def get_num_bridges(self) -> int:
        return len(self.board.netlist.bridges)

    def get_net_nodes(self, net: int) -> str:
        found = self._net(net)
        return ",".join(nodes.short_name(n) for n in found.nodes) if found else ""

    def get_bridge(self, index: int) -> tuple[int, int, int] | None:
        bridges = self.board.netlist.bridges
        if not 0 <= index < len(bridges):
            return None
        bridge = bridges[index]
        return (bridge.a, bridge.b, bridge.duplicates)

    def get_net_info(self, net: int) -> dict | None:
        name = self.get_net_name(net)
        if name is None:
            return None
        return {"name": name, "number": net, "color": self.get_net_color(net),
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
        return paths[index] if 0 <= index < len(paths) else None

    def get_all_paths(self) -> list[dict]:
        paths = self._paths()
        self.ctx.main_port(f"jl_get_all_path_info: numBridges={self.get_num_bridges()}, numPaths={len(paths)}\r\n")
        return paths

    def get_path_between(self, node1: int, node2: int) -> dict | None:
        return next((p for p in self._paths() if {p["node1"], p["node2"]} == {node1, node2}), None)

    # --- overlays (JOS mjc :5915-6027) ---------------------------------------------------------------------------
    def overlay_set(self, name: str, x: int, y: int, height: int, width: int, colors: object) -> int:
        flat: list[int] = []
        wanted = width * height
        for item in strict.get_array(colors):
            row = strict.get_array(item) if isinstance(item, (list, tuple)) else [item]
            for color in row:
                value = strict.get_int(color) & 0xFFFFFFFF
                if len(flat) < wanted:
                    flat.append(value)
        if len(flat) < wanted:
            raise ValueError("Color array too small")
        if not (1 <= y <= 10 and 1 <= x <= 30 and 1 <= width <= 30 and 1 <= height <= 10):
            return -1
        overlay = Overlay(name, y, x, width, height, flat)
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
            direct.colors[(y - 1) * 30 + (x - 1)] = color & 0xFFFFFFFF

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
        if color >= 0:
            self.ctx.write(f"\x1b[38;5;{color}m")

    def cycle_term_color(self, reset: bool = False, step: float = 100.0, flush: bool = True) -> None:
        pass  # colour cycling only changes escape codes on the terminal

    # --- filesystem (JOS mjc :4602-4672, upstream :4770-4830, V5 :2640-2720) ----------------------------------------
    def fs_exists(self, path: str) -> bool:
        return self.files.exists(path)

    def fs_listdir(self, path: str) -> list[str]:
        """Names, folders with '/'. Upstream raises OSError(ENOENT) for a missing folder; the fork returns []."""
        return self.files.listdir(path)

    def fs_read(self, path: str) -> str | None:
        return self.files.read_text(path, limit=4095)

    def fs_write(self, path: str, text: str) -> bool:
        return self.files.write_text(path, text)

    def fs_cwd(self) -> str:
        return "/"

    # --- system --------------------------------------------------------------------------------------------------
    def arduino_reset(self) -> None:
        self.board.arduino_resets += 1

    def pause_core2(self, pause: object) -> None:
        """jl_pause_core2_func (JOS mjc :3571): bool, int, or one of a few strings; anything else TypeError."""
        if isinstance(pause, bool):
            self.board.core2_paused = pause
        elif isinstance(pause, int):
            self.board.core2_paused = strict.machine_word(pause) != 0
        elif isinstance(pause, str):
            self.board.core2_paused = pause in ("true", "1", "on", "yes")
        else:
            raise TypeError("pause_core2() argument must be bool, int, or string")

    def run_app(self, name: str) -> None:
        raise NotImplementedError(f"run_app: on-board apps are not emulated by the virtual board ({name!r})")

    def force_service(self, name: str) -> bool:
        return name in _SERVICES

    def force_service_by_index(self, index: int) -> bool:
        return 0 <= index < len(_SERVICES)

    def get_service_index(self, name: str) -> int:
        return _SERVICES.index(name) if name in _SERVICES else -1

    def print_bridges(self) -> None:
        self.ctx.write(netprint.bridges_compact(self.board))

    def print_paths(self) -> None:
        self.ctx.write(netprint.bridges_compact(self.board))

    def print_crossbars(self) -> None:
        self.ctx.write("The virtual board routes nets without modelling the 12 crossbar chips.\n")

    def print_chip_status(self) -> None:
        self.print_crossbars()

    def print_nets(self) -> None:
        self.ctx.write(netprint.netlist(self.board).replace("\r\n", "\n"))
        if netprint.interactive(self.board):
            self.ctx.wait_main_port_input()  # live mode: ends when a byte arrives on the main port

    def help(self, section: str | None = None) -> None:
        names = sorted(self.tree.table.functions)
        if section is None:
            self.ctx.write("Jumperless functions:\n" + "\n".join(f"  {n}()" for n in names) + "\n")
        else:
            self.ctx.write(f"Unknown help section: {section}\nUse help() to see available sections.\n\n")

    def nodes_help(self) -> None:
        self.ctx.write("Nodes: rows 1-60, NANO_D0-D13, NANO_A0-A7, GND, TOP_RAIL, BOTTOM_RAIL, DAC0, DAC1, "
                       "ADC0-ADC4, ISENSE_PLUS/MINUS, GPIO_1-GPIO_8, UART_TX/RX, BUFFER_IN/OUT\n")  # fmt: skip


_GROUPS: tuple[type[FunctionGroup], ...] = (
    GpioFunctions,
    OledFunctions,
    OledScreenFunctions,
    ProbeFunctions,
    LogicAnalyzerFunctions,
    UsbAudioFunctions,
    ProjectFunctions,
)


def _chip_of(text: str) -> int:
    """parseChipIdentifier (JOS API :1503): one letter A-L/a-l, else atoi() in 0-11, else -1."""
    if len(text) == 1 and ("A" <= text <= "L" or "a" <= text <= "l"):
        return ord(text.upper()) - ord("A")
    digits = text.lstrip(" \t\n\v\f\r")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits[1:] if digits[:1] in "+-" and digits else digits
    lead = len(digits) - len(digits.lstrip("0123456789"))
    number = sign * int(digits[:lead]) if lead else 0
    return number if 0 <= number <= 11 else -1


def _parse_color_name(text: str) -> tuple[int, str] | None:
    """A colour name or '#RRGGBB', as parseColorValue accepts them (the names it knows are a subset here)."""
    word = text.strip().lower()
    if word in _COLOR_NAMES:
        return _COLOR_NAMES[word], text
    if word.startswith("#") and len(word) == 7:
        try:
            return int(word[1:], 16), text
        except ValueError:
            return None
    return None


def _channels(color: int) -> tuple[int, int, int]:
    return (color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF


def _hsv_to_rgb(h: int, s: int, v: int) -> tuple[int, int, int]:
    """HSV 0-255 to RGB; assumed: the common integer HsvToRgb (the firmware's LED code is not in the reference)."""
    if s == 0:
        return v, v, v
    region, remainder = h // 43, (h - (h // 43) * 43) * 6
    p = (v * (255 - s)) >> 8
    q = (v * (255 - ((s * remainder) >> 8))) >> 8
    t = (v * (255 - ((s * (255 - remainder)) >> 8))) >> 8
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][min(region, 5)]
