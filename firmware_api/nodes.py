"""Node table of the Jumperless V5 and name resolution (protocol §5, §4.1, §4.4, §2.3).

The firmware addresses everything (breadboard rows, Nano header, rails, DACs, GPIO...) by a numeric node id.
Hosts should send numbers, because the firmware's name lookups differ between the MicroPython module and the
node-file parser; this module turns every spelling a user might type into the id, and ids back into the names
the firmware prints (`print(node)` shows the canonical name, `n`/`b`/get_state JSON show the short name).
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from firmware_api.versions import Family

# --- ids as constants, so other modules need not write magic numbers ------------------------------------------

ROWS = range(1, 61)
NANO_VIN = 69
NANO_D = range(70, 84)  # NANO_D0 .. NANO_D13
NANO_RESET = 84
NANO_AREF = 85
NANO_A = range(86, 94)  # NANO_A0 .. NANO_A7
GND = 100
TOP_RAIL = 101
BOTTOM_RAIL = 102
SUPPLY_3V3 = 103
TOP_RAIL_GND = 104
SUPPLY_5V = 105
DAC0 = 106
DAC1 = 107
ISENSE_PLUS = 108
ISENSE_MINUS = 109
ADC0 = 110
ADC1 = 111
ADC2 = 112
ADC3 = 113
ADC4 = 114
ADC7 = 115
UART_TX = 116
UART_RX = 117
RP_GPIO_18 = 118
RP_GPIO_19 = 119
SUPPLY_8V_P = 120
SUPPLY_8V_N = 121
BOTTOM_RAIL_GND = 126
EMPTY_NET = 127
GPIO_1 = 131
GPIO_2 = 132
GPIO_3 = 133
GPIO_4 = 134
GPIO_5 = 135
GPIO_6 = 136
GPIO_7 = 137
GPIO_8 = 138
GPIO_NODES: tuple[int, ...] = (
    GPIO_1,
    GPIO_2,
    GPIO_3,
    GPIO_4,
    GPIO_5,
    GPIO_6,
    GPIO_7,
    GPIO_8,
)
BUFFER_IN = 139
BUFFER_OUT = 140
PADS = range(142, 149)  # probe-only pads, never routable
FAKE_GPIO_OUT = range(150, 158)  # JumperlOS FAKE_GP_OUT_0..7
FAKE_GPIO_IN = range(158, 190)  # JumperlOS FAKE_GP_IN_0..31

# Special nets always exist (MatrixState.cpp:15-26): net number -> (name printed by `n`, node id).
SPECIAL_NETS: Mapping[int, tuple[str, int]] = MappingProxyType(
    {
        1: ("GND", GND),
        2: ("Top Rail", TOP_RAIL),
        3: ("Bottom Rail", BOTTOM_RAIL),
        4: ("DAC 0", DAC0),
        5: ("DAC 1", DAC1),
    }
)


class NodeKind(enum.Enum):
    """What a node physically is; lets callers group nodes without hard-coding id ranges."""

    ROW = "row"  # breadboard rows 1-60
    NANO = "nano"  # Arduino Nano header pins (incl. VIN, RESET_0/1, N_GND, NANO_3V3/5V)
    GND = "gnd"
    RAIL = "rail"  # the two adjustable power rails
    RAIL_GND = "rail_gnd"
    SUPPLY = "supply"  # fixed supplies 3V3, 5V, +-8V
    DAC = "dac"
    ISENSE = "isense"  # two ends of the INA shunt, always shorted internally
    ADC = "adc"
    UART = "uart"
    GPIO = "gpio"  # RP GPIO nodes: the eight user GPIO (GPIO_NODES) plus internal GP_18/GP_19
    BUFFER = "buffer"  # routable buffer in/out
    PAD = "pad"  # probe-only pads (logo, building, ...), not routable
    FAKE_GPIO = "fake_gpio"  # JumperlOS virtual GPIO nodes
    SPECIAL = "special"  # EMPTY_NET placeholder


@dataclass(frozen=True)
class Node:
    """One node id with the names the firmware prints and accepts for it."""

    id: int
    name: str
    short: str
    aliases: tuple[str, ...]
    kind: NodeKind
    routable: frozenset[Family]

    def is_routable(self, family: Family) -> bool:
        """True when isNodeValid accepts the node in every family contained in `family`."""
        members = list(family)
        return bool(members) and all(member in self.routable for member in members)

    def __int__(self) -> int:
        return self.id

    def __str__(self) -> str:
        # Mirrors the firmware's node repr, which prints the canonical name.
        return self.name


class UnknownNodeError(ValueError):
    """Raised for a name or id the firmware would reject with `ValueError: Unknown node name`."""

    def __init__(self, value: object, hint: str) -> None:
        self.value = value
        super().__init__(f"Unknown node name: {value!r}; {hint}")


# --- table construction ------------------------------------------------------------------------------------------

_BOTH = frozenset({Family.LEGACY, Family.JUMPERLOS})
_JOS_ONLY = frozenset({Family.JUMPERLOS})
_NEVER: frozenset[Family] = frozenset()

# isNodeValid (V5 FileParsing.cpp:1673-1689): 1-60, 70-93, 100-117, 131-140; JOS adds fake GPIO 150-181.
_ROUTABLE_BOTH_RANGES = (range(1, 61), range(70, 94), range(100, 118), range(131, 141))
_ROUTABLE_JOS_ONLY = range(150, 182)

# (id, canonical name, short print name, extra aliases, kind) for the hand-named nodes; loops add the rest.
_NAMED: tuple[tuple[int, str, str, tuple[str, ...], NodeKind], ...] = (
    (NANO_VIN, "NANO_VIN", "VIN", ("VIN",), NodeKind.NANO),
    (NANO_RESET, "NANO_RESET", "RESET", ("RESET",), NodeKind.NANO),
    (NANO_AREF, "NANO_AREF", "AREF", ("AREF",), NodeKind.NANO),
    (94, "NANO_RESET_0", "RST0", ("RST0",), NodeKind.NANO),
    (95, "NANO_RESET_1", "RST1", ("RST1",), NodeKind.NANO),
    (96, "NANO_GND_1", "N_GND1", ("N_GND1",), NodeKind.NANO),
    (97, "NANO_GND_0", "N_GND0", ("N_GND0",), NodeKind.NANO),
    (98, "NANO_3V3", "NANO_3V3", (), NodeKind.NANO),
    (99, "NANO_5V", "NANO_5V", (), NodeKind.NANO),
    (GND, "GND", "GND", ("GROUND",), NodeKind.GND),
    (
        TOP_RAIL,
        "TOP_RAIL",
        "TOP_R",
        ("TOPRAIL", "T_R", "TOP_R", "T_RAIL"),
        NodeKind.RAIL,
    ),
    (
        BOTTOM_RAIL,
        "BOTTOM_RAIL",
        "BOT_R",
        ("BOT_RAIL", "BOTTOMRAIL", "BOTRAIL", "B_R", "BOT_R", "B_RAIL"),
        NodeKind.RAIL,
    ),
    (SUPPLY_3V3, "SUPPLY_3V3", "3V3", ("3V3", "3.3V"), NodeKind.SUPPLY),
    (TOP_RAIL_GND, "TOP_RAIL_GND", "TOP_GND", ("TOP_GND",), NodeKind.RAIL_GND),
    (SUPPLY_5V, "SUPPLY_5V", "5V", ("5V", "+5V"), NodeKind.SUPPLY),
    (DAC0, "DAC0", "DAC_0", ("DAC_0", "DAC0_5V"), NodeKind.DAC),
    (DAC1, "DAC1", "DAC_1", ("DAC_1", "DAC1_8V"), NodeKind.DAC),
    (
        ISENSE_PLUS,
        "ISENSE_PLUS",
        "I_POS",
        (
            "ISENSE_POS",
            "ISENSE_P",
            "INA_P",
            "I_P",
            "CURRENT_SENSE_PLUS",
            "ISENSE_POSITIVE",
            "I_POS",
        ),
        NodeKind.ISENSE,
    ),
    (
        ISENSE_MINUS,
        "ISENSE_MINUS",
        "I_NEG",
        (
            "ISENSE_NEG",
            "ISENSE_N",
            "INA_N",
            "I_N",
            "CURRENT_SENSE_MINUS",
            "ISENSE_NEGATIVE",
            "I_NEG",
        ),
        NodeKind.ISENSE,
    ),
    (ADC0, "ADC0", "ADC_0", ("ADC_0", "ADC0_8V"), NodeKind.ADC),
    (ADC1, "ADC1", "ADC_1", ("ADC_1", "ADC1_8V"), NodeKind.ADC),
    (ADC2, "ADC2", "ADC_2", ("ADC_2", "ADC2_8V"), NodeKind.ADC),
    (ADC3, "ADC3", "ADC_3", ("ADC_3", "ADC3_8V"), NodeKind.ADC),
    # The C define RP_GPIO_0 is also 114 (ADC4 shares the RP pin).
    (ADC4, "ADC4", "ADC_4", ("ADC_4", "ADC4_5V", "RP_GPIO_0"), NodeKind.ADC),
    (ADC7, "ADC7", "ADC_7", ("ADC_7", "ADC7_PROBE", "PROBE"), NodeKind.ADC),
    (UART_TX, "RP_UART_TX", "UART_Tx", ("UART_TX", "TX", "RP_GPIO_16"), NodeKind.UART),
    (UART_RX, "RP_UART_RX", "UART_Rx", ("UART_RX", "RX", "RP_GPIO_17"), NodeKind.UART),
    (RP_GPIO_18, "RP_GPIO_18", "GP_18", ("GP_18",), NodeKind.GPIO),
    (RP_GPIO_19, "RP_GPIO_19", "GP_19", ("GP_19",), NodeKind.GPIO),
    (SUPPLY_8V_P, "SUPPLY_8V_P", "8V_P", ("8V_P", "8V_POS"), NodeKind.SUPPLY),
    (SUPPLY_8V_N, "SUPPLY_8V_N", "8V_N", ("8V_N", "8V_NEG"), NodeKind.SUPPLY),
    (
        BOTTOM_RAIL_GND,
        "BOTTOM_RAIL_GND",
        "BOT_GND",
        ("BOT_GND", "BOTTOM_GND"),
        NodeKind.RAIL_GND,
    ),
    (EMPTY_NET, "EMPTY_NET", "EMPTY", ("EMPTY",), NodeKind.SPECIAL),
    (
        BUFFER_IN,
        "ROUTABLE_BUFFER_IN",
        "BUF_IN",
        ("BUFFER_IN", "BUF_IN", "BUFF_IN", "BUFFIN"),
        NodeKind.BUFFER,
    ),
    (
        BUFFER_OUT,
        "ROUTABLE_BUFFER_OUT",
        "BUF_OUT",
        ("BUFFER_OUT", "BUF_OUT", "BUFF_OUT", "BUFFOUT"),
        NodeKind.BUFFER,
    ),
    # Pads have no firmware aliases; their short names are accepted as a convenience.
    (142, "LOGO_PAD_TOP", "LOGO_T", (), NodeKind.PAD),
    (143, "LOGO_PAD_BOTTOM", "LOGO_B", (), NodeKind.PAD),
    (144, "GPIO_PAD", "GPIO_PAD", (), NodeKind.PAD),
    (145, "DAC_PAD", "DAC_PAD", (), NodeKind.PAD),
    (146, "ADC_PAD", "ADC_PAD", (), NodeKind.PAD),
    (147, "BUILDING_PAD_TOP", "BLDG_TOP", (), NodeKind.PAD),
    (148, "BUILDING_PAD_BOTTOM", "BLDG_BOT", (), NodeKind.PAD),
)


def _generated() -> Iterable[tuple[int, str, str, tuple[str, ...], NodeKind]]:
    """Rows, Nano digital/analog pins, user GPIO and fake GPIO follow regular patterns."""
    for row in ROWS:
        yield row, str(row), str(row), (), NodeKind.ROW
    for i, node_id in enumerate(NANO_D):
        yield node_id, f"NANO_D{i}", f"D{i}", (f"D{i}",), NodeKind.NANO
    for i, node_id in enumerate(NANO_A):
        yield node_id, f"NANO_A{i}", f"A{i}", (f"A{i}",), NodeKind.NANO
    for i, node_id in enumerate(GPIO_NODES, start=1):
        # GPIO_n is RP GP(19+n); MicroPython also exports GPIO_20..GPIO_27 for the same nodes.
        aliases = (f"GPIO_{i}", f"GPIO{i}", f"GP_{i}", f"GP{i}", f"GPIO_{19 + i}")
        yield node_id, f"RP_GPIO_{i}", f"GP_{i}", aliases, NodeKind.GPIO
    for i, node_id in enumerate(FAKE_GPIO_OUT):
        name = f"FAKE_GP_OUT_{i}"
        yield node_id, name, name, (f"FAKE_GPIO_{i + 1}",), NodeKind.FAKE_GPIO
    for i, node_id in enumerate(FAKE_GPIO_IN):
        name = f"FAKE_GP_IN_{i}"
        yield node_id, name, name, (), NodeKind.FAKE_GPIO


def _routable_for(node_id: int) -> frozenset[Family]:
    if any(node_id in r for r in _ROUTABLE_BOTH_RANGES):
        return _BOTH
    if node_id in _ROUTABLE_JOS_ONLY:
        return _JOS_ONLY
    return _NEVER


def _build() -> tuple[dict[int, Node], dict[str, int]]:
    """Build the table and the spelling index, refusing any spelling that would be ambiguous."""
    nodes: dict[int, Node] = {}
    spellings: dict[str, int] = {}
    for node_id, name, short, extra, kind in sorted((*_NAMED, *_generated()), key=lambda entry: entry[0]):
        if node_id in nodes:
            raise RuntimeError(f"node id {node_id} defined twice")
        # Aliases: the listed ones plus the short name, upper-cased, without repeating the canonical name.
        aliases = tuple(dict.fromkeys(a.upper() for a in (*extra, short) if a.upper() != name))
        nodes[node_id] = Node(node_id, name, short, aliases, kind, _routable_for(node_id))
        for spelling in (name, *aliases):
            previous = spellings.setdefault(spelling, node_id)
            if previous != node_id:
                raise RuntimeError(f"node spelling {spelling!r} maps to both {previous} and {node_id}")
    return nodes, spellings


_NODES_DICT, _SPELLINGS = _build()
NODES: Mapping[int, Node] = MappingProxyType(_NODES_DICT)

_NUMERIC = re.compile(r"[0-9]+")
_NUMERIC_STRING_MAX = 200  # find_node_value accepts integer strings 1..200
_ID_HINT = "valid ids are rows 1-60, 69-121, 126, 127, 131-140, pads 142-148 and fake GPIO 150-189"
_NAME_HINT = "use a row number 1-60, a node id, or a name such as GND, TOP_RAIL, D13, GPIO_1"


# --- resolution ----------------------------------------------------------------------------------------------------


def _check_not_bool(value: object) -> None:
    if isinstance(value, bool):
        raise TypeError("node must be an int, str or Node, not bool")


def resolve_node(value: int | str | Node) -> int:
    """Turn any accepted node spelling into its numeric id, like the firmware's get_node_value."""
    _check_not_bool(value)
    if isinstance(value, Node):
        if NODES.get(value.id) != value:
            raise UnknownNodeError(value.id, _ID_HINT)
        return value.id
    if isinstance(value, int):
        if value not in NODES:
            raise UnknownNodeError(value, _ID_HINT)
        return value
    if isinstance(value, str):
        key = value.strip().upper()
        if _NUMERIC.fullmatch(key):
            number = int(key)
            if 1 <= number <= _NUMERIC_STRING_MAX and number in NODES:
                return number
            raise UnknownNodeError(value, _ID_HINT)
        if key in _SPELLINGS:
            return _SPELLINGS[key]
        matches = difflib.get_close_matches(key, _SPELLINGS.keys(), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(matches)}?" if matches else _NAME_HINT
        raise UnknownNodeError(value, hint)
    raise TypeError(f"node must be an int, str or Node, not {type(value).__name__}")


def node(value: int | str | Node) -> Node:
    """The Node for any accepted spelling."""
    return NODES[resolve_node(value)]


def canonical_name(node_id: int) -> str:
    """The name `print(node)` shows in MicroPython (first name for the value)."""
    return node(node_id).name


def short_name(node_id: int) -> str:
    """The name `n`, `b` and get_state JSON use (definesToChar)."""
    return node(node_id).short


def all_names() -> dict[str, int]:
    """Every accepted spelling (upper-case) -> id; a fresh dict, for completion and search."""
    return dict(_SPELLINGS)


# --- connection restrictions -------------------------------------------------------------------------------------

_RAILS_AND_DACS = (TOP_RAIL, BOTTOM_RAIL, DAC0, DAC1)
MAX_BRIDGES = {Family.LEGACY: 192, Family.JUMPERLOS: 128}  # bridges a slot holds


def _pairs(pairs: Iterable[tuple[int, int]]) -> frozenset[frozenset[int]]:
    return frozenset(frozenset(pair) for pair in pairs)


# globalDoNotIntersects (V5 MatrixState.cpp:437-495; JOS :347-412).
_FORBIDDEN_ALWAYS = _pairs(
    [
        (GND, TOP_RAIL),
        (GND, BOTTOM_RAIL),
        (GND, DAC1),
        (TOP_RAIL, DAC0),
        (TOP_RAIL, DAC1),
        (BOTTOM_RAIL, DAC0),
        (BOTTOM_RAIL, DAC1),
        (TOP_RAIL, BOTTOM_RAIL),
        *((a, b) for a in (*GPIO_NODES, UART_TX, UART_RX, BUFFER_OUT) for b in _RAILS_AND_DACS),
    ]
)
_FORBIDDEN_LEGACY_ONLY = _pairs([(GND, DAC0), (DAC0, DAC1)])


def _includes_legacy(family: Family) -> bool:
    if not family:
        raise ValueError("family must name at least one firmware family")
    return bool(family & Family.LEGACY)


def forbidden_pair(a: int, b: int, family: Family) -> bool:
    """True if the global pair blacklist forbids connecting nodes a and b.

    For Family.BOTH the answer is conservative: forbidden if any contained family forbids it.
    """
    pair = frozenset((a, b))
    if pair in _FORBIDDEN_ALWAYS:
        return True
    return _includes_legacy(family) and pair in _FORBIDDEN_LEGACY_ONLY


def special_nets_may_merge(net_a: int, net_b: int, family: Family) -> bool:
    """Whether two nets may be joined under the net-level do-not-intersect rule.

    Special nets 1..5 never merge with each other, except GND(1) with DAC 0(4) on JumperlOS only
    (conservative for Family.BOTH). Nets >= 6 are user nets and always may.
    """
    if net_a < 1 or net_b < 1:
        raise ValueError(f"net numbers start at 1, got {net_a} and {net_b}")
    legacy = _includes_legacy(family)
    if net_a == net_b or net_a not in SPECIAL_NETS or net_b not in SPECIAL_NETS:
        return True
    return {net_a, net_b} == {1, 4} and not legacy


# --- GPIO / PWM pin arguments ------------------------------------------------------------------------------------

_GPIO_ALLOWED = (
    "an int 1-10 (1-8 = GPIO_1..8, 9 = UART_TX, 10 = UART_RX), a raw RP pin 20-27, "
    "or a node name/Node GPIO_1..8, UART_TX, UART_RX"
)
_GPIO_PIN_BY_NODE: Mapping[int, int] = MappingProxyType(
    {
        **{node_id: i for i, node_id in enumerate(GPIO_NODES, start=1)},
        UART_TX: 9,
        UART_RX: 10,
    }
)


def gpio_pin_for(value: int | str | Node) -> int:
    """The firmware's gpio_* pin number 1..10 for a pin argument (map_pin_obj_to_physical_gpio, §4.4)."""
    _check_not_bool(value)
    if isinstance(value, int):
        if 1 <= value <= 10:
            return value
        if 20 <= value <= 27:
            return value - 19
        if value in _GPIO_PIN_BY_NODE:
            raise ValueError(
                f"gpio pin {value}: the firmware rejects the plain node id; pass the name "
                f"{canonical_name(value)!r} or a pin 1-10 instead ({_GPIO_ALLOWED})"
            )
        raise ValueError(f"gpio pin {value} out of range; expected {_GPIO_ALLOWED}")
    if isinstance(value, str | Node):
        node_id = resolve_node(value)
        if node_id in _GPIO_PIN_BY_NODE:
            return _GPIO_PIN_BY_NODE[node_id]
        raise ValueError(f"{canonical_name(node_id)} is not a GPIO pin; expected {_GPIO_ALLOWED}")
    raise TypeError(f"gpio pin must be an int, str or Node, not {type(value).__name__}")


_PWM_ALLOWED = "an int 1-8, a node id 131-138, or a node name/Node GPIO_1..8"


def pwm_pin_for(value: int | str | Node) -> int:
    """The firmware's pwm pin number 1..8; pwm accepts 1-8 or 131-138 (§4.4)."""
    _check_not_bool(value)
    if isinstance(value, int):
        if 1 <= value <= 8:
            return value
        if value in GPIO_NODES:
            return value - GPIO_1 + 1
        raise ValueError(f"pwm pin {value} out of range; expected {_PWM_ALLOWED}")
    if isinstance(value, str | Node):
        node_id = resolve_node(value)
        if node_id in GPIO_NODES:
            return node_id - GPIO_1 + 1
        raise ValueError(f"{canonical_name(node_id)} cannot do PWM; expected {_PWM_ALLOWED}")
    raise TypeError(f"pwm pin must be an int, str or Node, not {type(value).__name__}")
