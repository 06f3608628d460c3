"""Pictures of the board and of its OLED as PNG bytes (Board.board_picture, Board.oled_picture).

Where the board has the read-only fourth port (`ports.aux`, JumperlOS 5.7.0.13+'s Ser3Backchannel) the pictures
are read there by default: it answers beside a running script and sends nothing on the REPL (link/backchannel.py).
- Board picture via the port: `:json` (the get_state() document: power, nets with their nodes and voltages,
  overlays) and `:leds` (each net in the colour of its first lit row, the LEDs as lit). The port lists nets, not
  bridges, so each net is drawn as its nodes joined in the order the firmware lists them; the firmware's placed
  parts (`list_parts`, 5.7.11+) need the REPL and are left out there (said in the notes).
- Board picture over the REPL, on every firmware: on JumperlOS `get_state()` (power, net voltages, overlays),
  `get_all_nets()` (colours), the bridges (`get_bridge`) and `list_parts` on 5.7.11+, two round trips; on 5.3.x
  the current slot file's bridges and the four setpoints (`dac_get`), two round trips, nets grouped here and
  coloured by the picture's own palette (5.3.x reports no colours).
- On an in-process virtual board the parts file it was started with is drawn too.
- OLED picture: `:oled:b64` on the port, else the framebuffer over the REPL (`oled_get_framebuffer`, JumperlOS
  only: 5.3.x cannot read it back). `OledFrame.source` and `BoardState.source` say which was used.
In "auto" a port that fails falls back to the REPL, and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Protocol

from firmware_api import nodes
from firmware_api.calls import DAC_CHANNEL_NAMES
from firmware_api.catalog import by_name
from firmware_api.errors import UnsupportedByFirmware
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.bench.bridges import key, slot_file_pairs, unique
from jumperless_mcp.errors import ArgumentError, ConnectionProblem, JumperlessError
from jumperless_mcp.link.backchannel import AUX_SINCE, Backchannel, aux_port, row_colors
from jumperless_mcp.pictures import board as board_art
from jumperless_mcp.pictures import oled as oled_art

log = logging.getLogger(__name__)
AUX_TIMEOUT = 2.0  # a fourth port that is not the backchannel costs this much before the REPL fallback
SPECIAL_NET_OF = {node_id: number for number, (_, node_id) in nodes.SPECIAL_NETS.items()}
STATE_POWER_KEYS = {"top_rail": "TOP_RAIL", "bottom_rail": "BOTTOM_RAIL", "dac0": "DAC0", "dac1": "DAC1"}
LEGACY_COLOURS = "5.3.x reports no net colours: the colours are the picture's own"
AUX_COLOURS = "net colours are the LEDs as lit (:leds); a net on no row gets the picture's own colour"
AUX_NETS = "read from the aux port alone (:json, :leds): each net drawn as its nodes joined in the firmware's order"
AUX_NO_PARTS = "the firmware's placed parts were left out: the REPL was busy (list_parts); source='repl' waits for it"
SOURCES = ("auto", "aux", "repl")


class OledDisconnected(JumperlessError):
    """The firmware reports no OLED attached (oled_get_framebuffer returned None)."""


class _Board(Protocol):
    """What the picture methods need of `Board`."""

    @property
    def virtual_board(self) -> Any: ...

    async def _firmware(self) -> FirmwareVersion: ...

    async def call(self, name: str, /, *args: object, timeout: float | None = None, **kwargs: object) -> Any: ...

    def batch(self) -> Any: ...

    @property
    def session(self) -> Any: ...


@dataclass(frozen=True)
class OledFrame:
    width: int
    height: int
    data: bytes  # SSD1306 pages: byte x + (y // 8) * width, LSB on top
    source: str = "repl"  # "aux": the fourth port's `:oled:b64`; "repl": oled_get_framebuffer


class PictureMethods:
    """Mixed into `Board`."""

    async def board_state(self: _Board, source: str = "auto") -> board_art.BoardState:
        """What the board picture shows, read from the board: `source` "auto" (the aux port where the board has
        one, else the REPL), "aux" (the port only: refused where there is none) or "repl" (see the module)."""
        if source not in SOURCES:
            raise ArgumentError("source", f"unknown source {source!r}", ", ".join(SOURCES))
        firmware = await self._firmware()
        aux = _aux_port(self, firmware)
        if source == "aux" and aux is None:
            raise UnsupportedByFirmware(
                f"source='aux' needs the read-only fourth port (JumperlOS {AUX_SINCE} or later, with an aux port "
                f"found); this board ({firmware}) has none: use source='auto' or 'repl'"
            )
        state = None
        if aux is not None and source != "repl":
            try:
                state = await _aux_state(aux, firmware)
            except ConnectionProblem as exc:
                if source == "aux":
                    raise
                log.info("aux port %s gave no board state (%s); reading it over the REPL", aux, exc)
            else:
                state = await _with_placed_parts(self, state, firmware)
        if state is None and firmware.family is Family.JUMPERLOS:
            state = await _jumperlos_state(self, firmware)
        elif state is None:
            state = await _legacy_state(self, firmware)
        parts = _virtual_parts(self.virtual_board)
        if parts:
            state = _with(state, parts=state.parts + parts)
        return state

    async def board_picture(self: _Board, source: str = "auto") -> bytes:
        """The breadboard as a person sees it, as PNG bytes (1200x560): rows, rails, Nano header, bridges,
        net colours, overlays, rail and DAC voltages, parts (`source` as in board_state)."""
        return board_art.render(await PictureMethods.board_state(self, source))  # type: ignore[arg-type]

    async def oled_frame(self: _Board, via_aux: bool = True) -> OledFrame:
        """The OLED framebuffer: the aux port's `:oled:b64` when the board has one (and `via_aux`), else
        `oled_get_framebuffer` on the REPL (JumperlOS; 5.3.x has no way to read it)."""
        firmware = await self._firmware()
        if firmware.family is not Family.JUMPERLOS:
            raise UnsupportedByFirmware(
                f"the OLED framebuffer cannot be read on {firmware}: 5.3.x has no oled_get_framebuffer or "
                "oled_get_pixel (JumperlOS 5.7 and later have both)"
            )
        aux_port = _aux_port(self, firmware)
        if via_aux and aux_port is not None:
            try:
                async with Backchannel(aux_port, AUX_TIMEOUT) as aux:
                    width, height, raw = await aux.oled()
            except ConnectionProblem as exc:
                log.info("aux port %s gave no OLED frame (%s); reading it over the REPL", aux_port, exc)
            else:
                if width <= 0:
                    raise OledDisconnected("the OLED is not connected (the aux port sent an empty frame)")
                return OledFrame(width, height, raw, "aux")
        async with self.batch() as batch:
            data, size = batch.oled_get_framebuffer(), batch.oled_get_framebuffer_size()
        dims = size.value
        if data.value is None or not isinstance(dims, (tuple, list)) or len(dims) < 2 or int(dims[0]) <= 0:
            raise OledDisconnected("the OLED is not connected (the firmware reports no display)")
        width, height = int(dims[0]), int(dims[1])
        raw = bytes(data.value)
        if height % 8 or len(raw) != width * height // 8:
            raise JumperlessError(
                f"the framebuffer has {len(raw)} bytes, but {width}x{height} needs {width * height // 8}"
            )
        return OledFrame(width, height, raw)

    async def oled_picture(self: _Board, scale: int = oled_art.DEFAULT_SCALE) -> bytes:
        """The OLED as it looks, upscaled, as PNG bytes (JumperlOS only)."""
        frame = await PictureMethods.oled_frame(self)  # type: ignore[arg-type]
        return oled_art.render(oled_art.decode(frame.data, frame.width, frame.height), scale)


# --- JumperlOS ---------------------------------------------------------------------------------------------------


async def _jumperlos_state(board: _Board, firmware: FirmwareVersion) -> board_art.BoardState:
    with_parts = _has_parts(firmware)
    async with board.batch() as batch:
        state, listed, count = batch.get_state(), batch.get_all_nets(), batch.get_num_bridges()
        placed = batch.list_parts() if with_parts else None
    async with board.batch() as batch:
        entries = [batch.get_bridge(i) for i in range(int(count.value or 0))]
    document = state.value if isinstance(state.value, dict) else {}
    voltages = {n.get("index"): n.get("voltage") for n in document.get("nets") or [] if isinstance(n, dict)}
    nets = []
    for entry in listed.value or []:
        if isinstance(entry, dict) and int(entry.get("number", 0)) >= 1:
            color = entry.get("color")
            members = str(entry.get("nodes", "")).split(",")
            net = _net(int(entry["number"]), entry.get("name"), members, voltages.get(entry["number"]))
            if net is not None:
                nets.append(replace(net, color=board_art.rgb(int(color)) if isinstance(color, int) else None))
    bridges = tuple(dict.fromkeys(_pair(e.value) for e in entries if e.value))
    return board_art.BoardState(
        firmware=f"JumperlOS {firmware}",
        bridges=bridges,
        nets=tuple(nets),
        power=_power(document),
        overlays=tuple(_overlays(document.get("overlays") or [])),
        parts=tuple(_placed_parts(placed.value if placed is not None else None)),
    )


# --- the fourth port ---------------------------------------------------------------------------------------------


def _aux_port(board: _Board, firmware: FirmwareVersion) -> str | None:
    return aux_port(firmware, board.session.ports)


async def _aux_state(path: str, firmware: FirmwareVersion) -> board_art.BoardState:
    """The board state from `:json` and `:leds` alone: nothing is sent on the REPL."""
    async with Backchannel(path, AUX_TIMEOUT) as aux:
        document = await aux.state()
        lit = row_colors(await aux.leds())
    nets, bridges = [], []
    for entry in document.get("nets") or []:  # type: ignore[union-attr]
        if not isinstance(entry, dict) or not _number(entry.get("index")):
            continue
        net = _net(int(entry["index"]), entry.get("name"), entry.get("nodes") or [], entry.get("voltage"))
        if net is None:
            continue
        nets.append(replace(net, color=next((lit[node] for node in net.nodes if node in lit), None)))
        bridges += [_pair(pair) for pair in zip(net.nodes, net.nodes[1:], strict=False)]
    return board_art.BoardState(
        firmware=f"JumperlOS {firmware}",
        bridges=tuple(dict.fromkeys(bridges)),
        nets=tuple(nets),
        power=_power(document),
        overlays=tuple(_overlays(document.get("overlays") or [])),  # type: ignore[arg-type]
        notes=(AUX_NETS, AUX_COLOURS),
        source="aux",
    )


async def _with_placed_parts(
    board: _Board, state: board_art.BoardState, firmware: FirmwareVersion
) -> board_art.BoardState:
    """The firmware's placed parts (list_parts, 5.7.11+) over the REPL, only when no request holds it now: the
    picture never waits for a running script."""
    if not _has_parts(firmware):
        return state
    if board.session.busy:
        return _with(state, notes=(*state.notes, AUX_NO_PARTS))
    placed = await board.call("list_parts")
    return _with(state, parts=state.parts + tuple(_placed_parts(placed)))


def _net(number: int, name: object, members: list[Any], volts: object) -> board_art.NetInfo | None:
    """A net from its number, name, node names and voltage (None when no member names a node)."""
    found = tuple(n for n in (_resolve(str(text)) for text in members if str(text).strip()) if n is not None)
    if not found:
        return None
    voltage = float(volts) if _number(volts) else None  # type: ignore[arg-type]
    return board_art.NetInfo(number, str(name or ""), found, None, voltage)


def _power(document: dict[str, Any]) -> dict[str, float]:
    power = document.get("power") or {}
    return {name: float(power[key]) for key, name in STATE_POWER_KEYS.items() if _number(power.get(key))}


def _has_parts(firmware: FirmwareVersion) -> bool:
    return any(f.available_in(firmware) for f in by_name().get("list_parts", ()))


def _overlays(items: list[Any]) -> list[board_art.OverlayInfo]:
    found = []
    for item in items:
        try:
            colors = tuple(int(str(c), 16) for c in item["colors"])
            found.append(
                board_art.OverlayInfo(
                    str(item["name"]),
                    int(item["row"]),
                    int(item["col"]),
                    int(item["width"]),
                    int(item["height"]),
                    colors,
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _placed_parts(listed: object) -> list[board_art.PartInfo]:
    """list_parts(): a part is drawn between its first and last pins that sit on the board."""
    found = []
    for part in listed if isinstance(listed, list) else []:
        if not isinstance(part, dict) or not part.get("placed", True):
            continue
        pins = part.get("pins") if isinstance(part.get("pins"), dict) else {}
        ends = [int(p["node"]) for p in pins.values() if isinstance(p, dict) and _number(p.get("node"))]
        ends = [n for n in ends if n > 0]
        if len(ends) >= 2:
            found.append(
                board_art.PartInfo(
                    str(part.get("name", "")),
                    str(part.get("type", "part")),
                    ends[0],
                    ends[-1],
                    str(part.get("value", "")),
                )
            )
    return found


# --- 5.3.x -------------------------------------------------------------------------------------------------------


async def _legacy_state(board: _Board, firmware: FirmwareVersion) -> board_art.BoardState:
    slot = await board.call("CURRENT_SLOT")
    async with board.batch() as batch:
        text = batch.fs_read(f"nodeFileSlot{int(slot)}.txt")
        setpoints = {name: batch.dac_get(channel) for channel, name in DAC_CHANNEL_NAMES.items()}
    bridges = tuple(unique(slot_file_pairs(text.value or "")))
    power = {name: float(p.value) for name, p in setpoints.items() if _number(p.value)}
    return board_art.BoardState(
        firmware=f"5.3.x ({firmware})",
        bridges=bridges,
        nets=tuple(_legacy_nets(bridges, power)),
        power=power,
        notes=(LEGACY_COLOURS,),
    )


def _legacy_nets(bridges: tuple[tuple[int, int], ...], power: dict[str, float]) -> list[board_art.NetInfo]:
    """Bridges grouped into nets (union-find); supply nets keep the firmware's numbers 1-5, the rest from 6."""
    parent: dict[int, int] = {}

    def root(node_id: int) -> int:
        while parent.setdefault(node_id, node_id) != node_id:
            node_id = parent[node_id]
        return node_id

    for a, b in bridges:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for node_id in parent:
        groups.setdefault(root(node_id), []).append(node_id)
    nets, number = [], 6
    for members in sorted(sorted(group) for group in groups.values()):
        special = [SPECIAL_NET_OF[n] for n in members if n in SPECIAL_NET_OF]
        if special:
            label, supply = nodes.SPECIAL_NETS[special[0]]
            volts = 0.0 if supply == nodes.GND else power.get(nodes.canonical_name(supply))
            nets.append(board_art.NetInfo(special[0], label, tuple(members), None, volts))
        else:
            nets.append(board_art.NetInfo(number, f"Net {number}", tuple(members)))
            number += 1
    return nets


# --- shared ------------------------------------------------------------------------------------------------------


def _virtual_parts(virtual: Any) -> tuple[board_art.PartInfo, ...]:
    """An in-process virtual board's parts file (only it knows those parts; a real board has no such file)."""
    model = getattr(virtual, "model", None)
    found = []
    for part in getattr(model, "parts", None) or []:
        kind = type(part).__name__.lower()
        if hasattr(part, "ohms"):
            value = _si(float(part.ohms), "\u03a9")
        elif hasattr(part, "farads"):
            value = _si(float(part.farads), "F")
        else:
            value = ""
        a, b = getattr(part, "a", None), getattr(part, "b", None)
        if isinstance(a, int) and isinstance(b, int):
            found.append(board_art.PartInfo(str(getattr(part, "name", kind)), kind, a, b, value))
    return tuple(found)


def _si(value: float, unit: str) -> str:
    for factor, prefix in ((1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "\u00b5"), (1e-9, "n"), (1e-12, "p")):
        if abs(value) >= factor:
            return f"{value / factor:g}{prefix}{unit}"
    return f"{value:g}{unit}"


def _with(state: board_art.BoardState, **changes: Any) -> board_art.BoardState:
    return replace(state, **changes)


def _pair(value: Any) -> tuple[int, int]:
    return key(int(value[0]), int(value[1]))


def _resolve(text: str) -> int | None:
    try:
        return nodes.resolve_node(text.strip())
    except (ValueError, TypeError):
        return None


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
