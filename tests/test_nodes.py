"""Tests for the node table and name resolution (protocol §5, §4.1, §4.4, §2.3)."""

from __future__ import annotations

from collections import Counter

import pytest

from firmware_api import nodes
from firmware_api.nodes import (
    NODES,
    SPECIAL_NETS,
    Node,
    NodeKind,
    UnknownNodeError,
    all_names,
    canonical_name,
    forbidden_pair,
    gpio_pin_for,
    node,
    pwm_pin_for,
    resolve_node,
    short_name,
    special_nets_may_merge,
)
from firmware_api.versions import Family

LEGACY = Family.LEGACY
JOS = Family.JUMPERLOS


# --- table contents ---------------------------------------------------------------------------------------------


def test_table_covers_exactly_the_documented_ids() -> None:
    expected = (
        set(range(1, 61))
        | set(range(69, 122))
        | {126, 127}
        | set(range(131, 141))
        | set(range(142, 149))
        | set(range(150, 190))
    )
    assert set(NODES) == expected
    assert all(NODES[i].id == i for i in NODES)


@pytest.mark.parametrize(
    ("node_id", "name", "short", "kind"),
    [
        (1, "1", "1", NodeKind.ROW),
        (60, "60", "60", NodeKind.ROW),
        (69, "NANO_VIN", "VIN", NodeKind.NANO),
        (70, "NANO_D0", "D0", NodeKind.NANO),
        (83, "NANO_D13", "D13", NodeKind.NANO),
        (84, "NANO_RESET", "RESET", NodeKind.NANO),
        (85, "NANO_AREF", "AREF", NodeKind.NANO),
        (86, "NANO_A0", "A0", NodeKind.NANO),
        (93, "NANO_A7", "A7", NodeKind.NANO),
        (94, "NANO_RESET_0", "RST0", NodeKind.NANO),
        (95, "NANO_RESET_1", "RST1", NodeKind.NANO),
        (96, "NANO_GND_1", "N_GND1", NodeKind.NANO),
        (97, "NANO_GND_0", "N_GND0", NodeKind.NANO),
        (98, "NANO_3V3", "NANO_3V3", NodeKind.NANO),
        (99, "NANO_5V", "NANO_5V", NodeKind.NANO),
        (100, "GND", "GND", NodeKind.GND),
        (101, "TOP_RAIL", "TOP_R", NodeKind.RAIL),
        (102, "BOTTOM_RAIL", "BOT_R", NodeKind.RAIL),
        (103, "SUPPLY_3V3", "3V3", NodeKind.SUPPLY),
        (104, "TOP_RAIL_GND", "TOP_GND", NodeKind.RAIL_GND),
        (105, "SUPPLY_5V", "5V", NodeKind.SUPPLY),
        (106, "DAC0", "DAC_0", NodeKind.DAC),
        (107, "DAC1", "DAC_1", NodeKind.DAC),
        (108, "ISENSE_PLUS", "I_POS", NodeKind.ISENSE),
        (109, "ISENSE_MINUS", "I_NEG", NodeKind.ISENSE),
        (110, "ADC0", "ADC_0", NodeKind.ADC),
        (114, "ADC4", "ADC_4", NodeKind.ADC),
        (115, "ADC7", "ADC_7", NodeKind.ADC),
        (116, "RP_UART_TX", "UART_Tx", NodeKind.UART),
        (117, "RP_UART_RX", "UART_Rx", NodeKind.UART),
        (118, "RP_GPIO_18", "GP_18", NodeKind.GPIO),
        (119, "RP_GPIO_19", "GP_19", NodeKind.GPIO),
        (120, "SUPPLY_8V_P", "8V_P", NodeKind.SUPPLY),
        (121, "SUPPLY_8V_N", "8V_N", NodeKind.SUPPLY),
        (126, "BOTTOM_RAIL_GND", "BOT_GND", NodeKind.RAIL_GND),
        (127, "EMPTY_NET", "EMPTY", NodeKind.SPECIAL),
        (131, "RP_GPIO_1", "GP_1", NodeKind.GPIO),
        (138, "RP_GPIO_8", "GP_8", NodeKind.GPIO),
        (139, "ROUTABLE_BUFFER_IN", "BUF_IN", NodeKind.BUFFER),
        (140, "ROUTABLE_BUFFER_OUT", "BUF_OUT", NodeKind.BUFFER),
        (142, "LOGO_PAD_TOP", "LOGO_T", NodeKind.PAD),
        (148, "BUILDING_PAD_BOTTOM", "BLDG_BOT", NodeKind.PAD),
        (150, "FAKE_GP_OUT_0", "FAKE_GP_OUT_0", NodeKind.FAKE_GPIO),
        (157, "FAKE_GP_OUT_7", "FAKE_GP_OUT_7", NodeKind.FAKE_GPIO),
        (158, "FAKE_GP_IN_0", "FAKE_GP_IN_0", NodeKind.FAKE_GPIO),
        (189, "FAKE_GP_IN_31", "FAKE_GP_IN_31", NodeKind.FAKE_GPIO),
    ],
)
def test_names_and_kinds(node_id: int, name: str, short: str, kind: NodeKind) -> None:
    entry = NODES[node_id]
    assert entry.name == name
    assert entry.short == short
    assert entry.kind is kind
    assert canonical_name(node_id) == name
    assert short_name(node_id) == short


def test_print_name_is_first_name_for_value() -> None:
    # §4.1: print(D13) -> NANO_D13, print(GPIO_1) -> RP_GPIO_1, print(UART_TX) -> RP_UART_TX, rows as numbers.
    assert str(node("D13")) == "NANO_D13"
    assert str(node("GPIO_1")) == "RP_GPIO_1"
    assert str(node("UART_TX")) == "RP_UART_TX"
    assert str(node(17)) == "17"
    assert int(node("GND")) == 100


def test_short_names_match_defines_to_char_list() -> None:
    # The §2.3 list of definesToChar names, in id order 100..140 (with 122-125 unused).
    listed = [
        "GND",
        "TOP_R",
        "BOT_R",
        "3V3",
        "TOP_GND",
        "5V",
        "DAC_0",
        "DAC_1",
        "I_POS",
        "I_NEG",
        "ADC_0",
        "ADC_1",
        "ADC_2",
        "ADC_3",
        "ADC_4",
        "ADC_7",
        "UART_Tx",
        "UART_Rx",
        "GP_18",
        "GP_19",
        "8V_P",
        "8V_N",
        "BOT_GND",
        "EMPTY",
        "GP_1",
        "GP_2",
        "GP_3",
        "GP_4",
        "GP_5",
        "GP_6",
        "GP_7",
        "GP_8",
        "BUF_IN",
        "BUF_OUT",
    ]
    ids = [i for i in range(100, 141) if i in NODES]
    assert [short_name(i) for i in ids] == listed
    nano = [
        "VIN",
        "D0",
        "D1",
        "D2",
        "D3",
        "D4",
        "D5",
        "D6",
        "D7",
        "D8",
        "D9",
        "D10",
        "D11",
        "D12",
        "D13",
        "RESET",
        "AREF",
        "A0",
        "A1",
        "A2",
        "A3",
        "A4",
        "A5",
        "A6",
        "A7",
    ]
    nano += ["RST0", "RST1", "N_GND1", "N_GND0", "NANO_3V3", "NANO_5V"]
    assert [short_name(i) for i in range(69, 100)] == nano


@pytest.mark.parametrize(
    ("node_id", "aliases"),
    [
        (100, {"GROUND"}),
        (101, {"TOPRAIL", "T_R", "TOP_R", "T_RAIL"}),
        (102, {"BOT_RAIL", "BOTTOMRAIL", "BOTRAIL", "B_R", "BOT_R", "B_RAIL"}),
        (103, {"3V3", "3.3V"}),
        (105, {"5V", "+5V"}),
        (106, {"DAC_0", "DAC0_5V"}),
        (107, {"DAC_1", "DAC1_8V"}),
        (
            108,
            {
                "ISENSE_POS",
                "ISENSE_P",
                "INA_P",
                "I_P",
                "CURRENT_SENSE_PLUS",
                "ISENSE_POSITIVE",
                "I_POS",
            },
        ),
        (
            109,
            {
                "ISENSE_NEG",
                "ISENSE_N",
                "INA_N",
                "I_N",
                "CURRENT_SENSE_MINUS",
                "ISENSE_NEGATIVE",
                "I_NEG",
            },
        ),
        (111, {"ADC_1", "ADC1_8V"}),
        (114, {"ADC_4", "ADC4_5V"}),
        (115, {"ADC_7", "ADC7_PROBE", "PROBE"}),
        (116, {"UART_TX", "TX", "RP_GPIO_16"}),
        (117, {"UART_RX", "RX", "RP_GPIO_17"}),
        (120, {"8V_P", "8V_POS"}),
        (121, {"8V_N", "8V_NEG"}),
        (126, {"BOT_GND", "BOTTOM_GND"}),
        (131, {"GPIO_1", "GPIO1", "GP_1", "GP1", "GPIO_20"}),
        (138, {"GPIO_8", "GPIO8", "GP_8", "GP8", "GPIO_27"}),
        (139, {"BUFFER_IN", "BUF_IN", "BUFF_IN", "BUFFIN"}),
        (140, {"BUFFER_OUT", "BUF_OUT", "BUFF_OUT", "BUFFOUT"}),
        (150, {"FAKE_GPIO_1"}),
        (157, {"FAKE_GPIO_8"}),
    ],
)
def test_documented_aliases_present_and_resolve(node_id: int, aliases: set[str]) -> None:
    assert aliases <= set(NODES[node_id].aliases)
    for alias in aliases:
        assert resolve_node(alias) == node_id


def test_aliases_are_upper_case_and_exclude_canonical_name() -> None:
    for entry in NODES.values():
        assert entry.name not in entry.aliases
        assert all(alias == alias.upper() for alias in entry.aliases)
        assert len(set(entry.aliases)) == len(entry.aliases)


def test_no_spelling_maps_to_two_ids() -> None:
    spellings = Counter(s for entry in NODES.values() for s in (entry.name, *entry.aliases))
    assert [s for s, count in spellings.items() if count > 1] == []
    names = all_names()
    assert len(names) == sum(spellings.values())
    for entry in NODES.values():
        for spelling in (entry.name, *entry.aliases):
            assert names[spelling] == entry.id


def test_all_names_returns_a_copy() -> None:
    names = all_names()
    names["BOGUS"] = 1
    assert "BOGUS" not in all_names()
    assert names["GND"] == 100
    assert names["42"] == 42


def test_constants() -> None:
    assert nodes.GND == 100
    assert nodes.TOP_RAIL == 101
    assert nodes.BOTTOM_RAIL == 102
    assert nodes.DAC0 == 106
    assert nodes.DAC1 == 107
    assert nodes.ADC7 == 115
    assert nodes.UART_TX == 116
    assert nodes.UART_RX == 117
    assert tuple(range(131, 139)) == nodes.GPIO_NODES
    assert nodes.BUFFER_IN == 139
    assert nodes.BUFFER_OUT == 140
    assert nodes.BOTTOM_RAIL_GND == 126
    assert list(nodes.ROWS) == list(range(1, 61))
    assert SPECIAL_NETS == {
        1: ("GND", 100),
        2: ("Top Rail", 101),
        3: ("Bottom Rail", 102),
        4: ("DAC 0", 106),
        5: ("DAC 1", 107),
    }


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        NODES[1] = NODES[2]  # type: ignore[index]
    with pytest.raises(AttributeError):
        NODES[1].name = "x"  # type: ignore[misc]


# --- resolution -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (60, 60),
        (100, 100),
        (189, 189),
        ("1", 1),
        ("60", 60),
        (" 42 ", 42),
        ("100", 100),
        ("131", 131),
        ("gnd", 100),
        ("  Top_Rail  ", 101),
        ("t_r", 101),
        ("bottomRail", 102),
        ("3.3v", 103),
        ("+5v", 105),
        ("d13", 83),
        ("Nano_D13", 83),
        ("a7", 93),
        ("gpio_3", 133),
        ("gp3", 133),
        ("GPIO_22", 133),
        ("uart_tx", 116),
        ("Probe", 115),
        ("isense_plus", 108),
        ("i_neg", 109),
        ("buf_out", 140),
        ("logo_t", 142),
        ("fake_gpio_1", 150),
        ("fake_gp_in_31", 189),
        ("vin", 69),
    ],
)
def test_resolve_node(value: int | str, expected: int) -> None:
    assert resolve_node(value) == expected
    assert node(value).id == expected


def test_resolve_node_object() -> None:
    assert resolve_node(NODES[101]) == 101
    assert node(NODES[131]) is NODES[131]
    fake = Node(101, "X", "X", (), NodeKind.RAIL, frozenset())
    with pytest.raises(UnknownNodeError):
        resolve_node(fake)


@pytest.mark.parametrize("value", [0, 61, 68, 122, 125, 128, 141, 149, 190, -1, 1000])
def test_unknown_ids(value: int) -> None:
    with pytest.raises(UnknownNodeError) as info:
        resolve_node(value)
    assert str(info.value).startswith("Unknown node name")
    assert str(value) in str(info.value)


@pytest.mark.parametrize("value", ["0", "61", "122", "201", "999", "TOPRAL", "nope", "", "top rail", "D14"])
def test_unknown_strings(value: str) -> None:
    with pytest.raises(UnknownNodeError) as info:
        resolve_node(value)
    message = str(info.value)
    assert message.startswith("Unknown node name")
    assert repr(value) in message
    assert isinstance(info.value, ValueError)
    assert info.value.value == value


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(UnknownNodeError) as info:
        resolve_node("TOPRAL")
    assert "TOPRAIL" in str(info.value)


@pytest.mark.parametrize("value", [True, False, 1.0, None, b"GND", [1]])
def test_wrong_types_rejected(value: object) -> None:
    with pytest.raises(TypeError) as info:
        resolve_node(value)  # type: ignore[arg-type]
    assert type(value).__name__ in str(info.value)


def test_canonical_and_short_name_of_unknown_id() -> None:
    with pytest.raises(UnknownNodeError):
        canonical_name(61)
    with pytest.raises(UnknownNodeError):
        short_name(123)


# --- routability ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("node_id", [1, 30, 60, 70, 93, 100, 107, 110, 117, 131, 138, 139, 140])
def test_routable_in_both_families(node_id: int) -> None:
    assert NODES[node_id].routable == frozenset({LEGACY, JOS})
    assert NODES[node_id].is_routable(LEGACY)
    assert NODES[node_id].is_routable(JOS)
    assert NODES[node_id].is_routable(Family.BOTH)


@pytest.mark.parametrize(
    "node_id",
    [69, 94, 95, 96, 97, 98, 99, 118, 119, 120, 121, 126, 127, 142, 148, 182, 189],
)
def test_never_routable(node_id: int) -> None:
    assert NODES[node_id].routable == frozenset()
    assert not NODES[node_id].is_routable(LEGACY)
    assert not NODES[node_id].is_routable(JOS)


@pytest.mark.parametrize("node_id", [150, 157, 158, 181])
def test_fake_gpio_routable_only_in_jumperlos(node_id: int) -> None:
    entry = NODES[node_id]
    assert entry.is_routable(JOS)
    assert not entry.is_routable(LEGACY)
    assert not entry.is_routable(Family.BOTH)


def test_pads_never_routable() -> None:
    pads = [entry for entry in NODES.values() if entry.kind is NodeKind.PAD]
    assert [p.id for p in pads] == list(range(142, 149))
    assert not any(p.routable for p in pads)


# --- connection restrictions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (100, 101),
        (100, 102),
        (100, 107),
        (101, 106),
        (101, 107),
        (102, 106),
        (102, 107),
        (101, 102),
        (131, 101),
        (138, 107),
        (116, 102),
        (117, 106),
        (140, 101),
    ],
)
def test_forbidden_in_both_families_and_symmetric(a: int, b: int) -> None:
    for family in (LEGACY, JOS, Family.BOTH):
        assert forbidden_pair(a, b, family)
        assert forbidden_pair(b, a, family)


@pytest.mark.parametrize(("a", "b"), [(100, 106), (106, 107)])
def test_forbidden_only_in_legacy(a: int, b: int) -> None:
    assert forbidden_pair(a, b, LEGACY)
    assert forbidden_pair(b, a, LEGACY)
    assert not forbidden_pair(a, b, JOS)
    assert not forbidden_pair(b, a, JOS)
    assert forbidden_pair(a, b, Family.BOTH)


@pytest.mark.parametrize(
    ("a", "b"),
    [(1, 2), (1, 101), (131, 132), (139, 101), (140, 100), (108, 109), (116, 83)],
)
def test_allowed_pairs(a: int, b: int) -> None:
    assert not forbidden_pair(a, b, LEGACY)
    assert not forbidden_pair(a, b, JOS)


def test_special_nets_never_merge_except_gnd_dac0_on_jos() -> None:
    for a in range(1, 6):
        for b in range(1, 6):
            if a == b:
                continue
            assert not special_nets_may_merge(a, b, LEGACY)
            expected_jos = {a, b} == {1, 4}
            assert special_nets_may_merge(a, b, JOS) is expected_jos
            assert not special_nets_may_merge(a, b, Family.BOTH)


def test_user_nets_always_merge() -> None:
    for family in (LEGACY, JOS):
        assert special_nets_may_merge(6, 7, family)
        assert special_nets_may_merge(1, 6, family)
        assert special_nets_may_merge(59, 5, family)
        assert special_nets_may_merge(2, 2, family)
    with pytest.raises(ValueError):
        special_nets_may_merge(0, 6, JOS)


# --- GPIO / PWM pins --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pin", range(1, 11))
def test_gpio_pin_plain_numbers(pin: int) -> None:
    assert gpio_pin_for(pin) == pin


@pytest.mark.parametrize("raw", range(20, 28))
def test_gpio_pin_raw_rp_numbers(raw: int) -> None:
    assert gpio_pin_for(raw) == raw - 19


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("GPIO_3", 3),
        ("gpio_1", 1),
        ("GP8", 8),
        ("GPIO_27", 8),
        ("RP_GPIO_5", 5),
        ("uart_tx", 9),
        ("UART_RX", 10),
        ("tx", 9),
        (NODES[131], 1),
        (NODES[138], 8),
        (NODES[116], 9),
        (NODES[117], 10),
    ],
)
def test_gpio_pin_names_and_nodes(value: str | Node, expected: int) -> None:
    assert gpio_pin_for(value) == expected


@pytest.mark.parametrize("value", [131, 138, 116, 0, 11, 19, 28, -1])
def test_gpio_pin_bad_ints(value: int) -> None:
    with pytest.raises(ValueError) as info:
        gpio_pin_for(value)
    assert "1-10" in str(info.value)


def test_gpio_pin_131_hint_names_the_node() -> None:
    with pytest.raises(ValueError, match="RP_GPIO_1"):
        gpio_pin_for(131)


@pytest.mark.parametrize("value", ["GND", "D13", "GP_18", NODES[101]])
def test_gpio_pin_non_gpio_nodes(value: str | Node) -> None:
    with pytest.raises(ValueError, match="not a GPIO pin"):
        gpio_pin_for(value)


def test_gpio_pin_unknown_name_and_types() -> None:
    with pytest.raises(UnknownNodeError):
        gpio_pin_for("GPIO_9")
    for bad in (True, 1.0, None):
        with pytest.raises(TypeError):
            gpio_pin_for(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (8, 8), (131, 1), (138, 8), ("GPIO_2", 2), ("gp_7", 7), (NODES[134], 4)],
)
def test_pwm_pin(value: int | str | Node, expected: int) -> None:
    assert pwm_pin_for(value) == expected


@pytest.mark.parametrize("value", [0, 9, 10, 20, 130, 139, "UART_TX", "GND", NODES[116]])
def test_pwm_pin_rejects(value: int | str | Node) -> None:
    with pytest.raises(ValueError):
        pwm_pin_for(value)


def test_pwm_pin_rejects_bool() -> None:
    with pytest.raises(TypeError):
        pwm_pin_for(True)
