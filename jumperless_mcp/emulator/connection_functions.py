"""The firmware's node and connection functions: connect/disconnect, slots, nodes, raw crossbar, state, undo.

JOS mjc :2330-2445 and :2474 (send_raw), :3965 (node); V5 mjc :1560-1640. 5.3.x `connect` takes `save` as
its third argument and `disconnect` writes the slot file at once; JumperlOS keeps both in RAM until saved.
"""

from __future__ import annotations

from firmware_api.versions import Family
from jumperless_mcp.emulator import state_json, strict
from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.fwtypes import ConnectionStateObject, NodeObject


class ConnectionFunctions(FunctionGroup):
    """connect, disconnect, nodes_*, slots, node, send_raw, context_*, get/set_state, undo and history_*."""

    def connect(self, node1: int, node2: int, extra: object = None) -> None:
        with self.board.lock:
            if self.family is Family.LEGACY:
                self.board.connect(node1, node2, save=bool(extra))  # V5: the third argument is `save`
            else:
                self.board.connect(node1, node2, -1 if extra is None else extra)  # type: ignore[arg-type]

    def disconnect(self, node1: int, node2: int) -> None:
        with self.board.lock:
            self.board.disconnect(node1, node2)
            if self.family is Family.LEGACY:
                self.board.save_slot()  # 5.3.x writes the flash file directly

    def fast_connect(self, node1: int, node2: int, duplicates: int = -1) -> None:
        with self.board.lock:
            self.board.connect(node1, node2, duplicates)

    def fast_disconnect(self, node1: int, node2: int) -> None:
        with self.board.lock:
            self.board.disconnect(node1, node2)

    def nodes_clear(self) -> None:
        with self.board.lock:
            self.board.clear()

    def is_connected(self, node1: int, node2: int) -> ConnectionStateObject:
        with self.board.lock:
            return ConnectionStateObject.of(self.board.is_connected(node1, node2), family=self.family)

    def nodes_save(self, slot: int = -1) -> int:
        with self.board.lock:
            return self.board.save_slot(slot)

    def nodes_discard(self) -> None:
        with self.board.lock:
            if self.board.entry_state is not None:
                self.board.restore(self.board.entry_state)

    def nodes_has_changes(self) -> bool:
        with self.board.lock:
            return self.board.has_changes()

    def switch_slot(self, slot: int) -> int:
        if not 0 <= slot < len(self.board.slots):  # NUM_SLOTS
            raise ValueError("Invalid slot number")
        with self.board.lock:
            previous = self.board.current_slot
            if slot != previous:
                self.board.load_slot(slot)
                self.board.snapshot(f"slot {slot}")
            return previous

    def CURRENT_SLOT(self) -> int:  # a function in the firmware's table, despite its name
        return self.board.current_slot

    def node(self, name: object) -> NodeObject:
        """jl_node_func (JOS mjc :3965): a name, an int, or a node (returned as is)."""
        if isinstance(name, str):
            found = strict.find_node_value(name, self.node_names)
            if found == -1:
                raise ValueError("Unknown node name")
            return NodeObject.of(found, family=self.family)
        if isinstance(name, int) and not isinstance(name, bool):
            return NodeObject.of(strict.machine_word(name), family=self.family)
        if isinstance(name, NodeObject):
            return name
        raise TypeError("Node must be created from string, int, or another node")

    def send_raw(self, chip: object, x: int, y: int, set_or_clear: int = 1) -> None:
        """jl_send_raw_func (JOS mjc :2474): an int chip, or a chip letter/number string (API :1529)."""
        if isinstance(chip, int) and not isinstance(chip, bool):
            number = strict.machine_word(chip)
        elif isinstance(chip, str):
            number = _chip_of(chip)
            if number < 0:
                return  # jl_send_raw_str ignores a chip it cannot parse
        else:
            raise ValueError("Chip must be integer (0-11) or string ('A'-'L')")
        if not 0 <= number <= 11:
            self.ctx.main_port(f"jl_send_raw: Invalid chip number: {number}\r\n")
        elif not (0 <= x <= 15 and 0 <= y <= 15):
            self.ctx.main_port(f"jl_send_raw: Invalid coordinates: {x},{y}\r\n")
        else:
            with self.board.lock:
                self.board.raw_crossbar.append((number, x, y, set_or_clear))

    def context_toggle(self) -> None:
        self.board.context = "python" if self.board.context == "global" else "global"

    def context_get(self) -> str:
        return self.board.context

    # --- the whole state as JSON (state_json) -----------------------------------------------------------
    def get_state(self) -> str:
        with self.board.lock:
            return state_json.get_state(self.board)

    def set_state(self, text: str, clear_first: bool = True, from_wokwi: bool = False) -> int:
        if from_wokwi:
            self.ctx.main_port("set_state wokwi error: Wokwi diagrams are not emulated\r\n")
            return -1
        with self.board.lock:
            try:
                state_json.set_state(self.board, text, clear_first)
            except state_json.StateError as exc:
                self.ctx.main_port(f"set_state error: {exc}\r\n")
                return -1
        return 0

    # --- undo history (JOS mjc :2400-2445) -------------------------------------------------------------------
    def undo(self) -> bool:
        with self.board.lock:
            return self.board.history_jump(self.board.history_position - 1)

    def redo(self) -> bool:
        with self.board.lock:
            return self.board.history_jump(self.board.history_position + 1)

    def history_position(self) -> int:
        return self.board.history_position

    def history_size(self) -> int:
        return len(self.board.history)

    def history_label(self, offset: int = 0) -> str:
        index = self.board.history_position + offset
        return self.board.history[index][0] if 0 <= index < len(self.board.history) else ""

    def history_jump(self, position: int) -> bool:
        with self.board.lock:
            return self.board.history_jump(position)

    def history_snapshot(self) -> bool:
        with self.board.lock:
            self.board.snapshot("python")
        return True

    def history_snapshot_count(self) -> int:
        return len(self.board.history)


def _chip_of(text: str) -> int:
    """parseChipIdentifier (JOS API :1503): one letter A-L/a-l, else atoi() in 0-11, else -1."""
    if len(text) == 1 and ("A" <= text <= "L" or "a" <= text <= "l"):
        return ord(text.upper()) - ord("A")
    digits = text.lstrip(" \t\n\v\f\r")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits[1:] if digits[:1] in "+-" and digits else digits
    lead = len(digits) - len(digits.lstrip("0123456789"))
    number = sign * int(digits[:lead]) if lead else 0
    return number if 0 <= number <= 11 else -1
