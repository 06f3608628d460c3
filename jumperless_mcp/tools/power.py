"""Power and analog: DAC and rail setpoints, ADC readings, INA219 current sensing, node voltages."""

from __future__ import annotations

import math
from typing import Any

from firmware_api import nodes
from firmware_api.calls import DAC_CHANNEL_NAMES, coerce
from firmware_api.catalog import by_name
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import (
    BOOLEAN,
    NUMBER,
    OPTIONAL_NUMBER,
    STRING,
    Param,
    ToolSpec,
    boolean,
    firmware_range,
    from_arg,
    integer,
    node,
)

SUBSYSTEM = "power"
CHANNEL_NAMES = DAC_CHANNEL_NAMES
SHUNT_OHMS = 2.0  # the V5's current-sense shunt between ISENSE_PLUS and ISENSE_MINUS
_DAC_ARG = by_name()["dac_set"][0].args[0]
SCAN_SINCE: FirmwareVersion | None = by_name()["get_node_voltage"][0].since


def _channel_name(value: object) -> str:
    return CHANNEL_NAMES[coerce(_DAC_ARG, value)]  # type: ignore[index]


async def _dac_set(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        batch.dac_set(args["channel"], args["voltage"], args["save"])
        setpoint = batch.dac_get(args["channel"])
    return {"channel": _channel_name(args["channel"]), "voltage": setpoint.value, "saved": args["save"]}


async def _dac_set_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """Energising: a setpoint beyond the confirm_above_volts setting asks the person first."""
    volts = float(args["voltage"])
    if not confirm.beyond_volts(volts, ctx):
        return None
    saved = " and save it" if args["save"] else ""
    return f"set {_channel_name(args['channel'])} to {volts:g} V{saved}"


async def _dac_get(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"channel": _channel_name(args["channel"]), "voltage": await ctx.board.dac_get(args["channel"])}


async def _power(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        setpoints = {name: batch.dac_get(channel) for channel, name in CHANNEL_NAMES.items()}
    return {name: pending.value for name, pending in setpoints.items()}


async def _adc_read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    channels = args.get("channels") or [0, 1, 2, 3]
    async with ctx.board.batch() as batch:
        readings = {f"ADC{channel}": batch.adc_get(channel) for channel in dict.fromkeys(channels)}
    return {"readings": {name: pending.value for name, pending in readings.items()}}


async def _ina_read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    sensor = args["sensor"]
    async with ctx.board.batch() as batch:
        current = batch.ina_get_current(sensor)
        bus = batch.ina_get_bus_voltage(sensor)
        power = batch.ina_get_power(sensor)
    return {
        "sensor": sensor,
        "current_a": current.value,
        "bus_voltage_v": bus.value,
        "shunt_voltage_v": round(current.value * SHUNT_OHMS, 9),
        "power_w": power.value,
    }


async def _measure(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """Bridge the node to a free ADC, read, and take the bridge away again: one round trip."""
    adc = f"ADC{args['adc']}"
    target = nodes.resolve_node(args["node"])
    async with ctx.board.batch() as batch:
        made = batch.connect(target, adc)
        reading = batch.adc_get(args["adc"])
        if not args["keep_connected"]:
            batch.disconnect(target, adc)
    result = made.value
    if result.verified and not result.ok:
        raise ToolFailure(f"could not bridge {nodes.canonical_name(target)} to {adc}: {result.message}", "refused")
    return {"node": nodes.canonical_name(target), "adc": adc, "voltage": reading.value}


async def _node_voltage(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    volts = await ctx.board.get_node_voltage(args["node"])
    finite = volts if volts is None or math.isfinite(volts) else None
    return {"node": nodes.canonical_name(nodes.resolve_node(args["node"])), "voltage": finite}


CHANNEL_DOC = "DAC0, DAC1, TOP_RAIL or BOTTOM_RAIL (or 0-3)."
VOLTAGE = Param(
    "voltage",
    {"type": "number", "minimum": -8.0, "maximum": 8.0, "description": "Volts (the firmware's range is -8 to 8)."},
    True,
    "-8 to 8",
    voltage=True,
)

TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="dac_set",
        subsystem=SUBSYSTEM,
        description="Set a DAC output or a power rail to a voltage and read the setpoint back. Channels: DAC0, "
        "DAC1, TOP_RAIL, BOTTOM_RAIL. The range is limited by the server's max_voltage/min_voltage settings (the "
        "firmware allows -8 to 8 V). Whatever is bridged to that net sees the new voltage at once. save=true also "
        "stores the value in the board's config (5.3.x) or slot (JumperlOS).",
        params=(from_arg(_DAC_ARG, CHANNEL_DOC), VOLTAGE, boolean("save", "Persist the setting.", True)),
        output={"channel": STRING, "voltage": NUMBER, "saved": BOOLEAN},
        run=_dac_set,
        text=lambda r: f"{r['channel']} set to {r['voltage']:g} V",
        mutates=True,
        confirm=_dac_set_confirm,
    ),
    ToolSpec(
        name="dac_get",
        subsystem=SUBSYSTEM,
        description="The setpoint of a DAC or rail (what was asked for, not a measurement: bridge the net to an "
        "ADC and use adc_read to measure).",
        params=(from_arg(_DAC_ARG, CHANNEL_DOC),),
        output={"channel": STRING, "voltage": NUMBER},
        run=_dac_get,
        text=lambda r: f"{r['channel']} setpoint {r['voltage']:g} V",
    ),
    ToolSpec(
        name="get_power",
        subsystem=SUBSYSTEM,
        description="The setpoints of DAC0, DAC1 and both rails in one call.",
        params=(),
        output={name: NUMBER for name in CHANNEL_NAMES.values()},
        run=_power,
        text=lambda r: ", ".join(f"{k} {v:g} V" for k, v in r.items()),
    ),
    ToolSpec(
        name="adc_read",
        subsystem=SUBSYSTEM,
        description="Measure voltages on ADC0-ADC3 (each reads the net it is bridged to; an unconnected ADC reads "
        "about 0 V). Range about -8 to 8 V. The firmware's Python API has no access to ADC4 (the 5 V supply "
        "monitor) or the probe's ADC.",
        params=(
            Param(
                "channels",
                {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 3},
                    "minItems": 1,
                    "description": "ADC channels to read (default: all four).",
                },
                False,
                "a list of 0-3",
            ),
        ),
        output={"readings": {"type": "object", "additionalProperties": NUMBER}},
        run=_adc_read,
        text=lambda r: ", ".join(f"{k} {v:.3f} V" for k, v in r["readings"].items()),
    ),
    ToolSpec(
        name="ina_read",
        subsystem=SUBSYSTEM,
        description="Read an INA219 current sensor in one round trip: current (A), bus voltage (V, at "
        "ISENSE_MINUS), power (W) and the shunt voltage (V). Sensor 0 measures the current flowing from ISENSE_PLUS "
        "to ISENSE_MINUS: bridge them in series with the load. The firmware's Python API has no shunt-voltage "
        "reading (its ina_get_voltage is the bus voltage), so shunt_voltage_v is current x the board's 2 ohm shunt.",
        params=(integer("sensor", "INA sensor 0 or 1.", minimum=0, maximum=1, default=0),),
        output={
            "sensor": {"type": "integer"},
            "current_a": NUMBER,
            "bus_voltage_v": NUMBER,
            "shunt_voltage_v": NUMBER,
            "power_w": NUMBER,
        },
        run=_ina_read,
        text=lambda r: (
            f"INA{r['sensor']}: {r['current_a'] * 1000:.3f} mA at {r['bus_voltage_v']:.3f} V, "
            f"{r['power_w'] * 1000:.3f} mW"
        ),
    ),
    ToolSpec(
        name="measure_node",
        subsystem=SUBSYSTEM,
        description="Measure the voltage of any node: bridge it to an ADC, read, and remove the bridge again, all "
        "in one round trip. Use an ADC that is not bridged to anything else, or the reading includes that net.",
        params=(
            node("node", "The node to measure."),
            integer("adc", "Which ADC to borrow (0-3).", minimum=0, maximum=3, default=0),
            boolean("keep_connected", "Leave the ADC bridged afterwards.", False),
        ),
        output={"node": STRING, "adc": STRING, "voltage": NUMBER},
        run=_measure,
        text=lambda r: f"{r['node']}: {r['voltage']:.3f} V (via {r['adc']})",
        mutates=True,
    ),
    ToolSpec(
        name="node_voltage",
        subsystem=SUBSYSTEM,
        description="The voltage of a node from the firmware's background scan, without bridging anything. It is "
        f"the firmware's get_node_voltage, in volts. Only JumperlOS {SCAN_SINCE} and later have it (older firmware "
        "does not list this tool; a build without it says unsupported_by_firmware: use measure_node). voltage is "
        "null when the scan has no fresh sample (scan off: the [display] net_currents setting or the 'i' command; "
        "node not routed or floating).",
        params=(node("node", "The node."),),
        output={"node": STRING, "voltage": OPTIONAL_NUMBER},
        run=_node_voltage,
        families=Family.JUMPERLOS,
        **firmware_range("get_node_voltage"),
    ),
]
