"""Slots, whole-board state, server-side snapshots and the JumperlOS undo history."""

from __future__ import annotations

import json
import re
from typing import Any

from firmware_api.versions import Family
from jumperless_mcp.bench import netlist, snapshots
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import (
    BOOLEAN,
    INTEGER,
    OMIT,
    STRING,
    Param,
    ToolSpec,
    boolean,
    integer,
)
from jumperless_mcp.tools.integers import whole

SUBSYSTEM = "slots"
NUM_SLOTS = 8
FS_READ_LIMIT = 4095  # fs_read returns at most this many bytes
NODE_NAMES = {"type": "array", "items": {"type": "string"}}
BRIDGE_LIST = {"type": "array", "items": NODE_NAMES}
NET_LIST = {"type": "array", "items": NODE_NAMES}
POWER = {"type": "object", "additionalProperties": {"type": "number"}}
STRINGS = {"type": "array", "items": {"type": "string"}}
SNAPSHOT_SUMMARY = {"name": STRING, "family": STRING, "nets": NET_LIST, "power": POWER}
_LEGACY_PAIR = re.compile(r"(\d+)\s*-\s*(\d+)")
_YAML_BRIDGE = re.compile(r"\bn1:\s*-?\d+")
SNAPSHOT_NAME = r"^[A-Za-z0-9_.-]{1,64}$"


def slot_path(family: Family, slot: int) -> str:
    return f"/slots/slot{slot}.yaml" if family is Family.JUMPERLOS else f"/nodeFileSlot{slot}.txt"


def _bridge_count(family: Family, text: str) -> int | None:
    """Bridges in a slot file; None when fs_read cut the file short (the count would be too low)."""
    if len(text) >= FS_READ_LIMIT:
        return None
    if family is Family.JUMPERLOS:
        return len(_YAML_BRIDGE.findall(text))
    body = text.partition("{")[2].partition("}")[0]
    return len(_LEGACY_PAIR.findall(body))


def _bridges(pairs: list[netlist.Pair]) -> list[list[str]]:
    return [[netlist.name(a), netlist.name(b)] for a, b in pairs]


# --- slots -----------------------------------------------------------------------------------------


async def _slot_list(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    family = await ctx.board._family()
    async with ctx.board.batch() as batch:
        current = batch.CURRENT_SLOT()
        changes = batch.nodes_has_changes()
        files = [batch.fs_read(slot_path(family, slot)) for slot in range(NUM_SLOTS)]
    slots = []
    for slot, pending in enumerate(files):
        text = pending.value
        saved = isinstance(text, str)
        slots.append(
            {
                "slot": slot,
                "saved": saved,
                "bridges": _bridge_count(family, text) if saved else None,
                "current": slot == current.value,
            }
        )
    return {"current_slot": current.value, "unsaved_changes": bool(changes.value), "slots": slots}


def _slot_list_text(result: dict[str, Any]) -> str:
    lines = [f"current slot {result['current_slot']}" + (" (unsaved changes)" if result["unsaved_changes"] else "")]
    for entry in result["slots"]:
        if entry["saved"]:
            count = "?" if entry["bridges"] is None else entry["bridges"]
            lines.append(f"slot {entry['slot']}: {count} bridge(s)" + (" *" if entry["current"] else ""))
    return "\n".join(lines)


async def _slot_switch(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        current = batch.CURRENT_SLOT()
        changes = batch.nodes_has_changes()
    leaving = current.value != args["slot"]  # the firmware does nothing when asked for the slot it has loaded
    if leaving and changes.value and not args["force"]:
        raise ToolFailure(
            f"slot {current.value} has unsaved changes, which switching away would drop (older firmware) or save "
            "into the slot (recent JumperlOS): decide first with slot_save or slot_discard, or call again with "
            "force=true",
            "unsaved_changes",
            False,
            {"current_slot": current.value},
        )
    async with ctx.board.batch() as batch:
        previous = batch.switch_slot(args["slot"])
        now = batch.CURRENT_SLOT()
    pairs = await netlist.read_bridges(ctx.board)
    if now.value != args["slot"]:
        raise ToolFailure(
            f"the board is still on slot {now.value} after switching to slot {args['slot']}", "switch_failed", True
        )
    return {
        "slot": now.value,
        "previous": previous.value,
        "left_unsaved_changes": bool(leaving and changes.value),
        "bridges": _bridges(pairs),
        "count": len(pairs),
    }


async def _slot_switch_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """Loading another slot replaces the board's bridges (and on JumperlOS its rail and DAC voltages)."""
    current = await ctx.board.CURRENT_SLOT()
    if current == args["slot"]:
        return None  # the firmware changes nothing
    power = " and rail/DAC voltages" if ctx.board.family is Family.JUMPERLOS else ""
    return f"load slot {args['slot']}: its saved bridges{power} replace what is on the board (now slot {current})"


async def _slot_save_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """Saving over a slot file that holds bridges wipes them; an empty or missing slot file asks nothing."""
    family = await ctx.board._family()
    slot = args["slot"] if "slot" in args else await ctx.board.CURRENT_SLOT()
    if not 0 <= slot < NUM_SLOTS:
        return None
    text = await ctx.board.fs_read(slot_path(family, slot))  # not a string when the file is missing
    if not isinstance(text, str):
        return None
    count = _bridge_count(family, text)
    if count == 0:
        return None
    held = "saved bridges" if count is None else f"{count} saved bridge(s)"
    return f"overwrite slot {slot}, which holds {held}, with what is on the board now"


async def _state_set_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    document = _state_document(args["state"])
    sections = [section for section in snapshots.STATE_SECTIONS if section in document]
    power = ", ".join(f"{name} {volts:g} V" for name, volts in snapshots.state_power(document).items())
    words = f"set the board state ({', '.join(sections)})"
    if power:
        words += f" with power {power}"
    if args["clear_first"]:
        words += "; every connection is removed first"
    return words


async def _slot_save(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    if ctx.memory.core2_paused:
        raise ToolFailure(
            "core 2 is paused (core2_pause); saving a slot now would deadlock the firmware. Resume it with "
            "core2_resume first, then save",
            "core2_paused",
            False,
        )
    family = await ctx.board._family()
    async with ctx.board.batch() as batch:
        saved = batch.nodes_save(args.get("slot", -1))
        current = batch.CURRENT_SLOT()
        changes = batch.nodes_has_changes()
    target = saved.value
    wanted = args.get("slot", current.value)
    written = await ctx.board.fs_exists(slot_path(family, target)) if 0 <= target < NUM_SLOTS else False
    if target != wanted or not written:
        raise ToolFailure(
            f"saving to slot {wanted} failed: the firmware answered slot {target} and the slot file "
            f"{'exists' if written else 'is missing'}",
            "save_failed",
            True,
        )
    return {
        "slot": target,
        "current_slot": current.value,
        "unsaved_changes": bool(changes.value),
        "file": slot_path(family, target),
    }


async def _slot_discard(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        batch.nodes_discard()
        changes = batch.nodes_has_changes()
    pairs = await netlist.read_bridges(ctx.board)
    return {"unsaved_changes": bool(changes.value), "bridges": _bridges(pairs), "count": len(pairs)}


# --- whole-board state (JumperlOS) ------------------------------------------------------------------


async def _state_get(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    state = await ctx.board.get_state()
    if not isinstance(state, dict):
        raise ToolFailure(f"get_state() returned {type(state).__name__}, not a JSON object", "firmware_error")
    return state


def _state_document(value: object) -> dict[str, Any]:
    allowed = 'a JSON object with any of "power", "nets", "gpio", "overlays" (as state_get returns)'
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ArgumentError("state", f"not valid JSON: {exc}", allowed) from None
    if not isinstance(value, dict):
        raise ArgumentError("state", f"must be a JSON object, got {type(value).__name__}", allowed)
    if not any(section in value for section in snapshots.STATE_SECTIONS):
        raise ArgumentError("state", "has none of the sections power, nets, gpio, overlays", allowed)
    return value


async def _state_set(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    document = _state_document(args["state"])
    async with ctx.board.batch() as batch:
        code = batch.set_state(document, args["clear_first"])
        after = batch.get_state()
    if code.value != 0:
        raise ToolFailure(
            f"the firmware rejected the state (set_state returned {code.value}; it prints the reason on its main "
            "port): check the sections against what state_get returns",
            "refused",
            False,
            {"result": code.value},
        )
    state = after.value
    have = snapshots.state_nets(state)
    missing = [net for net in snapshots.state_nets(document) if not any(net <= other for other in have)]
    problems = [f"net {', '.join(names)} is missing" for names in snapshots.named(missing)]
    problems += snapshots.differences(set(), set(), snapshots.state_power(document), snapshots.state_power(state))
    return {"matches": not problems, "differences": problems, "state": state}


# --- snapshots (server-side) --------------------------------------------------------------------------


def _summary(name: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"name": name} | snapshots.summary(snapshot)


async def _snapshot_save(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    snapshot = await snapshots.capture(ctx.board)
    replaced = name in ctx.memory.snapshots
    ctx.memory.snapshots[name] = snapshot
    return _summary(name, snapshot) | {"replaced": replaced}


async def _snapshot_restore(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    snapshot = ctx.memory.snapshots.get(name)
    if snapshot is None:
        saved = ", ".join(sorted(ctx.memory.snapshots)) or "none saved yet (use snapshot_save)"
        raise ArgumentError("name", f"no snapshot named {name!r}", saved)
    family = snapshots.family_word(await ctx.board._family())
    if snapshot["family"] != family:
        raise ToolFailure(
            f"snapshot {name!r} was taken on {snapshot['family']} firmware; this board runs {family}",
            "incompatible_snapshot",
        )
    report = await snapshots.restore(ctx.board, snapshot)
    return {"name": name} | report


async def _snapshot_list(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"snapshots": [_summary(name, snap) for name, snap in sorted(ctx.memory.snapshots.items())]}


# --- undo history (JumperlOS) -----------------------------------------------------------------------


async def _step(ctx: ToolContext, function: str) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        moved = batch.call(function)
        position = batch.history_position()
        size = batch.history_size()
        label = batch.history_label(0)
    return {"moved": bool(moved.value), "position": position.value, "size": size.value, "label": label.value}


async def _undo(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _step(ctx, "undo")


async def _redo(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _step(ctx, "redo")


async def _history(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    around = whole(args["around"], "around", "0-20")  # before anything is sent
    async with ctx.board.batch() as batch:
        position = batch.history_position()
        size = batch.history_size()
    here, count = position.value, size.value
    indexes = range(max(0, here - around), min(count, here + around + 1))
    async with ctx.board.batch() as batch:
        labels = [batch.history_label(index - here) for index in indexes]
    entries = [
        {"position": index, "label": label.value, "current": index == here}
        for index, label in zip(indexes, labels, strict=True)
    ]
    return {"position": here, "size": count, "entries": entries}


def _history_text(result: dict[str, Any]) -> str:
    lines = [f"history {result['position']} of {result['size']}"]
    lines += [f"{'>' if e['current'] else ' '} {e['position']}: {e['label']}" for e in result["entries"]]
    return "\n".join(lines)


def _step_text(result: dict[str, Any]) -> str:
    if not result["moved"]:
        return f"nothing to move to (at {result['position']} of {result['size']})"
    return f"now at {result['position']} of {result['size']}: {result['label']}"


SLOT_PARAM_DOC = "Slot 0-7."
NAME = Param(
    "name",
    {
        "type": "string",
        "pattern": SNAPSHOT_NAME,
        "default": "default",
        "description": "Snapshot name: 1-64 letters, digits, _ . or -.",
    },
    False,
    "1-64 letters, digits, _ . -",
)
STATE = Param(
    "state",
    {
        "type": ["object", "string"],
        "description": 'The state as state_get returns it (or its JSON text): any of "power" '
        '({"top_rail": 5.0, ...}), "nets" ([{"nodes": ["TOP_R", "10"]}, ...]), "gpio", "overlays".',
    },
    True,
    "a JSON object (or its text)",
)
STEP_OUTPUT = {"moved": BOOLEAN, "position": INTEGER, "size": INTEGER, "label": STRING}
HISTORY_NOTE = (
    "JumperlOS keeps an undo log of connections and power changes (also changes made from the board's own "
    "menus and probe)."
)

TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="slot_list",
        subsystem=SUBSYSTEM,
        description="The board's 8 slots (0-7): which is loaded now, whether it has unsaved changes, and for each "
        "slot whether a saved file exists and how many bridges it holds (null when the file is too big to count "
        "from its first 4 KB). Files: /slots/slotN.yaml on JumperlOS, /nodeFileSlotN.txt on 5.3.x (5.3.x "
        "creates all eight, empty, at boot).",
        params=(),
        output={
            "current_slot": INTEGER,
            "unsaved_changes": BOOLEAN,
            "slots": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "slot": INTEGER,
                        "saved": BOOLEAN,
                        "bridges": {"type": ["integer", "null"]},
                        "current": BOOLEAN,
                    },
                },
            },
        },
        run=_slot_list,
        text=_slot_list_text,
    ),
    ToolSpec(
        name="slot_switch",
        subsystem=SUBSYSTEM,
        description="Load another slot: its saved bridges (and on JumperlOS its rail and DAC voltages) replace "
        "what is on the board. If the current slot has unsaved changes the tool refuses (kind 'unsaved_changes'): "
        "older firmware drops them on a switch and recent JumperlOS builds save them into the slot being left, "
        "so keep them with slot_save or drop them with slot_discard first, or pass force=true. Switching to the "
        "slot already loaded changes nothing. Returns the bridges now on the board.",
        params=(
            integer("slot", SLOT_PARAM_DOC, minimum=0, maximum=NUM_SLOTS - 1),
            boolean("force", "Switch even if the current slot has unsaved changes.", False),
        ),
        output={
            "slot": INTEGER,
            "previous": INTEGER,
            "left_unsaved_changes": BOOLEAN,
            "bridges": BRIDGE_LIST,
            "count": INTEGER,
        },
        run=_slot_switch,
        text=lambda r: f"slot {r['slot']} loaded (was {r['previous']}): {r['count']} bridge(s)",
        mutates=True,
        destructive=True,
        confirm=_slot_switch_confirm,
    ),
    ToolSpec(
        name="slot_save",
        subsystem=SUBSYSTEM,
        description="Save what is on the board (bridges; on JumperlOS also rail/DAC voltages and GPIO setup) to a "
        "slot file, overwriting it; leave `slot` out for the current slot. Saving to another slot does not "
        "switch to it. Refused while core 2 is paused (core2_pause): the firmware would deadlock. On 5.3.x, "
        "connect already saves each bridge to the current slot.",
        params=(
            integer("slot", "Slot 0-7 (default: the current slot).", minimum=0, maximum=NUM_SLOTS - 1, default=OMIT),
        ),
        output={"slot": INTEGER, "current_slot": INTEGER, "unsaved_changes": BOOLEAN, "file": STRING},
        run=_slot_save,
        text=lambda r: f"saved to slot {r['slot']} ({r['file']})",
        mutates=True,
        destructive=True,
        confirm=_slot_save_confirm,
    ),
    ToolSpec(
        name="slot_discard",
        subsystem=SUBSYSTEM,
        description="Throw away unsaved changes: the firmware puts back the state it recorded when its Python "
        "session began or the slot was last loaded (nodes_discard). On 5.3.x, where connect saves every bridge "
        "at once, there is usually nothing to discard. Returns the bridges now on the board.",
        params=(),
        output={"unsaved_changes": BOOLEAN, "bridges": BRIDGE_LIST, "count": INTEGER},
        run=_slot_discard,
        text=lambda r: f"changes discarded: {r['count']} bridge(s) on the board",
        mutates=True,
        destructive=True,
    ),
    ToolSpec(
        name="state_get",
        subsystem=SUBSYSTEM,
        description="The whole board as one JSON object (JumperlOS get_state): power (rail and DAC setpoints), "
        "nets (index, name, nodes, special kind, voltage for rail/DAC/ADC nets, logic level for GPIO nets), gpio "
        "(per pin: net, function, direction, pull, reading) and overlays (LED overlays). Feed it back to "
        "state_set. JumperlOS only.",
        params=(),
        output={
            "power": {"type": "object"},
            "nets": {"type": "array", "items": {"type": "object"}},
            "gpio": {"type": "array", "items": {"type": "object"}},
            "overlays": {"type": "array", "items": {"type": "object"}},
        },
        optional_output=("gpio", "overlays"),
        run=_state_get,
        text=lambda r: json.dumps(r),
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="state_set",
        subsystem=SUBSYSTEM,
        description="Set the whole board from a state_get-shaped JSON object (JumperlOS set_state), then read it "
        "back. Only the sections given change. With clear_first=true (default) the given nets replace every "
        "connection; false adds them. Nets are made by chaining their nodes; like connect, the firmware "
        "silently drops bridges that would short supplies, so `matches`/`differences` say which asked-for nets "
        "or power values are not on the board. An invalid document is an error of kind 'refused'. Changes are "
        "unsaved until slot_save. JumperlOS only.",
        params=(STATE, boolean("clear_first", "Remove all connections first.", True)),
        output={
            "matches": BOOLEAN,
            "differences": STRINGS,
            "state": {"type": "object"},
        },
        run=_state_set,
        text=lambda r: (
            "state applied" if r["matches"] else "state applied with differences: " + "; ".join(r["differences"])
        ),
        mutates=True,
        destructive=True,
        families=Family.JUMPERLOS,
        confirm=_state_set_confirm,
    ),
    ToolSpec(
        name="snapshot_save",
        subsystem=SUBSYSTEM,
        description="Remember the board's connections and power setpoints in the server under a name "
        "(replacing a snapshot of the same name), to put back later with snapshot_restore. JumperlOS: the "
        "whole get_state document (nets, power, GPIO setup, overlays). 5.3.x: the current slot's bridges and "
        "the DAC0, DAC1 and rail setpoints. Snapshots live in this server process only: they are gone when it "
        "restarts. Nothing on the board changes.",
        params=(NAME,),
        output=SNAPSHOT_SUMMARY | {"replaced": BOOLEAN},
        run=_snapshot_save,
        text=lambda r: f"snapshot {r['name']!r} saved: {len(r['nets'])} net(s)",
    ),
    ToolSpec(
        name="snapshot_restore",
        subsystem=SUBSYSTEM,
        description="Put a snapshot from snapshot_save back on the board, then read the board again and report "
        "whether it matches (`matches`, `differences`). Everything else on the board is replaced: JumperlOS "
        "uses set_state with clear_first; 5.3.x removes the bridges the snapshot lacks, adds the missing ones "
        "(saved to the current slot) and sets the DACs and rails. An unknown name is an error listing the saved "
        "names.",
        params=(NAME,),
        output={"name": STRING, "matches": BOOLEAN, "differences": STRINGS, "nets": NET_LIST, "power": POWER},
        run=_snapshot_restore,
        text=lambda r: (
            f"snapshot {r['name']!r} restored"
            + ("" if r["matches"] else " with differences: " + "; ".join(r["differences"]))
        ),
        mutates=True,
        destructive=True,
    ),
    ToolSpec(
        name="snapshot_list",
        subsystem=SUBSYSTEM,
        description="The snapshots this server holds (snapshot_save), each with its nets and power setpoints.",
        params=(),
        output={"snapshots": {"type": "array", "items": {"type": "object", "properties": SNAPSHOT_SUMMARY}}},
        run=_snapshot_list,
        text=lambda r: ", ".join(s["name"] for s in r["snapshots"]) or "no snapshots",
    ),
    ToolSpec(
        name="undo",
        subsystem=SUBSYSTEM,
        description="Step back one entry in the board's undo history (JumperlOS only). " + HISTORY_NOTE + " "
        "`moved` is false at the oldest entry. Returns the position and size of the history afterwards and the "
        "label of the entry now current.",
        params=(),
        output=STEP_OUTPUT,
        run=_undo,
        text=_step_text,
        mutates=True,
        idempotent=False,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="redo",
        subsystem=SUBSYSTEM,
        description="Step forward one entry in the board's undo history after undo (JumperlOS only). `moved` is "
        "false at the newest entry; a new change after undo discards the entries ahead. Returns the position "
        "and size afterwards and the label of the entry now current.",
        params=(),
        output=STEP_OUTPUT,
        run=_redo,
        text=_step_text,
        mutates=True,
        idempotent=False,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="history",
        subsystem=SUBSYSTEM,
        description="The board's undo history around the current position (JumperlOS only): position, size and "
        "the labels of up to `around` entries on each side (e.g. 'connect 12-14', 'dac 2'). " + HISTORY_NOTE,
        params=(
            integer("around", "Entries to show on each side of the current one.", minimum=0, maximum=20, default=5),
        ),
        output={
            "position": INTEGER,
            "size": INTEGER,
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"position": INTEGER, "label": STRING, "current": BOOLEAN},
                },
            },
        },
        run=_history,
        text=_history_text,
        families=Family.JUMPERLOS,
    ),
]
