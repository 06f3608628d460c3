"""The firmware's net information functions: net names and colours, bridges, routed paths.

JOS mjc :2485-2935 over API :752-995. The virtual board routes nets without crossbar chips, so a path's
chips and coordinates are -1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from firmware_api import nodes
from jumperless_mcp.emulator import strict
from jumperless_mcp.emulator.function_group import FunctionGroup

if TYPE_CHECKING:
    from jumperless_mcp.emulator.routing import Net

MAX_NETS = 60  # the nets the net-information API answers for (jl_get_net_name & co. check netNum < MAX_NETS)
_COLOR_NAMES = {"red": 0xFF0000, "orange": 0xFF8000, "yellow": 0xFFFF00, "green": 0x00FF00, "cyan": 0x00FFFF,
                "blue": 0x0000FF, "purple": 0x8000FF, "magenta": 0xFF00FF, "pink": 0xFF80C0, "white": 0xFFFFFF,
                "black": 0x000000}  # fmt: skip  # a subset of parseColorValue's names (LEDs code, not in the reference)


class NetFunctions(FunctionGroup):
    """get/set_net_name, net colours, get_net_info/nodes, bridges, get_*_path*."""

    def _net(self, number: int) -> Net | None:
        return next((n for n in self.board.netlist.nets() if n.number == number), None)

    def get_net_name(self, net: int) -> str | None:
        return self.board.net_name(net) if 0 <= net < MAX_NETS else None

    @strict.converts_itself(1)
    def set_net_name(self, net: int, name: object) -> None:
        """None clears a custom name; anything else must be a str (mp_obj_str_get_str)."""
        text = None if name is None else strict.get_str(name)
        if not 0 <= net < MAX_NETS:
            return
        if text is None:
            self.board.net_names.pop(net, None)
        else:
            self.board.net_names[net] = text

    def get_net_color(self, net: int) -> int:
        return self.board.net_color(net)[0] if 0 <= net < MAX_NETS else 0

    def get_net_color_name(self, net: int) -> str:
        return self.board.net_color(net)[1] if 0 <= net < MAX_NETS else "unknown"

    @strict.converts_itself(1, 2, 3)
    def set_net_color(self, net: int, *color: object) -> bool:
        """A name or '#RRGGBB' (False when it does not parse), a 0xRRGGBB int, an (r, g, b) list, or r, g, b."""
        if len(color) == 1:
            value = color[0]
            if isinstance(value, str):
                parsed = _parse_color_name(value)
                return parsed is not None and self._set_color(net, parsed[0], parsed[1])
            if isinstance(value, int) and not isinstance(value, bool):
                return self._set_rgb(net, *_channels(strict.machine_word(value)))
            if isinstance(value, (tuple, list)) and len(value) >= 3:
                return self._set_rgb(net, *(strict.get_int(c) for c in value[:3]))
            raise ValueError("Color must be string name, hex integer, or (r,g,b) tuple")
        if len(color) == 3:
            return self._set_rgb(net, *(strict.get_int(c) for c in color))
        raise ValueError("Invalid arguments for set_net_color")

    def set_net_color_hsv(self, net: int, hue: float, saturation: float = -1.0, value: float = -1.0) -> bool:
        """JOS API :869: h in 0-1 scales everything by 255, else 0-255; omitted s = 255, omitted v = 32."""
        if not 0 <= net < MAX_NETS:
            return False
        if 0.0 <= hue <= 1.0:
            h = int(hue * 255) & 0xFF
            s = 255 if saturation < 0 else int(saturation * 255) & 0xFF
            v = 32 if value < 0 else int(value * 255) & 0xFF
        else:
            h, s, v = (int(hue) & 0xFF, 255 if saturation < 0 else int(saturation) & 0xFF,
                       32 if value < 0 else int(value) & 0xFF)  # fmt: skip
        r, g, b = _hsv_to_rgb(h, s, v)
        return self._set_color(net, (r << 16) | (g << 8) | b, f"hsv({h},{s},{v})")

    def _set_rgb(self, net: int, r: int, g: int, b: int) -> bool:
        raw = ((r & 0xFF) << 16) | ((g & 0xFF) << 8) | (b & 0xFF)
        return self._set_color(net, raw, f"#{raw:06X}")

    def _set_color(self, net: int, raw: int, name: str) -> bool:
        if not 0 <= net < MAX_NETS:
            return False
        self.board.net_colors[net] = (raw, name)
        return True

    def get_num_nets(self) -> int:
        return self.board.number_of_nets()

    def get_num_bridges(self) -> int:
        return len(self.board.netlist.bridges)

    def get_net_nodes(self, net: int) -> str:
        found = self._net(net)
        return ",".join(nodes.short_name(n) for n in found.nodes) if found else ""

    def get_bridge(self, index: int) -> tuple[int, int, int] | None:
        bridges = self.board.netlist.bridges
        if not 0 <= index < len(bridges):
            return None
        bridge = bridges[index]
        return (bridge.a, bridge.b, bridge.duplicates)

    def get_net_info(self, net: int) -> dict | None:
        name = self.get_net_name(net)
        if name is None:
            return None
        return {"name": name, "number": net, "color": self.get_net_color(net),
                "color_name": self.get_net_color_name(net), "nodes": self.get_net_nodes(net)}  # fmt: skip

    def get_all_nets(self) -> list[dict | None]:
        return [self.get_net_info(i) for i in range(self.get_num_nets())]

    def _paths(self) -> list[dict]:
        """Routed bridges as paths; the virtual board has no crossbar chips, so coordinates are -1."""
        nets, _ = self.board.netlist.routed()
        return [{"node1": br.a, "node2": br.b, "net": net.number, "chips": [-1] * 4, "x": [-1] * 6,
                 "y": [-1] * 6, "duplicate": 0} for net in nets for br in net.bridges]  # fmt: skip

    def get_num_paths(self, include_duplicates: bool = True) -> int:
        return len(self._paths())

    def get_path_info(self, index: int) -> dict | None:
        paths = self._paths()
        return paths[index] if 0 <= index < len(paths) else None

    def get_all_paths(self) -> list[dict]:
        paths = self._paths()
        self.ctx.main_port(f"jl_get_all_path_info: numBridges={self.get_num_bridges()}, numPaths={len(paths)}\r\n")
        return paths

    def get_path_between(self, node1: int, node2: int) -> dict | None:
        return next((p for p in self._paths() if {p["node1"], p["node2"]} == {node1, node2}), None)


def _parse_color_name(text: str) -> tuple[int, str] | None:
    """A colour name or '#RRGGBB', as parseColorValue accepts them (the names it knows are a subset here)."""
    word = text.strip().lower()
    if word in _COLOR_NAMES:
        return _COLOR_NAMES[word], text
    if word.startswith("#") and len(word) == 7:
        try:
            return int(word[1:], 16), text
        except ValueError:
            return None
    return None


def _channels(color: int) -> tuple[int, int, int]:
    return (color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF


def _hsv_to_rgb(h: int, s: int, v: int) -> tuple[int, int, int]:
    """HSV 0-255 to RGB; assumed: the common integer HsvToRgb (the firmware's LED code is not in the reference)."""
    if s == 0:
        return v, v, v
    region, remainder = h // 43, (h - (h // 43) * 43) * 6
    p = (v * (255 - s)) >> 8
    q = (v * (255 - ((s * remainder) >> 8))) >> 8
    t = (v * (255 - ((s * (255 - remainder)) >> 8))) >> 8
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][min(region, 5)]
