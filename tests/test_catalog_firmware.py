"""The catalog against the firmware's own signature table, tree by tree (issue 13 §1).

`firmware_api.signatures` holds what each firmware tree's C source accepts: per name of the `jumperless`
module, the positional argument counts, whether keywords are taken, how each argument is converted and what
the function returns. Here every catalog entry that applies to a tree (its family and version range) is
rendered by the host's own code (`calls.bind`, `calls.coerce`, `Call.source`) for every combination of
given and omitted optional arguments, and each rendered call is checked against that tree: the name exists
as a function, the firmware accepts the positional count, no keyword is sent, each sent value survives the
firmware's conversion, and the declared return kind covers every kind the C `return`s produce. All
mismatches are collected and reported together.
"""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Iterable

import pytest

from firmware_api import catalog, signatures
from firmware_api.calls import Call, bind, coerce
from firmware_api.catalog import NODE1, REQUIRED, Arg, ArgKind, Function, Returns
from firmware_api.signatures import Tree
from firmware_api.versions import Family, FirmwareVersion

R = Returns

# The C return kinds each declared return kind can parse (firmware_api.replies): a function whose C source
# returns several kinds must be declared with a kind that covers all of them.
ACCEPTED_RETURNS: dict[Returns, frozenset[str]] = {
    R.NONE: frozenset({"none"}),
    R.FLOAT: frozenset({"float"}),
    R.OPTIONAL_FLOAT: frozenset({"float", "none"}),
    R.INT: frozenset({"int"}),
    R.BOOL: frozenset({"bool"}),
    R.STR: frozenset({"str"}),
    R.GPIO_STATE: frozenset({"GPIOState"}),
    R.GPIO_DIRECTION: frozenset({"GPIODirection"}),
    R.GPIO_PULL: frozenset({"GPIOPull"}),
    R.CONNECTION_STATE: frozenset({"ConnectionState"}),
    R.PROBE_PAD: frozenset({"ProbePad"}),
    R.PROBE_BUTTON: frozenset({"ProbeButton"}),
    R.NODE: frozenset({"node"}),
    R.JSON: frozenset({"str"}),  # get_state: a str holding JSON
    R.LITERAL: frozenset({"dict", "list", "tuple", "none", "str"}),
    R.OPTIONAL_DICT: frozenset({"dict", "none"}),
    R.BYTES: frozenset({"bytes", "none"}),
}

# Python types of the literals a firmware argument conversion takes without a TypeError (py/obj.c: bool is
# an int for mp_obj_get_int/get_float; get_node_value takes int or str; "truthy" and "object" take anything).
FIRMWARE_TAKES: dict[str, frozenset[str]] = {
    "int": frozenset({"int", "bool"}),
    "float": frozenset({"int", "float", "bool"}),
    "node": frozenset({"int", "str"}),
    "str": frozenset({"str"}),
    "sequence": frozenset({"list", "tuple"}),
}

# --- rendering calls the way the host does ----------------------------------------------------------------------


def _valid(arg: Arg) -> object:
    """Some value the host accepts for `arg` (its lowest, where it has a range)."""
    kind = arg.kind
    if kind is ArgKind.FLOAT:
        return float(arg.minimum) if arg.minimum is not None else 1.0
    if kind is ArgKind.INT:
        return int(arg.minimum) if arg.minimum is not None else 1
    return {
        ArgKind.NODE: 12,
        ArgKind.SLOT: 1,
        ArgKind.DAC_CHANNEL: 1,
        ArgKind.ADC_CHANNEL: 1,
        ArgKind.INA_SENSOR: 0,
        ArgKind.GPIO_PIN: 1,
        ArgKind.PWM_PIN: 1,
        ArgKind.WAVE: 1,
        ArgKind.BOOL: True,
        ArgKind.STR: "x",
        ArgKind.JSON: "{}",
        ArgKind.COLORS: [0],
        ArgKind.STR_OR_INT: "x",
        ArgKind.STR_OR_FLOAT: "x",
    }[kind]


def _other(arg: Arg) -> object:
    """A valid value that is neither the host's nor the firmware's default (so it must be sent)."""
    defaults = [arg.default, arg.firmware_default]
    candidates: list[object] = [_valid(arg)]
    if arg.kind is ArgKind.BOOL:
        candidates = [True, False]
    elif arg.kind in (ArgKind.FLOAT, ArgKind.INT) and arg.maximum is not None:
        candidates.append(float(arg.maximum) if arg.kind is ArgKind.FLOAT else int(arg.maximum))
    return next(c for c in candidates if not any(type(c) is type(d) and c == d for d in defaults))


def _choices(arg: Arg) -> list[tuple[str, object]]:
    """How a caller may treat an optional argument: leave it out, or give the defaults or another value."""
    choices: list[tuple[str, object]] = [("omitted", None), ("default", arg.default), ("other", _other(arg))]
    if arg.omittable:
        choices.append(("firmware default", arg.firmware_default))
    return choices


def _combinations(optional: list[Arg]) -> Iterable[tuple[tuple[str, object], ...]]:
    """Every given/omitted combination of the optional arguments (given: a value the host must send), and each
    other choice of one argument (its defaults) against every given/omitted combination of the rest.

    That is every combination a positional rendering can tell apart without the full product of all choices
    (4^7 calls for oled_add_text)."""
    base = [[("omitted", None), ("other", _other(arg))] for arg in optional]
    seen: set[tuple[str, ...]] = set()
    for index, arg in enumerate(optional):
        for extra in [None, *(c for c in _choices(arg) if c[0] not in ("omitted", "other"))]:
            axes = [*base[:index], [extra] if extra else base[index], *base[index + 1 :]]
            for combination in itertools.product(*axes):
                key = tuple(choice for choice, _ in combination)
                if key not in seen:
                    seen.add(key)
                    yield combination
    if not optional:
        yield ()


def rendered_calls(function: Function) -> list[tuple[str, Call]]:
    """The calls the host renders for the combinations of given / omitted optional arguments (`_combinations`)."""
    optional = [arg for arg in function.args if not arg.required]
    required = {arg.name: _valid(arg) for arg in function.args if arg.required}
    out: list[tuple[str, Call]] = []
    for combination in _combinations(optional):
        given = dict(required)
        for arg, (choice, value) in zip(optional, combination, strict=True):
            if choice != "omitted":
                given[arg.name] = value
        for arg in function.args:
            if arg.count_of:  # a list whose length is the product of other arguments (overlay colours)
                given[arg.name] = [0] * math.prod(int(given[name]) for name in arg.count_of)  # type: ignore[call-overload]
        values = bind(function, (), given)
        call = Call(function, tuple(coerce(arg, value) for arg, value in zip(function.args, values, strict=True)))
        label = ", ".join(f"{arg.name} {choice}" for arg, (choice, _) in zip(optional, combination, strict=True))
        out.append((label or "no optional arguments", call))
    return out


# --- the check ------------------------------------------------------------------------------------------------


def mismatches(functions: Iterable[Function], tree: Tree) -> list[str]:
    """Everything about these catalog entries that the tree's firmware would reject or parse differently."""
    found: list[str] = []
    for function in functions:
        calls = rendered_calls(function)
        for name in function.names:
            found += _name_mismatches(function, name, calls, tree)
    return found


def _name_mismatches(function: Function, name: str, calls: list[tuple[str, Call]], tree: Tree) -> list[str]:
    where = f"{tree.name}: {name}"
    sig = tree.function(name)
    if sig is None:
        if name in tree.table.constants:
            return [f"{where}: a constant ({tree.table.constants[name].type_name}) in the firmware, not a function"]
        return [f"{where}: not in the firmware's module (entry {function.name})"]
    where += f" ({sig.c_function}, mjc :{sig.line})"
    found: list[str] = []
    returned = set(sig.returns) - ACCEPTED_RETURNS[function.returns]
    if returned:
        found.append(f"{where}: returns {sorted(returned)}, which {function.returns.name} does not cover")
    for label, call in calls:
        node = ast.parse(call.source, mode="eval").body
        assert isinstance(node, ast.Call)
        if node.keywords and not sig.accepts_keywords:
            found.append(f"{where}: `{call.source}` sends keywords; the firmware takes none")
        count = len(node.args)
        if not sig.accepts(count):
            most = "any" if sig.max_args is None else sig.max_args
            found.append(
                f"{where}: `{call.source}` ({label}) sends {count} argument(s); "
                f"the firmware takes {sig.min_args}-{most}"
            )
        for index, value_node in enumerate(node.args[: len(sig.arg_kinds)]):
            conversion = sig.arg_kinds[index]
            sent = type(ast.literal_eval(value_node)).__name__
            if conversion in FIRMWARE_TAKES and sent not in FIRMWARE_TAKES[conversion]:
                found.append(
                    f"{where}: `{call.source}` sends argument {index + 1} as {sent}; the firmware converts it "
                    f"with {conversion} (TypeError)"
                )
    return sorted(set(found), key=found.index)


def _applying(tree: Tree) -> list[Function]:
    return list(catalog.functions(tree.version))


# --- tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tree", signatures.trees(), ids=lambda t: t.name)
def test_catalog_agrees_with_the_firmware_tree(tree: Tree) -> None:
    entries = _applying(tree)
    assert len(entries) > 60
    assert mismatches(entries, tree) == []


def test_every_tree_of_every_family_is_checked() -> None:
    checked = {tree.name: sum(len(f.names) for f in _applying(tree)) for tree in signatures.trees()}
    assert signatures.trees_of(Family.LEGACY) and signatures.trees_of(Family.JUMPERLOS)
    assert all(count > 100 for count in checked.values()), checked


def test_the_check_reports_every_kind_of_mismatch_at_once() -> None:
    """The check can fail: the old catalog's mistakes, fed back in, are each reported."""
    tree = signatures.tree("5.7.0.13")
    dropped_node2 = Function(
        "disconnect", (NODE1, Arg("node2", ArgKind.NODE, -1, firmware_default=-1)), R.NONE, Family.BOTH
    )
    wrong_return = Function("la_stop_capture", (), R.NONE, Family.BOTH, mutates=True)
    arity_of_alias = Function(
        "probe_read", (Arg("blocking", ArgKind.BOOL, True),), R.PROBE_PAD, Family.BOTH, ("wait_touch",)
    )
    float_for_int = Function(
        "adc_get", (Arg("channel", ArgKind.FLOAT, minimum=0.0, maximum=3.0),), R.FLOAT, Family.BOTH
    )
    missing = Function("no_such_function", (), R.NONE, Family.BOTH)
    constant = Function("GPIO_1", (), R.NODE, Family.BOTH)
    wrong = [dropped_node2, wrong_return, arity_of_alias, float_for_int, missing, constant]
    found = mismatches(wrong, tree)
    expected = [
        ("5.7.0.13: disconnect (", "`disconnect(12)` (node2 omitted) sends 1 argument(s); the firmware takes 2-2"),
        ("5.7.0.13: la_stop_capture (", "returns ['bool'], which NONE does not cover"),
        ("5.7.0.13: wait_touch (", "`probe_read(False)` (blocking other) sends 1 argument(s); the firmware takes 0-0"),
        ("5.7.0.13: adc_get (", "`adc_get(0.0)` sends argument 1 as float; the firmware converts it with int"),
        ("5.7.0.13: no_such_function", "not in the firmware's module"),
        ("5.7.0.13: GPIO_1", "a constant (node) in the firmware, not a function"),
    ]
    for head, tail in expected:
        assert any(line.startswith(head) and tail in line for line in found), (head, tail, found)
    assert len(found) >= len(expected)
    assert mismatches([catalog.lookup("disconnect", tree.version)], tree) == []  # the fixed entry passes


def test_version_gates_match_the_trees_that_have_the_functions() -> None:
    """An entry with since/until applies to exactly the trees whose module has its names."""
    for tree in signatures.trees():
        for function in catalog.CATALOG:
            if not function.available_in(tree.family) or (function.since is None and function.until is None):
                continue
            present = all(tree.function(name) is not None for name in function.names)
            assert function.available_in(tree.version) == present, (tree.name, function.name)
    fork, upstream = signatures.tree("5.7.0.13"), signatures.tree("upstream-796c56c")
    assert "get_net_current" not in catalog.names(fork.version)
    assert {"get_net_current", "get_node_voltage", "get_path_current"} <= catalog.names(upstream.version)
    assert "la_stop_capture" in catalog.names(fork.version)
    assert "la_stop_capture" not in catalog.names(upstream.version)
    assert "la_stop_capture" in catalog.names(Family.JUMPERLOS)  # a family alone: every version of it


def test_versions_outside_every_tree_follow_the_gates() -> None:
    scan, la_gone = catalog.SCAN_SINCE, FirmwareVersion(catalog.LA_UNTIL)
    assert catalog.lookup("get_node_voltage", FirmwareVersion.parse("5.7.11.0")).optional
    assert catalog.lookup("get_node_voltage", FirmwareVersion(scan)).name == "get_node_voltage"
    with pytest.raises(KeyError):
        catalog.lookup("get_node_voltage", FirmwareVersion((*scan[:-1], scan[-1] - 1)))  # just before
    with pytest.raises(KeyError):
        catalog.lookup("get_node_voltage", FirmwareVersion.parse("5.3.2.4"))  # not in the family at all
    assert catalog.lookup("la_is_capturing", FirmwareVersion.parse("5.7.1.9")).until == la_gone
    with pytest.raises(KeyError):
        catalog.lookup("la_is_capturing", la_gone)
    assert catalog.lookup("la_is_capturing", FirmwareVersion.parse("5.3.2.4")).name == "la_is_capturing"


UPSTREAM_NEWEST = {  # what the newest upstream tree added, by the first release that has it (catalog constants)
    catalog.USB_AUDIO_SINCE: {
        "usb_audio_setup",
        "audio_setup",
        "usb_audio_status",
        "audio_status",
        "usb_audio_teardown",
    },
    catalog.PARTS_SINCE: {"load_project", "place_part", "remove_part", "list_parts", "guide_progress", "part_identify"}
    | {"part_fingerprint", "part_vectors", "bg_stop", "bg_active"},
}


def test_the_newest_upstream_api_is_gated_by_version() -> None:
    """USB audio from 5.7.2, parts/projects/bg_* from 5.7.11; the OLED screen API since the 5.7.0.13 fork."""
    fork, stable, newest = (signatures.tree(name) for name in ("5.7.0.13", "upstream-796c56c", "upstream-7077df9"))
    audio, parts = UPSTREAM_NEWEST[catalog.USB_AUDIO_SINCE], UPSTREAM_NEWEST[catalog.PARTS_SINCE]
    assert not (audio | parts) & catalog.names(fork.version)
    assert audio <= catalog.names(stable.version) and not parts & catalog.names(stable.version)
    assert audio | parts <= catalog.names(newest.version)
    for since, added in UPSTREAM_NEWEST.items():
        first, before = FirmwareVersion(since), FirmwareVersion((*since[:-1], since[-1] - 1, 99))
        assert added <= catalog.names(first) and not added & catalog.names(before), since
    screens = {"oled_screen", "oled_add_text", "oled_set", "oled_set_var", "oled_copy_print", "oled_get_fonts"}
    assert screens <= catalog.names(fork.version) and not screens & catalog.names(Family.LEGACY)
    # bg_start takes a Python callable, which the host cannot send as a value: the one new name left out
    assert "bg_start" in newest.table.functions and "bg_start" not in catalog.names(newest.version)
    new_names = set(newest.table.functions) - set(fork.table.functions)
    assert new_names - catalog.names(newest.version) == {"bg_start"}


def test_every_float_argument_has_bounds_that_fit_float32() -> None:
    """The firmware's floats are single precision: an unbounded float could overflow to inf on the board."""
    float32_max = 3.4e38
    loose = [
        f"{function.name}.{arg.name}: {arg.minimum} to {arg.maximum}"
        for function in catalog.CATALOG
        for arg in function.args
        if arg.kind in (ArgKind.FLOAT, ArgKind.STR_OR_FLOAT)
        and not (
            arg.minimum is not None
            and arg.maximum is not None
            and -float32_max <= arg.minimum <= arg.maximum <= float32_max
        )
    ]
    assert loose == []


def test_firmware_defaults_are_values_the_host_could_send() -> None:
    """An argument the firmware may go without names the value that means, and it passes the host's checks."""
    for function in catalog.CATALOG:
        for arg in function.args:
            if arg.omittable:
                assert not arg.required, (function.name, arg.name)
                assert coerce(arg, arg.firmware_default) == arg.firmware_default, (function.name, arg.name)
            assert arg.firmware_default is REQUIRED or arg.firmware_default is not None
