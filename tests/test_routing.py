"""Bridges, nets, slots and state through the virtual board's serial ports (protocol §4.2, §5, §6)."""

from __future__ import annotations

import json

import pytest
from serial_clients import MainPortClient, RawRepl

from firmware_api.versions import Family
from jumperless_mcp.emulator.routing import Bridge, Netlist

JOS = Family.JUMPERLOS
LEGACY = Family.LEGACY
SPECIAL_NAMES = ["GND", "Top Rail", "Bottom Rail", "DAC 0", "DAC 1"]


def state(repl: RawRepl) -> dict:
    return json.loads("\n".join(repl.lines("print(get_state())")))


def nets_by_index(repl: RawRepl) -> dict[int, dict]:
    return {net["index"]: net for net in state(repl)["nets"]}


def legacy_python(client: MainPortClient, source: str) -> str:
    """A `>` one-liner on the 5.3.x main port; everything it printed, line endings normalised."""
    client.send(f">{source}\n".encode())
    return client.read_quiet().decode().replace("\r\n", "\n")


# --- nets ---------------------------------------------------------------------------------------------------------


def test_bridges_form_transitive_nets(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 5)\nconnect(5, 10)\nconnect(20, 21)\nprint(get_net_nodes(6))\nprint(get_net_nodes(7))"
    )
    assert lines == ["1,5,10", "20,21"]
    nets = nets_by_index(repl)
    assert nets[6]["nodes"] == ["1", "5", "10"]
    assert nets[6]["name"] == "Net 6"
    assert nets[7]["nodes"] == ["20", "21"]
    assert sorted(nets) == [1, 2, 3, 4, 5, 6, 7]


def test_bridge_joining_two_nets_merges_them(repl: RawRepl) -> None:
    lines = repl.lines("connect(1, 2)\nconnect(3, 4)\nconnect(2, 3)\nprint(get_net_nodes(6))\nprint(get_num_bridges())")
    assert lines == ["1,2,3,4", "3"]
    assert 7 not in nets_by_index(repl)


def test_special_nets_always_exist(repl: RawRepl) -> None:
    nets = state(repl)["nets"]
    assert [n["index"] for n in nets] == [1, 2, 3, 4, 5]
    assert [n["name"] for n in nets] == SPECIAL_NAMES
    assert [n["nodes"] for n in nets] == [["GND"], ["TOP_R"], ["BOT_R"], ["DAC_0"], ["DAC_1"]]
    assert [n["special"] for n in nets] == ["none", "RAIL", "RAIL", "DAC", "DAC"]
    assert "voltage" not in nets[0]
    assert nets[1]["voltage"] == pytest.approx(3.3)


def test_row_joins_special_net(repl: RawRepl) -> None:
    repl.lines("connect(TOP_RAIL, 5)\nconnect(5, 7)")
    nets = nets_by_index(repl)
    assert nets[2]["nodes"] == ["5", "7", "TOP_R"]
    assert sorted(nets) == [1, 2, 3, 4, 5]  # no user net: the rows joined the rail's net


def test_special_nets_never_merge(repl: RawRepl) -> None:
    lines = repl.lines("connect(TOP_RAIL, 5)\nconnect(5, GND)\nprint(get_num_bridges())")
    assert lines == ["2"]  # the bridge is kept...
    nets = nets_by_index(repl)
    assert nets[1]["nodes"] == ["GND"]  # ...but skipped: GND and the top rail stay apart
    assert nets[2]["nodes"] == ["5", "TOP_R"]
    assert sorted(nets) == [1, 2, 3, 4, 5]


def test_jumperlos_lets_gnd_and_dac0_merge(repl: RawRepl) -> None:
    assert repl.lines("connect(GND, DAC0)\nprint(is_connected(GND, DAC0))") == ["CONNECTED"]
    nets = nets_by_index(repl)
    assert nets[1]["nodes"] == ["GND", "DAC_0"]


def test_forbidden_pair_is_refused_silently(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(GPIO_1, TOP_RAIL)\nprint(is_connected(GPIO_1, TOP_RAIL))\n"
        "connect(GND, TOP_RAIL)\nprint(is_connected(GND, TOP_RAIL))\n"
        "connect(DAC1, BOTTOM_RAIL)\nprint(is_connected(DAC1, BOTTOM_RAIL))\nprint(get_num_bridges())",
    )
    assert lines == ["DISCONNECTED", "DISCONNECTED", "DISCONNECTED", "0"]


def test_same_node_twice_is_refused(repl: RawRepl) -> None:
    assert repl.lines("connect(12, 12)\nprint(is_connected(12, 12))\nprint(get_num_bridges())") == ["DISCONNECTED", "0"]


def test_duplicate_bridge_is_not_added_twice(repl: RawRepl) -> None:
    assert repl.lines("connect(1, 5)\nconnect(5, 1)\nprint(get_num_bridges())") == ["1"]


def test_connect_stores_default_stack_paths(repl: RawRepl) -> None:
    # duplicates=-1 stores config.stackPaths (default 2); an explicit count is kept as given.
    assert repl.lines(
        "connect(1, 5)\nconnect(6, 7, 4)\nprint(get_bridge(0))\nprint(get_bridge(1))\nprint(get_bridge(2))"
    ) == [
        "(1, 5, 2)",
        "(6, 7, 4)",
        "None",
    ]


@pytest.mark.parametrize("code", ["connect('NOT_A_NODE', 5)", "is_connected(1, 'ROW_99X')", "disconnect('BOGUS', 2)"])
def test_unknown_node_name_raises_value_error(repl: RawRepl, code: str) -> None:
    stdout, stderr = repl.exec(code)
    assert stdout == ""
    assert stderr.startswith("Traceback (most recent call last):\n")
    assert stderr.endswith("ValueError: Unknown node name\n")


def test_node_names_and_strings_are_accepted(repl: RawRepl) -> None:
    lines = repl.lines("connect('12', 'd13')\nprint(is_connected(12, NANO_D13))\nprint(is_connected('12', 83))")
    assert lines == ["CONNECTED", "CONNECTED"]


def test_is_connected_is_direct_bridge_only(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 5)\nconnect(5, 10)\n"
        "print(is_connected(1, 5), is_connected(5, 1), is_connected(5, 10), is_connected(1, 10))\n"
        "print(int(is_connected(1, 5)), int(is_connected(1, 10)), is_connected(1, 5) == True)",
    )
    assert lines == ["CONNECTED CONNECTED CONNECTED DISCONNECTED", "1 0 False"]  # no == across types


def test_bridge_limit_is_128_on_jumperlos(repl: RawRepl) -> None:
    lines = repl.lines(
        "pairs = [(a, b) for a in range(1, 61) for b in range(a + 1, 61)][:129]\n"
        "for a, b in pairs:\n    connect(a, b)\n"
        "print(get_num_bridges())\n"
        "print(is_connected(*pairs[127]), is_connected(*pairs[128]))\n"
        "disconnect(*pairs[0])\nconnect(*pairs[128])\n"
        "print(get_num_bridges(), is_connected(*pairs[128]))",
    )
    assert lines == ["128", "CONNECTED DISCONNECTED", "128 CONNECTED"]


def test_disconnect_one_bridge(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 5)\nconnect(5, 10)\nconnect(5, 20)\ndisconnect(5, 1)\n"
        "print(is_connected(1, 5), is_connected(5, 10), is_connected(5, 20), get_num_bridges())\n"
        "print(get_net_nodes(6))",
    )
    assert lines == ["DISCONNECTED CONNECTED CONNECTED 2", "5,10,20"]


def test_disconnect_all_bridges_of_a_node(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 5)\nconnect(5, 10)\nconnect(5, 20)\nconnect(30, 31)\ndisconnect(5, -1)\n"
        "print(get_num_bridges(), is_connected(5, 10), is_connected(30, 31))\nprint(get_net_nodes(6))",
    )
    assert lines == ["1 DISCONNECTED CONNECTED", "30,31"]


def test_nodes_clear(repl: RawRepl) -> None:
    assert repl.lines("connect(1, 5)\nconnect(TOP_RAIL, 9)\nnodes_clear()\nprint(get_num_bridges())") == ["0"]
    assert [n["nodes"] for n in state(repl)["nets"]] == [["GND"], ["TOP_R"], ["BOT_R"], ["DAC_0"], ["DAC_1"]]


# --- 5.3.x semantics on the main port -----------------------------------------------------------------------------


def test_legacy_is_connected_reads_the_saved_slot(legacy_board) -> None:  # type: ignore[no-untyped-def]
    with MainPortClient(legacy_board.main_path) as client:
        assert legacy_python(client, "connect(1,5)") == ""
        assert legacy_python(client, "print(is_connected(1,5))") == "DISCONNECTED\n"
        assert legacy_python(client, "is_connected(1,5)") == "DISCONNECTED\n"  # bare expressions echo on 5.3.x
        assert legacy_python(client, "connect(1,5,True)") == ""
        assert legacy_python(client, "print(is_connected(1,5))") == "CONNECTED\n"
        assert legacy_python(client, "connect(2,6,True)") == ""
        assert legacy_python(client, "is_connected(6,2)") == "CONNECTED\n"
        assert legacy_python(client, "print(fs_read('/nodeFileSlot0.txt'))") == "{ 1-5,2-6, } \n"


def test_legacy_connect_keeps_blacklisted_pairs(legacy_board) -> None:  # type: ignore[no-untyped-def]
    with MainPortClient(legacy_board.main_path) as client:
        assert legacy_python(client, "connect(GND, DAC0, True)") == ""
        assert legacy_python(client, "print(is_connected(GND, DAC0))") == "CONNECTED\n"  # kept in the file
        text = legacy_python(client, "print(get_num_bridges())")
        assert "NameError" in text  # get_num_bridges is JumperlOS only


# --- slots --------------------------------------------------------------------------------------------------------


def test_slots_switch_save_and_restore(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 2)\nprint(nodes_has_changes())\nprint(nodes_save())\nprint(nodes_has_changes())\n"
        "print(switch_slot(3))\nprint(CURRENT_SLOT())\nprint(is_connected(1, 2))\n"
        "connect(4, 5)\nprint(is_connected(4, 5))\n"
        "print(switch_slot(0))\nprint(CURRENT_SLOT(), is_connected(1, 2), is_connected(4, 5))\n"
        "print(switch_slot(3))\nprint(is_connected(4, 5))\n"
        "print(switch_slot(3))",
    )
    assert lines == [
        "True",
        "0",
        "False",
        "0",
        "3",
        "DISCONNECTED",
        "CONNECTED",
        "3",
        "0 CONNECTED DISCONNECTED",
        "0",
        "DISCONNECTED",  # the unsaved 4-5 vanished on the switch
        "3",  # switching to the current slot returns it
    ]


def test_nodes_save_writes_slot_yaml(repl: RawRepl) -> None:
    assert repl.lines("print(fs_listdir('/slots'))") == ["[]"]
    lines = repl.lines(
        "connect(1, 5)\nconnect(5, 10)\ndac_set(DAC1, 2.0)\nprint(nodes_save(4))\nprint(fs_listdir('/slots'))"
    )
    assert lines == ["4", "['slot4.yaml']"]
    stdout, _ = repl.exec("print(fs_read('/slots/slot4.yaml'))")
    assert stdout.startswith("version: 2\nsourceOfTruth: bridges\nbridges:\n")
    assert "  - {n1: 1, n2: 5, dup: 2}\n  - {n1: 5, n2: 10, dup: 2}\n" in stdout
    assert "  - {num: 6, nodes: [1, 5, 10], color: " in stdout
    assert "power: {topRail: 3.300, bottomRail: 0.000, dac0: 0.000, dac1: 2.000}" in stdout
    # slot 4 now holds the saved bridges and power
    assert repl.lines("nodes_clear()\ndac_set(DAC1, 0)\nswitch_slot(4)\nprint(get_net_nodes(6), dac_get(DAC1))") == [
        "1,5,10 2.0"
    ]


def test_slot_files_survive_a_reboot(make_board, tmp_path) -> None:  # type: ignore[no-untyped-def]
    board = make_board("")
    with RawRepl(board.repl_path) as repl:
        repl.lines("connect(7, 8)\nnodes_save()")
    board.stop()
    from jumperless_mcp.emulator import VirtualBoard

    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs0") as again, RawRepl(again.repl_path) as repl:
        assert repl.lines("print(is_connected(7, 8), get_bridge(0))") == ["CONNECTED (7, 8, 2)"]


@pytest.mark.parametrize("slot", [8, -1, 99])
def test_switch_slot_out_of_range(repl: RawRepl, slot: int) -> None:
    stdout, stderr = repl.exec(f"print(switch_slot({slot}))")
    assert stdout == ""
    assert stderr.endswith("ValueError: Invalid slot number\n")
    assert repl.lines("print(CURRENT_SLOT())") == ["0"]


def test_current_slot_is_a_function(repl: RawRepl) -> None:
    assert repl.lines("print(callable(CURRENT_SLOT), CURRENT_SLOT())\nswitch_slot(7)\nprint(CURRENT_SLOT())") == [
        "True 0",
        "7",
    ]


def test_nodes_discard_restores_entry_state(repl: RawRepl) -> None:
    lines = repl.lines("connect(1, 2)\nnodes_save()\nswitch_slot(1)\nswitch_slot(0)\nconnect(3, 4)\nnodes_discard()\n"
                      "print(is_connected(1, 2), is_connected(3, 4))")  # fmt: skip
    assert lines == ["CONNECTED DISCONNECTED"]


# --- get_state / set_state ----------------------------------------------------------------------------------------


def test_get_state_set_state_round_trip(repl: RawRepl) -> None:
    lines = repl.lines(
        "connect(1, 5)\nconnect(5, 10)\nconnect(TOP_RAIL, 20)\ndac_set(DAC0, 1.5)\ns = get_state()\n"
        "nodes_clear()\ndac_set(DAC0, 0)\nprint(get_state() == s)\n"
        "print(set_state(s))\nprint(get_state() == s)\n"
        "print(is_connected(1, 5), is_connected(5, 10), is_connected(TOP_RAIL, 20), dac_get(DAC0))",
    )
    assert lines == ["False", "0", "True", "CONNECTED CONNECTED CONNECTED 1.5"]


def test_set_state_partial_power_only(repl: RawRepl) -> None:
    lines = repl.lines(
        'connect(1, 2)\nprint(set_state(\'{"power": {"top_rail": 5.0}}\'))\n'
        "print(dac_get(TOP_RAIL), dac_get(DAC0), is_connected(1, 2))",
    )
    assert lines == ["0", "5.0 0.0 CONNECTED"]  # no "nets": the connections stay


def test_set_state_nets_bridge_consecutive_nodes(repl: RawRepl) -> None:
    doc = '{"nets": [{"index": 6, "name": "x", "nodes": ["1", "5", "GP_1"]}]}'
    lines = repl.lines(
        f"connect(30, 31)\nprint(set_state('{doc}'))\n"
        "print(get_num_bridges(), is_connected(1, 5), is_connected(5, GPIO_1), is_connected(1, GPIO_1))\n"
        "print(is_connected(30, 31))",
    )
    assert lines == ["0", "2 CONNECTED CONNECTED DISCONNECTED", "DISCONNECTED"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage", "Invalid JSON: must be an object"),
        ("", "Empty or invalid JSON"),
        ('{"foo": 1}', "Invalid JSON: no recognized sections (nets, power, gpio, overlays)"),
        ('{"power": {"dac0": 9.5}}', "Power values out of range (-8V to +8V)"),
    ],
)
def test_set_state_errors_go_to_the_main_port(jos_board, repl: RawRepl, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with MainPortClient(jos_board.main_path) as main:
        lines = repl.lines(f"connect(1, 2)\nprint(set_state({text!r}))\nprint(is_connected(1, 2), dac_get(DAC0))")
        assert lines == ["-1", "CONNECTED 0.0"]  # nothing applied
        reply = main.read_until(b"\r\n")
    assert reply.decode() == f"set_state error: {message}\r\n"


# --- undo / redo --------------------------------------------------------------------------------------------------


def test_undo_redo(repl: RawRepl) -> None:
    lines = repl.lines(
        "print(undo())\nconnect(1, 2)\nconnect(3, 4)\nprint(history_label())\n"
        "print(undo(), is_connected(3, 4), is_connected(1, 2))\n"
        "print(undo(), is_connected(1, 2))\n"
        "print(redo(), redo(), redo(), is_connected(1, 2), is_connected(3, 4))\n"
        "print(history_size(), history_position())",
    )
    assert lines == [
        "False",
        "connect 3-4",
        "True DISCONNECTED CONNECTED",
        "True DISCONNECTED",
        "True True False CONNECTED CONNECTED",
        "3 2",
    ]


def test_new_change_after_undo_drops_redo(repl: RawRepl) -> None:
    lines = repl.lines("connect(1, 2)\nundo()\nconnect(7, 8)\nprint(redo(), is_connected(1, 2), is_connected(7, 8))")
    assert lines == ["False DISCONNECTED CONNECTED"]


# --- Netlist unit tests -------------------------------------------------------------------------------------------


def test_netlist_numbers_user_nets_in_bridge_order() -> None:
    netlist = Netlist(JOS, [Bridge(40, 41), Bridge(1, 2), Bridge(41, 42)])
    nets = netlist.nets()
    assert [(n.number, n.nodes) for n in nets if not n.special] == [(6, [40, 41, 42]), (7, [1, 2])]
    assert [n.number for n in nets if n.special] == [1, 2, 3, 4, 5]


def test_netlist_skips_bridges_that_merge_special_nets() -> None:
    netlist = Netlist(LEGACY, [Bridge(101, 5), Bridge(5, 100), Bridge(100, 106)])
    _, skipped = netlist.routed()
    assert skipped == [Bridge(5, 100), Bridge(100, 106)]  # 5.3.x also keeps GND and DAC 0 apart
    assert netlist.connected(101, 5)
    assert not netlist.connected(5, 100)
    _, jos_skipped = Netlist(JOS, [Bridge(100, 106)]).routed()
    assert jos_skipped == []


def test_netlist_add_remove() -> None:
    netlist = Netlist(JOS)
    assert netlist.add(1, 2)
    assert not netlist.add(2, 1)
    assert not netlist.add(3, 3)
    assert not netlist.add(131, 101)  # GPIO_1 to TOP_RAIL is blacklisted on JumperlOS...
    assert Netlist(LEGACY).add(131, 101)  # ...but 5.3.x checks the blacklist only in the probe UI
    assert netlist.add(2, 3)
    assert netlist.add(2, 4)
    assert netlist.remove(2) == 3
    assert netlist.bridges == []
