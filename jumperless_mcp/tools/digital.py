"""GPIO and PWM: pin direction, pulls, writing and reading levels, PWM on GPIO_1..GPIO_8."""

from __future__ import annotations

from typing import Any

from firmware_api import calls
from firmware_api.catalog import PIN, PWM_PIN
from firmware_api.values import GPIODirection, GPIOPull
from firmware_api.versions import Family
from jumperless_mcp.bench.board import Pending
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_spec import (
    BOOLEAN,
    NUMBER,
    STRING,
    Param,
    ToolSpec,
    boolean,
    choice,
    number,
)
from jumperless_mcp.tooling.values import to_json

SUBSYSTEM = "digital"
PIN_NAMES = {**{i: f"GPIO_{i}" for i in range(1, 9)}, 9: "UART_TX", 10: "UART_RX"}
PULLS = {"up": 1, "down": -1, "none": 0, "keeper": 2}
STATE = {"type": "string", "enum": ["HIGH", "LOW", "FLOATING"]}
DIRECTION = {"type": "string", "enum": ["input", "output"]}
UNSURE_PULL = "none_or_keeper"  # 5.3.x prints a bus keeper as NONE (V5 mjc gpio_pull_print :623)
PULL = {"type": "string", "enum": [*PULLS, UNSURE_PULL]}
PULL_NOTE = (
    " On 5.3.x the firmware reads a bus keeper back as NONE, so there a pull of none or keeper reads back as "
    f"'{UNSURE_PULL}'."
)
OPTIONAL_BOOLEAN = {"type": ["boolean", "null"]}
MIN_HZ, MAX_HZ = 0.001, 62_500_000.0

WIRING_NOTE = (
    "GPIO_1..GPIO_8 are crossbar nodes: a pin only reaches a circuit once it is bridged to a row (e.g. connect "
    "GPIO_1 to row 20). JumperlOS (and this server on any firmware) refuses a GPIO bridged straight to a rail or "
    "DAC (TOP_RAIL, BOTTOM_RAIL, DAC0, DAC1): go through a row and a part."
)
PIN_DOC = (
    "1-8 = GPIO_1..GPIO_8, 9 = UART_TX, 10 = UART_RX (the Arduino header's serial lines), or a name such as "
    '"GPIO_3". Node ids (131...) are not accepted.'
)
PWM_PIN_DOC = '1-8 or a name "GPIO_1".."GPIO_8" (node ids 131-138 also work). UART pins cannot do PWM.'


def _pin_param(description: str, allowed: str) -> Param:
    schema = {"type": ["integer", "string"], "description": description}
    return Param("pin", schema, True, allowed)


GPIO_PIN = _pin_param(PIN_DOC, calls.GPIO_ALLOWED)
PWM_PIN_PARAM = _pin_param(PWM_PIN_DOC, calls.PWM_ALLOWED)
FREQUENCY = number(
    "frequency",
    "PWM frequency in Hz, 0.001 Hz to 62.5 MHz (some JumperlOS builds silently ignore changes below 0.01 Hz).",
    minimum=MIN_HZ,
    maximum=MAX_HZ,
)
DUTY_DOC = "Duty cycle 0.0 (always low) to 1.0 (always high)."
DUTY = number("duty", DUTY_DOC, minimum=0.0, maximum=1.0)


def _gpio_pin(value: object) -> int:
    """The firmware's pin number 1-10; an ArgumentError naming `pin` otherwise (nothing is sent)."""
    return calls.coerce(PIN, value)  # type: ignore[return-value]


def _pwm_pin(value: object) -> int:
    return calls.coerce(PWM_PIN, value)  # type: ignore[return-value]


def _direction(value: object) -> str:
    return "output" if value == GPIODirection.OUTPUT else "input"


def _state(pending: Pending) -> str:
    return str(to_json(pending.value))


def _pull(pending: Pending, family: Family) -> str:
    """The pull read back, in words; one the firmware cannot tell from another is named as both."""
    pull: GPIOPull = pending.value
    if pull.read_back(family) == {GPIOPull.NONE, GPIOPull.BUS_KEEPER}:
        return UNSURE_PULL
    return str(to_json(pull))


async def _gpio_set_direction(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _gpio_pin(args["pin"])
    async with ctx.board.batch() as batch:
        batch.gpio_set_dir(pin, args["direction"] == "output")
        direction = batch.gpio_get_dir(pin)
        state = batch.gpio_get(pin)
    return {"pin": PIN_NAMES[pin], "direction": _direction(direction.value), "state": _state(state)}


async def _gpio_set_pull(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _gpio_pin(args["pin"])
    family = await ctx.board._family()
    async with ctx.board.batch() as batch:
        batch.gpio_set_pull(pin, PULLS[args["pull"]])
        pull = batch.gpio_get_pull(pin)
        state = batch.gpio_get(pin)
    return {"pin": PIN_NAMES[pin], "pull": _pull(pull, family), "state": _state(state)}


async def _gpio_write(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _gpio_pin(args["pin"])
    async with ctx.board.batch() as batch:
        batch.gpio_set(pin, args["value"])
        direction = batch.gpio_get_dir(pin)
        state = batch.gpio_get(pin)
    driving = _direction(direction.value) == "output"
    level = "HIGH" if args["value"] else "LOW"
    message = (
        f"{PIN_NAMES[pin]} drives {level}"
        if driving
        else f"{PIN_NAMES[pin]} is an input: {level} is stored in its output latch and driven only once the pin "
        "is made an output (gpio_set_direction)"
    )
    return {
        "pin": PIN_NAMES[pin],
        "value": args["value"],
        "direction": _direction(direction.value),
        "driving": driving,
        "state": _state(state),
        "message": message,
    }


async def _gpio_read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _gpio_pin(args["pin"])
    family = await ctx.board._family()
    async with ctx.board.batch() as batch:
        state = batch.gpio_get(pin)
        direction = batch.gpio_get_dir(pin)
        pull = batch.gpio_get_pull(pin)
    return {
        "pin": PIN_NAMES[pin],
        "state": _state(state),
        "direction": _direction(direction.value),
        "pull": _pull(pull, family),
    }


def _pwm_running(state: Pending | None, pin: int) -> bool | None:
    """Whether get_state (JumperlOS) lists the pin's function as PWM; None when it cannot tell."""
    if state is None or not isinstance(state.value, dict):
        return None
    for entry in state.value.get("gpio") or []:
        if isinstance(entry, dict) and entry.get("pin") == pin and "function" in entry:
            return str(entry["function"]).upper() == "PWM"
    return None


async def _pwm_batch(ctx: ToolContext, pin: int, record: Any) -> tuple[Pending, Pending | None]:
    """Run `record(batch)` plus the read-backs in one round trip: (direction, get_state or None)."""
    jumperlos = await ctx.board._family() is Family.JUMPERLOS
    async with ctx.board.batch() as batch:
        record(batch)
        direction = batch.gpio_get_dir(pin)
        state = batch.get_state() if jumperlos else None
    return direction, state


def _pwm_result(pin: int, direction: Pending, state: Pending | None, **values: Any) -> dict[str, Any]:
    running = _pwm_running(state, pin)
    return {"pin": PIN_NAMES[pin], **values, "direction": _direction(direction.value), "pwm_running": running}


async def _pwm_start(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _pwm_pin(args["pin"])
    frequency, duty = args["frequency"], args["duty"]
    direction, state = await _pwm_batch(ctx, pin, lambda b: b.pwm(pin, frequency, duty))
    return _pwm_result(pin, direction, state, frequency=frequency, duty=duty)


async def _pwm_set_duty(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _pwm_pin(args["pin"])
    direction, state = await _pwm_batch(ctx, pin, lambda b: b.pwm_set_duty_cycle(pin, args["duty"]))
    return _pwm_result(pin, direction, state, duty=args["duty"])


async def _pwm_set_frequency(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _pwm_pin(args["pin"])
    direction, state = await _pwm_batch(ctx, pin, lambda b: b.pwm_set_frequency(pin, args["frequency"]))
    return _pwm_result(pin, direction, state, frequency=args["frequency"])


async def _pwm_stop(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pin = _pwm_pin(args["pin"])
    direction, state = await _pwm_batch(ctx, pin, lambda b: b.pwm_stop(pin))
    return _pwm_result(pin, direction, state)


def _pwm_text(result: dict[str, Any]) -> str:
    parts = [result["pin"]]
    if "frequency" in result:
        parts.append(f"{result['frequency']:g} Hz")
    if "duty" in result:
        parts.append(f"duty {result['duty']:g}")
    running = result["pwm_running"]
    parts.append("PWM running" if running else "PWM stopped" if running is False else "PWM state not readable")
    return ", ".join(parts)


PWM_OUTPUT = {
    "pin": STRING,
    "frequency": NUMBER,
    "duty": NUMBER,
    "direction": DIRECTION,
    "pwm_running": OPTIONAL_BOOLEAN,
}
PWM_NOTE = (
    " GPIO_1/2, 3/4, 5/6 and 7/8 each share one hardware PWM slice, so a pair shares one frequency."
    " pwm_running is read back from the board's state on JumperlOS; 5.3.x cannot report it (null). The firmware "
    "has no getter for frequency or duty: the values returned are the ones sent."
)

TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="gpio_set_direction",
        subsystem=SUBSYSTEM,
        description="Make a GPIO pin an input or an output and read back its direction and level. An output "
        "drives the level last written with gpio_write (write the level first to switch without a glitch); an "
        "input only reads. " + WIRING_NOTE,
        params=(GPIO_PIN, choice("direction", ["input", "output"], "input or output.")),
        output={"pin": STRING, "direction": DIRECTION, "state": STATE},
        run=_gpio_set_direction,
        text=lambda r: f"{r['pin']} is an {r['direction']} ({r['state']})",
        mutates=True,
    ),
    ToolSpec(
        name="gpio_set_pull",
        subsystem=SUBSYSTEM,
        description="Set a GPIO pin's internal resistor: up (pull-up, about 50 kOhm to 3.3 V), down (pull-down), "
        "none, or keeper (bus keeper: holds the last level weakly). Pulls matter for inputs: an input with nothing "
        "driving its net reads FLOATING with none, HIGH with up, LOW with down. Reads back the pull and the level."
        + PULL_NOTE
        + " "
        + WIRING_NOTE,
        params=(GPIO_PIN, choice("pull", list(PULLS), "up, down, none or keeper.")),
        output={"pin": STRING, "pull": PULL, "state": STATE},
        run=_gpio_set_pull,
        text=lambda r: f"{r['pin']} pull {r['pull']} ({r['state']})",
        mutates=True,
    ),
    ToolSpec(
        name="gpio_write",
        subsystem=SUBSYSTEM,
        description="Set a GPIO pin's output level (true = HIGH 3.3 V, false = LOW 0 V), then read back direction "
        "and level. The pin must be an output to drive anything: on an input the firmware raises no error and "
        "only stores the level in the output latch, which is driven once the pin is made an output "
        "(gpio_set_direction); `driving` says which happened. " + WIRING_NOTE,
        params=(GPIO_PIN, boolean("value", "true = HIGH, false = LOW.")),
        output={
            "pin": STRING,
            "value": BOOLEAN,
            "direction": DIRECTION,
            "driving": BOOLEAN,
            "state": STATE,
            "message": STRING,
        },
        run=_gpio_write,
        text=lambda r: r["message"],
        mutates=True,
    ),
    ToolSpec(
        name="gpio_read",
        subsystem=SUBSYSTEM,
        description="Read a GPIO pin in one round trip: its level (HIGH, LOW, or FLOATING when nothing drives the "
        "net and no pull is set), direction and pull. An output reads back the level it drives."
        + PULL_NOTE
        + " "
        + WIRING_NOTE,
        params=(GPIO_PIN,),
        output={"pin": STRING, "state": STATE, "direction": DIRECTION, "pull": PULL},
        run=_gpio_read,
        text=lambda r: f"{r['pin']}: {r['state']} ({r['direction']}, pull {r['pull']})",
    ),
    ToolSpec(
        name="pwm_start",
        subsystem=SUBSYSTEM,
        description="Start PWM on GPIO_1..GPIO_8 at a frequency (0.001 Hz to 62.5 MHz) and duty cycle (0-1); the "
        "pin becomes an output. Below about 10 Hz JumperlOS uses a software (slow) PWM. Stop it with pwm_stop. "
        + WIRING_NOTE
        + PWM_NOTE,
        params=(PWM_PIN_PARAM, FREQUENCY, number("duty", DUTY_DOC, minimum=0.0, maximum=1.0, default=0.5)),
        output=PWM_OUTPUT,
        optional_output=(),
        run=_pwm_start,
        text=_pwm_text,
        mutates=True,
    ),
    ToolSpec(
        name="pwm_set_duty",
        subsystem=SUBSYSTEM,
        description="Change the duty cycle (0-1) of PWM running on a pin (start it with pwm_start first). On a pin "
        "without PWM, firmware builds differ: JumperlOS starts PWM at a default frequency, other builds (and the "
        "virtual board) only store the duty for the next start; check pwm_running." + PWM_NOTE,
        params=(PWM_PIN_PARAM, DUTY),
        output=PWM_OUTPUT,
        optional_output=("frequency",),
        run=_pwm_set_duty,
        text=_pwm_text,
        mutates=True,
    ),
    ToolSpec(
        name="pwm_set_frequency",
        subsystem=SUBSYSTEM,
        description="Change the frequency (0.001 Hz to 62.5 MHz) of PWM running on a pin, keeping its duty cycle "
        "(start it with pwm_start first). On a pin without PWM, firmware builds differ: JumperlOS starts PWM with "
        "the last duty (default 0.5), other builds (and the virtual board) only store the frequency; check "
        "pwm_running." + PWM_NOTE,
        params=(PWM_PIN_PARAM, FREQUENCY),
        output=PWM_OUTPUT,
        optional_output=("duty",),
        run=_pwm_set_frequency,
        text=_pwm_text,
        mutates=True,
    ),
    ToolSpec(
        name="pwm_stop",
        subsystem=SUBSYSTEM,
        description="Stop PWM on a pin. The pin goes back to plain GPIO and keeps its direction (an output after "
        "pwm_start: use gpio_write / gpio_set_direction to set what it does next). Stopping a pin without PWM does "
        "nothing." + PWM_NOTE,
        params=(PWM_PIN_PARAM,),
        output=PWM_OUTPUT,
        optional_output=("frequency", "duty"),
        run=_pwm_stop,
        text=_pwm_text,
        mutates=True,
    ),
]
