"""GPIO_1 drives row 20, read back by ADC1 and by GPIO_2; then PWM on GPIO_1. Everything is undone at the end."""

from __future__ import annotations

from e2e_steps import Fails, Step, near

STEPS = [
    Step("connect", {"node1": "GPIO_1", "node2": 20}, lambda r: r["ok"]),
    Step("connect", {"node1": "ADC1", "node2": 20}, lambda r: r["ok"]),
    Step("connect", {"node1": "GPIO_2", "node2": 20}, lambda r: r["ok"]),
    Step("gpio_set_direction", {"pin": "GPIO_1", "direction": "output"}, lambda r: r["direction"] == "output"),
    Step("gpio_write", {"pin": 1, "value": True}, lambda r: r["driving"] and r["state"] == "HIGH"),
    Step("adc_read", {"channels": [1]}, lambda r: near(r["readings"]["ADC1"], 3.3, 0.05)),
    Step("gpio_read", {"pin": "GPIO_2"}, lambda r: r["state"] == "HIGH" and r["direction"] == "input"),
    Step("gpio_write", {"pin": "GPIO_1", "value": False}, lambda r: r["state"] == "LOW"),
    Step("gpio_read", {"pin": 2}, lambda r: r["state"] == "LOW" and r["pull"] == "none"),
    Step("gpio_set_pull", {"pin": 2, "pull": "up"}, lambda r: r["pull"] == "up" and r["state"] == "LOW"),
    Step("gpio_set_pull", {"pin": 2, "pull": "none"}, lambda r: r["pull"] == "none"),
    Step("gpio_write", {"pin": 3, "value": True}, lambda r: not r["driving"] and r["direction"] == "input"),
    Step("gpio_write", {"pin": 3, "value": False}, lambda r: not r["driving"]),
    Step("gpio_read", {"pin": "D13"}, Fails("invalid_argument", "pin")),
    Step("pwm_start", {"pin": "GPIO_1", "frequency": 1000, "duty": 0.5}, lambda r: r["pwm_running"] is True),
    Step("adc_read", {"channels": [1]}, lambda r: near(abs(r["readings"]["ADC1"] - 1.65), 1.65, 0.05)),  # PWM: 0 or 3.3
    Step("pwm_set_duty", {"pin": 1, "duty": 0.25}, lambda r: r["duty"] == 0.25 and r["pwm_running"] is True),
    Step("adc_read", {"channels": [1]}, lambda r: near(abs(r["readings"]["ADC1"] - 1.65), 1.65, 0.05)),  # PWM: 0 or 3.3
    Step("pwm_set_frequency", {"pin": 1, "frequency": 2000}, lambda r: r["frequency"] == 2000),
    Step("pwm_set_duty", {"pin": 1, "duty": 1.5}, Fails("invalid_argument", "duty")),
    Step("pwm_start", {"pin": "UART_TX", "frequency": 10}, Fails("invalid_argument", "pin")),
    Step("pwm_stop", {"pin": "GPIO_1"}, lambda r: r["pwm_running"] is False),
    Step("gpio_set_direction", {"pin": 1, "direction": "input"}, lambda r: r["direction"] == "input"),
    Step("disconnect", {"node1": "GPIO_1"}, lambda r: r["ok"]),
    Step("disconnect", {"node1": "GPIO_2"}, lambda r: r["ok"]),
    Step("disconnect", {"node1": "ADC1"}, lambda r: r["ok"]),
]
