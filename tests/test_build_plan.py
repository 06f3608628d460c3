"""The build planner (pure): parts vocabulary, rows, bridges split by stage, static shorts, expected readings."""

from __future__ import annotations

import pytest

from firmware_api import nodes
from jumperless_mcp.bench.build_plan import (
    PartSpec,
    dip_rows,
    network_ohms,
    parse_ohms,
    placement_for,
    plan_build,
)
from jumperless_mcp.bench.guide import instruction, overlay_args
from jumperless_mcp.errors import ArgumentError

DIVIDER = {"VCC": ["TOP_RAIL", "R1.1"], "MID": ["R1.2", "R2.1", "ADC0"], "GND": ["GND", "R2.2"]}
DIVIDER_PARTS = [
    {"name": "R1", "kind": "resistor", "value": "10k"},
    {"name": "R2", "kind": "resistor", "value": "4.7k"},
]


def test_divider_plan_rows_bridges_and_checks() -> None:
    plan = plan_build(DIVIDER, DIVIDER_PARTS, {"TOP_RAIL": 3.3})
    assert [p.rows for p in plan.placements] == [{"1": 1, "2": 3}, {"1": 3, "2": 5}]
    assert plan.net_rows == {"VCC": [1], "MID": [3], "GND": [5]}
    assert plan.wiring == [(3, nodes.ADC0)]  # signal nodes: before the safe-check
    assert plan.supply_bridges == [(1, nodes.TOP_RAIL), (5, nodes.GND)]  # after it, at 0 V
    assert plan.fixed_bridges == [] and plan.supplies == {"TOP_RAIL": 3.3}
    assert [(p.net_a, p.net_b, p.row_a, p.row_b) for p in plan.safe_pairs] == [("VCC", "GND", 1, 5)]
    assert plan.shorts == []
    assert plan_build(DIVIDER, DIVIDER_PARTS, {"TOP_RAIL": 3.3}) == plan  # deterministic


def test_dip_across_the_channel_with_a_fixed_supply() -> None:
    netlist = {
        "VCC": ["5V", "U1.8", "U1.4", "C1.1"],
        "GND": ["GND", "U1.1", "C1.2"],
        "OUT": ["U1.3", "LED1.anode"],
        "K": ["LED1.cathode", "R1.1"],
        "RET": ["R1.2", "BOTTOM_RAIL_GND"],
    }
    parts = [
        {"name": "U1", "kind": "dip8", "value": "NE555"},
        {"name": "C1", "kind": "capacitor", "value": "100n"},
        {"name": "LED1", "kind": "led"},
        {"name": "R1", "kind": "resistor", "value": "330"},
    ]
    plan = plan_build(netlist, parts)
    assert plan.placements[0].rows == {"1": 1, "2": 2, "3": 3, "4": 4, "5": 34, "6": 33, "7": 32, "8": 31}
    assert plan.net_rows["VCC"] == [4, 31]  # two DIP pins on one net: joined by a wiring bridge
    assert (4, 31) in plan.wiring
    assert plan.fixed_bridges == [(4, nodes.SUPPLY_5V)]  # energising: only at power-up
    assert plan.placements[2].rows == {"anode": 3, "cathode": 7}  # the LED shares U1.3's row
    assert {(p.net_a, p.net_b) for p in plan.safe_pairs} == {("VCC", "GND"), ("VCC", "RET")}


@pytest.mark.parametrize(
    ("netlist", "parts", "supplies", "words"),
    [
        ({"A": ["R1.1", "R1.2"]}, DIVIDER_PARTS[:1], None, "shorted"),
        ({"A": ["TOP_RAIL", "GND", "R1.1"], "B": ["R1.2"]}, DIVIDER_PARTS[:1], {"TOP_RAIL": 1}, "dead short"),
        ({"A": ["R9.1"]}, DIVIDER_PARTS[:1], None, "no part named 'R9'"),
        ({"A": ["R1.3"]}, DIVIDER_PARTS[:1], None, "no pin '3'"),
        ({"A": ["R1.1", "12"]}, DIVIDER_PARTS[:1], None, "the plan chooses the rows"),
        ({"A": ["R1.1", "NOPE"]}, DIVIDER_PARTS[:1], None, "NOPE"),
        ({"A": ["R1.1"], "B": ["R1.1"]}, DIVIDER_PARTS[:1], None, "in nets A and B"),
        (DIVIDER, DIVIDER_PARTS, None, "no voltage given for TOP_RAIL"),
        (DIVIDER, DIVIDER_PARTS, {"TOP_RAIL": 3.3, "DAC1": 1}, "DAC1 is in no net"),
    ],
)
def test_bad_netlists_name_the_problem(netlist: dict, parts: list, supplies: dict | None, words: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        plan_build(netlist, parts, supplies)
    assert words in str(caught.value)


@pytest.mark.parametrize("value", ["10", "0"])
def test_a_low_part_across_a_supply_is_a_short_in_the_plan(value: str) -> None:
    parts = [{"name": "R1", "kind": "resistor", "value": value}]
    plan = plan_build({"VCC": ["TOP_RAIL", "R1.1"], "GND": ["GND", "R1.2"]}, parts, {"TOP_RAIL": 3.3})
    assert [(s.part, s.net_a, s.net_b, s.ohms) for s in plan.shorts] == [("R1", "VCC", "GND", float(value))]
    assert not plan_build({"VCC": ["TOP_RAIL", "R1.1"], "X": ["R1.2"]}, parts, {"TOP_RAIL": 3.3}).shorts


def test_placements_values_and_the_oled_and_overlay() -> None:
    assert parse_ohms("4k7") == 4700 and parse_ohms("1M") == 1e6 and parse_ohms(220) == 220 and parse_ohms("0") == 0
    with pytest.raises(ArgumentError):
        parse_ohms("ten")
    led = placement_for(PartSpec.of("LED1", "led"), [20, 45])
    assert led.rows == {"anode": 20, "cathode": 45}
    assert instruction(led).splitlines()[:2] == ["Place LED1", "A20 K45"]
    x, y, height, width, colors = overlay_args(led)
    assert (x, y, height, width) == (15, 1, 10, 6)  # columns 15-20, both halves
    cell = {(cx, cy): colors[(cy - 1) * width + cx - 15] for cx in range(15, 21) for cy in range(1, 11)}
    assert {k for k, c in cell.items() if c} == {(20, cy) for cy in range(1, 6)} | {(15, cy) for cy in range(6, 11)}
    assert cell[(20, 1)] != cell[(15, 6)]  # the anode in its own colour
    assert dip_rows(PartSpec.of("U1", "dip14").kind, 24) == {
        **{str(n): 23 + n for n in range(1, 8)},
        **{str(n): 54 + 14 - n for n in range(8, 15)},
    }
    for rows, words in (([24, 24], "two different rows"), ([10], "two different rows"), ([0, 3], "1-60")):
        with pytest.raises(ArgumentError, match=words):
            placement_for(PartSpec.of("R1", "resistor"), rows)
    with pytest.raises(ArgumentError, match="does not fit"):
        placement_for(PartSpec.of("U1", "dip16"), [25])
    with pytest.raises(ArgumentError, match="kind"):
        PartSpec.of("X1", "transistor")


def test_network_ohms() -> None:
    assert network_ohms([(1, 3, 10e3), (3, 5, 4.7e3)], 3, 5) == pytest.approx(4700)
    assert network_ohms([(1, 3, 10e3)], 3, 5) is None
    assert network_ohms([(1, 2, 100), (1, 2, 100)], 1, 2) == pytest.approx(50)
    assert network_ohms([(1, 2, 100), (2, 3, 100), (1, 3, 200)], 1, 3) == pytest.approx(100)
    assert network_ohms([(1, 2, 0), (2, 3, 50)], 1, 3) == pytest.approx(50)


def test_dips_side_by_side_until_the_board_is_full() -> None:
    dips = [{"name": f"U{n}", "kind": "dip16"} for n in range(1, 5)]
    plan = plan_build({"GND": ["GND", "U1.8", "U2.8", "U3.8"]}, dips[:3])
    assert [p.first_row for p in plan.placements] == [1, 10, 19]  # one free column between them
    assert plan.net_rows["GND"] == [8, 17, 26] and plan.wiring == [(8, 17), (8, 26)]
    with pytest.raises(ArgumentError, match="do not fit") as caught:
        plan_build({"GND": ["GND", "U1.8"]}, dips)
    assert caught.value.parameter == "parts"
