"""Measurement workflows on examples/divider.toml (10k rows 10-11, 10k row 11-GND): a node's voltage, the 10k
by resistance (in range at 8 V, beyond the limit at 5 V), continuity, diode test, I-V sweep, identification;
each leaves no bridge behind. net_currents is not listed on this persona (JumperlOS 5.7.5+)."""

from __future__ import annotations

from e2e_steps import Fails, Step, near


def _restored(r: dict) -> bool:
    changes = r["changes"]
    return len(changes["restored"]) >= len(changes["connected"]) and not any(
        line.startswith("failed") for line in changes["restored"]
    )


STEPS = [
    Step("dac_set", {"channel": "DAC0", "voltage": 2.0}),
    Step("connect", {"node1": "DAC0", "node2": "10"}, lambda r: r["ok"]),
    Step(
        "measure",
        {"node": 11, "samples": 8},
        lambda r: near(r["mean"], 1.0, 0.02) and r["adc"] == "ADC0" and r["changes"]["restored"] == ["removed ADC0-11"],
    ),
    Step("disconnect", {"node1": "DAC0", "node2": "10"}, lambda r: r["ok"]),
    Step("dac_set", {"channel": "DAC0", "voltage": 0.0}),
    Step(
        "measure_resistance",
        {"a": 10, "b": 11, "max_volts": 8.0},
        lambda r: abs(r["ohms"] / 10_000 - 1) < 0.02 and r["test_volts"] == 8.0 and _restored(r),
    ),
    Step(
        "measure_resistance",
        {"a": 10, "b": 11},
        lambda r: r["ohms"] is None and r["above_range"] and 6000 < r["range_limit_ohms"] < 7000,
    ),
    Step("measure_resistance", {"a": "DAC0", "b": 11}, Fails("invalid_argument", "a")),
    Step("continuity", {"a": 10, "b": 11}, lambda r: r["connected"] is False and _restored(r)),
    Step("diode_test", {"a": 10, "b": 11}, lambda r: r["found"] is False and r["anode"] is None),
    Step(
        "iv_sweep",
        {"a": 10, "b": 11, "start": -8.0, "stop": 8.0, "steps": 9},
        lambda r: len(r["points"]) == 9 and r["fit"]["r_squared"] > 0.99 and abs(r["fit"]["ohms"] / 10_000 - 1) < 0.05,
    ),
    Step(
        "identify_part",
        {"a": 10, "b": 11},
        lambda r: r["kind"] == "resistor" and r["how"] == "host tests" and _restored(r),
    ),
]
