"""The catalog (protocol §4) against itself and against the virtual board's `jumperless` module."""

from __future__ import annotations

import ast
from collections import Counter

import pytest
from serial_clients import RawRepl

from firmware_api import catalog
from firmware_api.calls import coerce
from firmware_api.catalog import CATALOG, ArgKind, Returns, by_name, functions, lookup, names
from firmware_api.quoting import is_identifier, literal
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.emulator.module import JumperlessModule

JOS, LEGACY = Family.JUMPERLOS, Family.LEGACY
FAMILIES = [JOS, LEGACY]

JOS_ONLY_SAMPLE = ["get_state", "set_state", "overlay_set", "overlay_clear", "undo", "redo", "history_size",
                   "gpio_claim_pin", "fast_connect", "get_net_name", "net_name", "oled_get_framebuffer",
                   "get_switch_position", "context_get", "force_service"]  # fmt: skip


# --- the catalog on its own ------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_no_duplicate_names_within_a_family(family: Family) -> None:
    counts = Counter(n for f in functions(family) for n in f.names)
    duplicates = sorted(n for n, c in counts.items() if c > 1)
    assert duplicates == []


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_has_a_substantial_module(family: Family) -> None:
    assert len(list(functions(family))) > 60
    assert len(names(family)) > len(list(functions(family)))  # aliases add names


def test_every_name_is_a_valid_identifier_and_not_a_keyword() -> None:
    for entry in CATALOG:
        for name in entry.names:
            assert is_identifier(name), name
            ast.parse(f"{name}()")  # a keyword (or soft-keyword clash) would not parse as a call
        for arg in entry.args:
            assert is_identifier(arg.name), (entry.name, arg.name)


def test_argument_names_are_unique_per_function() -> None:
    for entry in CATALOG:
        arg_names = [a.name for a in entry.args]
        assert len(arg_names) == len(set(arg_names)), entry.name


def test_required_arguments_come_before_optional_ones() -> None:
    for entry in CATALOG:
        required = [a.required for a in entry.args]
        assert required == sorted(required, reverse=True), entry.name


def test_every_entry_belongs_to_a_family() -> None:
    for entry in CATALOG:
        assert entry.families in (JOS, LEGACY, Family.BOTH), entry.name
        assert entry.available_in(JOS) or entry.available_in(LEGACY)


def test_names_shared_by_two_entries_cover_disjoint_families() -> None:
    for name, entries in by_name().items():
        for i, first in enumerate(entries):
            for second in entries[i + 1 :]:
                assert not (first.families & second.families), name


def test_defaults_fall_inside_declared_ranges_and_pass_validation() -> None:
    for entry in CATALOG:
        for arg in entry.args:
            if arg.minimum is not None and arg.maximum is not None:
                assert arg.minimum <= arg.maximum, (entry.name, arg.name)
            if arg.required:
                continue
            where = (entry.name, arg.name, arg.default)
            literal(arg.default)  # a default must be sendable
            if arg.kind in (ArgKind.INT, ArgKind.FLOAT):
                assert isinstance(arg.default, (int, float)) and not isinstance(arg.default, bool), where
                if arg.kind is ArgKind.INT:
                    assert isinstance(arg.default, int), where
                if arg.minimum is not None:
                    assert arg.default >= arg.minimum, where
                if arg.maximum is not None:
                    assert arg.default <= arg.maximum, where
            elif arg.kind is ArgKind.BOOL:
                assert isinstance(arg.default, bool), where
            elif arg.kind is ArgKind.STR:
                assert isinstance(arg.default, str), where
            assert coerce(arg, arg.default) == arg.default, where


def test_lookup_finds_primary_names_and_aliases() -> None:
    assert lookup("adc_get", JOS).name == "adc_get"
    assert lookup("get_adc", JOS).name == "adc_get"
    assert lookup("get_current", LEGACY).name == "ina_get_current"
    assert lookup("set_wavegen_freq", JOS).name == "wavegen_set_freq"
    assert lookup("wait_touch", LEGACY).name == "probe_read_blocking"
    assert lookup("button_check", JOS).name == "check_button"
    assert lookup("net_name", JOS).name == "get_net_name"
    for family in FAMILIES:
        for entry in functions(family):
            for name in entry.names:
                assert lookup(name, family) is entry, (family, name)


def test_lookup_picks_the_entry_of_the_family() -> None:
    jos, legacy = lookup("connect", JOS), lookup("connect", LEGACY)
    assert jos is not legacy
    assert [a.name for a in jos.args] == ["node1", "node2", "duplicates"]
    assert [a.name for a in legacy.args] == ["node1", "node2", "save"]
    assert [a.name for a in lookup("probe_button_blocking", JOS).args] == ["consume"]
    assert lookup("probe_button_blocking", LEGACY).args == ()
    assert lookup("oled_clear", LEGACY).args == () and len(lookup("oled_clear", JOS).args) == 1


@pytest.mark.parametrize("name", ["nope", "get_current_slot", "save_slot", "adc_get_stats", ""])
def test_lookup_rejects_unknown_names(name: str) -> None:
    with pytest.raises(KeyError):
        lookup(name, JOS)


@pytest.mark.parametrize("name", JOS_ONLY_SAMPLE)
def test_jumperlos_only_functions_are_not_in_the_legacy_catalog(name: str) -> None:
    assert name in names(JOS)
    assert name not in names(LEGACY)
    with pytest.raises(KeyError):
        lookup(name, LEGACY)


def test_return_kinds_of_well_known_functions() -> None:
    assert lookup("get_state", JOS).returns is Returns.JSON
    assert lookup("is_connected", LEGACY).returns is Returns.CONNECTION_STATE
    assert lookup("gpio_get_pull", JOS).returns is Returns.GPIO_PULL
    assert lookup("probe_read", JOS).blocking and lookup("print_nets", LEGACY).blocking
    assert lookup("get_node_voltage", JOS).optional


# --- the catalog against the virtual board ----------------------------------------------------------------------


def _version(board: VirtualBoard) -> FirmwareVersion:
    return FirmwareVersion.parse(board.firmware)


def test_jumperlos_board_exports_every_catalog_name_over_the_wire(jos_board: VirtualBoard, repl: RawRepl) -> None:
    expected = sorted(names(_version(jos_board)))  # the names of its firmware version (5.7.0.13: no net scan)
    stdout, stderr = repl.exec(f"print(repr([n for n in {literal(expected)} if not callable(globals().get(n))]))")
    assert stderr == ""
    assert ast.literal_eval(stdout.strip()) == []


def test_jumperlos_connect_takes_duplicates_not_save(repl: RawRepl) -> None:
    # `connect` exists in both families; its third argument differs (JumperlOS: duplicates, an int).
    assert lookup("connect", JOS).args[2].kind is ArgKind.INT
    stdout, stderr = repl.exec("connect(1, 2, 0)\nprint(repr(is_connected(1, 2)))")
    assert stderr == ""
    assert stdout.strip() == "CONNECTED"


def _legacy_namespace(board: VirtualBoard) -> dict[str, object]:
    return JumperlessModule(board.model, board.runtime).namespace()


def test_legacy_board_exports_every_catalog_name(legacy_board: VirtualBoard) -> None:
    namespace = _legacy_namespace(legacy_board)
    missing = sorted(n for n in names(_version(legacy_board)) if not callable(namespace.get(n)))
    assert missing == []


def test_legacy_board_lacks_jumperlos_only_functions(legacy_board: VirtualBoard) -> None:
    namespace = _legacy_namespace(legacy_board)
    jos_only = names(JOS) - names(LEGACY)
    assert {"get_state", "overlay_set"} <= jos_only
    present = sorted(n for n in jos_only if n in namespace)
    assert present == []


def test_jumperlos_only_functions_are_missing_on_the_legacy_main_port_vm(legacy_board: VirtualBoard) -> None:
    """The VM the legacy `>` command runs in (the board's shared runtime) has no JumperlOS names either."""
    globals_ = legacy_board.runtime.globals
    assert "connect" in globals_ and "dac_set" in globals_
    for name in ("get_state", "overlay_set", "undo", "fast_connect"):
        assert name not in globals_, name


def test_both_families_export_the_shared_functions(
    legacy_board: VirtualBoard, jos_board: VirtualBoard, repl: RawRepl
) -> None:
    shared = sorted(names(_version(jos_board)) & names(_version(legacy_board)))
    assert len(shared) > 60
    namespace = _legacy_namespace(legacy_board)
    assert all(callable(namespace.get(n)) for n in shared)
    stdout, _ = repl.exec(f"print(all(callable(globals().get(n)) for n in {literal(shared)}))")
    assert stdout.strip() == "True"


def test_catalog_module_lists_only_documented_names() -> None:
    # §4.11: names from the docs that are not in the firmware must not be in the catalog.
    for name in ("get_current_slot", "save_slot", "load_slot", "adc_get_stats"):
        assert name not in names(JOS) | names(LEGACY), name
    assert catalog.names(JOS) == {n for f in CATALOG if f.available_in(JOS) for n in f.names}


def test_lookup_by_index_finds_the_first_available_entry_in_catalog_order() -> None:
    """`lookup` reads an index (it runs on every call); it must pick what a scan of the catalog picks."""
    from firmware_api.catalog import CATALOG, lookup
    from firmware_api.versions import Family, FirmwareVersion

    firmwares = [
        Family.JUMPERLOS,
        Family.LEGACY,
        *(FirmwareVersion.parse(v) for v in ("5.3.2.4", "5.7.0.13", "5.7.11")),
    ]
    names = {name for entry in CATALOG for name in entry.names} | {"no_such_function"}
    for firmware in firmwares:
        for name in names:
            scanned = next((e for e in CATALOG if e.available_in(firmware) and name in e.names), None)
            if scanned is None:
                with pytest.raises(KeyError):
                    lookup(name, firmware)
            else:
                assert lookup(name, firmware) is scanned, (name, firmware)
