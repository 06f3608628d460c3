"""GPIO and PWM tools on both personas, checked against the virtual board's pins and ADC readings."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_harness import board_calls

from firmware_api.values import GPIODirection, GPIOPull
from firmware_api.versions import Family


def near(value: float, expected: float, tolerance: float = 0.05) -> bool:
    return abs(value - expected) <= tolerance


async def adc(h: Any, channel: int) -> float:
    return (await h.ok("adc_read", channels=[channel]))["readings"][f"ADC{channel}"]


def read_back(h: Any, pull: str) -> str:
    """The pull a tool reports: 5.3.x prints a bus keeper as NONE, so none and keeper read back alike there."""
    legacy = h.board.family is Family.LEGACY
    return "none_or_keeper" if legacy and pull in ("none", "keeper") else pull


# --- GPIO ---------------------------------------------------------------------------------------


async def test_gpio_output_drives_a_row_read_by_adc_and_another_gpio(h: Any) -> None:
    for a, b in (("GPIO_1", 20), ("ADC0", 20), ("GPIO_2", 20)):
        assert (await h.ok("connect", node1=a, node2=b))["ok"]
    made = await h.ok("gpio_set_direction", pin="GPIO_1", direction="output")
    assert made["pin"] == "GPIO_1" and made["direction"] == "output"
    assert h.vboard.model.gpio[0].direction is GPIODirection.OUTPUT

    high = await h.ok("gpio_write", pin=1, value=True)
    assert high["driving"] is True and high["state"] == "HIGH" and high["direction"] == "output"
    assert h.vboard.model.gpio[0].latch is True
    assert near(await adc(h, 0), 3.3)
    seen = await h.ok("gpio_read", pin="GPIO_2")
    assert seen == {"pin": "GPIO_2", "state": "HIGH", "direction": "input", "pull": read_back(h, "none")}

    low = await h.ok("gpio_write", pin="GPIO_1", value=False)
    assert low["state"] == "LOW" and h.vboard.model.gpio[0].latch is False
    assert near(await adc(h, 0), 0.0)
    assert (await h.ok("gpio_read", pin=2))["state"] == "LOW"


async def test_gpio_write_on_an_input_only_sets_the_latch(h: Any) -> None:
    written = await h.ok("gpio_write", pin=3, value=True)
    assert written["driving"] is False and written["direction"] == "input"
    assert "latch" in written["message"] and "gpio_set_direction" in written["message"]
    pin = h.vboard.model.gpio[2]
    assert pin.direction is GPIODirection.INPUT and pin.latch is True
    assert written["state"] == "FLOATING"  # nothing drives the pin
    # Making it an output now drives the stored level.
    made = await h.ok("gpio_set_direction", pin=3, direction="output")
    assert made["state"] == "HIGH" and pin.direction is GPIODirection.OUTPUT
    back = await h.ok("gpio_set_direction", pin=3, direction="input")
    assert back["direction"] == "input" and back["state"] == "FLOATING"


@pytest.mark.parametrize(
    ("pull", "enum", "state"),
    [
        ("up", GPIOPull.PULLUP, "HIGH"),
        ("down", GPIOPull.PULLDOWN, "LOW"),
        ("none", GPIOPull.NONE, "FLOATING"),
        ("keeper", GPIOPull.BUS_KEEPER, None),
    ],
)
async def test_gpio_set_pull(h: Any, pull: str, enum: GPIOPull, state: str | None) -> None:
    result = await h.ok("gpio_set_pull", pin="GPIO_4", pull=pull)
    assert result["pin"] == "GPIO_4" and result["pull"] == read_back(h, pull)
    assert h.vboard.model.gpio[3].pull is enum
    if state is not None:
        assert result["state"] == state
    read = await h.ok("gpio_read", pin=4)
    assert read["pull"] == read_back(h, pull) and read["state"] == result["state"]


async def test_legacy_never_claims_a_bus_keeper_it_cannot_read(legacy_mcp: Any, jos_mcp: Any) -> None:
    """S3: V5 gpio_pull_print prints NONE for a bus keeper, so 5.3.x reports the ambiguity, JumperlOS the pull."""
    legacy = await legacy_mcp.ok("gpio_set_pull", pin=3, pull="keeper")
    assert legacy["pull"] == "none_or_keeper" and legacy_mcp.vboard.model.gpio[2].pull is GPIOPull.BUS_KEEPER
    assert (await legacy_mcp.ok("gpio_read", pin=3))["pull"] == "none_or_keeper"
    assert (await jos_mcp.ok("gpio_set_pull", pin=3, pull="keeper"))["pull"] == "keeper"
    tools = {t.name: t for t in (await legacy_mcp.client.list_tools()).tools}
    for name in ("gpio_set_pull", "gpio_read"):
        assert "none_or_keeper" in tools[name].description and "5.3.x" in tools[name].description
        assert "none_or_keeper" in tools[name].output_schema["properties"]["pull"]["enum"]


async def test_gpio_pull_up_reads_through_a_bridged_row(h: Any) -> None:
    assert (await h.ok("connect", node1="GPIO_6", node2=40))["ok"]
    assert (await h.ok("connect", node1="ADC3", node2=40))["ok"]
    await h.ok("gpio_set_pull", pin=6, pull="up")
    assert near(await adc(h, 3), 3.3)  # the ~50k pull-up is the only thing on the net
    await h.ok("gpio_set_pull", pin=6, pull="down")
    assert near(await adc(h, 3), 0.0)


async def test_gpio_read_is_one_batch(h: Any) -> None:
    await h.ok("gpio_read", pin=1)  # the handshake is done
    with board_calls(h) as sent:
        result = await h.ok("gpio_read", pin="UART_TX")
    assert len(sent) == 1 and len(sent[0]) >= 3, sent
    assert result == {"pin": "UART_TX", "state": "HIGH", "direction": "output", "pull": read_back(h, "none")}


async def test_uart_pins_by_number(h: Any) -> None:
    assert (await h.ok("gpio_read", pin=9))["pin"] == "UART_TX"
    assert (await h.ok("gpio_read", pin=10))["pin"] == "UART_RX"


@pytest.mark.parametrize(
    ("tool", "extra"),
    [
        ("gpio_set_direction", {"direction": "output"}),
        ("gpio_set_pull", {"pull": "up"}),
        ("gpio_write", {"value": True}),
        ("gpio_read", {}),
    ],
)
async def test_bad_gpio_pin_is_refused_before_sending(h: Any, tool: str, extra: dict) -> None:
    await h.ok("gpio_read", pin=1)
    before = [vars(p).copy() for p in h.vboard.model.gpio]
    for pin in ["D13", "GPIO_9", "TOP_RAIL", 0, 11, 131, 19, "not a pin"]:
        with board_calls(h) as sent:
            error = await h.error(tool, pin=pin, **extra)
        assert error["kind"] == "invalid_argument" and error["parameter"] == "pin", (pin, error)
        assert error["sent_to_board"] is False and "GPIO_1" in error["allowed"]
        assert sent == [], pin
    assert [vars(p) for p in h.vboard.model.gpio] == before


@pytest.mark.parametrize(("tool", "arguments"), [("gpio_write", {"pin": 1, "value": 1}), ("gpio_read", {"pin": True})])
async def test_wrong_types_are_schema_errors(jos_mcp: Any, tool: str, arguments: dict) -> None:
    error = await jos_mcp.error(tool, **arguments)
    assert error["kind"] == "invalid_argument" and error["parameter"] in arguments


async def test_direction_and_pull_enums(jos_mcp: Any) -> None:
    error = await jos_mcp.error("gpio_set_direction", pin=1, direction="out")
    assert error["parameter"] == "direction" and '"output"' in error["allowed"]
    error = await jos_mcp.error("gpio_set_pull", pin=1, pull="pullup")
    assert error["parameter"] == "pull" and '"keeper"' in error["allowed"]


# --- PWM ----------------------------------------------------------------------------------------


async def test_pwm_start_change_stop(h: Any) -> None:
    jos = h.vboard.persona.name == "jumperlos"
    for a, b in (("GPIO_5", 30), ("ADC2", 30)):
        assert (await h.ok("connect", node1=a, node2=b))["ok"]
    pin = h.vboard.model.gpio[4]

    started = await h.ok("pwm_start", pin="GPIO_5", frequency=1000, duty=0.25)
    assert started["pin"] == "GPIO_5" and started["frequency"] == 1000 and started["duty"] == 0.25
    assert started["direction"] == "output"
    assert started["pwm_running"] is (True if jos else None)
    assert pin.pwm_frequency == 1000 and pin.pwm_duty == 0.25 and pin.direction is GPIODirection.OUTPUT
    sample = await adc(h, 2)
    assert near(sample, 0.0) or near(sample, 3.3)  # a sample of the switching PWM (#16 §3)

    duty = await h.ok("pwm_set_duty", pin=5, duty=0.75)
    assert duty["duty"] == 0.75 and "frequency" not in duty
    assert pin.pwm_duty == 0.75 and pin.pwm_frequency == 1000
    sample = await adc(h, 2)
    assert near(sample, 0.0) or near(sample, 3.3)

    freq = await h.ok("pwm_set_frequency", pin=135, frequency=50.5)
    assert freq["frequency"] == 50.5 and freq["pin"] == "GPIO_5"
    assert pin.pwm_frequency == 50.5 and pin.pwm_duty == 0.75
    assert freq["pwm_running"] is (True if jos else None)

    stopped = await h.ok("pwm_stop", pin="GPIO_5")
    assert pin.pwm_frequency is None
    assert stopped["pwm_running"] is (False if jos else None)
    assert "frequency" not in stopped and "duty" not in stopped


async def test_pwm_start_default_duty(h: Any) -> None:
    result = await h.ok("pwm_start", pin=8, frequency=20000)
    assert result["duty"] == 0.5 and h.vboard.model.gpio[7].pwm_duty == 0.5
    await h.ok("pwm_stop", pin=8)


async def test_pwm_set_duty_without_pwm_reports_not_running(jos_mcp: Any) -> None:
    result = await jos_mcp.ok("pwm_set_duty", pin=7, duty=0.3)
    assert result["pwm_running"] is False  # the virtual board only stores the duty
    assert jos_mcp.vboard.model.gpio[6].pwm_frequency is None


@pytest.mark.parametrize(
    ("tool", "extra"),
    [
        ("pwm_start", {"frequency": 100.0}),
        ("pwm_set_duty", {"duty": 0.5}),
        ("pwm_set_frequency", {"frequency": 100.0}),
        ("pwm_stop", {}),
    ],
)
async def test_bad_pwm_pin_is_refused_before_sending(h: Any, tool: str, extra: dict) -> None:
    await h.ok("gpio_read", pin=1)
    for pin in [9, 10, "UART_TX", "GPIO_9", 0, "D2", 139]:
        with board_calls(h) as sent:
            error = await h.error(tool, pin=pin, **extra)
        assert error["kind"] == "invalid_argument" and error["parameter"] == "pin", (pin, error)
        assert sent == [] and all(p.pwm_frequency is None for p in h.vboard.model.gpio), pin


@pytest.mark.parametrize(
    ("tool", "arguments", "parameter"),
    [
        ("pwm_start", {"pin": 1, "frequency": 100, "duty": 1.5}, "duty"),
        ("pwm_start", {"pin": 1, "frequency": 100, "duty": -0.1}, "duty"),
        ("pwm_start", {"pin": 1, "frequency": 0}, "frequency"),
        ("pwm_start", {"pin": 1, "frequency": 1e9}, "frequency"),
        ("pwm_start", {"pin": 1}, "frequency"),
        ("pwm_set_duty", {"pin": 1, "duty": 2}, "duty"),
        ("pwm_set_frequency", {"pin": 1, "frequency": 0.0001}, "frequency"),
        ("pwm_set_frequency", {"pin": 1, "frequency": 62_500_001}, "frequency"),
    ],
)
async def test_pwm_out_of_range(jos_mcp: Any, tool: str, arguments: dict, parameter: str) -> None:
    h = jos_mcp
    with board_calls(h) as sent:
        error = await h.error(tool, **arguments)
    assert error["kind"] == "invalid_argument" and error["parameter"] == parameter, error
    assert sent == [] and h.vboard.model.gpio[0].pwm_frequency is None


async def test_listing_and_annotations(h: Any) -> None:
    tools = {tool.name: tool for tool in (await h.client.list_tools()).tools}
    names = ["gpio_set_direction", "gpio_set_pull", "gpio_write", "gpio_read"]
    names += ["pwm_start", "pwm_set_duty", "pwm_set_frequency", "pwm_stop"]
    assert set(names) <= set(tools)
    assert tools["gpio_read"].annotations.read_only_hint is True
    for name in names[:3] + names[4:]:
        assert tools[name].annotations.read_only_hint is False, name
    for name in names[:4]:
        description = tools[name].description
        assert "bridged to a row" in description and "refuses a GPIO bridged straight to a rail or DAC" in description
    assert "latch" in tools["gpio_write"].description


async def test_gpio_straight_to_a_rail_is_refused(h: Any) -> None:
    error = await h.error("connect", node1="GPIO_1", node2="TOP_RAIL")
    assert error["kind"] == "forbidden_connection"
    assert (await h.ok("connect", node1="GPIO_1", node2=12))["ok"]  # through a row is fine
