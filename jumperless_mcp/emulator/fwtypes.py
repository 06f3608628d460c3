"""The firmware's custom Python objects (GPIOState, node, ProbePad...) with their exact reprs."""

from __future__ import annotations

from firmware_api import nodes
from firmware_api.values import GPIODirection, GPIOPull, GPIOState, ProbeButton
from firmware_api.versions import Family


class FirmwareObject:
    """A named, int-like value: prints its name, compares equal to its number."""

    __slots__ = ("name", "value")

    def __init__(self, value: int, name: str) -> None:
        self.value = value
        self.name = name

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __int__(self) -> int:
        return self.value

    __index__ = __int__

    def __bool__(self) -> bool:
        return self.value == 1

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FirmwareObject):
            return type(self) is type(other) and self.value == other.value
        if isinstance(other, (bool, int)):
            return self.value == int(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)


class GPIOStateObject(FirmwareObject):
    @classmethod
    def of(cls, state: GPIOState) -> GPIOStateObject:
        return cls(int(state), state.name)


class GPIODirectionObject(FirmwareObject):
    @classmethod
    def of(cls, direction: GPIODirection) -> GPIODirectionObject:
        return cls(int(direction), direction.name)

    def __bool__(self) -> bool:
        return self.value == int(GPIODirection.OUTPUT)


class GPIOPullObject(FirmwareObject):
    @classmethod
    def of(cls, pull: GPIOPull, family: Family) -> GPIOPullObject:
        return cls(int(pull), pull.printed(family))


class ConnectionStateObject(FirmwareObject):
    @classmethod
    def of(cls, connected: bool) -> ConnectionStateObject:
        return cls(int(connected), "CONNECTED" if connected else "DISCONNECTED")


class ProbeButtonObject(FirmwareObject):
    @classmethod
    def of(cls, value: int) -> ProbeButtonObject:
        return cls(value, ProbeButton(value).name)


class ProbePadObject(FirmwareObject):
    """Rows print as numbers on 5.3.x and as PAD_n on JumperlOS; -1 is NO_PAD."""

    @classmethod
    def of(cls, pad: int, family: Family) -> ProbePadObject:
        if pad < 0:
            return cls(pad, "NO_PAD")
        if pad in nodes.ROWS:
            return cls(pad, f"PAD_{pad}" if family is Family.JUMPERLOS else str(pad))
        node = nodes.NODES.get(pad)
        return cls(pad, node.name if node else "UNKNOWN_PAD")

    def __bool__(self) -> bool:
        return self.value >= 0


class NodeObject(FirmwareObject):
    """`node(...)` and the node constants: print the first name for the value."""

    @classmethod
    def of(cls, node_id: int) -> NodeObject:
        return cls(node_id, nodes.canonical_name(node_id) if node_id in nodes.NODES else str(node_id))

    def __bool__(self) -> bool:
        return self.value != 0

    def __lt__(self, other: object) -> bool:
        return self.value < int(other)  # type: ignore[call-overload]

    def __add__(self, other: object) -> int:
        return self.value + int(other)  # type: ignore[call-overload]

    def __sub__(self, other: object) -> int:
        return self.value - int(other)  # type: ignore[call-overload]
