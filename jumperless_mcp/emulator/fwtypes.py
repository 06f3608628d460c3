"""The firmware's custom Python objects (GPIOState, node, ProbePad...): names, reprs and operators as on the board.

Each class follows its C type in modjumperless.c (`MP_DEFINE_CONST_OBJ_TYPE`, `*_print`, `*_unary_op`,
`*_binary_op`) under MicroPython's rules for calling them:

- `==`/`!=` reach a type's binary_op only when both sides have that same type (`py/obj.c
  mp_obj_equal_not_equal`: none of these types sets MP_TYPE_FLAG_EQ_CHECKS_OTHER_TYPE), so `gpio_get(1) == 1`,
  `== True` and `node('D13') == 83` are always False; without a binary_op (the 5.3.x state types) even
  `gpio_get(1) == HIGH` compares identity. A float on either side converts the object (float's own binary_op
  uses the unary_op's float conversion), so `HIGH == 1.0` is True.
- Every type has a unary_op that answers only bool/int/float, so hashing raises TypeError
  (`py/runtime.c mp_unary_op`): firmware objects cannot be dict keys or set members.
- Reversed operators are tried only for arithmetic, and the C binary_ops ignore MP_BINARY_OP_REVERSE_*, so
  `5 + node` and `'pad ' + probe_read()` raise TypeError while `node + 5` and `probe_read() + '!'` work
  (`py/objstr.c` returns MP_OBJ_NULL for str + other, `py/runtime.c` then asks the right operand for
  REVERSE_ADD). `1.5 + node` works: float's binary_op converts the node.

`value` and `name` are for the emulator's own code (the firmware objects have no such attributes).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import ClassVar

from firmware_api.c_module import ModuleTable
from firmware_api.signatures import trees_of
from firmware_api.values import GPIODirection, GPIOPull, GPIOState
from firmware_api.versions import Family
from jumperless_mcp.emulator.floats import to_float32

DEFAULT_FAMILY = Family.JUMPERLOS  # the virtual board's default persona


@cache
def _table(family: Family) -> ModuleTable:
    """The family's module table (its oldest tree: 5.3.2.4, or the 5.7.0.13 the virtual board plays)."""
    return trees_of(family)[0].table


@cache
def _first_names(family: Family, mapping: str) -> dict[int, str]:
    """value -> first name in node_mappings / pad_mappings: the name the firmware's print finds."""
    names: dict[int, str] = {}
    for name, value in getattr(_table(family), mapping).items():
        names.setdefault(value, name)
    return names


def _mp_int(other: object) -> int | None:
    """mp_obj_is_int(): an int, but not a bool (MicroPython's bool is its own type)."""
    return other if isinstance(other, int) and not isinstance(other, bool) else None


class FirmwareZeroDivisionError(ZeroDivisionError):
    """A ZeroDivisionError whose text comes from the firmware ('modulo by zero'), not from CPython."""


FirmwareZeroDivisionError.__name__ = FirmwareZeroDivisionError.__qualname__ = "ZeroDivisionError"
FirmwareZeroDivisionError.__module__ = "builtins"


class FirmwareObject:
    """A value the firmware wraps in one of its own types; subclasses say how that type behaves."""

    __slots__ = ("family", "name", "value")
    type_name: ClassVar[str] = "object"
    compares_values: ClassVar[Family] = Family.BOTH  # families whose type has a binary_op for ==
    does_arithmetic: ClassVar[Family] = Family(0)  # families whose binary_op does < <= > >= + - * // % with ints

    def __init_subclass__(cls, type_name: str = "", **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if type_name:  # type(x).__name__ and `<class 'GPIOState'>` as on the board
            cls.type_name = cls.__name__ = cls.__qualname__ = type_name
            cls.__module__ = "builtins"

    def __init__(self, value: int, name: str, *, family: Family = DEFAULT_FAMILY) -> None:
        self.value = value
        self.name = name
        self.family = family

    # print, and the unary_op: bool, int, float; nothing else (so no hash)
    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __bool__(self) -> bool:
        return self.value == 1

    def __int__(self) -> int:
        return self.value

    __index__ = __int__  # mp_obj_get_int() and indexing fall back to the int conversion

    def __float__(self) -> float:
        return float(int(self))

    def __hash__(self) -> int:
        raise TypeError(f"unsupported type for __hash__: '{self.type_name}'")

    # equality: same type through the binary_op, floats through float's, anything else by identity
    def __eq__(self, other: object) -> bool:
        if type(other) is type(self) and self.family & self.compares_values:
            return self.value == other.value  # type: ignore[attr-defined]
        if isinstance(other, float):
            return float(self) == other
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self == other

    # the JumperlOS node and ProbePad binary_ops: compare and compute with ints or their own type
    def _operand(self, other: object) -> int | None:
        if not self.family & self.does_arithmetic:
            return None
        if type(other) is type(self):
            return other.value  # type: ignore[attr-defined]
        return _mp_int(other)

    def _compare(self, other: object, test: Callable[[int, int], bool]) -> bool:
        operand = self._operand(other)
        return NotImplemented if operand is None else test(self.value, operand)

    def __lt__(self, other: object) -> bool:
        return self._compare(other, int.__lt__)

    def __le__(self, other: object) -> bool:
        return self._compare(other, int.__le__)

    def __gt__(self, other: object) -> bool:
        return self._compare(other, int.__gt__)

    def __ge__(self, other: object) -> bool:
        return self._compare(other, int.__ge__)

    def _compute(self, other: object, op: Callable[[int, int], int]) -> int:
        operand = self._operand(other)
        return NotImplemented if operand is None else op(self.value, operand)

    def __add__(self, other: object) -> object:
        return self._compute(other, int.__add__)

    def __sub__(self, other: object) -> int:
        return self._compute(other, int.__sub__)

    def __mul__(self, other: object) -> int:
        return self._compute(other, int.__mul__)

    def __floordiv__(self, other: object) -> int:
        return self._compute(other, _c_divide)

    def __mod__(self, other: object) -> int:
        return self._compute(other, _c_remainder)

    # float on the left: float's binary_op converts us (mp_obj_get_float_maybe -> the unary_op)
    def _from_float(self, other: object, op: Callable[[float, float], float]) -> float:
        if not isinstance(other, float):
            return NotImplemented
        try:
            return to_float32(op(other, float(self)))
        except ZeroDivisionError:
            raise FirmwareZeroDivisionError("divide by zero") from None

    def __radd__(self, other: object) -> float:
        return self._from_float(other, float.__add__)

    def __rsub__(self, other: object) -> float:
        return self._from_float(other, float.__sub__)

    def __rmul__(self, other: object) -> float:
        return self._from_float(other, float.__mul__)

    def __rtruediv__(self, other: object) -> float:
        return self._from_float(other, float.__truediv__)

    def __rfloordiv__(self, other: object) -> float:
        return self._from_float(other, float.__floordiv__)

    def __rmod__(self, other: object) -> float:
        return self._from_float(other, float.__mod__)

    def __rpow__(self, other: object) -> float:
        return self._from_float(other, float.__pow__)


def _c_divide(a: int, b: int) -> int:
    """C's int division: truncates toward zero."""
    if b == 0:
        raise FirmwareZeroDivisionError("division by zero")
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


def _c_remainder(a: int, b: int) -> int:
    """C's %: the sign of the dividend."""
    if b == 0:
        raise FirmwareZeroDivisionError("modulo by zero")
    return a - b * _c_divide(a, b)


class GPIOStateObject(FirmwareObject, type_name="GPIOState"):
    """HIGH/LOW/FLOATING: true only when HIGH. 5.3.x has no binary_op for it (V5 mjc gpio_state_type)."""

    compares_values = Family.JUMPERLOS

    @classmethod
    def of(cls, state: GPIOState, *, family: Family = DEFAULT_FAMILY) -> GPIOStateObject:
        return cls(int(state), state.name, family=family)


class GPIODirectionObject(FirmwareObject, type_name="GPIODirection"):
    """OUTPUT is true. int() differs by family: JumperlOS OUTPUT=0/INPUT=1, 5.3.x OUTPUT=1/INPUT=0.

    `value` keeps the `firmware_api.values.GPIODirection` number in both families.
    """

    compares_values = Family.JUMPERLOS

    @classmethod
    def of(cls, direction: GPIODirection, *, family: Family = DEFAULT_FAMILY) -> GPIODirectionObject:
        return cls(int(direction), direction.name, family=family)

    @property
    def _output(self) -> bool:
        return self.value == int(GPIODirection.OUTPUT)

    def __bool__(self) -> bool:
        return self._output

    def __int__(self) -> int:
        if self.family is Family.LEGACY:
            return int(self._output)
        return 0 if self._output else 1

    __index__ = __int__


class GPIOPullObject(FirmwareObject, type_name="GPIOPull"):
    """Only PULLUP is true. The print differs by family (gpio_pull_print): 5.3.x NONE for 0 and bus keeper."""

    compares_values = Family.JUMPERLOS

    @classmethod
    def of(cls, pull: GPIOPull, family: Family = DEFAULT_FAMILY) -> GPIOPullObject:
        return cls(int(pull), _pull_name(int(pull), family), family=family)


def _pull_name(value: int, family: Family) -> str:
    names = {1: "PULLUP", -1: "PULLDOWN"}
    if family is Family.JUMPERLOS:
        names[2] = "BUS_KEEPER"
    return names.get(value, "NO_PULL" if family is Family.JUMPERLOS else "NONE")


class ConnectionStateObject(FirmwareObject, type_name="ConnectionState"):
    compares_values = Family.JUMPERLOS

    @classmethod
    def of(cls, connected: bool, *, family: Family = DEFAULT_FAMILY) -> ConnectionStateObject:
        return cls(int(connected), "CONNECTED" if connected else "DISCONNECTED", family=family)


class ProbeButtonObject(FirmwareObject, type_name="ProbeButton"):
    """CONNECT (1) and REMOVE (2) are true; anything else prints NONE."""

    compares_values = Family.JUMPERLOS

    @classmethod
    def of(cls, value: int, *, family: Family = DEFAULT_FAMILY) -> ProbeButtonObject:
        return cls(value, {1: "CONNECT", 2: "REMOVE"}.get(value, "NONE"), family=family)

    def __bool__(self) -> bool:
        return self.value != 0


class ProbePadObject(FirmwareObject, type_name="ProbePad"):
    """The first pad_mappings name for the pad (PAD_12, NANO_D13, NO_PAD...) in both families; true unless -1.

    `pad + 'text'` concatenates the printed name (probe_pad_binary_op, both families).
    """

    does_arithmetic = Family.JUMPERLOS

    @classmethod
    def of(cls, pad: int, family: Family = DEFAULT_FAMILY) -> ProbePadObject:
        return cls(pad, pad_name(pad, family), family=family)

    def __bool__(self) -> bool:
        return self.value != -1

    def __add__(self, other: object) -> object:
        if isinstance(other, str):
            return self.name + other
        return super().__add__(other)


def pad_name(pad: int, family: Family = DEFAULT_FAMILY) -> str:
    """jl_get_pad_name(): the first pad_mappings entry, else the row number, else UNKNOWN_PAD."""
    name = _first_names(family, "pad_names").get(pad)
    if name is not None:
        return name
    return str(pad) if 1 <= pad <= 60 else "UNKNOWN_PAD"


class NodeObject(FirmwareObject, type_name="node"):
    """`node(...)` and the node constants: rows print as numbers, others as the first node_mappings name."""

    does_arithmetic = Family.JUMPERLOS

    @classmethod
    def of(cls, node_id: int, *, family: Family = DEFAULT_FAMILY) -> NodeObject:
        return cls(node_id, node_name(node_id, family), family=family)

    def __bool__(self) -> bool:
        return self.value != 0


def node_name(node_id: int, family: Family = DEFAULT_FAMILY) -> str:
    """node_print(): jl_get_node_name() (rows as numbers, else the first node_mappings name), else the number."""
    if 1 <= node_id <= 60:
        return str(node_id)
    return _first_names(family, "node_names").get(node_id, str(node_id))


FIRMWARE_TYPES: tuple[type[FirmwareObject], ...] = (
    GPIOStateObject,
    GPIODirectionObject,
    GPIOPullObject,
    ConnectionStateObject,
    ProbeButtonObject,
    ProbePadObject,
    NodeObject,
)
