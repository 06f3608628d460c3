"""One declaration per MCP tool: its inputs, what it calls, the shape of its result, its hints and its caveats.

A `ToolSpec` is everything the server needs to list a tool (schema, annotations, description), check a
call (the input schema, then the firmware's own rules in `Board`), run it and render the result. The
tool modules in `jumperless_mcp.tools` are lists of these declarations and nothing else per tool.

`firmware_tool()` declares the common case in one line: a tool that is one catalog function, whose
parameters, checks and reply parsing all come from `firmware_api.catalog`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from firmware_api import calls, nodes
from firmware_api.catalog import REQUIRED, Arg, ArgKind, Function, by_name
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.tooling.values import to_json

if TYPE_CHECKING:
    from jumperless_mcp.tooling.confirm import Rule
    from jumperless_mcp.tooling.tool_context import ToolContext


@dataclass(frozen=True)
class Pictured:
    """A tool's structured result with PNG pictures to show beside its text (MCP image content blocks).

    The pictures are not part of the structured result (its schema describes the numbers), so a client that
    only reads structured content still gets everything but the images."""

    result: dict[str, Any]
    pngs: tuple[bytes, ...]


Runner = Callable[["ToolContext", dict[str, Any]], Awaitable["dict[str, Any] | Pictured"]]
TOOL_NAME = re.compile(r"^[a-z0-9_]{1,64}$")
OMIT = object()  # an optional parameter with no default: left out of the call when not given
NODE_EXAMPLES = 'a row 1-60, a node id, or a name: 12, "D13", "A0", "TOP_RAIL", "GND", "DAC0", "ADC1", "GPIO_1"'


@dataclass(frozen=True)
class Param:
    """One input: its JSON schema, whether it is required, and the allowed values in words for errors."""

    name: str
    schema: dict[str, Any]
    required: bool = True
    allowed: str = ""
    voltage: bool = False  # bounded by the configured voltage limits
    validate: Callable[[Any], object] | None = None  # raises ValueError for a value the schema cannot rule out

    def schema_with(self, min_volts: float, max_volts: float) -> dict[str, Any]:
        if not self.voltage:
            return self.schema
        schema = dict(self.schema)
        schema["minimum"] = max(schema.get("minimum", min_volts), min_volts)
        schema["maximum"] = min(schema.get("maximum", max_volts), max_volts)
        return schema


@dataclass(frozen=True)
class ToolSpec:
    name: str
    subsystem: str
    description: str
    params: tuple[Param, ...]
    output: Mapping[str, Any]  # JSON schema properties of the structured result (all required)
    run: Runner
    text: Callable[[dict[str, Any]], str] | None = None  # short rendering; JSON when None
    mutates: bool = False
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False  # reaches past the board (an attached Arduino)
    families: Family = Family.BOTH  # firmware that can serve it
    blocking: bool = False  # waits on a person: progress notifications while waiting
    gate: str | None = None  # "python": only when running arbitrary Python is enabled
    optional_output: tuple[str, ...] = ()  # output keys that may be absent
    since: FirmwareVersion | None = None  # first firmware version that can serve it (catalog Function.since)
    until: FirmwareVersion | None = None  # first firmware version that no longer can (catalog Function.until)
    # the action in words when a call needs a person's yes first (energises, wipes, runs code); tooling/confirm.py
    confirm: Rule | None = None
    title: str = ""  # what GUI clients show; "" for tooling/tool_meta.py's (its table, else from the name)
    search_hint: str = ""  # a few words for Claude Code's tool search; "" for tool_meta.py's (name and subsystem)

    def __post_init__(self) -> None:
        if not TOOL_NAME.match(self.name):
            raise ValueError(f"tool name {self.name!r} must match {TOOL_NAME.pattern}")
        if self.destructive and not self.mutates:
            raise ValueError(f"{self.name}: a destructive tool must be marked mutating")
        if self.confirm is not None and not self.mutates:
            raise ValueError(f"{self.name}: only a tool that changes the board asks for confirmation")

    def input_schema(self, min_volts: float = -8.0, max_volts: float = 8.0) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {p.name: p.schema_with(min_volts, max_volts) for p in self.params},
            "required": [p.name for p in self.params if p.required],
            "additionalProperties": False,
        }

    def output_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": dict(self.output),
            "required": [key for key in self.output if key not in self.optional_output],
        }

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def serves(self, version: FirmwareVersion) -> bool:
        """Whether firmware `version` can serve this tool (its family and version range)."""
        in_range = (self.since is None or version >= self.since) and (self.until is None or version < self.until)
        return bool(self.families & version.family) and in_range

    def version_words(self) -> str:
        """The version range in words ("" when every version of its families serves it)."""
        parts = ([f"{self.since} or later"] if self.since else []) + ([f"before {self.until}"] if self.until else [])
        return " and ".join(parts)

    def render(self, result: dict[str, Any]) -> str:
        return self.text(result) if self.text is not None else json.dumps(result)


# --- parameter constructors ----------------------------------------------------------------------


def _described(schema: dict[str, Any], description: str, default: object) -> dict[str, Any]:
    schema = dict(schema)
    if description:
        schema["description"] = description
    if default is not REQUIRED and default is not OMIT:
        schema["default"] = default
    return schema


def node(name: str, description: str = "", default: object = REQUIRED) -> Param:
    text = f"{description} " if description else ""
    schema = _described({"type": ["integer", "string"]}, f"{text}({NODE_EXAMPLES})", default)
    return Param(name, schema, default is REQUIRED, calls.NODE_ALLOWED, validate=nodes.resolve_node)


def number(
    name: str,
    description: str = "",
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    default: object = REQUIRED,
    voltage: bool = False,
) -> Param:
    schema: dict[str, Any] = {"type": "number"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    allowed = f"{'-inf' if minimum is None else f'{minimum:g}'} to {'inf' if maximum is None else f'{maximum:g}'}"
    return Param(name, _described(schema, description, default), default is REQUIRED, allowed, voltage)


def integer(
    name: str,
    description: str = "",
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    default: object = REQUIRED,
) -> Param:
    schema: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    allowed = f"{minimum if minimum is not None else '...'}-{maximum if maximum is not None else '...'}"
    return Param(name, _described(schema, description, default), default is REQUIRED, allowed)


def boolean(name: str, description: str = "", default: object = REQUIRED) -> Param:
    return Param(name, _described({"type": "boolean"}, description, default), default is REQUIRED, "true, false")


def text(name: str, description: str = "", *, default: object = REQUIRED, max_length: int | None = None) -> Param:
    schema: dict[str, Any] = {"type": "string"}
    if max_length is not None:
        schema["maxLength"] = max_length
    return Param(name, _described(schema, description, default), default is REQUIRED, "text")


def choice(name: str, values: list[Any], description: str = "", default: object = REQUIRED) -> Param:
    types = sorted({"integer" if isinstance(v, int) else "string" for v in values})
    schema = {"type": types[0] if len(types) == 1 else types, "enum": list(values)}
    return Param(name, _described(schema, description, default), default is REQUIRED, ", ".join(map(str, values)))


def document(name: str, description: str = "") -> Param:
    schema = {"type": ["object", "array", "string"]}
    return Param(name, _described(schema, description, REQUIRED), True, "a JSON object (or its text)")


DAC_CHANNELS = ["DAC0", "DAC1", "TOP_RAIL", "BOTTOM_RAIL", 0, 1, 2, 3]
WAVES = ["sine", "triangle", "sawtooth", "square"]


def from_arg(arg: Arg, description: str = "") -> Param:
    """The parameter for a catalog argument: same name, range and default as the firmware's."""
    default = arg.default
    if arg.kind is ArgKind.NODE:
        return node(arg.name, description, default)
    if arg.kind is ArgKind.DAC_CHANNEL:
        return choice(arg.name, DAC_CHANNELS, description or "0/DAC0, 1/DAC1, 2/TOP_RAIL, 3/BOTTOM_RAIL", default)
    if arg.kind in (ArgKind.ADC_CHANNEL, ArgKind.INA_SENSOR, ArgKind.SLOT):
        hi = {ArgKind.ADC_CHANNEL: 3, ArgKind.INA_SENSOR: 1, ArgKind.SLOT: 7}[arg.kind]
        return integer(arg.name, description, minimum=0, maximum=hi, default=default)
    if arg.kind in (ArgKind.GPIO_PIN, ArgKind.PWM_PIN):
        allowed = calls.GPIO_ALLOWED if arg.kind is ArgKind.GPIO_PIN else calls.PWM_ALLOWED
        schema = _described({"type": ["integer", "string"]}, f"{description} ({allowed})".strip(), default)
        return Param(arg.name, schema, default is REQUIRED, allowed)
    if arg.kind is ArgKind.WAVE:
        return choice(arg.name, WAVES, description, default)
    if arg.kind is ArgKind.FLOAT:
        lo, hi = arg.minimum, arg.maximum
        volts = arg.name in ("voltage", "volts")
        return number(arg.name, description, minimum=lo, maximum=hi, default=default, voltage=volts)
    if arg.kind is ArgKind.INT:
        lo = None if arg.minimum is None else int(arg.minimum)
        hi = None if arg.maximum is None else int(arg.maximum)
        return integer(arg.name, description, minimum=lo, maximum=hi, default=default)
    if arg.kind is ArgKind.BOOL:
        return boolean(arg.name, description, default)
    if arg.kind is ArgKind.JSON:
        return document(arg.name, description)
    if arg.kind is ArgKind.COLORS:
        color = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFF}
        items = {"anyOf": [color, {"type": "array", "items": color, "minItems": 1}]}
        schema = _described(
            {"type": "array", "items": items, "minItems": 1, "maxItems": calls.MAX_COLORS}, description, REQUIRED
        )
        return Param(arg.name, schema, True, calls.allowed_values(arg))
    return text(arg.name, description, default=default)


# --- result shapes -------------------------------------------------------------------------------

NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
STRING = {"type": "string"}
OPTIONAL_NUMBER = {"type": ["number", "null"]}
ANY = {}


def _entry(function: str) -> Function:
    """The catalog entry (the JumperlOS one when the families differ) for a function name."""
    return by_name()[function][-1]


def _families(function: str) -> Family:
    families = Family(0)
    for entry in by_name()[function]:
        families |= entry.families
    return families


def firmware_range(*functions: str) -> dict[str, FirmwareVersion | None]:
    """`since`/`until` for a tool that needs all these catalog functions (the narrowest of their ranges)."""
    entries = [entry for function in functions for entry in by_name()[function]]
    starts = [entry.since for entry in entries if entry.since is not None]
    ends = [entry.until for entry in entries if entry.until is not None]
    return {"since": max(starts) if starts else None, "until": min(ends) if ends else None}  # type: ignore[type-var]


def firmware_tool(
    name: str,
    function: str,
    subsystem: str,
    description: str,
    *,
    result: str = "value",
    result_schema: Mapping[str, Any] = ANY,
    arg_docs: Mapping[str, str] | None = None,
    params: tuple[Param, ...] | None = None,
    destructive: bool = False,
    idempotent: bool = True,
    open_world: bool = False,
    text: Callable[[dict[str, Any]], str] | None = None,
    confirm: Rule | None = None,
) -> ToolSpec:
    """A tool that is exactly one firmware function: parameters, checks and parsing from the catalog."""
    entry = _entry(function)
    docs = arg_docs or {}
    declared = params if params is not None else tuple(from_arg(arg, docs.get(arg.name, "")) for arg in entry.args)
    echo = [p.name for p in declared]

    async def run(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
        value = await ctx.board.call(function, **args)
        out = {key: args[key] for key in echo if key in args}
        if entry.returns.value != "none":
            out[result] = to_json(value)
        return out

    output: dict[str, Any] = {p.name: p.schema for p in declared}
    if entry.returns.value != "none":
        output[result] = result_schema
    blocking = entry.blocking
    return ToolSpec(
        name=name,
        subsystem=subsystem,
        description=description,
        params=declared,
        output={key: _loose(schema) for key, schema in output.items()},
        optional_output=tuple(echo),
        run=run,
        text=text,
        mutates=entry.mutates,
        destructive=destructive,
        idempotent=idempotent,
        open_world=open_world,
        families=_families(function),
        blocking=blocking,
        confirm=confirm,
        **firmware_range(function),
    )


def _loose(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An input schema reused to describe an echoed value: keep only its type."""
    return {"type": schema["type"]} if "type" in schema else {}
