"""Power the divider from the top rail and measure the tap: the ADC reads half the rail."""

from __future__ import annotations

from e2e_steps import Fails, Step, near

STEPS = [
    Step("apply_netlist", {"bridges": [["TOP_RAIL", 10], [11, "ADC0"]]}, lambda r: r["applied"]),
    Step("dac_set", {"channel": "TOP_RAIL", "voltage": 5.0}, lambda r: near(r["voltage"], 5.0)),
    Step("dac_get", {"channel": 2}, lambda r: r["channel"] == "TOP_RAIL" and near(r["voltage"], 5.0)),
    Step("adc_read", {"channels": [0]}, lambda r: near(r["readings"]["ADC0"], 2.5)),
    Step("measure_node", {"node": 10, "adc": 1}, lambda r: near(r["voltage"], 5.0)),
    Step("get_power", check=lambda r: near(r["TOP_RAIL"], 5.0) and near(r["DAC0"], 0.0)),
    Step("dac_set", {"channel": "DAC0", "voltage": 9.5}, Fails("invalid_argument", "voltage")),
    Step("ina_read", {"sensor": 0}, lambda r: near(r["current_a"], 0.0, 1e-6)),
    # the net scan is upstream-only; the virtual board runs 5.7.0.13, which lacks it (the tool is unlisted there)
    Step("node_voltage", {"node": 11}, Fails("unavailable")),
    Step("dac_set", {"channel": "TOP_RAIL", "voltage": 0.0}, lambda r: near(r["voltage"], 0.0)),
]
