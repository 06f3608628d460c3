"""Bridges and nets: connect, disconnect, clear, query, and apply a whole netlist with dry run and rollback."""

from __future__ import annotations

from typing import Any

from firmware_api import nodes
from firmware_api.versions import Family
from jumperless_mcp.bench import netlist
from jumperless_mcp.bench.board import ConnectionResult, connect_step
from jumperless_mcp.errors import ForbiddenConnection
from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import (
    ANY,
    BOOLEAN,
    INTEGER,
    OMIT,
    STRING,
    Param,
    ToolSpec,
    boolean,
    choice,
    firmware_tool,
    integer,
    node,
)

SUBSYSTEM = "connections"
NODE_NAMES = {"type": "array", "items": {"type": "string"}}
BRIDGE_LIST = {"type": "array", "items": NODE_NAMES}
CONNECTION = {
    "node1": STRING,
    "node2": STRING,
    "connected": BOOLEAN,
    "verified": BOOLEAN,
    "ok": BOOLEAN,
    "message": STRING,
}
REFUSAL_NOTE = (
    "The firmware drops refused bridges silently; this tool reads the result back. It refuses bridges that "
    "would short two supplies (GND, TOP_RAIL, BOTTOM_RAIL, DAC0, DAC1 never share a net; JumperlOS allows "
    "GND with DAC0), GPIO/UART pins straight to a rail or DAC, and bridges with no free crossbar path."
)


def _connection(result: ConnectionResult) -> dict[str, Any]:
    return {
        "node1": netlist.name(result.node1),
        "node2": netlist.name(result.node2),
        "connected": result.connected,
        "verified": result.verified,
        "ok": result.ok,
        "message": result.message,
    }


async def _connect(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    board, duplicates = ctx.board, args.get("duplicates")
    connect_step(await board._firmware(), args["node1"], args["node2"], duplicates=duplicates)  # checks, no I/O
    await _refuse_shorts_first(ctx, args["node1"], args["node2"])
    result = await board.connect(args["node1"], args["node2"], duplicates=duplicates)
    out = _connection(result)
    if result.verified and not result.ok:
        if await board._family() is Family.JUMPERLOS:  # it keeps a bridge it never routes: take it away
            await board.disconnect(result.node1, result.node2)
        raise ToolFailure(result.message, "refused", False, out)
    return out


async def _refuse_shorts_first(ctx: ToolContext, node1: object, node2: object) -> None:
    """Refuse, before sending it, a bridge that would join two supply nets through the bridges already there.

    5.3.x would report it as made; JumperlOS would keep it in its node file and never route it.
    """
    a, b = nodes.resolve_node(node1), nodes.resolve_node(node2)
    reason = await netlist.connect_refusal(ctx.board, a, b)
    if reason is not None:
        raise ForbiddenConnection("node2", reason + "; nothing was sent", "a node that does not short two supplies")


async def _disconnect(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    if "node2" not in args:
        await ctx.board.disconnect(args["node1"])
        remaining = [p for p in await netlist.read_bridges(ctx.board) if nodes.resolve_node(args["node1"]) in p]
        return {
            "node1": netlist.name(nodes.resolve_node(args["node1"])),
            "removed_all": True,
            "ok": not remaining,
            "message": "every bridge on the node removed" if not remaining else "some bridges remain",
        }
    result = await ctx.board.disconnect(args["node1"], args["node2"])
    return _connection(result) | {"removed_all": False}


async def _clear(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    before = len(await netlist.read_bridges(ctx.board))
    async with ctx.board.batch() as batch:
        batch.nodes_clear()
        if await ctx.board._family() is Family.LEGACY:
            batch.nodes_save()  # 5.3.x clears RAM only; its is_connected reads the saved file
    after = await netlist.read_bridges(ctx.board)
    return {"removed": before - len(after), "remaining": len(after)}


async def _bridges(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    pairs = await netlist.read_bridges(ctx.board)
    return {"bridges": [[netlist.name(a), netlist.name(b)] for a, b in pairs], "count": len(pairs)}


async def _netlist(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    nets = await netlist.read_nets(ctx.board)
    return {"nets": nets}


def _netlist_text(result: dict[str, Any]) -> str:
    lines = []
    for net in result["nets"]:
        volts = f" {net['voltage']:.3f} V" if isinstance(net.get("voltage"), (int, float)) else ""
        lines.append(f"net {net['number']} {net['name']}{volts}: {', '.join(net['nodes'])}")
    return "\n".join(lines) or "no nets"


async def _apply_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """A replace that removes bridges wipes them: the person confirms the removals (a read, nothing sent)."""
    if args["mode"] != "replace" or args["dry_run"]:
        return None
    wanted = netlist.parse_bridges(args["bridges"])
    current = await netlist.read_bridges(ctx.board)
    plan = netlist.plan(current, wanted, await ctx.board._family(), replace=True)
    if not plan.remove:
        return None
    removed = plan.report()["remove"]
    shown = ", ".join(f"{a}-{b}" for a, b in removed[:8]) + (", ..." if len(removed) > 8 else "")
    return f"replace the board's bridges: remove {len(removed)} ({shown}) and add {len(plan.add)}"


async def _apply(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    board = ctx.board
    wanted = netlist.parse_bridges(args["bridges"])
    family = await board._family()
    current = await netlist.read_bridges(board)
    plan = netlist.plan(current, wanted, family, replace=args["mode"] == "replace")
    report = plan.report() | {"dry_run": args["dry_run"], "applied": False, "rolled_back": False}
    if args["dry_run"]:
        return report
    if plan.refused:
        raise ToolFailure(
            f"{len(plan.refused)} bridge(s) would be refused by the firmware; nothing was changed "
            "(see `refused`; fix them or leave them out)",
            "refused",
            False,
            report,
        )
    failures: list[str] = []
    try:
        made = await netlist.apply_changes(board, plan.remove, plan.add)
        failures = [r.message for r in made if not r.ok and r.verified]
        after = await netlist.read_bridges(board)
        if sorted(after) != sorted(plan.final) and family is Family.JUMPERLOS:
            failures.append("the bridges read back differ from the plan")
    except Exception as exc:
        failures.append(f"{type(exc).__name__}: {exc}")
    if not failures:
        return report | {"applied": True, "bridges": [[netlist.name(a), netlist.name(b)] for a, b in after]}
    rolled_back = await _roll_back(board, current)
    raise ToolFailure(
        f"applying the netlist failed ({'; '.join(failures)}); "
        + ("the previous bridges were restored" if rolled_back else "restoring the previous bridges also failed"),
        "netlist_failed",
        True,
        report | {"rolled_back": rolled_back, "failures": failures},
    )


async def _roll_back(board: Any, previous: list[netlist.Pair]) -> bool:
    try:
        now = await netlist.read_bridges(board)
        await netlist.apply_changes(board, [p for p in now if p not in previous], [p for p in previous if p not in now])
        return sorted(await netlist.read_bridges(board)) == sorted(previous)
    except Exception:
        return False


BRIDGES_PARAM = Param(
    "bridges",
    {
        "type": "array",
        "items": {
            "anyOf": [
                {"type": "array", "items": {"type": ["integer", "string"]}, "minItems": 2, "maxItems": 2},
                {"type": "string"},
            ]
        },
        "maxItems": 192,
        "description": 'The bridges: [["D13", 20], [1, "GND"]] or ["D13-20", "1-GND"].',
    },
    True,
    '[[node, node], ...] or ["node-node", ...]',
)

TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="connect",
        subsystem=SUBSYSTEM,
        description="Bridge two nodes (breadboard rows 1-60 or names such as D13, A0, TOP_RAIL, GND, DAC0, ADC0, "
        "GPIO_1) and read back whether the board really made the connection. "
        + REFUSAL_NOTE
        + " A bridge that would short two supplies, directly or through the bridges already on the board, is "
        "refused before anything is sent (kind 'forbidden_connection'); one the board does not make (no free "
        "path) is an error of kind 'refused'. On 5.3.x firmware the bridge is saved to the current slot.",
        params=(
            node("node1", "First node."),
            node("node2", "Second node."),
            integer(
                "duplicates",
                "JumperlOS only: parallel paths for this bridge (-1 = the board's default, 0 = single path).",
                minimum=-1,
                maximum=8,
                default=OMIT,
            ),
        ),
        output=CONNECTION,
        run=_connect,
        text=lambda r: r["message"],
        mutates=True,
    ),
    ToolSpec(
        name="disconnect",
        subsystem=SUBSYSTEM,
        description="Remove the bridge between two nodes, or every bridge on node1 when node2 is left out, and "
        "read back. Nodes of the same net may still be connected through other bridges.",
        params=(node("node1", "The node to disconnect."), node("node2", "The other end; omit to remove all.", OMIT)),
        output=CONNECTION | {"removed_all": BOOLEAN},
        optional_output=("node2", "connected", "verified"),
        run=_disconnect,
        text=lambda r: r["message"],
        mutates=True,
        destructive=True,
    ),
    ToolSpec(
        name="clear_connections",
        subsystem=SUBSYSTEM,
        description="Remove every bridge on the board (power setpoints stay). Not undoable except with "
        "snapshot_restore, or undo on JumperlOS.",
        params=(),
        output={"removed": INTEGER, "remaining": INTEGER},
        run=_clear,
        text=lambda r: f"removed {r['removed']} bridge(s); {r['remaining']} remain",
        mutates=True,
        destructive=True,
        confirm=confirm.always(lambda args: "remove every bridge on the board (clear all connections)"),
    ),
    firmware_tool(
        "is_connected",
        "is_connected",
        SUBSYSTEM,
        "Whether two nodes are in the same net now. On 5.3.x firmware this sees only saved bridges (connect "
        "saves them).",
        result="connected",
        result_schema=BOOLEAN,
        text=lambda r: "connected" if r["connected"] else "not connected",
    ),
    ToolSpec(
        name="get_netlist",
        subsystem=SUBSYSTEM,
        description="The nets on the board: number, name, member nodes, LED colour and, for nets on a rail, DAC "
        "or ADC, the voltage. Nets 1-5 are GND, the rails and the DACs. 5.3.x firmware has no net API: nets are "
        "grouped from the saved bridges and have no colour.",
        params=(),
        output={"nets": {"type": "array", "items": {"type": "object"}}},
        run=_netlist,
        text=_netlist_text,
    ),
    ToolSpec(
        name="get_bridges",
        subsystem=SUBSYSTEM,
        description="Every bridge (node pair) on the board, as stored by the firmware.",
        params=(),
        output={"bridges": BRIDGE_LIST, "count": INTEGER},
        run=_bridges,
        text=lambda r: ", ".join(f"{a}-{b}" for a, b in r["bridges"]) or "no bridges",
    ),
    ToolSpec(
        name="apply_netlist",
        subsystem=SUBSYSTEM,
        description="Set many bridges at once, atomically. mode 'replace' makes the board hold exactly these "
        "bridges (others are removed); 'add' keeps what is there. dry_run=true only reports what would be added, "
        "removed and refused (the firmware's rules simulated on the host), sending nothing that changes the "
        "board. Otherwise nothing is sent if any bridge would be refused; the changes go in one round trip, are "
        "read back, and on any failure the previous bridges are restored (rolled_back).",
        params=(
            BRIDGES_PARAM,
            choice("mode", ["replace", "add"], "replace: exactly these bridges; add: keep the others.", "replace"),
            boolean("dry_run", "Only report the plan.", False),
        ),
        output={
            "add": BRIDGE_LIST,
            "remove": BRIDGE_LIST,
            "unchanged": BRIDGE_LIST,
            "refused": {"type": "array", "items": {"type": "object"}},
            "dry_run": BOOLEAN,
            "applied": BOOLEAN,
            "rolled_back": BOOLEAN,
            "bridges": BRIDGE_LIST,
        },
        optional_output=("bridges",),
        run=_apply,
        mutates=True,
        destructive=True,
        confirm=_apply_confirm,
    ),
    firmware_tool(
        "get_path_between",
        "get_path_between",
        SUBSYSTEM,
        "How the crossbars route the bridge between two nodes (net, chips, coordinates), or null when the "
        "firmware found no path. JumperlOS only.",
        result="path",
        result_schema=ANY,
    ),
]
