"""MCP prompts: bench workflows a person starts by name (`/mcp__jumperless__measure_component 11 15`).

Each prompt renders one user message telling the agent which tools to call in which order and what to check.
Tool names go through a namer, so a prompt can only name a tool that exists (an unknown one raises, and the
tests render every prompt), and with several boards each name carries its board's prefix. The prompt list is
the same for every client and every board count (a `board` argument is always there, needed only with several
boards), so it can be cached. Arguments arrive as strings; a bad one is an MCP error naming it, with the
allowed values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mcp import types
from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from firmware_api import nodes
from jumperless_mcp.bench.build_plan import KINDS as BUILD_KINDS
from jumperless_mcp.bench.measure import MAX_AMPS, MAX_SWEEP_STEPS
from jumperless_mcp.tooling import deferred
from jumperless_mcp.tooling.tool_directory import ToolDirectory, wire_name
from jumperless_mcp.tools import ALL_TOOLS

Namer = Callable[[str], str]  # a tool's own name -> how the agent calls it, in backticks
MAX_TEXT = 4000  # characters of free text (a description, a netlist)
VOLTS = (-8.0, 8.0)  # the DACs' and ADCs' range; the tools apply the configured limits
PART_KINDS = ("resistor", "capacitor", "diode", "led", "unknown")
SYMPTOMS = ("led_off", "wrong_voltage", "other")
DISCOVERY_NOTE = (
    "If your tool list shows only {search}, {describe} and {call} (discovery mode), read each tool's parameters "
    "with {describe} and run it through {call} under the same name."
)
DECLINE_NOTE = (
    "Some calls ask the person to confirm first (energising, wiping, test voltages); an error of kind "
    "'declined' means they said no and nothing was sent: stop and ask them, do not work round it."
)


def bad_argument(parameter: str, problem: str, allowed: str) -> MCPError:
    """A prompt argument that is missing or not allowed: an MCP invalid-params error naming it and what is allowed.

    A plain MCPError (no class of our own): it only ever goes to the client, which sees code -32602.
    """
    data = {"parameter": parameter, "allowed": allowed}
    return MCPError(INVALID_PARAMS, f"argument {parameter!r}: {problem}; allowed: {allowed}", data)


# --- argument checks: text in, the value the prompt shows out -----------------------------------------------


def node_arg(name: str, text: str) -> str:
    try:
        nodes.resolve_node(text)
    except ValueError as exc:
        raise bad_argument(name, f"{text!r} is not a node ({exc})", "a row 1-60 or a name: D5, GND") from None
    return text.strip().upper()


def node_list_arg(name: str, text: str) -> str:
    items = [item for item in re.split(r"[\s,;]+", text) if item]
    if not 1 <= len(items) <= 12:
        raise bad_argument(name, f"{len(items)} nodes given", "1-12 rows or node names, comma-separated")
    return ", ".join(node_arg(name, item) for item in items)


@dataclass(frozen=True)
class Choice:
    """A choice argument's check; its options are also what completion offers (serving/completions.py)."""

    options: tuple[str, ...]

    def __call__(self, name: str, text: str) -> str:
        value = text.strip().lower()
        if value not in self.options:
            raise bad_argument(name, f"{text!r} is not one of them", ", ".join(self.options))
        return value


def choice_arg(options: tuple[str, ...]) -> Choice:
    return Choice(options)


def number_arg(low: float, high: float, unit: str, integer: bool = False) -> Callable[[str, str], str]:
    def check(name: str, text: str) -> str:
        allowed = f"{'a whole number' if integer else 'a number'} {low:g} to {high:g} {unit}".rstrip()
        try:
            number = text.strip()
            if unit and number.lower().endswith(unit.lower()):
                number = number[: -len(unit)]
            value = float(number)
        except ValueError:
            raise bad_argument(name, f"{text!r} is not a number", allowed) from None
        if not low <= value <= high or (integer and value != int(value)):
            raise bad_argument(name, f"{text!r} is out of range", allowed)
        return str(int(value)) if integer else f"{value:g}"

    return check


def text_arg(name: str, text: str) -> str:
    value = text.strip()
    if not value or len(value) > MAX_TEXT:
        raise bad_argument(name, f"{len(value)} characters", f"1-{MAX_TEXT} characters of text")
    return value


def netlist_arg(name: str, text: str) -> str:
    """A build_circuit netlist as JSON: net name -> member pins; shown back normalised."""
    allowed = 'JSON: {"net name": ["R1.1", "LED1.anode", "TOP_RAIL"], ...}'
    try:
        value = json.loads(text_arg(name, text))
    except json.JSONDecodeError as exc:
        raise bad_argument(name, f"not JSON ({exc.msg} at character {exc.pos})", allowed) from None
    good = (
        isinstance(value, dict)
        and value
        and all(
            isinstance(members, list) and members and all(isinstance(m, str) for m in members)
            for members in value.values()
        )
    )
    if not good:
        raise bad_argument(name, "not an object of net name -> list of pin names", allowed)
    return json.dumps(value)


def supplies_arg(name: str, text: str) -> str:
    """`TOP_RAIL=5, DAC0=3.3` -> the same, checked."""
    allowed = "e.g. TOP_RAIL=5, DAC0=3.3 (TOP_RAIL, BOTTOM_RAIL, DAC0, DAC1; -8 to 8 V)"
    parts = []
    for item in (item for item in re.split(r"[\s,;]+", re.sub(r"\s*=\s*", "=", text)) if item):
        channel, _, volts = item.partition("=")
        channel = channel.upper()
        if channel not in ("TOP_RAIL", "BOTTOM_RAIL", "DAC0", "DAC1") or not volts:
            raise bad_argument(name, f"cannot read {item!r}", allowed)
        parts.append(f"{channel}={number_arg(*VOLTS, 'V')(name, volts)}")
    if not parts:
        raise bad_argument(name, "empty", allowed)
    return ", ".join(parts)


# --- the declarations -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    name: str
    description: str
    check: Callable[[str, str], str]
    required: bool = False
    default: str | None = None

    def mcp(self) -> types.PromptArgument:
        return types.PromptArgument(name=self.name, description=self.description, required=self.required)


@dataclass(frozen=True)
class PromptSpec:
    name: str
    title: str
    description: str
    arguments: tuple[Arg, ...]
    body: Callable[[Mapping[str, str], Namer], list[str]]  # the checked arguments -> the steps, as lines

    def mcp(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[arg.mcp() for arg in self.arguments],
        )

    def checked(self, arguments: Mapping[str, str] | None) -> dict[str, str]:
        """The arguments checked and with defaults; an MCPError naming a missing, unknown or bad one."""
        given = dict(arguments or {})
        known = {arg.name: arg for arg in self.arguments}
        for name in given:
            if name not in known:
                raise bad_argument(name, f"prompt {self.name} has no such argument", ", ".join(known))
        values: dict[str, str] = {}
        for arg in self.arguments:
            text = given.get(arg.name)
            if text is None or not text.strip():
                if arg.required:
                    raise bad_argument(arg.name, "missing (required)", arg.description)
                if arg.default is not None:
                    values[arg.name] = arg.default
                continue
            values[arg.name] = arg.check(arg.name, text)
        return values

    def render(self, arguments: Mapping[str, str], namer: Namer, board: str | None) -> str:
        """The message text: the steps for these (checked) arguments, tools named through `namer`."""
        lines = [f"Use board {board}: the tool names below are its own."] if board else []
        lines += [*self.body(arguments, namer), ""]
        lines.append(DECLINE_NOTE)
        lines.append(
            DISCOVERY_NOTE.format(
                search=namer("tools_search"), describe=namer("tools_describe_many"), call=namer("tools_call")
            )
        )
        return "\n".join(lines)


BOARD = Arg("board", "Which board (its name from the boards tool); needed only when the server has several.", text_arg)
A = Arg("a", "One leg of the part: a row 1-60 or a node name such as D5.", node_arg, required=True)
B = Arg("b", "The other leg: a row, a node name, or GND.", node_arg, required=True)
KIND = Arg(
    "kind", "What the part is, if known: " + ", ".join(PART_KINDS) + ".", choice_arg(PART_KINDS), default="unknown"
)


def _isolate(v: Mapping[str, str], t: Namer, label: str) -> list[str]:
    return [
        f"1. {t('board_info')}: note the firmware family; then {t('get_netlist')}: rows {v['a']} and {v['b']} "
        "should be on no net with anything else (a bridged row, a rail or an instrument on them falsifies the "
        f"reading). If they are, {t('snapshot_save')} with name {label!r}, then {t('disconnect')} those bridges "
        "(say which ones to the person first).",
        "2. The part must be unpowered: no rail, DAC or GPIO drives its rows (check the nets' voltages in the "
        f"netlist and {t('get_power')}).",
    ]


def _measure_body(v: Mapping[str, str], t: Namer) -> list[str]:
    a, b, kind = v["a"], v["b"], v["kind"]
    what = "an unknown part" if kind == "unknown" else f"a {kind}"
    lines = [f"Measure the component between {a} and {b} ({what}).", *_isolate(v, t, "before-measure")]
    if kind == "resistor":
        step = (
            f"3. {t('measure_resistance')} a={a} b={b}: report ohms; compare with the colour code or the value "
            "the person expects (5 % tolerance is normal); 'open' true means nothing conducts."
        )
    elif kind == "diode":
        step = (
            f"3. {t('diode_test')} a={a} b={b}: report the forward drop at 1 mA (silicon about 0.6-0.7 V, "
            "Schottky 0.2-0.4 V) and which leg is the anode; found false means open or shorted (then "
            f"{t('continuity')})."
        )
    elif kind == "led":
        step = (
            f"3. {t('diode_test')} a={a} b={b}: report the forward drop (red about 1.8 V, green/blue/white "
            "2.5-3.3 V) and which leg is the anode; the LED may glow briefly."
        )
    elif kind == "capacitor":
        step = (
            f"3. {t('continuity')} a={a} b={b} must say not connected (a connected capacitor is shorted); then "
            f"{t('identify_part')} a={a} b={b} for what the board can tell about it."
        )
    else:
        step = (
            f"3. {t('identify_part')} a={a} b={b}; then the matching test: {t('measure_resistance')} for a "
            f"resistor, {t('diode_test')} for a diode or LED, {t('continuity')} for a wire or switch."
        )
    return [
        *lines,
        step,
        f"4. If a result looks odd (noisy, r^2 well below 1), {t('iv_sweep')} a={a} b={b} with a small range "
        "shows the whole curve as an image.",
        f"5. Put the board back: {t('snapshot_restore')} with the same name if you saved one, and check that it "
        "matches. Report the value with its unit and what the check says about the part.",
    ]


def _debug_body(v: Mapping[str, str], t: Namer) -> list[str]:
    rows, symptom = v["rows"], v["symptom"]
    lines = [f"Debug a circuit that does not work. Symptom: {symptom}. Rows involved: {rows}."]
    if "description" in v:
        lines.append(f"The person says: {v['description']}")
    lines += [
        f"1. {t('board_info')}, then {t('board_picture')} to see the wiring as the person sees it, and "
        f"{t('get_netlist')}: for each row in {rows}, which net it is on and what else is on that net. A row on "
        "no net, or two nets that should be one, is the usual fault: check suspicious pairs with "
        f"{t('is_connected')} (and {t('get_path_between')} on JumperlOS).",
        f"2. {t('get_power')}: are the rails and DACs the circuit uses set, and to what? A rail at 0 V powers "
        f"nothing. {t('board_messages')} shows errors the board printed on its own.",
        f"3. Measure what is there now, powered: {t('measure')} on each row in {rows} (a few samples; it "
        f"borrows a free ADC and removes its bridge again); {t('net_currents')} on JumperlOS 5.7 for the current "
        "in each net.",
    ]
    if symptom == "led_off":
        lines += [
            "4. For the LED: the anode row should sit about 1.8-3.3 V above the cathode row when it is lit. Both "
            "rows equal to the supply: the cathode side is open; both near 0 V: the supply side is open or the "
            "series resistor is far too large; anode minus cathode well below 1.5 V: a short or a reversed LED.",
            f"5. {t('snapshot_save')} (name 'debug'), set the supplies to 0 V with {t('dac_set')}, then test the "
            f"parts unpowered: {t('diode_test')} across the LED (orientation: the anode must face the supply), "
            f"{t('measure_resistance')} across the series resistor (hundreds of ohms, not kilo-ohms or open).",
        ]
    elif symptom == "wrong_voltage":
        expected = v.get("expected_volts")
        target = f"the expected {expected} V" if expected else "what the person expects (ask them)"
        lines += [
            f"4. Compare each reading with {target}: follow the net from the supply towards the wrong row and "
            "find the first row where the voltage departs from it. A divider reads wrong when a resistor has "
            "the wrong value or a load pulls on it.",
            f"5. {t('snapshot_save')} (name 'debug'), set the supplies to 0 V with {t('dac_set')}, and check "
            f"the suspect parts unpowered with {t('measure_resistance')} (disconnect a part's other bridges "
            "first: parts in parallel change the reading).",
        ]
    else:
        lines += [
            "4. Compare each reading with what the circuit should do (ask the person), and find the first row "
            "where they differ.",
            f"5. {t('snapshot_save')} (name 'debug'), set the supplies to 0 V with {t('dac_set')}, and check the "
            f"suspect parts unpowered ({t('measure_resistance')}, {t('diode_test')}, {t('continuity')}).",
        ]
    lines.append(
        f"6. Tell the person the fault you found and the fix. After the fix, power up again ({t('snapshot_restore')} "
        f"'debug' puts back the bridges and setpoints from before; if the fix changed bridges, use {t('dac_set')} "
        "per supply instead) and measure once more to show it works."
    )
    return lines


def _build_body(v: Mapping[str, str], t: Namer) -> list[str]:
    power = v["power"] == "yes"
    lines = ["Build a circuit on the breadboard with the person placing the parts."]
    if "netlist" in v:
        lines.append(f"Netlist (net name -> pins): {v['netlist']}")
    if "description" in v:
        lines.append(f"The circuit, as the person describes it: {v['description']}")
    supplies = v.get("supplies", "the voltages the circuit needs (ask the person if unsure)")
    lines += [
        f"Supplies: {supplies}.",
        f"1. {t('board_info')} and {t('get_netlist')}: if the board holds other bridges, {t('snapshot_save')} "
        "(name 'before-build') so the person can go back.",
        "2. Write the netlist (net name -> 'PART.PIN' members and board nodes such as TOP_RAIL, GND, ADC0; no "
        "rows) and the parts list (name, kind, value; kinds: "
        + ", ".join(BUILD_KINDS)
        + "). Put an ADC on every net whose voltage matters. Check each LED has a series resistor and every "
        "supply is within the parts' ratings; show the plan to the person before starting.",
        f"3. {t('build_circuit')} with netlist, parts, supplies and power={'true' if power else 'false'}. It "
        "zeroes the supplies, guides each part (the board lights its rows; the person taps a row or presses "
        "CONNECT), checks each part, makes the bridges and runs a safe-check before any power-up. A "
        f"'timeout' or 'stopped' status is normal: say why and call again; for a single part use {t('guide_place')}.",
        "4. Status 'refused' means the safe-check found a near-short: report which nets, nothing was powered; "
        "fix the wiring before trying again, never lower min_ohms to get past it.",
    ]
    if power:
        lines.append(
            "5. Status 'powered': compare each reading with what the circuit should give; then "
            f"{t('board_picture')} to show the result and {t('measure')} any node you want to confirm."
        )
    else:
        lines.append(
            f"5. Status 'ready': bridged, safe-checked, not powered. Show {t('board_picture')}; power up only "
            f"when the person asks, with {t('dac_set')} per supply, then {t('measure')} the nets that matter."
        )
    return lines


def _characterise_body(v: Mapping[str, str], t: Namer) -> list[str]:
    a, b, kind = v["a"], v["b"], v["kind"]
    start, stop, steps, ma = v["start"], v["stop"], v["steps"], v["max_milliamps"]
    what = "an unknown part" if kind == "unknown" else f"a {kind}"
    lines = [f"Characterise the part between {a} and {b} ({what}) with an I-V sweep.", *_isolate(v, t, "before-iv")]
    if kind in ("diode", "led", "unknown"):
        lines.append(
            f"3. {t('diode_test')} a={a} b={b} first: if it conducts one way only, note the anode; sweep with "
            "a on the anode so positive levels are forward."
        )
    else:
        lines.append(f"3. {t('identify_part')} a={a} b={b} to confirm what it is.")
    lines += [
        f"4. {t('iv_sweep')} a={a} b={b} start={start} stop={stop} steps={steps} max_milliamps={ma}; keep "
        "max_milliamps within the part's rating (an LED: 20 mA or less).",
        "5. Read the fit: a resistor gives r^2 near 1 and ohms = 1/slope; a diode gives no current until its "
        "knee, report the voltage where it passes 1 mA and 10 mA and the reverse leakage; a capacitor "
        "gives no steady current. Describe the curve the image shows.",
        f"6. {t('snapshot_restore')} with the same name if you saved one. Report the table's key points, the "
        "fit and what they mean for the part.",
    ]
    return lines


def _health_body(v: Mapping[str, str], t: Namer) -> list[str]:
    lines = [
        "Check that the board is healthy and say plainly what is wrong, if anything.",
        f"1. {t('board_info')}: connected, health (healthy / degraded / down), firmware and family, channel "
        "(raw-repl is the full one), last_latency_ms (over ~100 ms is slow), reconnects and last_error; "
        "core2_paused true stops the LEDs and the waveform generator.",
        f"2. {t('board_messages')}: errors or resets the board printed on its own.",
        f"3. {t('get_power')} and {t('get_netlist')}: rails and DACs at expected setpoints; unexpected "
        f"bridges left from earlier work (say so; clear nothing without asking). {t('slot_list')}: unsaved changes.",
        f"4. {t('oled_read')} (the display answers) and {t('probe_switch_position')} (the probe answers).",
    ]
    if v["depth"] == "full":
        lines += [
            f"5. Measurements (no part needed): {t('measure_node')} on TOP_RAIL and BOTTOM_RAIL; each should read "
            "its setpoint within about 0.1 V. If a DAC is free (nothing on its net), set it to 1 V with "
            f"{t('dac_set')}, {t('measure_node')} DAC0, and set it back to its earlier setpoint.",
            f"6. {t('snapshot_save')} first and {t('snapshot_restore')} at the end if you changed anything.",
        ]
    lines.append("Report each check as ok / warning / problem with the evidence, then one line overall.")
    return lines


PROMPTS: tuple[PromptSpec, ...] = (
    PromptSpec(
        "measure_component",
        "Measure a component",
        "Measure the part between two rows: resistance, diode drop or what it is.",
        (A, B, KIND, BOARD),
        _measure_body,
    ),
    PromptSpec(
        "debug_circuit",
        "Debug a circuit that does not work",
        "Find why a circuit misbehaves (an LED does not light, a wrong voltage) from the rows involved.",
        (
            Arg("symptom", "What is wrong: " + ", ".join(SYMPTOMS) + ".", choice_arg(SYMPTOMS), required=True),
            Arg("rows", "The rows or nodes involved, comma-separated (e.g. '10, 14, TOP_RAIL').", node_list_arg, True),
            Arg("expected_volts", "For wrong_voltage: the voltage you expect (V).", number_arg(*VOLTS, "V")),
            Arg("description", "Anything else about the circuit, in your words.", text_arg),
            BOARD,
        ),
        _debug_body,
    ),
    PromptSpec(
        "build_from_description",
        "Build a circuit",
        "Build a circuit from a description or a netlist: guided placement, a safe-check, then power-up.",
        (
            Arg("description", "The circuit in words (description or netlist is needed).", text_arg),
            Arg(
                "netlist",
                'A netlist as JSON: {"net": ["R1.1", "GND"], ...} (description or netlist is needed).',
                netlist_arg,
            ),
            Arg("supplies", "Supply voltages, e.g. 'TOP_RAIL=5, DAC0=3.3'.", supplies_arg),
            Arg("power", "Power up after the safe-check: yes or no.", choice_arg(("yes", "no")), default="yes"),
            BOARD,
        ),
        _build_body,
    ),
    PromptSpec(
        "characterise_part",
        "Characterise a part",
        "Sweep a part's I-V curve between two rows and explain it.",
        (
            A,
            B,
            KIND,
            Arg("start", "First sweep level, V (default -2).", number_arg(*VOLTS, "V"), default="-2"),
            Arg("stop", "Last sweep level, V (default 2).", number_arg(*VOLTS, "V"), default="2"),
            Arg(
                "steps",
                f"Points, 2-{MAX_SWEEP_STEPS} (default 21).",
                number_arg(2, MAX_SWEEP_STEPS, "", integer=True),
                default="21",
            ),
            Arg(
                "max_milliamps",
                f"Stop the sweep above this current, 1-{MAX_AMPS * 1000:g} mA (default 20).",
                number_arg(1, MAX_AMPS * 1000, "mA"),
                default="20",
            ),
            BOARD,
        ),
        _characterise_body,
    ),
    PromptSpec(
        "check_board",
        "Check the board is healthy",
        "Check firmware, link, power, connections, display and probe; 'full' also measures the rails.",
        (
            Arg("depth", "quick (reads only) or full (also measures).", choice_arg(("quick", "full")), default="quick"),
            BOARD,
        ),
        _health_body,
    ),
)
BY_NAME = {prompt.name: prompt for prompt in PROMPTS}


def _check_build(values: dict[str, str]) -> None:
    if "description" not in values and "netlist" not in values:
        raise bad_argument("description", "give a description or a netlist", "either or both")


CROSS_CHECKS: dict[str, Callable[[dict[str, str]], None]] = {"build_from_description": _check_build}


# --- naming tools and boards ------------------------------------------------------------------------------------


class Catalog(Protocol):
    directory: ToolDirectory


def boards_of(catalog: Catalog) -> dict[str, str]:
    """Board name -> its key in wire names ("" for the only board), for the boards offering tools now."""
    members = getattr(catalog, "members", None)
    prefix_of = getattr(catalog, "prefix_of", None)
    if members is not None and prefix_of is not None:
        return {member.name: prefix_of(member) for member in members}
    names = {listing.board for listing in catalog.directory.listings()}
    return {name: name for name in names if name}


def pick_board(boards: Mapping[str, str], given: str | None) -> tuple[str | None, str]:
    """(the board shown, its wire-name key) for the `board` argument."""
    if given is None:
        if len(boards) > 1:
            raise bad_argument("board", "missing: this server has several boards", ", ".join(boards))
        if boards:
            name, key = next(iter(boards.items()))
            return (name if key else None), key
        return None, ""
    if given in boards:
        return given, boards[given]
    allowed = ", ".join(boards) if boards else "leave it out (one board)"
    raise bad_argument("board", f"no board named {given!r}", allowed)


def namer_for(directory: ToolDirectory, key: str, unavailable: list[str]) -> Namer:
    """Name tools as the agent calls them; a tool not declared raises NameError, one not offered now is noted."""
    known = {spec.name for spec in ALL_TOOLS}

    def name(tool: str) -> str:
        if tool in deferred.META_TOOLS:
            return f"`{tool}`"
        if tool not in known:
            raise NameError(f"prompt names tool {tool!r}, which does not exist")
        wire = wire_name(key, tool)
        listing = directory.find(wire)
        reason = "not on this server" if listing is None else listing.unavailable_reason()
        if reason is not None and wire not in unavailable:
            unavailable.append(f"{wire} ({reason})")
        return f"`{wire}`"

    return name


def get_prompt(catalog: Catalog, name: str, arguments: Mapping[str, str] | None) -> types.GetPromptResult:
    """Render one prompt; an MCPError (invalid params) for an unknown name or a bad argument, naming it."""
    spec = BY_NAME.get(name)
    if spec is None:
        allowed = ", ".join(BY_NAME)
        data = {"parameter": "name", "allowed": list(BY_NAME)}
        raise MCPError(INVALID_PARAMS, f"unknown prompt {name!r}; allowed: {allowed}", data)
    try:
        values = spec.checked(arguments)
        CROSS_CHECKS.get(name, lambda _: None)(values)
        board, key = pick_board(boards_of(catalog), values.get("board"))
    except MCPError as exc:
        raise MCPError(exc.code, f"prompt {name}: {exc.message}", {"prompt": name, **exc.data}) from None
    unavailable: list[str] = []
    text = spec.render(values, namer_for(catalog.directory, key, unavailable), board)
    if unavailable:
        text += "\nNot offered now (skip those steps or say why): " + "; ".join(unavailable) + "."
    message = types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))
    return types.GetPromptResult(description=spec.description, messages=[message])


def handlers(catalog: Catalog) -> dict[str, Any]:
    """`on_list_prompts` and `on_get_prompt` for the low-level Server."""

    async def on_list_prompts(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[spec.mcp() for spec in PROMPTS])  # ttlMs: the server-wide hint

    async def on_get_prompt(
        ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        return get_prompt(catalog, params.name, params.arguments)

    return {"on_list_prompts": on_list_prompts, "on_get_prompt": on_get_prompt}
