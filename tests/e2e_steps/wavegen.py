"""Configure the wavegen on DAC1, watch its mean on ADC1, check the limits, stop it and restore the defaults."""

from __future__ import annotations

from e2e_steps import Fails, Step, near

DEFAULTS = {"output": "DAC1", "wave": "sine", "frequency": 100.0, "amplitude": 3.3, "offset": 1.65}

STEPS = [
    Step(
        "wavegen_status",
        check=lambda r: r["running"] is False and r["output"] in ("DAC0", "DAC1", "TOP_RAIL", "BOTTOM_RAIL"),
    ),
    Step(
        "wavegen_configure",
        {"output": "DAC1", "wave": "triangle", "frequency": 50, "amplitude": 1.0, "offset": 2.0},
        lambda r: r["wave"] == "triangle" and near(r["low_voltage"], 1.5) and near(r["high_voltage"], 2.5),
    ),
    Step("connect", {"node1": "DAC1", "node2": 45}, lambda r: r["ok"]),
    Step("connect", {"node1": "ADC1", "node2": 45}, lambda r: r["ok"]),
    Step("wavegen_start", check=lambda r: r["running"] is True and r["output"] == "DAC1"),
    Step("adc_read", {"channels": [1]}, lambda r: near(r["readings"]["ADC1"], 2.0, 0.51)),  # a sample of the wave
    Step(
        "wavegen_sweep",
        {"start_hz": 10, "end_hz": 100, "seconds": 1},
        lambda r: r["start_hz"] == 10 and r["running"] is True,
    ),
    Step("wavegen_configure", {"wave": "arbitrary"}, Fails("invalid_argument", "wave")),
    Step("wavegen_configure", {"amplitude": 10.0, "offset": 4.0}, Fails("invalid_argument", "amplitude")),
    Step("wavegen_configure", {"frequency": 75}, lambda r: r["changed"] == ["frequency"] and near(r["offset"], 2.0)),
    Step("wavegen_stop", check=lambda r: r["running"] is False and near(r["frequency"], 75.0)),
    Step("wavegen_status", check=lambda r: r["running"] is False),
    Step("disconnect", {"node1": "DAC1", "node2": 45}, lambda r: r["ok"]),
    Step("disconnect", {"node1": "ADC1", "node2": 45}, lambda r: r["ok"]),
    Step(
        "wavegen_configure",
        DEFAULTS,
        lambda r: all(near(r[k], v) if isinstance(v, float) else r[k] == v for k, v in DEFAULTS.items()),
    ),
]
