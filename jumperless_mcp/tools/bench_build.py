"""Guided placement and building a circuit: the person places the parts, the board checks, powers up last."""

from __future__ import annotations

from typing import Any

from jumperless_mcp.bench.build import DEFAULT_MIN_OHMS, BuildResult, SafeCheck
from jumperless_mcp.bench.build_plan import KINDS, NAME, Placement
from jumperless_mcp.bench.guide import MAX_TIMEOUT, MIN_TIMEOUT, GuideResult
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_spec import BOOLEAN, NUMBER, STRING, Param, ToolSpec, boolean, choice, number

SUBSYSTEM = "build"
FIXED_WORDS = {"5V": 5.0, "SUPPLY_5V": 5.0, "8V_P": 8.0, "SUPPLY_8V_P": 8.0, "8V_N": -8.0, "SUPPLY_8V_N": -8.0}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
STRINGS = {"type": "array", "items": STRING}
ROWS = {"type": "object", "additionalProperties": {"type": "integer"}}
VERIFICATION = {
    "type": ["object", "null"],
    "properties": {"status": STRING, "detail": STRING, "ohms": NULLABLE_NUMBER, "forward_volts": NULLABLE_NUMBER},
    "required": ["status", "detail", "ohms", "forward_volts"],
}
GUIDED = {
    "part": STRING,
    "kind": STRING,
    "value": STRING,
    "rows": ROWS,
    "status": STRING,
    "confirmed_by": NULLABLE_STRING,
    "waited_s": NUMBER,
    "lit": BOOLEAN,
    "cleared": BOOLEAN,
    "verification": VERIFICATION,
    "registered": {"type": ["boolean", "null"]},
    "notes": STRINGS,
}
KIND_WORDS = (
    "resistor, capacitor (pins 1, 2), diode, led (pins anode, cathode): two rows in pin order; dip8, dip14, "
    "dip16: pin 1's row (1-30), the other pins follow down that side and back up across the centre channel"
)
WAIT_WORDS = (
    "The board lights the part's row strips (an overlay, JumperlOS; 5.3.x has none) and shows the instruction "
    "on the OLED; the person confirms by tapping one of the part's rows with the probe or pressing CONNECT "
    "(REMOVE cancels). A progress notification comes every second while waiting. Overlay and OLED text are "
    "cleared afterwards in every case."
)


def _name_param(description: str) -> Param:
    schema = {"type": "string", "pattern": NAME.pattern, "description": description}
    return Param("name", schema, False, "1-15 characters: a letter, then letters, digits or _")


def _rows_param() -> Param:
    schema = {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 60},
        "minItems": 1,
        "maxItems": 2,
        "description": "Breadboard rows: " + KIND_WORDS + ".",
    }
    return Param("rows", schema, True, "one or two rows 1-60")


def _placement(placement: Placement) -> dict[str, Any]:
    part = placement.part
    return {"part": part.name, "kind": part.kind.name, "value": part.value, "rows": dict(placement.rows)}


def guided_json(result: GuideResult) -> dict[str, Any]:
    check = result.verification
    return _placement(result.placement) | {
        "status": result.status,
        "confirmed_by": result.confirmed_by,
        "waited_s": result.waited,
        "lit": result.lit,
        "cleared": result.cleared,
        "verification": None
        if check is None
        else {"status": check.status, "detail": check.detail, "ohms": check.ohms, "forward_volts": check.forward_volts},
        "registered": result.registered,
        "notes": list(result.notes),
    }


async def _guide_place(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    result = await ctx.board.guide_place(
        args["kind"],
        args["rows"],
        name=args.get("name"),
        value=args.get("value"),
        timeout=args["timeout"],
        verify=args["verify"],
    )
    return guided_json(result)


def _guide_text(r: dict[str, Any]) -> str:
    where = ", ".join(f"{pin} row {row}" for pin, row in r["rows"].items())
    line = f"{r['part']} ({r['kind']}) at {where}: {r['status']}"
    if r["confirmed_by"]:
        line += f" by {r['confirmed_by']}"
    if r["status"] == "timeout":
        line += f" after {r['waited_s']:g} s (overlay and OLED cleared: call again to keep waiting)"
    if r["verification"]:
        line += f"; check {r['verification']['status']}: {r['verification']['detail']}"
    return "\n".join([line, *r["notes"]])


def _check_json(check: SafeCheck) -> dict[str, Any]:
    return {
        "nets": [check.net_a, check.net_b],
        "rows": list(check.rows),
        "ohms": check.ohms,
        "open": check.open,
        "passed": check.passed,
        "detail": check.detail,
    }


def build_json(result: BuildResult) -> dict[str, Any]:
    plan = result.plan
    return {
        "status": result.status,
        "reason": result.reason,
        "plan": [_placement(p) for p in plan.placements],
        "net_rows": {net: rows for net, rows in plan.net_rows.items()},
        "guided": [guided_json(g) for g in result.guided],
        "bridged": [list(pair) for pair in result.bridged],
        "checks": [_check_json(c) for c in result.checks],
        "zeroed": list(result.zeroed),
        "powered": dict(result.powered),
        "readings": dict(result.readings),
        "notes": list(result.notes),
    }


async def _build_circuit(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    supplies = args.get("supplies") or {}
    for name, volts in supplies.items():
        if isinstance(volts, (int, float)) and not ctx.config.min_voltage <= volts <= ctx.config.max_voltage:
            raise ArgumentError(
                "supplies",
                f"{name}: {volts:g} V is outside the configured limits",
                f"{ctx.config.min_voltage:g} to {ctx.config.max_voltage:g} V",
            )
    result = await ctx.board.build_circuit(
        args["netlist"],
        args["parts"],
        supplies=supplies,
        min_ohms=args["min_ohms"],
        part_timeout=args["part_timeout"],
        power=args["power"],
        verify=args["verify"],
    )
    return build_json(result)


async def _build_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """Energising at the end: supplies beyond confirm_above_volts (or a fixed 5 V / 8 V the netlist bridges) ask
    the person before the build starts; power=false never energises, so it never asks."""
    if not args["power"]:
        return None
    volts = {name: float(v) for name, v in (args.get("supplies") or {}).items() if isinstance(v, (int, float))}
    members = {str(m).upper() for ms in args["netlist"].values() if isinstance(ms, list) for m in ms}
    volts |= {name: v for name, v in FIXED_WORDS.items() if name in members}
    risky = [f"{name} to {v:g} V" for name, v in volts.items() if confirm.beyond_volts(v, ctx)]
    if not risky:
        return None
    return f"build the circuit with a person placing the parts, then (after the safe-check) set {', '.join(risky)}"


def _build_text(r: dict[str, Any]) -> str:
    lines = [f"build: {r['status']}" + (f" ({r['reason']})" if r["reason"] else "")]
    lines += [_guide_text(g).splitlines()[0] for g in r["guided"]]
    if r["bridged"]:
        lines.append("bridged: " + ", ".join(f"{a}-{b}" for a, b in r["bridged"]))
    lines += [f"safe-check {'ok' if c['passed'] else 'FAILED'}: {c['detail']}" for c in r["checks"]]
    if r["powered"]:
        lines.append("powered: " + ", ".join(f"{k} {v:g} V" for k, v in r["powered"].items()))
    if r["readings"]:
        lines.append("reads: " + ", ".join(f"{k} {v:.4g} V" for k, v in r["readings"].items()))
    return "\n".join(lines + r["notes"])


NETLIST = Param(
    "netlist",
    {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "description": 'Net name -> its members: part pins as "PART.PIN" ("R1.1", "LED1.anode", "U1.8") and '
        'board nodes ("TOP_RAIL", "GND", "DAC0", "ADC0", "D13"); no rows (the plan chooses them).',
    },
    True,
    'an object: net name -> ["R1.1", "GND", ...]',
)
PARTS = Param(
    "parts",
    {
        "type": "array",
        "minItems": 1,
        "maxItems": 24,
        "items": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "pattern": NAME.pattern},
                "kind": {"type": "string", "enum": list(KINDS)},
                "value": {"type": "string", "maxLength": 15},
            },
            "required": ["name", "kind"],
            "additionalProperties": False,
        },
        "description": "The parts in the order to place them: name, kind, value (a resistor's ohms: '10k').",
    },
    True,
    "a list of {name, kind, value}",
)
SUPPLIES = Param(
    "supplies",
    {
        "type": "object",
        "properties": {k: {"type": "number"} for k in ("TOP_RAIL", "BOTTOM_RAIL", "DAC0", "DAC1")},
        "additionalProperties": False,
        "description": "Volts for each rail or DAC the netlist uses (every one it uses needs one), set at power-up.",
    },
    False,
    "an object: TOP_RAIL / BOTTOM_RAIL / DAC0 / DAC1 -> volts",
)
CHECK = {
    "type": "object",
    "properties": {
        "nets": STRINGS,
        "rows": {"type": "array", "items": {"type": "integer"}},
        "ohms": NULLABLE_NUMBER,
        "open": BOOLEAN,
        "passed": BOOLEAN,
        "detail": STRING,
    },
}

TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="guide_place",
        subsystem=SUBSYSTEM,
        description="Guide a person to place one part on the breadboard and check it. " + WAIT_WORDS + " Then "
        "what can be measured is: a resistor's value (within 5 %), a diode's or LED's orientation (conducts one "
        "way only); a capacitor or IC is reported not_verified. status is confirmed, cancelled or timeout (a "
        "timeout is a normal result: call again to keep waiting). On firmware with a parts table (5.7.11+) the "
        "confirmed part is registered with place_part (no bridges made): registered says so.",
        params=(
            choice("kind", list(KINDS), "The part: " + KIND_WORDS + "."),
            _rows_param(),
            _name_param("The part's name as the board shows it (default R1, C1, D1, LED1 or U1)."),
            Param(
                "value",
                {"type": "string", "maxLength": 15, "description": "Its value: ohms for a resistor ('10k')."},
                False,
                "up to 15 characters",
            ),
            number(
                "timeout",
                f"Seconds to wait for the person ({MIN_TIMEOUT:g}-{MAX_TIMEOUT:g}).",
                minimum=MIN_TIMEOUT,
                maximum=MAX_TIMEOUT,
                default=60.0,
            ),
            boolean("verify", "Measure the part after it is confirmed.", True),
        ),
        output=GUIDED,
        run=_guide_place,
        text=_guide_text,
        mutates=True,
        idempotent=False,
        blocking=True,
    ),
    ToolSpec(
        name="build_circuit",
        subsystem=SUBSYSTEM,
        description="Build a circuit from a netlist and a parts list, with a person placing the parts. The plan "
        "is deterministic (one row per net, DIPs across the centre channel). Steps: the rails/DACs the "
        "netlist uses go to 0 V; each part is guided (see guide_place) and checked against what should read "
        "there, a part not confirmed or wrong stops the build (status stopped); the wiring bridges are made in "
        "one batch; the safe-check measures every driven net against ground and the other driven nets with a "
        "small current-limited test voltage through the INA and refuses to power up (status refused, nothing "
        "energised) below min_ohms; the rail/DAC/GND bridges follow in one batch; and LAST, only with "
        "power=true, the supplies are set (fixed 3V3/5V bridged) and every net with an ADC is read back "
        "(status powered; with power=false status ready). " + WAIT_WORDS,
        params=(
            NETLIST,
            PARTS,
            SUPPLIES,
            number(
                "min_ohms",
                "Safe-check limit: refuse to power a driven net reading below this.",
                minimum=0.001,
                maximum=1e6,
                default=DEFAULT_MIN_OHMS,
            ),
            number(
                "part_timeout",
                f"Seconds to wait for each part ({MIN_TIMEOUT:g}-{MAX_TIMEOUT:g}).",
                minimum=MIN_TIMEOUT,
                maximum=MAX_TIMEOUT,
                default=120.0,
            ),
            boolean("power", "Power up at the end (after the safe-check passes).", True),
            boolean("verify", "Check each part after it is placed (a wrong one stops the build).", True),
        ),
        output={
            "status": STRING,
            "reason": STRING,
            "plan": {"type": "array", "items": {"type": "object"}},
            "net_rows": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
            "guided": {"type": "array", "items": {"type": "object", "properties": GUIDED}},
            "bridged": {"type": "array", "items": STRINGS},
            "checks": {"type": "array", "items": CHECK},
            "zeroed": STRINGS,
            "powered": {"type": "object", "additionalProperties": NUMBER},
            "readings": {"type": "object", "additionalProperties": NUMBER},
            "notes": STRINGS,
        },
        run=_build_circuit,
        text=_build_text,
        confirm=_build_confirm,
        mutates=True,
        idempotent=False,
        blocking=True,
    ),
]
