"""The firmware signature table: regenerated from the C source in CI, and the parser checked on known facts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from firmware_api.c_module import parse_module
from firmware_api.signatures import tree, tree_for, trees, trees_of
from firmware_api.versions import Family, FirmwareVersion

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_SRC = ROOT.parent / "shared" / "reference" / "firmware-src"


def _need_firmware_source() -> None:
    if FIRMWARE_SRC.is_dir():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs the firmware source beside the checkout: {FIRMWARE_SRC} is missing")
    pytest.skip(f"no firmware source at {FIRMWARE_SRC} (clone ../shared beside the project)")


def test_checked_in_table_is_what_the_c_source_gives() -> None:
    _need_firmware_source()
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "firmware_table.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr


def test_the_check_fails_when_the_table_is_edited(tmp_path: Path) -> None:
    """A negative control: the regeneration check must notice a hand edit."""
    _need_firmware_source()
    copy = tmp_path / "project"
    for folder in ("firmware_api", "tools"):
        (copy / folder).mkdir(parents=True)
        for file in (ROOT / folder).glob("*.py"):
            (copy / folder / file.name).write_text(file.read_text())
    table = copy / "firmware_api" / "firmware_table.py"
    table.write_text(
        table.read_text().replace("'jl_nodes_disconnect_func', 2, 2", "'jl_nodes_disconnect_func', 1, 2", 1)
    )
    (copy.parent / "shared").symlink_to(FIRMWARE_SRC.parent.parent)
    run = subprocess.run(
        [sys.executable, str(copy / "tools" / "firmware_table.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "jl_nodes_disconnect_func" in run.stdout


def test_every_tree_has_its_family_and_a_full_table() -> None:
    """The audit counted 130 functions and 174 constants on 5.3.2.4, 215 and 189 on 5.7.0.13."""
    counts = {t.name: (len(t.table.functions), len(t.table.constants)) for t in trees()}
    assert counts["5.3.2.4"] == (130, 174)
    assert counts["5.7.0.13"] == (215, 189)
    assert tree("5.3.2.4").family is Family.LEGACY
    assert all(t.family is Family.JUMPERLOS for t in trees_of(Family.JUMPERLOS))
    assert tree_for(FirmwareVersion.parse("5.3.2.4")).name == "5.3.2.4"
    assert tree_for(FirmwareVersion.parse("5.7.0.13")).name == "5.7.0.13"
    assert tree_for(FirmwareVersion.parse("5.6.1")).family is Family.JUMPERLOS


@pytest.mark.parametrize("name", ["5.3.2.4", "5.7.0.13"])
def test_arities_the_audit_found_in_the_c_source(name: str) -> None:
    functions = tree(name).table.functions
    assert (functions["disconnect"].min_args, functions["disconnect"].max_args) == (2, 2)  # H1
    assert (functions["fs_listdir"].min_args, functions["fs_listdir"].max_args) == (1, 1)  # H2
    assert functions["la_stop_capture"].returns == ("bool",)  # H4
    assert (functions["dac_set"].min_args, functions["dac_set"].max_args) == (2, 3)
    assert functions["dac_set"].arg_kinds[1:] == ("float", "truthy")
    assert functions["probe_read_nonblocking"].max_args == 0
    assert not functions["connect"].accepts_keywords


def test_jumperlos_only_facts() -> None:
    functions = tree("5.7.0.13").table.functions
    assert (functions["oled_set_pixel"].min_args, functions["oled_set_pixel"].max_args) == (3, 3)  # H5
    assert functions["overlay_set"].max_args == 6
    assert functions["oled_print"].keywords == ("sep", "end", "size")
    assert functions["oled_print"].max_args is None  # print-style positional values
    assert functions["get_state"].returns == ("str",)
    assert tree("5.3.2.4").table.functions["oled_clear"].max_args == 0
    assert "get_net_current" not in functions
    upstream = tree("upstream-796c56c").table.functions
    assert upstream["get_net_current"].returns == ("dict", "none")  # H6


def test_constants_carry_the_firmware_types() -> None:
    constants = tree("5.7.0.13").table.constants
    assert constants["HIGH"].type_name == "GPIOState"
    assert (constants["TOP_RAIL"].type_name, constants["TOP_RAIL"].value) == ("node", 101)
    assert constants["LOGO_PAD_TOP"].type_name == "ProbePad"
    assert (constants["SINE"].type_name, constants["SINE"].value) == ("int", 0)
    assert constants["jfs"].type_name == "module"
    assert "GROUND" not in constants  # a host alias, not a firmware name
    assert tree("5.7.0.13").table.node_names["TOP_RAIL"] == 101


def test_parser_reads_the_macros_and_returns_it_is_given() -> None:
    """The parser on a small source written for this test: every macro form and return shape."""
    source = """
    static mp_obj_t two_func(mp_obj_t a, mp_obj_t b) { int x = get_node_value(a); mp_obj_t alias = b;
        float f = mp_obj_get_float(alias); return mp_const_none; }
    static MP_DEFINE_CONST_FUN_OBJ_2(two_obj, two_func);
    static mp_obj_t var_func(size_t n_args, const mp_obj_t *args) {
        int n = (n_args > 1) ? mp_obj_get_int(args[1]) : 0;  // "a } in a comment"
        const char *s = mp_obj_str_get_str(args[0]);
        if (n) { return mp_obj_new_bool(n > 0 ? true : false); }
        if (n < 0) { mp_raise_ValueError(MP_ERROR_TEXT("no")); return mp_const_none; }
        mp_obj_t d = mp_obj_new_dict(0);
        return d; }
    static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(var_obj, 1, 2, var_func);
    static mp_obj_t kw_func(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
        static const mp_arg_t allowed_args[] = {
            { MP_QSTR_screen, MP_ARG_REQUIRED | MP_ARG_INT, { .u_int = 0 } },
            { MP_QSTR_z, MP_ARG_KW_ONLY | MP_ARG_INT, { .u_int = 0 } },
        };
        mp_arg_parse_all(n_args, pos_args, kw_args, 2, allowed_args, args);
        return mp_obj_new_str("}", 1); }
    static MP_DEFINE_CONST_FUN_OBJ_KW(kw_obj, 1, kw_func);
    MP_DEFINE_CONST_OBJ_TYPE(thing_type, MP_QSTR_Thing, MP_TYPE_FLAG_NONE);
    static const thing_obj_t thing_one_obj = { .base = { &thing_type }, .value = 1 };
    static const NodeMapping node_mappings[] = { { "GND", 100 }, { "GROUND", 100 } };
    static const mp_rom_map_elem_t jumperless_module_globals_table[] = {
        { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_jumperless) },
        { MP_ROM_QSTR(MP_QSTR_two), MP_ROM_PTR(&two_obj) },
        { MP_ROM_QSTR(MP_QSTR_var), MP_ROM_PTR(&var_obj) },
        { MP_ROM_QSTR(MP_QSTR_kw), MP_ROM_PTR(&kw_obj) },
        { MP_ROM_QSTR(MP_QSTR_ONE), MP_ROM_PTR(&thing_one_obj) },
        { MP_ROM_QSTR(MP_QSTR_SEVEN), MP_ROM_INT(7) },
    };
    """
    table = parse_module(source)
    two, var, kw = table.functions["two"], table.functions["var"], table.functions["kw"]
    assert (two.min_args, two.max_args, two.arg_kinds, two.returns) == (2, 2, ("node", "float"), ("none",))
    assert (var.min_args, var.max_args, var.arg_kinds, var.returns) == (1, 2, ("str", "int"), ("bool", "dict"))
    assert (kw.min_args, kw.max_args, kw.keywords, kw.returns) == (1, 1, ("screen", "z"), ("str",))
    assert (table.constants["ONE"].type_name, table.constants["ONE"].value) == ("Thing", 1)
    assert (table.constants["SEVEN"].type_name, table.constants["SEVEN"].value) == ("int", 7)
    assert table.node_names == {"GND": 100, "GROUND": 100}
    assert not two.accepts(1) and two.accepts(2) and not two.accepts(3)


def test_newest_upstream_tree_has_the_parts_and_scan_api() -> None:
    """Recorded from the public repository at 7077df9 (5.7.11): parts, projects, bg_*, USB audio, no la_*."""
    newest = tree_for(FirmwareVersion.parse("5.7.11.0"))
    assert newest.name == "upstream-7077df9" and newest.commit.startswith("7077df9")
    functions = newest.table.functions
    assert (functions["place_part"].min_args, functions["place_part"].max_args) == (3, 7)
    assert functions["list_parts"].returns == ("list",)
    assert functions["usb_audio_setup"].keywords == ("left", "right", "full_scale", "dc_block")
    assert not any(name.startswith("la_") for name in functions)
    assert tree_for(FirmwareVersion.parse("5.7.6")).name == "upstream-796c56c"
