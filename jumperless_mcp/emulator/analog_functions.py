"""The firmware's analog functions: DAC outputs and rails, ADC inputs, INA current sensors, the net scan.

JOS mjc :1820-1985 (DAC, ADC, INA) and upstream mjc :3003-3050 (get_node_voltage, get_net_current,
get_path_current: the background net scan, answered here from `scan.scan`). Readings are single precision.
"""

from __future__ import annotations

from firmware_api.calls import DAC_CHANNEL_NODES
from jumperless_mcp.emulator import scan, strict
from jumperless_mcp.emulator.board import single
from jumperless_mcp.emulator.electrical import POWER_KEYS
from jumperless_mcp.emulator.function_group import FunctionGroup

DAC_CHANNEL_ERROR = "Invalid DAC channel or node. Use 0-3, DAC0, DAC1, TOP_RAIL, or BOTTOM_RAIL"


def dac_channel(node_id: int, error: str = DAC_CHANNEL_ERROR) -> int:
    """get_dac_channel() after get_node_value(): a node (or 0-3) mapped by map_node_to_dac_channel, else ValueError."""
    channel = DAC_CHANNEL_NODES.get(node_id, node_id if 0 <= node_id <= 3 else None)
    if channel is None:
        raise ValueError(error)
    return channel


class AnalogFunctions(FunctionGroup):
    """dac_*, adc_get, ina_*, get_node_voltage, get_net_current, get_path_current."""

    @strict.converts_itself(0, 1)
    def dac_set(self, channel: object, voltage: object, save: bool = True) -> None:
        number = dac_channel(self._node(channel))
        volts = strict.get_float(voltage)
        with self.board.lock:
            self.board.set_power(number, volts)

    @strict.converts_itself(0)
    def dac_get(self, channel: object) -> float:
        number = dac_channel(self._node(channel))
        with self.board.lock:
            return single(self.board.power[POWER_KEYS[number]])

    # --- ADC and INA -------------------------------------------------------------------------------------------
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
