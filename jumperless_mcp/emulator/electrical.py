"""The virtual board's electrical constants: supplies, drive strengths, thresholds (for the DC and time models)."""

from __future__ import annotations

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
