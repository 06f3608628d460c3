"""The virtual board's electrical constants: supplies, drive strengths, thresholds (for the DC and time models)."""

from __future__ import annotations

import math

from firmware_api import nodes

SHUNT_OHMS = 2.0  # ISENSE+ to ISENSE- (DOCS: the two ends of a 2 ohm shunt)
GPIO_OUTPUT_OHMS = 30.0  # RP2350 pad drive strength, roughly
GPIO_PULL_OHMS = 50_000.0
FAKE_GPIO_OHMS = 100.0  # assumed: a rail or DAC switched in through crossbar paths
GPIO_HIGH_VOLTS = 3.3
LOGIC_THRESHOLD = 1.65
DAC_LIMIT = 8.0
# GPIO pin numbers 1-10 as the firmware counts them: GPIO_1..8, then UART TX and RX.
GPIO_PIN_NODES = (*nodes.GPIO_NODES, nodes.UART_TX, nodes.UART_RX)
POWER_KEYS = ("dac0", "dac1", "top_rail", "bottom_rail")  # DAC channel order 0-3
POWER_NODES = {"dac0": nodes.DAC0, "dac1": nodes.DAC1, "top_rail": nodes.TOP_RAIL, "bottom_rail": nodes.BOTTOM_RAIL}
FIXED_SUPPLIES = {
    nodes.GND: 0.0,
    nodes.TOP_RAIL_GND: 0.0,
    nodes.BOTTOM_RAIL_GND: 0.0,
    96: 0.0,
    97: 0.0,
    nodes.SUPPLY_3V3: 3.3,
    98: 3.3,
    nodes.SUPPLY_5V: 5.0,
    99: 5.0,
}

# INA219 as the firmware configures it: JumperlessV5 Peripherals.cpp initINA219() calls
# INA0.setMaxCurrentShunt(1, 2.0) and setBusVoltageRange(16) (RobTillaart's INA219 library: current LSB =
# max current / 32768, calibration = trunc(0.04096 / (LSB * shunt)); the PGA left at its reset /8, +-320 mV).
# The chip's registers (INA219 datasheet): shunt voltage in 10 uV steps, current = shunt * cal / 4096 truncated,
# bus voltage (IN- to GND) in 4 mV steps, never negative. So a reading moves in steps of ~30.5 uA.
INA_CURRENT_LSB = 1.0 / 32768
INA_CALIBRATION = int(0.04096 / (INA_CURRENT_LSB * SHUNT_OHMS))
INA_SHUNT_LSB = 10e-6
INA_SHUNT_FULL_SCALE = 32000  # +-320 mV at PGA /8


def ina219_reading(shunt_volts: float) -> tuple[float, float]:
    """(amps, shunt volts) as the INA219 reports a shunt voltage: clipped, quantised, the current truncated."""
    raw = max(-INA_SHUNT_FULL_SCALE, min(INA_SHUNT_FULL_SCALE, round(shunt_volts / INA_SHUNT_LSB)))
    current = math.trunc(raw * INA_CALIBRATION / 4096)
    return current * INA_CURRENT_LSB, raw * INA_SHUNT_LSB
