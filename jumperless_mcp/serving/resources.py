"""MCP resources: the node map, reference notes, captures, the audit log, and each board's live state.

Documents an agent loads when it needs them instead of tool calls it must remember to make. Board-specific
resources are templates named by board (`jumperless://{board}/state`); the board names are the federation's
(`board` when the server drives one unnamed board). A client subscribed to a board's state, netlist or picture
(handshake era: resources/subscribe; 2026-07-28: subscriptions/listen) is told after a tool changed that board.
Live reads reuse the tools' own readers (their `run`), without the audit log or confirmation: they only read.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from importlib import resources as package_files
from pathlib import Path
from typing import Any

from mcp import types
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus
from mcp.shared.exceptions import MCPError

from firmware_api.nodes import NODES
from jumperless_mcp.bench.capture import captures_dir, list_captures
from jumperless_mcp.signals.plot import Trace, render_png
from jumperless_mcp.tooling import audit
from jumperless_mcp.tools.digital import PIN_NAMES
from jumperless_mcp.tools.digital import _direction as gpio_direction
from jumperless_mcp.tools.digital import _pull as gpio_pull
from jumperless_mcp.tools.digital import _state as gpio_state
from jumperless_mcp.tools.slots import NUM_SLOTS, slot_path

log = logging.getLogger("jumperless_mcp.serving.resources")

SCHEME = "jumperless://"
NODES_URI = SCHEME + "nodes"
AUDIT_URI = SCHEME + "audit/recent"
CAPTURES_URI = SCHEME + "captures"
AUDIT_ENTRIES = 50
GPIO_PINS = range(1, 9)
RESOURCE_NOT_FOUND = -32002  # the MCP specification's code for an unknown resource
STATIC_TTL_MS = 3_600_000  # reference notes and the node map change only with the package
REFERENCE = {
    "crossbar": "How the crossbar behaves: paths, nets, refused bridges, routing",
    "settle-times": "How long to wait before trusting a reading, and how noisy one is",
    "safe-voltages": "Voltage and current limits that keep parts and the board alive",
    "python-dialect": "The firmware's MicroPython: modules, types and limits",
    "electronics-basics": "Ohm's law, LEDs, dividers, RC and a debugging order for the bench",
}
BOARD_PARTS = {  # part of a board URI: (title, mime type, what it is)
    "state": ("Board state", "application/json", "Live nets, bridges, power setpoints and GPIO 1-8 as JSON"),
    "netlist": ("Netlist", "application/json", "The nets: number, name, member nodes, colour, voltage"),
    "picture.png": ("Board picture", "image/png", "A drawing of the breadboard with its nets, rails and parts"),
    "oled.png": ("OLED picture", "image/png", "What the OLED shows now, enlarged"),
}
CHANGED_BY_TOOLS = ("state", "netlist", "picture.png")  # told to subscribers after a tool changed the board
ARTEFACT_TOOLS = {"board_picture": "picture.png", "oled_picture": "oled.png"}
_CAPTURE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,120}\.(csv|vcd)$")


def board_uri(board: str, part: str) -> str:
    return f"{SCHEME}{board}/{part}"


def capture_uri(name: str, plot: bool = False) -> str:
    return f"{CAPTURES_URI}/{name}" + ("/plot.png" if plot else "")


# --- pure builders ---------------------------------------------------------------------------------------


def node_map() -> dict[str, Any]:
    """Every node the firmware knows: number, names, what it is, where it can be routed."""
    nodes = [
        {
            "id": node.id,
            "name": node.name,
            "short": node.short,
            "aliases": list(node.aliases),
            "kind": node.kind.value,
            "routable_on": sorted(str(family.name).lower() for family in node.routable),
        }
        for node in sorted(NODES.values(), key=lambda n: n.id)
    ]
    return {"count": len(nodes), "nodes": nodes}


def reference_text(topic: str) -> str:
    if topic not in REFERENCE:
        raise _not_found(f"{SCHEME}reference/{topic}", f"topics: {', '.join(REFERENCE)}")
    return (package_files.files(__package__) / "reference" / f"{topic}.md").read_text(encoding="utf-8")


def capture_file(name: str, folder: Path | None = None, uri: str | None = None) -> Path:
    """A file of the captures folder by name; nothing outside it (no separators, no dot-dot)."""
    path = (folder or captures_dir()) / name
    if not _CAPTURE_NAME.match(name) or ".." in name or not path.is_file():
        raise _not_found(uri or capture_uri(name), "a name from jumperless://captures (captures_list)")
    return path


def capture_plot(text: str) -> bytes:
    """The plot of a waveform capture CSV (`# key: value` header lines, a column row, then numbers)."""
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    table = list(csv.reader(io.StringIO("\n".join(rows))))
    if len(table) < 2 or table[0][0] != "time_s":
        raise ValueError("not a waveform capture (no time_s column): only waveform captures have a plot")
    columns = table[0]
    values = [[float(cell) if cell else float("nan") for cell in row] for row in table[1:]]
    times = [row[0] for row in values]
    traces = []
    for index, column in enumerate(columns[1:], start=1):
        name, _, unit = column.rpartition("_")
        traces.append(Trace(name or column, unit, [row[index] for row in values]))
    return render_png(times, traces, title=f"{', '.join(t.label for t in traces)}: {len(times)} samples")


def recent_audit(entries: Iterable[dict[str, Any]], limit: int = AUDIT_ENTRIES) -> dict[str, Any]:
    kept: list[dict[str, Any]] = []
    for entry in entries:
        kept.append(entry)
        if len(kept) > limit:
            kept.pop(0)
    return {"count": len(kept), "entries": kept[::-1]}  # newest first


def _not_found(uri: str, allowed: str) -> MCPError:
    return MCPError(RESOURCE_NOT_FOUND, f"no resource {uri}; {allowed}", {"uri": uri})


def _text(uri: str, text: str, mime: str, ttl_ms: int = 0) -> types.ReadResourceResult:
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=text)], ttl_ms=ttl_ms
    )


def _blob(uri: str, data: bytes, mime: str) -> types.ReadResourceResult:
    blob = base64.b64encode(data).decode()
    return types.ReadResourceResult(contents=[types.BlobResourceContents(uri=uri, mime_type=mime, blob=blob)])


def _json(uri: str, value: object, ttl_ms: int = 0) -> types.ReadResourceResult:
    return _text(uri, json.dumps(value, separators=(",", ":")), "application/json", ttl_ms)


# --- the server side ---------------------------------------------------------------------------------------


class Subscribers:
    """Handshake-era clients subscribed to URIs, each dropped with its connection (as server.Listeners)."""

    def __init__(self) -> None:
        self._by_key: dict[object, tuple[Any, set[str]]] = {}

    def add(self, session: Any, uri: str) -> None:
        connection = getattr(session, "_connection", None)
        stack = getattr(connection, "exit_stack", None)
        key = connection if stack is not None else session
        if key not in self._by_key:
            self._by_key[key] = (session, set())
            if stack is not None:
                stack.callback(self._by_key.pop, key, None)
        self._by_key[key][1].add(uri)

    def remove(self, session: Any, uri: str) -> None:
        key = getattr(session, "_connection", None) or session
        found = self._by_key.get(key)
        if found is not None:
            found[1].discard(uri)

    async def tell(self, uri: str) -> None:
        for key, (session, uris) in list(self._by_key.items()):
            if uri in uris:
                try:
                    await session.send_resource_updated(uri)
                except Exception as exc:  # a client that went away
                    log.debug("resource update not delivered: %s", exc)
                    self._by_key.pop(key, None)


class Resources:
    """Answers resources/list, templates/list, read and subscribe from the catalog's boards.

    `members` gives the boards now served (objects with `name`, and `runner`/`board`/`config` when local)."""

    def __init__(self, members: Callable[[], list[Any]], bus: SubscriptionBus) -> None:
        self.members = members
        self.bus = bus
        self.subscribers = Subscribers()
        self._last_listed: list[str] | None = None  # the resource URIs when the tool list last changed

    def handlers(self) -> dict[str, Any]:
        """The lowlevel Server's resource handlers (keyword arguments of its constructor)."""

        async def on_list(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
            return types.ListResourcesResult(resources=self.resources())

        async def on_templates(
            ctx: Any, params: types.PaginatedRequestParams | None
        ) -> types.ListResourceTemplatesResult:
            return types.ListResourceTemplatesResult(resource_templates=self.templates())

        async def on_read(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
            return await self.read(str(params.uri))

        async def on_subscribe(ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
            self.subscribers.add(ctx.session, str(params.uri))
            return types.EmptyResult()

        async def on_unsubscribe(ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
            self.subscribers.remove(ctx.session, str(params.uri))
            return types.EmptyResult()

        return {
            "on_list_resources": on_list,
            "on_list_resource_templates": on_templates,
            "on_read_resource": on_read,
            "on_subscribe_resource": on_subscribe,
            "on_unsubscribe_resource": on_unsubscribe,
        }

    # --- listing ---------------------------------------------------------------------------------------
    def resources(self) -> list[types.Resource]:
        listed = [
            types.Resource(
                uri=NODES_URI,
                name="nodes",
                title="Node map",
                mime_type="application/json",
                description="Every node's number, names, kind and where it can be routed",
            ),
            types.Resource(
                uri=AUDIT_URI,
                name="audit",
                title="Recent tool calls",
                mime_type="application/json",
                description=f"The audit log's last {AUDIT_ENTRIES} tool calls, newest first",
            ),
            types.Resource(
                uri=CAPTURES_URI,
                name="captures",
                title="Captures",
                mime_type="application/json",
                description="The saved captures, newest first: read one as jumperless://captures/{name}",
            ),
        ]
        listed += [
            types.Resource(
                uri=f"{SCHEME}reference/{topic}",
                name=f"reference-{topic}",
                title=about,
                mime_type="text/markdown",
                description=about,
            )
            for topic, about in REFERENCE.items()
        ]
        for member in self._offered():
            for part, (title, mime, about) in BOARD_PARTS.items():
                listed.append(
                    types.Resource(
                        uri=board_uri(member.name, part),
                        name=f"{member.name}-{part}",
                        title=f"{title} ({member.name})",
                        mime_type=mime,
                        description=about,
                    )
                )
        return listed

    def templates(self) -> list[types.ResourceTemplate]:
        made = [
            types.ResourceTemplate(
                uri_template=SCHEME + "{board}/" + part,
                name=part,
                title=title,
                mime_type=mime,
                description=f"{about}; board: a name from the `boards` tool",
            )
            for part, (title, mime, about) in BOARD_PARTS.items()
        ]
        made += [
            types.ResourceTemplate(
                uri_template=SCHEME + "{board}/slots/{slot}",
                name="slot",
                title="Slot file",
                mime_type="text/plain",
                description=f"A saved slot's file, slot 0-{NUM_SLOTS - 1}",
            ),
            types.ResourceTemplate(
                uri_template=CAPTURES_URI + "/{name}",
                name="capture",
                title="Capture file",
                mime_type="text/csv",
                description="A capture's samples (CSV, or VCD for logic)",
            ),
            types.ResourceTemplate(
                uri_template=CAPTURES_URI + "/{name}/plot.png",
                name="capture-plot",
                title="Capture plot",
                mime_type="image/png",
                description="A waveform capture's plot",
            ),
            types.ResourceTemplate(
                uri_template=SCHEME + "reference/{topic}",
                name="reference",
                title="Reference",
                mime_type="text/markdown",
                description=f"topic: {', '.join(REFERENCE)}",
            ),
        ]
        return made

    # --- reading ------------------------------------------------------------------------------------------
    async def read(self, uri: str) -> types.ReadResourceResult:
        if not uri.startswith(SCHEME):
            raise _not_found(uri, f"URIs start with {SCHEME}")
        path = uri[len(SCHEME) :]
        if uri == NODES_URI:
            return _json(uri, node_map(), STATIC_TTL_MS)
        if path.startswith("reference/"):
            return _text(uri, reference_text(path.partition("/")[2]), "text/markdown", STATIC_TTL_MS)
        if uri == AUDIT_URI:
            return _json(uri, self._audit())
        if uri == CAPTURES_URI:
            return _json(uri, {"captures": list_captures(limit=50)})
        if path.startswith("captures/"):
            return self._capture(uri, path.partition("/")[2])
        board, _, part = path.partition("/")
        member = self._member(uri, board)
        try:
            return await self._board_part(uri, member, part)
        except MCPError:
            raise
        except Exception as exc:  # the board's own failure, said as the tools say it
            raise MCPError(-32603, f"reading {uri} failed: {exc}", {"uri": uri}) from None

    def _audit(self) -> dict[str, Any]:
        for member in self._local():
            found = audit.log_for(member.config)
            if found is not None:
                return recent_audit(found.entries())
        return {"count": 0, "entries": [], "note": "the audit log is off (audit_log = false)"}

    def _capture(self, uri: str, rest: str) -> types.ReadResourceResult:
        name, _, tail = rest.partition("/")
        path = capture_file(name, uri=uri)
        text = path.read_text(encoding="utf-8", errors="replace")
        if tail == "":
            return _text(uri, text, "text/csv" if path.suffix == ".csv" else "text/plain")
        if tail != "plot.png":
            raise _not_found(uri, "jumperless://captures/{name} or .../{name}/plot.png")
        try:
            return _blob(uri, capture_plot(text), "image/png")
        except ValueError as exc:
            raise _not_found(uri, str(exc)) from None

    async def _board_part(self, uri: str, member: Any, part: str) -> types.ReadResourceResult:
        if part == "state":
            return _json(uri, await self.state(member))
        if part == "netlist":
            return _json(uri, await _tool(member, "get_netlist"))
        if part == "picture.png":
            return _blob(uri, await member.board.board_picture(), "image/png")
        if part == "oled.png":
            return _blob(uri, await member.board.oled_picture(), "image/png")
        slot = part.removeprefix("slots/")
        if slot != part and slot.isdigit() and int(slot) < NUM_SLOTS:
            family = await member.board._family()
            async with member.board.batch() as batch:
                pending = batch.fs_read(slot_path(family, int(slot)))
            text = pending.value if isinstance(pending.value, str) else ""
            return _text(uri, text, "text/plain")
        raise _not_found(uri, f"parts: {', '.join(BOARD_PARTS)}, slots/0-{NUM_SLOTS - 1}")

    async def state(self, member: Any) -> dict[str, Any]:
        """The board's live state, from the same readers as get_netlist, get_bridges, get_power and gpio_read."""
        bridges = await _tool(member, "get_bridges")
        return {
            "board": member.name,
            "firmware": member.board.firmware,
            "nets": (await _tool(member, "get_netlist"))["nets"],
            "bridges": bridges["bridges"],
            "power": await _tool(member, "get_power"),
            "gpio": await _gpio(member.board),
        }

    def _local(self) -> list[Any]:
        return [m for m in self.members() if getattr(m, "runner", None) is not None]

    def board_names(self) -> list[str]:
        """The boards whose resources this server reads (a board's name in its URIs)."""
        return [member.name for member in self._local()]

    def _offered(self) -> list[Any]:
        """Local boards whose tools are offered now: with several boards an unplugged one leaves the tool list,
        and its resources leave the resource list with them."""
        return [m for m in self._local() if any(m.tools.unavailable_reason(t) is None for t in m.tools.tool_names())]

    def list_changed(self) -> bool:
        """Whether the resource list differs from when this was last asked (boards came, went or were renamed)."""
        uris = [str(resource.uri) for resource in self.resources()]
        changed = self._last_listed is not None and uris != self._last_listed
        self._last_listed = uris
        return changed

    def _member(self, uri: str, board: str) -> Any:
        for member in self._local():
            if member.name == board:
                return member
        names = ", ".join(m.name for m in self._local()) or "none"
        raise _not_found(uri, f"boards served here: {names}")

    # --- after a tool call: links and change notices --------------------------------------------------
    async def after_call(self, wire_name: str, arguments: dict[str, Any] | None, result: Any) -> None:
        """Add resource links to an artefact's result; tell subscribers when a tool changed a board."""
        if wire_name == "tools_call" and isinstance(arguments, dict):  # discovery mode: the real call inside
            wire_name = str(arguments.get("name", ""))
        if not isinstance(result, types.CallToolResult) or result.is_error:
            return
        found = self._tool_of(wire_name)
        if found is None:
            return
        member, tool = found
        result.content.extend(artefact_links(member.name, tool, result.structured_content or {}))
        spec = member.runner.spec(tool)
        if spec is not None and spec.mutates:
            for part in CHANGED_BY_TOOLS:
                uri = board_uri(member.name, part)
                await self.subscribers.tell(uri)
                await self.bus.publish(ResourceUpdated(uri))

    def _tool_of(self, wire_name: str) -> tuple[Any, str] | None:
        local = self._local()
        if len(self.members()) == 1 and local:
            return (local[0], wire_name) if local[0].runner.spec(wire_name) is not None else None
        for member in local:
            prefix = member.name.replace("-", "_") + "_"
            if wire_name.startswith(prefix) and member.runner.spec(wire_name[len(prefix) :]) is not None:
                return member, wire_name[len(prefix) :]
        return None


def artefact_links(board: str, tool: str, result: dict[str, Any]) -> list[types.ResourceLink]:
    """resource_link blocks to what a tool made: a capture's file and plot, a logic capture's file, the board or
    OLED picture."""
    if tool == "capture" and isinstance(result.get("name"), str):
        name = result["name"]
        return [
            types.ResourceLink(uri=capture_uri(name), name=name, mime_type="text/csv", title="Capture samples"),
            types.ResourceLink(
                uri=capture_uri(name, plot=True), name=f"{name} plot", mime_type="image/png", title="Capture plot"
            ),
        ]
    if tool == "la_capture" and isinstance(result.get("file"), str):
        name = result["file"].replace("\\", "/").rsplit("/", 1)[-1]
        mime = "text/csv" if name.endswith(".csv") else "text/plain"  # VCD is text
        return [types.ResourceLink(uri=capture_uri(name), name=name, mime_type=mime, title="Logic analyzer samples")]
    if tool in ARTEFACT_TOOLS:
        part = ARTEFACT_TOOLS[tool]
        title, mime, _ = BOARD_PARTS[part]
        return [types.ResourceLink(uri=board_uri(board, part), name=f"{board}-{part}", mime_type=mime, title=title)]
    return []


async def _gpio(board: Any) -> list[dict[str, Any]]:
    """GPIO 1-8 as gpio_read words them, in one batch (each batch costs ~1 s on 5.3.x: eight would be slow)."""
    family = await board._family()
    async with board.batch() as batch:
        pending = [(pin, batch.gpio_get(pin), batch.gpio_get_dir(pin), batch.gpio_get_pull(pin)) for pin in GPIO_PINS]
    return [
        {
            "pin": PIN_NAMES[pin],
            "state": gpio_state(state),
            "direction": gpio_direction(direction.value),
            "pull": gpio_pull(pull, family),
        }
        for pin, state, direction, pull in pending
    ]


async def _tool(member: Any, tool: str, **arguments: Any) -> dict[str, Any]:
    """A reading tool's structured result, through its own reader (no audit entry: a resource read)."""
    runner = member.runner
    spec = runner.spec(tool)
    if spec is None:
        raise MCPError(-32603, f"{tool} is not served for {member.name}")
    work: Awaitable[Any] = spec.run(runner.context, runner.check(spec, arguments))
    result = await work
    return result.result if hasattr(result, "pngs") else result
