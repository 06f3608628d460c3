"""Calling one declared tool: check the arguments, run it on the board, shape the result or the error.

Nothing here knows about MCP sessions, so the same path serves `tools/call` and (later) meta-tools
that call tools by name. Every failure becomes an error result that names what went wrong and
whether retrying makes sense; bad input never reaches the board.

Every client must be able to read every result. An error result carries no structured content (a client
such as the TypeScript SDK's checks it against the tool's output schema and rejects the whole result);
its details go in `_meta["jumperless/error"]` and its text says `<kind>: <message>`. A success result is
checked against the tool's output schema before it leaves, so a reading the schema cannot hold (nan) is
an error the agent can read, not a result its client throws away.

A call that needs a person's yes (its spec's `confirm` rule, tooling/confirm.py) is asked after its arguments
are checked and before anything is sent; a no is an error of kind 'declined' (`sent_to_board` false).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import math
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import jsonschema
from mcp import types

from firmware_api.errors import FirmwareError, NonFiniteReading, UnsupportedByFirmware
from firmware_api.versions import Family
from jumperless_mcp.errors import ArgumentError, ConnectionProblem, ForbiddenConnection, JumperlessError
from jumperless_mcp.tooling import audit, confirm, tool_meta
from jumperless_mcp.tooling.tool_context import Progress, ToolContext
from jumperless_mcp.tooling.tool_spec import Pictured, ToolSpec

log = logging.getLogger("jumperless_mcp.tools")
SUBSYSTEM_META = "jumperless/subsystem"
ERROR_META = "jumperless/error"  # an error result's details: {error, kind, retryable, ...}
PROGRESS_INTERVAL = 1.0  # seconds between progress notifications while a tool waits on a person
T = TypeVar("T")


@dataclass(frozen=True)
class ToolFailure(Exception):
    """An error result: what happened, of which kind, and whether the same call may work later."""

    message: str
    kind: str
    retryable: bool = False
    details: dict[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        return {"error": self.message, "kind": self.kind, "retryable": self.retryable, **(self.details or {})}

    def result(self) -> types.CallToolResult:
        """The error result: text for the agent, details in `_meta`, no structured content (see the module doc)."""
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"{self.kind}: {self.message}")],
            is_error=True,
            meta={ERROR_META: self.data()},
        )


def error_details(result: types.CallToolResult) -> dict[str, Any] | None:
    """An error result's details ({error, kind, retryable, ...}); None for a success.

    Reads this server's form (`_meta`) and the older one (details in `structured_content`), and for a
    result from any other server makes do with its text.
    """
    if not result.is_error:
        return None
    found = (result.meta or {}).get(ERROR_META)
    if isinstance(found, dict) and isinstance(found.get("kind"), str):
        return dict(found)
    legacy = result.structured_content
    if isinstance(legacy, dict) and isinstance(legacy.get("kind"), str) and "error" in legacy:
        return dict(legacy)
    text = " ".join(block.text for block in result.content if isinstance(block, types.TextContent))
    kind, sep, message = text.partition(": ")
    if sep and kind and kind.replace("_", "").isalnum() and kind.islower():
        return {"error": message, "kind": kind, "retryable": False}
    return {"error": text or "the tool failed without saying why", "kind": "tool_error", "retryable": False}


class ToolRunner:
    """The tools this server offers for its configuration and board, and how to call them."""

    def __init__(self, specs: Iterable[ToolSpec], context: ToolContext, name: str = "") -> None:
        self.context = context
        self.name = name  # the board's name in the audit log (tooling/audit.py)
        self._target: str | None = None
        self._specs = {spec.name: spec for spec in specs}
        config = context.config
        self._schemas = {
            name: spec.input_schema(config.min_voltage, config.max_voltage) for name, spec in self._specs.items()
        }
        # compiled once: building a validator costs more than validating one call
        self._input_checks = {name: jsonschema.Draft202012Validator(schema) for name, schema in self._schemas.items()}
        self._output_checks: dict[str, jsonschema.protocols.Validator] = {}  # compiled on a tool's first success

    # --- what is offered -------------------------------------------------------------------------
    def spec(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    def specs(self) -> list[ToolSpec]:
        """Every declared tool, offered or not."""
        return list(self._specs.values())

    def unavailable_reason(self, spec: ToolSpec) -> str | None:
        """Why this server will not run the tool (None when it will)."""
        config = self.context.config
        if config.read_only and spec.mutates:
            return f"{spec.name} changes the board, and the server is in read-only mode (read_only = true)"
        if spec.gate == "python" and not config.allow_python:
            return (
                f"{spec.name} runs arbitrary Python on the board and is off; enable it with --allow-python, "
                "JUMPERLESS_ALLOW_PYTHON=1 or allow_python = true in the config file"
            )
        family = self.context.board.family
        if family is not None and not spec.families & family:
            firmware = self.context.board.firmware
            return f"{spec.name} needs {_family_words(spec.families)}; this board runs firmware {firmware}"
        version = self.context.board.version
        if version is not None and not spec.serves(version):
            return f"{spec.name} needs firmware {spec.version_words()}; this board runs firmware {version}"
        return None

    def offered(self) -> list[ToolSpec]:
        return [spec for spec in self._specs.values() if self.unavailable_reason(spec) is None]

    def mcp_tool(self, spec: ToolSpec) -> types.Tool:
        meta: dict[str, Any] = {SUBSYSTEM_META: spec.subsystem}  # kept by a federating server's search
        meta.update(tool_meta.hints(spec.name, spec.subsystem, spec.search_hint))  # Claude Code's tool search
        config = self.context.config
        if config.confirm_mark_tools and confirm.may_ask(spec, config.confirm):
            meta[confirm.REQUIRES_INTERACTION_META] = True
        return types.Tool(
            name=spec.name,
            title=tool_meta.title(spec.name, spec.title),
            icons=list(tool_meta.icons(spec.subsystem)),
            description=spec.description,
            input_schema=self._schemas[spec.name],
            output_schema=spec.output_schema(),
            annotations=types.ToolAnnotations(
                read_only_hint=not spec.mutates,
                destructive_hint=spec.destructive,
                idempotent_hint=spec.idempotent,
                open_world_hint=spec.open_world,
            ),
            meta=meta,
        )

    def mcp_tools(self) -> list[types.Tool]:
        return [self.mcp_tool(spec) for spec in self.offered()]

    # --- calling ---------------------------------------------------------------------------------
    async def call(
        self, spec: ToolSpec, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        """Run one of this runner's tools (names are resolved by the tool directory); logged to the audit log."""
        board = self.context.board
        target = self._target_text()
        with audit.recording(
            self.context.config,
            self.name or target,
            target,
            spec.name,
            arguments,
            lambda: getattr(board, "firmware", None),
        ) as record:
            result = await self._call(spec, arguments, progress)
            if record is not None:
                record.outcome = "error" if result.is_error else "ok"
                record.result = result.structured_content
                record.error = error_details(result)
                record.images = [len(block.data) * 3 // 4 for block in result.content if block.type == "image"]
        return result

    def _target_text(self) -> str:
        """How the audit log names this board's target (worked out once: it does not change)."""
        if self._target is None:
            self._target = str(getattr(getattr(self.context.board, "target", None), "description", ""))
        return self._target

    async def _call(
        self, spec: ToolSpec, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        name = spec.name
        started = time.monotonic()
        try:
            reason = self.unavailable_reason(spec)
            if reason is not None:
                raise ToolFailure(reason, "unavailable")
            args = self.check(spec, arguments or {})
            await self._confirmed(spec, args)
            result = await self._run(spec, args, progress)
            pngs: tuple[bytes, ...] = ()
            if isinstance(result, Pictured):
                result, pngs = result.result, result.pngs
            self._check_result(spec, result)
        except ToolFailure as failure:
            log.info("tool %s failed: %s", name, failure.message)
            return failure.result()
        log.debug("tool %s ok in %.1f ms", name, (time.monotonic() - started) * 1000)
        content: list[types.ContentBlock] = [types.TextContent(type="text", text=spec.render(result))]
        content += [
            types.ImageContent(type="image", data=base64.b64encode(png).decode(), mime_type="image/png") for png in pngs
        ]
        return types.CallToolResult(content=content, structured_content=result)

    def check(self, spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments with defaults filled in, or a ToolFailure naming the parameter and what it allows.

        Integral floats where the schema wants an integer (0.0, 255.0: JSON Schema calls them integers) become
        ints, so no tool meets a float it cannot use; a non-finite number anywhere is refused.
        """
        if not isinstance(arguments, dict):
            raise ToolFailure("arguments must be a JSON object", "invalid_argument")
        schema = self._schemas[spec.name]
        for key, value in arguments.items():
            found = non_finite(value, key)
            param = spec.param(key)
            if found is not None and param is not None:
                raise invalid_argument(key, f"{found[0]} is {found[1]}, not a finite number", param.allowed)
        violation = schema_violation(spec.name, schema, arguments, self._input_checks[spec.name])
        if violation is not None:
            raise self._argument_failure(spec, violation)
        arguments = {key: integral(value, schema["properties"][key]) for key, value in arguments.items()}
        for key, value in arguments.items():
            param = spec.param(key)
            assert param is not None  # the schema forbids other keys
            if param.validate is not None:
                try:
                    param.validate(value)
                except (ValueError, TypeError) as exc:
                    raise invalid_argument(key, str(exc), param.allowed) from None
        filled = {p.name: p.schema["default"] for p in spec.params if not p.required and "default" in p.schema}
        filled.update(arguments)
        return filled

    def _argument_failure(self, spec: ToolSpec, violation: SchemaViolation) -> ToolFailure:
        """The error for a schema violation, with the allowed values of the parameter at fault."""
        key, message = violation.parameter, violation.message
        param = spec.param(key)
        if violation.validator == "additionalProperties" or param is None:
            allowed = ", ".join(p.name for p in spec.params) or "none"
        elif param.voltage and violation.validator in ("minimum", "maximum"):
            config = self.context.config
            allowed = f"{config.min_voltage:g} to {config.max_voltage:g} V"
            message += " (outside the configured voltage limits: min_voltage / max_voltage)"
        elif violation.validator != "required" and "enum" in param.schema:
            allowed = ", ".join(json.dumps(v) for v in param.schema["enum"])
        else:
            allowed = param.allowed
        return invalid_argument(key, message, allowed)

    async def _confirmed(self, spec: ToolSpec, args: dict[str, Any]) -> None:
        """Ask the person when this call needs it (tooling/confirm.py); a no leaves the board untouched.

        The asker may instead end the request (a 2026-07-28 client gets the question as an `input_required`
        result and sends the call again with the answer); that exception passes through.
        """
        asker = confirm.current_asker()
        if asker is None or not asker.can_ask():
            return  # a client that cannot answer forms: the call runs as it always did (annotations only)
        action = await self._translated(spec, confirm.action_for(spec, self.context, args))
        if action is None:
            return
        answer = await asker.ask(spec.name, action)
        if answer is confirm.Answer.UNSUPPORTED:
            log.debug("tool %s: the client cannot be asked to confirm %r; running it", spec.name, action)
            return
        log.info("tool %s: the person answered %s to %r", spec.name, answer.value, action)
        if answer is not confirm.Answer.ACCEPT:
            said = "cancelled the question" if answer is confirm.Answer.CANCEL else "declined"
            raise ToolFailure(
                f"the person {said}: {action}; nothing was sent to the board",
                "declined",
                False,
                {"action": action, "answer": answer.value, "sent_to_board": False},
            )

    async def _run(self, spec: ToolSpec, args: dict[str, Any], progress: Progress | None) -> dict[str, Any] | Pictured:
        context = self.context if progress is None else dataclasses.replace(self.context, progress=progress)
        if spec.blocking and progress is not None:
            return await self._translated(spec, _with_ticker(spec, args, context, progress))
        return await self._translated(spec, spec.run(context, args))

    async def _translated(self, spec: ToolSpec, work: Awaitable[T]) -> T:
        """Await a tool's work on the board, every failure turned into the ToolFailure that describes it."""
        try:
            return await work
        except ToolFailure:
            raise
        except ForbiddenConnection as exc:
            raise invalid_argument(exc.parameter, str(exc), exc.allowed or "", kind="forbidden_connection") from None
        except ArgumentError as exc:
            raise invalid_argument(exc.parameter, str(exc), exc.allowed or "") from None
        except UnsupportedByFirmware as exc:
            raise ToolFailure(str(exc), "unsupported_by_firmware") from None
        except NonFiniteReading as exc:
            raise non_finite_reading(spec.name, str(exc), exc.text) from None
        except FirmwareError as exc:
            details = {"exception": exc.exc_type, "firmware_message": exc.message}
            completed = getattr(exc, "batch_completed", None)
            if completed is not None:
                details["calls_completed"] = completed
            raise ToolFailure(f"the board raised {exc}", "firmware_error", exc.retryable, details) from None
        except ConnectionProblem as exc:
            kind = type(exc).__name__
            raise ToolFailure(str(exc), _snake(kind), exc.retryable) from None
        except JumperlessError as exc:
            raise ToolFailure(str(exc), "board_error") from None
        except Exception as exc:  # a bug of ours: say so instead of a JSON-RPC crash
            log.exception("tool %s crashed", spec.name)
            raise ToolFailure(f"internal error in {spec.name}: {type(exc).__name__}: {exc}", "internal_error") from None

    def _check_result(self, spec: ToolSpec, result: dict[str, Any]) -> None:
        """Refuse a result its own output schema does not hold: a client would reject it whole."""
        found = non_finite(result)
        if found is not None:
            where, number = found
            raise non_finite_reading(spec.name, f"the board answered {number} for {where[1:]}", number)
        validator = self._output_checks.get(spec.name)
        if validator is None:
            validator = self._output_checks[spec.name] = jsonschema.Draft202012Validator(spec.output_schema())
        error = jsonschema.exceptions.best_match(validator.iter_errors(result))
        if error is not None:
            log.error("tool %s returned a result that breaks its output schema: %s", spec.name, error.message)
            where = "/".join(str(part) for part in error.absolute_path) or "the result"
            message = f"{spec.name} returned a result its output schema does not allow ({where}: {error.message})"
            raise ToolFailure(f"internal error in {message}", "internal_error", details={"result": result})


def non_finite_reading(tool: str, message: str, reading: str) -> ToolFailure:
    """A reading that is not a number (nan, inf): a failed conversion or a missing sensor, not a value."""
    text = f"{tool}: {message} (a failed conversion or a missing sensor; the call may work if sent again)"
    return ToolFailure(text, "non_finite_reading", True, {"reading": reading})


def non_finite(value: object, path: str = "") -> tuple[str, str] | None:
    """Where a nan or infinity sits in a JSON value (".state.power.dac0", "[2]", "" for the value itself),
    and how JSON would spell it (NaN, Infinity, -Infinity)."""
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return path, "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    items: Iterable[tuple[str, object]] = ()
    if isinstance(value, dict):
        items = ((f"{path}.{key}", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    for where, item in items:
        found = non_finite(item, where)
        if found is not None:
            return found
    return None


def integral(value: object, schema: dict[str, Any]) -> object:
    """`value` with integral floats turned into ints wherever `schema` wants an integer (not any number)."""
    if isinstance(value, float) and value.is_integer() and _wants_integer(schema):
        return int(value)
    if isinstance(value, list):
        items = _branch(schema, "array").get("items")
        if isinstance(items, dict):
            return [integral(item, items) for item in value]
    if isinstance(value, dict):
        properties = _branch(schema, "object").get("properties")
        if isinstance(properties, dict):
            return {key: integral(item, properties.get(key, {})) for key, item in value.items()}
    return value


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _wants_integer(schema: dict[str, Any]) -> bool:
    branches = [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]
    kinds = {kind for branch in branches for kind in _types(branch)}
    return "integer" in kinds and "number" not in kinds


def _branch(schema: dict[str, Any], kind: str) -> dict[str, Any]:
    """The part of `schema` (itself or an anyOf/oneOf branch) that describes values of this JSON type."""
    if kind in _types(schema):
        return schema
    for branch in [*schema.get("anyOf", []), *schema.get("oneOf", [])]:
        if kind in _types(branch):
            return branch
    return {}


@dataclass(frozen=True)
class SchemaViolation:
    parameter: str  # the argument at fault ("arguments" when the whole object is)
    message: str
    validator: str  # the JSON-schema keyword that failed: required, additionalProperties, maximum, enum, ...


def schema_violation(
    tool: str,
    schema: dict[str, Any],
    arguments: dict[str, Any],
    validator: jsonschema.protocols.Validator | None = None,
) -> SchemaViolation | None:
    """The most relevant way `arguments` break a tool's input schema, named by parameter; None when they fit.

    `validator` is `schema` compiled, for callers that check the same schema on every call.
    """
    validator = validator or jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    if error is None:
        return None
    validator = str(error.validator)
    if validator == "additionalProperties":
        unknown = sorted(set(arguments) - set(schema["properties"]))[0]
        return SchemaViolation(unknown, f"unknown parameter of {tool}", validator)
    if validator == "required":
        missing = next(key for key in schema["required"] if key not in arguments)
        return SchemaViolation(missing, f"missing required parameter of {tool}", validator)
    key = str(error.absolute_path[0]) if error.absolute_path else "arguments"
    return SchemaViolation(key, error.message, validator)


def invalid_argument(parameter: str, message: str, allowed: str, *, kind: str = "invalid_argument") -> ToolFailure:
    prefix = f"{parameter}: "
    text = message if message.startswith(prefix) else prefix + message
    if allowed and "(allowed:" not in text:
        text += f" (allowed: {allowed})"
    details = {"parameter": parameter, "allowed": allowed, "sent_to_board": False}
    return ToolFailure(text, kind, False, details)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _family_words(families: Family) -> str:
    if families == Family.JUMPERLOS:
        return "JumperlOS firmware (5.6 or later)"
    if families == Family.LEGACY:
        return "firmware 5.3.x"
    return "any firmware"


async def _with_ticker(
    spec: ToolSpec, args: dict[str, Any], context: ToolContext, progress: Progress
) -> dict[str, Any] | Pictured:
    """Run a tool that waits on a person, sending a progress notification every second meanwhile."""
    total = args.get("timeout")
    result: dict[str, Any] | Pictured = {}

    async def tick() -> None:
        started = time.monotonic()
        while True:
            await anyio.sleep(PROGRESS_INTERVAL)
            waited = time.monotonic() - started
            of = f" of {total:g}" if isinstance(total, (int, float)) else ""
            await progress(round(waited, 1), total, f"{spec.name}: waiting on the board ({waited:.0f} s{of})")

    error: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        try:
            result = await spec.run(context, args)
        except Exception as exc:  # re-raised below, so the task group does not wrap it
            error = exc
        group.cancel_scope.cancel()
    if error is not None:
        raise error
    return result
