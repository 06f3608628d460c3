"""Capture a DC level from DAC0 on ADC3 (numbers, plot, CSV), refuse a bad channel, list the captures, clean up."""

from __future__ import annotations

from e2e_steps import Fails, Step, near

STEPS = [
    Step("dac_set", {"channel": "DAC0", "voltage": 1.2}),
    Step("connect", {"node1": "DAC0", "node2": "ADC3"}, lambda r: r["ok"]),
    Step(
        "capture",
        {"channels": [3], "rate": 1000, "samples": 50},
        lambda r: (
            r["samples"] == 50
            and near(r["stats"]["ADC3"]["mean"], 1.2, 0.05)
            and r["stats"]["ADC3"]["frequency"] is None
            and r["file"].endswith(".csv")
        ),
    ),
    Step("capture", {"channels": ["ADC9"]}, Fails("invalid_argument", "channels")),
    Step("captures_list", {"limit": 3}, lambda r: len(r["captures"]) >= 1 and r["captures"][0]["samples"] == 50),
    Step("disconnect", {"node1": "DAC0", "node2": "ADC3"}, lambda r: r["ok"]),
    Step("dac_set", {"channel": "DAC0", "voltage": 0.0}),
]
