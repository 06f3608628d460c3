"""Bench measurement workflows (bench/measure.py): a node's voltage, resistance, continuity, diode test, I-V
sweep, the firmware's net-current scan and part identification. Each borrows free instruments, reports what it
connected, set and restored, and leaves the board as it found it, also when it fails part-way."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from firmware_api import calls, nodes
from firmware_api.catalog import by_name
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.bench import measure_analysis as analysis
from jumperless_mcp.bench.measure import (
    CONTINUITY_VOLTS,
    DEFAULT_MAX_VOLTS,
    DIODE_MAX_VOLTS,
    LADDER,
    MAX_AMPS,
    MAX_SWEEP_STEPS,
    DiodeResult,
    IVSweep,
    PartIdentity,
    Point,
    ResistanceReading,
)
from jumperless_mcp.bench.measure_fixture import Changes
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_spec import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    OMIT,
    STRING,
    Param,
    Pictured,
    ToolSpec,
    boolean,
    choice,
    integer,
    node,
    number,
)

SUBSYSTEM = "measure"
SCAN_SINCE: FirmwareVersion | None = by_name()["get_net_current"][0].since
OPTIONAL_NUMBER = {"type": ["number", "null"]}
OPTIONAL_STRING = {"type": ["string", "null"]}
CHANGES = {
    "type": "object",
    "description": "what the workflow connected and set, and each undo step it made afterwards",
    "properties": {
        "connected": {"type": "array", "items": {"type": "array", "items": STRING}},
        "set": {"type": "array", "items": {"type": "object", "properties": {"channel": STRING, "volts": NUMBER}}},
        "restored": {"type": "array", "items": STRING},
    },
}
POINT = {
    "type": "object",
    "properties": {"dac_volts": NUMBER, "volts": NUMBER, "amps": NUMBER},
}


def _end(name: str, description: str) -> Param:
    """A part's leg: a node without the long list of node-name examples (they would rank these tools for any
    request that names a rail or an instrument in tool search)."""
    schema = {"type": ["integer", "string"], "description": description}
    return Param(name, schema, True, calls.NODE_ALLOWED, validate=nodes.resolve_node)


A = _end("a", "One leg of the part: a row 1-60 or a Nano pin such as D5.")
B = _end("b", "The other leg: a row, a Nano pin, or GND.")
PLACEMENT = (
    "Borrows instruments nothing else uses (a DAC, INA0, ADCs), four-wire (Kelvin) so the crossbar's path "
    "resistance drops out, and unwires them afterwards, also on failure; `changes` lists what it did."
)


def _volts_cap(ctx: ToolContext, value: float, parameter: str, negative: bool = False) -> float:
    """`value` checked against the configured limits (both signs when the test drives both ways)."""
    high, low = ctx.config.max_voltage, ctx.config.min_voltage
    top = min(high, -low) if negative else high
    if value > top:
        raise ArgumentError(
            parameter,
            f"{value:g} V is outside the configured voltage limits {low:g}..{high:g} V (min_voltage / "
            f"max_voltage){' for a test that drives both ways' if negative else ''}; nothing was sent",
            f"up to {top:g} V",
        )
    return value


async def _test_level_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """Energising: a test level beyond the confirm_above_volts setting asks the person first."""
    levels = [
        abs(float(args[key])) for key in ("max_volts", "start", "stop") if isinstance(args.get(key), (int, float))
    ]
    top = max(levels, default=0.0)
    if not confirm.beyond_volts(top, ctx):
        return None
    return f"drive a DAC up to {top:g} V through INA0 into the part between {args['a']} and {args['b']}"


def _changes(changes: Changes) -> dict[str, Any]:
    return changes.as_dict()


def _points(points: tuple[Point, ...]) -> list[dict[str, float]]:
    return [asdict(p) for p in points]


def _resistance_result(r: ResistanceReading) -> dict[str, Any]:
    return {
        "a": r.a,
        "b": r.b,
        "ohms": r.ohms,
        "open": r.open,
        "above_range": r.above_range,
        "range_limit_ohms": r.range_limit_ohms,
        "test_volts": r.test_volts,
        "amps": r.amps,
        "volts": r.volts,
        "note": r.note,
        "ladder": _points(r.ladder),
        "changes": _changes(r.changes),
    }


RESISTANCE_OUTPUT = {
    "a": STRING,
    "b": STRING,
    "ohms": OPTIONAL_NUMBER,
    "open": BOOLEAN,
    "above_range": BOOLEAN,
    "range_limit_ohms": NUMBER,
    "test_volts": NUMBER,
    "amps": NUMBER,
    "volts": NUMBER,
    "note": STRING,
    "ladder": {"type": "array", "items": POINT},
    "changes": CHANGES,
}


async def _measure(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    adc = args.get("adc")
    reading = await ctx.board.measure(args["node"], samples=args["samples"], settle=args["settle"], adc=adc)
    result = asdict(reading)
    result["changes"] = _changes(reading.changes)
    return result


def _measure_text(r: dict[str, Any]) -> str:
    return (
        f"{r['node']}: {r['mean']:.4f} V mean of {r['samples']} on {r['adc']} (min {r['min']:.4f}, max "
        f"{r['max']:.4f}, sd {r['stdev']:.2g}); restored: {', '.join(r['changes']['restored']) or 'nothing to do'}"
    )


async def _measure_resistance(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    top = _volts_cap(ctx, args["max_volts"], "max_volts")
    return _resistance_result(await ctx.board.measure_resistance(args["a"], args["b"], max_volts=top))


def _resistance_text(r: dict[str, Any]) -> str:
    if r["ohms"] is not None:
        head = f"{r['a']}-{r['b']}: {r['ohms']:.5g} ohm ({r['amps'] * 1e3:.4g} mA at {r['test_volts']:g} V test)"
    else:
        head = f"{r['a']}-{r['b']}: {r['note']}"
    return f"{head}; range limit ~{r['range_limit_ohms']:.4g} ohm; restored: {', '.join(r['changes']['restored'])}"


async def _continuity(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    result = await ctx.board.continuity(args["a"], args["b"], threshold_ohms=args["threshold_ohms"])
    return {
        "a": result.a,
        "b": result.b,
        "connected": result.connected,
        "ohms": result.ohms,
        "threshold_ohms": result.threshold_ohms,
        "open": result.reading.open,
        "note": result.reading.note,
        "changes": _changes(result.reading.changes),
    }


def _continuity_text(r: dict[str, Any]) -> str:
    ohms = f"{r['ohms']:.4g} ohm" if r["ohms"] is not None else (r["note"] or "open")
    verdict = "continuity" if r["connected"] else "no continuity"
    return f"{r['a']}-{r['b']}: {verdict} ({ohms}; threshold {r['threshold_ohms']:g} ohm)"


async def _diode_test(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    top = _volts_cap(ctx, args["max_volts"], "max_volts", negative=True)
    result: DiodeResult = await ctx.board.diode_test(args["a"], args["b"], max_volts=top)
    return {
        "a": result.a,
        "b": result.b,
        "found": result.found,
        "anode": result.anode,
        "cathode": result.cathode,
        "forward_volts": result.forward_volts,
        "forward_amps": result.forward_amps,
        "reverse_amps": result.reverse_amps,
        "verdict": result.verdict,
        "points": _points(result.points),
        "changes": _changes(result.changes),
    }


async def _iv_sweep(ctx: ToolContext, args: dict[str, Any]) -> Pictured:
    sweep: IVSweep = await ctx.board.iv_sweep(
        args["a"],
        args["b"],
        start=args["start"],
        stop=args["stop"],
        steps=args["steps"],
        max_amps=args["max_milliamps"] / 1000,
    )
    fit = sweep.fit
    result = {
        "a": sweep.a,
        "b": sweep.b,
        "points": _points(sweep.points),
        "fit": None
        if fit is None
        else {
            "slope_siemens": fit.slope,
            "intercept_amps": fit.intercept,
            "ohms": fit.ohms,
            "r_squared": fit.r_squared,
            "points": fit.points,
        },
        "note": sweep.note,
        "changes": _changes(sweep.changes),
    }
    return Pictured(result, (sweep.png(),))


def _iv_text(r: dict[str, Any]) -> str:
    fit = r["fit"]
    line = f"I-V {r['a']} -> {r['b']}: {len(r['points'])} points"
    if fit is not None and fit["ohms"] is not None:
        line += f"; straight-line fit {fit['ohms']:.5g} ohm (r^2 {fit['r_squared']:.5f})"
    elif fit is not None:
        line += "; no current through it (open)"
    return line + (f"; {r['note']}" if r["note"] else "")


async def _net_currents(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return await ctx.board.net_currents()


def _net_currents_text(r: dict[str, Any]) -> str:
    if not r["scanned"]:
        return "the firmware's scan has no data yet (no routed nets, or not scanned yet)"
    lines = [
        f"net {n['net']}: {n['current_mA']} mA at {n['voltage']} V ({n['from_node']} -> {n['to_node']})"
        for n in r["nets"]
    ]
    return "\n".join(lines) or "no net currents"


async def _identify_part(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    top = min(DEFAULT_MAX_VOLTS, ctx.config.max_voltage, -ctx.config.min_voltage)
    if top < 0.2:
        raise ArgumentError("max_voltage", "the configured limits leave no room for a test voltage both ways",
                            "limits reaching at least -0.2 and 0.2 V")  # fmt: skip
    ident: PartIdentity = await ctx.board.identify_part(
        args["a"], args["b"], use_firmware=args["use_firmware"], max_volts=top
    )
    result = asdict(ident)
    result["notes"] = list(ident.notes)
    result["changes"] = _changes(ident.changes)
    return result


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="measure",
        subsystem=SUBSYSTEM,
        description="Averaged DC statistics of a node: bridges it to a free ADC (0-3, or `adc`), waits `settle` s, "
        "takes `samples` readings, removes the bridge: mean, min, max and standard deviation. For one quick "
        "reading, measure_node.",
        params=(
            node("node", "The node to measure."),
            integer("samples", "Readings to average, 1-1000.", minimum=1, maximum=1000, default=16),
            number("settle", "Seconds to wait after bridging, 0-10.", minimum=0.0, maximum=10.0, default=0.05),
            choice("adc", [0, 1, 2, 3], "The ADC channel to use (default: the first free one).", OMIT),
        ),
        output={
            "node": STRING,
            "adc": STRING,
            "mean": NUMBER,
            "min": NUMBER,
            "max": NUMBER,
            "stdev": NUMBER,
            "samples": INTEGER,
            "settle": NUMBER,
            "units": STRING,
            "changes": CHANGES,
        },
        run=_measure,
        text=_measure_text,
        mutates=True,
    ),
    ToolSpec(
        name="measure_resistance",
        subsystem=SUBSYSTEM,
        description="Ohmmeter: the resistance of a part between two legs, in ohms. "
        f"{PLACEMENT} The test level climbs {', '.join(f'{v:g}' for v in LADDER)} V (up to max_volts) until 5 mA "
        f"flows. INA0 resolves ~30.5 uA, so {analysis.ACCURACY:.0%} needs >= ~0.76 mA: the range limit is about "
        "max_volts / 0.76 mA (~6.5 kOhm at 5 V); beyond it `ohms` is null and the result says open / above range.",
        params=(
            A,
            B,
            number(
                "max_volts",
                "The ladder's top, within the configured limits.",
                minimum=LADDER[0],
                maximum=8.0,
                default=DEFAULT_MAX_VOLTS,
                voltage=True,
            ),
        ),
        output=RESISTANCE_OUTPUT,
        run=_measure_resistance,
        text=_resistance_text,
        mutates=True,
        confirm=_test_level_confirm,
    ),
    ToolSpec(
        name="continuity",
        subsystem=SUBSYSTEM,
        description="Continuity beeper: whether two legs are joined by at most threshold_ohms (default "
        f"{analysis.CONTINUITY_OHMS:g} ohm, a multimeter beeper's threshold), from a resistance test at up to "
        f"{CONTINUITY_VOLTS:g} V. {PLACEMENT}",
        params=(
            A,
            B,
            number(
                "threshold_ohms",
                "At or below this many ohms counts as connected.",
                minimum=0.1,
                maximum=1000.0,
                default=analysis.CONTINUITY_OHMS,
            ),
        ),
        output={
            "a": STRING,
            "b": STRING,
            "connected": BOOLEAN,
            "ohms": OPTIONAL_NUMBER,
            "threshold_ohms": NUMBER,
            "open": BOOLEAN,
            "note": STRING,
            "changes": CHANGES,
        },
        run=_continuity,
        text=_continuity_text,
        mutates=True,
        confirm=_test_level_confirm,
    ),
    ToolSpec(
        name="diode_test",
        subsystem=SUBSYSTEM,
        description="Diode test between two legs: steps the test level both ways (150 mV steps until something "
        "conducts, then 50 mV, up to max_volts) until one way conducts 1 mA; a diode conducts one way only. "
        f"Gives the forward drop at 1 mA and which leg is the anode. {PLACEMENT}",
        params=(
            A,
            B,
            number(
                "max_volts",
                "The highest test level each way (-max_volts must be within the limits too).",
                minimum=0.2,
                maximum=8.0,
                default=DIODE_MAX_VOLTS,
                voltage=True,
            ),
        ),
        output={
            "a": STRING,
            "b": STRING,
            "found": BOOLEAN,
            "anode": OPTIONAL_STRING,
            "cathode": OPTIONAL_STRING,
            "forward_volts": OPTIONAL_NUMBER,
            "forward_amps": OPTIONAL_NUMBER,
            "reverse_amps": OPTIONAL_NUMBER,
            "verdict": STRING,
            "points": {"type": "array", "items": POINT},
            "changes": CHANGES,
        },
        run=_diode_test,
        text=lambda r: f"{r['a']}-{r['b']}: {r['verdict']}",
        mutates=True,
        confirm=_test_level_confirm,
    ),
    ToolSpec(
        name="iv_sweep",
        subsystem=SUBSYSTEM,
        description="I-V curve of a part between two legs, swept from start to stop in `steps` points: the drop "
        "across the part and the current through it at each. Returns the table, a least-squares line (slope in "
        "siemens, ohms = 1/slope, r^2: 1 for a resistor) and the curve as an image. Stops early when the current "
        f"passes max_amps. {PLACEMENT}",
        params=(
            A,
            B,
            number("start", "First level (V).", minimum=-8.0, maximum=8.0, default=-2.0, voltage=True),
            number("stop", "Last level (V).", minimum=-8.0, maximum=8.0, default=2.0, voltage=True),
            integer("steps", f"Points, 2-{MAX_SWEEP_STEPS}.", minimum=2, maximum=MAX_SWEEP_STEPS, default=21),
            number(
                "max_milliamps",
                "Stop when the current passes this many mA.",
                minimum=1.0,
                maximum=MAX_AMPS * 1000,
                default=50.0,
            ),
        ),
        output={
            "a": STRING,
            "b": STRING,
            "points": {"type": "array", "items": POINT},
            "fit": {
                "type": ["object", "null"],
                "properties": {
                    "slope_siemens": NUMBER,
                    "intercept_amps": NUMBER,
                    "ohms": OPTIONAL_NUMBER,
                    "r_squared": NUMBER,
                    "points": INTEGER,
                },
            },
            "note": STRING,
            "changes": CHANGES,
        },
        run=_iv_sweep,
        text=_iv_text,
        mutates=True,
        confirm=_test_level_confirm,
        idempotent=True,
    ),
    ToolSpec(
        name="net_currents",
        subsystem=SUBSYSTEM,
        description="The firmware's background net scan: per net its dominant current (mA, conventional flow "
        "from_node -> to_node) and voltage, and per routed path its signed current (mA, node1 -> node2). "
        f"JumperlOS {SCAN_SINCE} and later; reads only. `scanned` is false while the scan has no data.",
        params=(),
        output={
            "nets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "net": INTEGER,
                        "current_mA": OPTIONAL_NUMBER,
                        "voltage": OPTIONAL_NUMBER,
                        "from_node": OPTIONAL_STRING,
                        "to_node": OPTIONAL_STRING,
                    },
                },
            },
            "paths": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "index": INTEGER,
                        "node1": OPTIONAL_STRING,
                        "node2": OPTIONAL_STRING,
                        "net": {"type": ["integer", "null"]},
                        "current_mA": OPTIONAL_NUMBER,
                    },
                },
            },
            "scanned": BOOLEAN,
        },
        run=_net_currents,
        text=_net_currents_text,
        families=Family.JUMPERLOS,
        since=SCAN_SINCE,
    ),
    ToolSpec(
        name="identify_part",
        subsystem=SUBSYSTEM,
        description="Identify the component between two legs. With part identification in the firmware "
        "(upstream JumperlOS 5.7.11+, rows only, the part alone on its rows) its part_identify; otherwise (or "
        "with use_firmware false, or when it fails) host tests: a diode test, then a resistance test, giving "
        "short / resistor with its value / diode with its direction / open (a capacitor reads open at DC). `how` "
        f"says which was used. {PLACEMENT}",
        params=(
            A,
            B,
            boolean("use_firmware", "Use the firmware's part_identify where it has one.", True),
        ),
        output={
            "a": STRING,
            "b": STRING,
            "kind": STRING,
            "how": STRING,
            "summary": STRING,
            "ohms": OPTIONAL_NUMBER,
            "anode": OPTIONAL_STRING,
            "cathode": OPTIONAL_STRING,
            "forward_volts": OPTIONAL_NUMBER,
            "fields": {"type": "object", "additionalProperties": STRING},
            "notes": {"type": "array", "items": STRING},
            "changes": CHANGES,
        },
        run=_identify_part,
        text=lambda r: f"{r['a']}-{r['b']}: {r['summary']} ({r['how']})",
        mutates=True,
        confirm=_test_level_confirm,
        idempotent=True,
    ),
]
