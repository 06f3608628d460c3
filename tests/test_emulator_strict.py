"""The virtual board's `jumperless` module is the firmware's table: the same names, types, arities and conversions.

The oracle is `firmware_api.signatures` (generated from the firmware's C source) and MicroPython's own
messages (py/argcheck.c, py/obj.c, py/objstr.c at MICROPY_ERROR_REPORTING_DETAILED), written out here
independently of the emulator's checker. The walk runs every function of every persona's table through
the real virtual board: a script sent over the pty (the REPL port, or the 5.3.x main port's `>`).
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from serial_clients import MainPortClient, RawRepl

from firmware_api import nodes
from firmware_api.c_module import FunctionSig
from firmware_api.signatures import Tree, tree_for
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.emulator import PERSONAS, VirtualBoard
from jumperless_mcp.emulator.fwtypes import FirmwareObject

PERSONA_NAMES = sorted(PERSONAS)
MAX_ARGS = 0xFFFF  # MP_OBJ_FUN_ARGS_MAX
SAMPLES = {"int": "1", "float": "1.0", "node": "1", "str": "'x'", "truthy": "True"}  # valid values per kind
WRONG = {  # a value of the wrong type per kind, and what MicroPython says
    "int": ("1.5", "TypeError", "can't convert float to int"),
    "float": ("'x'", "TypeError", "can't convert str to float"),
    "node": ("1.5", "TypeError", "Expected node, int, or string"),
    "str": ("1", "TypeError", "can't convert 'int' object to str implicitly"),
}
FIRMWARE_TYPE_NAMES = {"node", "ProbePad", "ProbeButton", "GPIOState", "GPIODirection"}


def tree_of(persona: str) -> Tree:
    return tree_for(FirmwareVersion.parse(PERSONAS[persona].version))


def count_message(sig: FunctionSig, given: int) -> str | None:
    """mp_arg_check_num_sig() for `given` positional arguments (None: the count passes)."""
    high = MAX_ARGS if sig.max_args is None or sig.keywords else sig.max_args
    if sig.min_args == high:
        return None if given == high else f"function takes {high} positional arguments but {given} were given"
    if given < sig.min_args:
        return f"function missing {sig.min_args - given} required positional arguments"
    if given > high:
        return f"function expected at most {high} arguments, got {given}"
    return None


def cases(tree: Tree) -> Iterator[tuple[str, str, str, str]]:
    """(label, call, exception type, message) for every function: counts, keywords, argument types."""
    for name, sig in sorted(tree.table.functions.items()):
        kinds = list(sig.arg_kinds)

        def call(values: list[str], extra: str = "", name: str = name) -> str:
            return f"{name}({', '.join([*values, extra] if extra else values)})"

        def sample(count: int, kinds: list[str] = kinds) -> list[str]:
            return [SAMPLES.get(kinds[i] if i < len(kinds) else "", "1") for i in range(count)]

        if sig.min_args > 0:
            few = call(sample(sig.min_args - 1))
            yield few, few, "TypeError", count_message(sig, sig.min_args - 1)  # type: ignore[misc]
        if sig.max_args is not None:
            many = call(sample(sig.max_args + 1))
            if sig.keywords:  # mp_arg_parse_all: more positionals than allowed_args
                yield many, many, "TypeError", "extra positional arguments given"
            else:
                yield many, many, "TypeError", count_message(sig, sig.max_args + 1)  # type: ignore[misc]
        keyword = call(sample(sig.min_args), "bogus=1")
        message = "extra keyword arguments given" if sig.keywords else "function doesn't take keyword arguments"
        yield keyword, keyword, "TypeError", message
        for index, kind in enumerate(kinds):
            if kind in WRONG and not sig.keywords:
                length = sig.max_args if sig.max_args is not None else max(sig.min_args, index + 1)
                values = sample(length)
                values[index], error, text = WRONG[kind]
                wrong = call(values)
                yield f"{wrong} [{kind}]", wrong, error, text


def walk_script(tree: Tree) -> tuple[str, int, int]:
    """A script that makes every call and prints BAD for each that does not fail as expected."""
    lines = [
        "def check(label, call, kind, message):",
        "    try:",
        "        call()",
        "    except Exception as e:",
        "        if type(e).__name__ == kind and str(e) == message:",
        "            return 1",
        "        print('BAD', label, '->', type(e).__name__, str(e))",
        "        return 0",
        "    print('BAD', label, '-> no error')",
        "    return 0",
        "n = 0",
    ]
    total = 0
    covered: set[str] = set()
    for label, code, kind, message in cases(tree):
        lines.append(f"n += check({label!r}, lambda: {code}, {kind!r}, {message!r})")
        covered.add(code.partition("(")[0])
        total += 1
    lines.append("print('DONE', n)")
    return "\n".join(lines) + "\n", total, len(covered)


# --- the namespace ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_namespace_is_exactly_the_firmware_table(persona: str, tmp_path: Path) -> None:
    tree = tree_of(persona)
    with VirtualBoard(persona, fs_dir=tmp_path / "fs", time_scale=0.05) as board:
        module = board.runtime.jumperless
        exported = {name for name in vars(module) if not name.startswith("__")}
        assert exported == set(tree.table.functions) | set(tree.table.constants)
        for host_alias in ("GROUND", "GPIO1", "RP_GPIO_1", "SUPPLY_3V3", "RP_UART_TX", "BUFF_IN"):
            assert not hasattr(module, host_alias), host_alias  # firmware_api/nodes.py aliases are host-only
        for name in tree.table.functions:
            assert callable(getattr(module, name)) and repr(getattr(module, name)) == "<function>", name
        for name, constant in tree.table.constants.items():
            value = getattr(module, name)
            kind, expected = constant.type_name, constant.value
            if kind in FIRMWARE_TYPE_NAMES:
                assert isinstance(value, FirmwareObject) and type(value).__name__ == kind, name
                if kind == "GPIOState":
                    assert str(value) == str(expected).removeprefix("GPIO_STATE_"), name
                elif kind == "GPIODirection":  # the C object's bool: true = OUTPUT
                    assert str(value) == ("OUTPUT" if expected == "true" else "INPUT"), name
                else:
                    assert value.value == expected, name
            elif kind == "int":
                assert type(value) is int and (value == expected or isinstance(expected, str)), name
            elif kind == "module":
                assert isinstance(value, types.ModuleType), name
            elif kind == "type":
                assert isinstance(value, type) and value.__name__ == expected, name
            else:
                pytest.fail(f"{name}: constant kind {kind} not checked")


def test_aliases_of_one_c_object_are_one_object(tmp_path: Path) -> None:
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as board:
        module = board.runtime.jumperless
        assert module.gpio_get is module.get_gpio and module.dac_set is module.set_dac
        assert module.probe_read is not module.read_probe  # two C functions with the same body (mjc :3695/:3711)
        assert module.FAKE_GPIO_INPUT == 0 and module.FAKE_GPIO_OUTPUT == 1  # the C macros (mjc :2969)


# --- every function of every table, through the real board ---------------------------------------------------------


def run_script(board: VirtualBoard, script: str) -> str:
    if board.repl:  # JumperlOS (5.3.x CDC2 is the logic analyzer)
        with RawRepl(board.repl_path, timeout=30) as repl:
            stdout, stderr = repl.exec(script, timeout=60)
            assert stderr == "", stderr
            return stdout
    with MainPortClient(board.main_path, timeout=30) as client:  # 5.3.x: `>` takes all text until a 1 s gap
        client.send(b">" + script.encode())
        return client.read_until(b"DONE", timeout=60).decode() + client.read_quiet().decode()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_every_function_checks_counts_keywords_and_argument_types(persona: str, tmp_path: Path) -> None:
    tree = tree_of(persona)
    script, total, covered = walk_script(tree)
    assert covered == len(tree.table.functions)  # every name has at least its keyword case
    with VirtualBoard(persona, fs_dir=tmp_path / "fs", time_scale=0.05) as board:
        output = run_script(board, script)
    bad = [line for line in output.splitlines() if line.startswith("BAD")]
    assert bad == []
    assert f"DONE {total}" in output


def test_the_walk_expects_micropython_texts() -> None:
    """The oracle of the walk itself: what argcheck.c prints for the kinds of signatures the table has."""
    one = FunctionSig("f", 1, 1)
    assert count_message(one, 0) == "function takes 1 positional arguments but 0 were given"
    between = FunctionSig("f", 2, 3)
    assert count_message(between, 1) == "function missing 1 required positional arguments"
    assert count_message(between, 4) == "function expected at most 3 arguments, got 4"
    assert count_message(FunctionSig("f", 1, None), 0) == "function missing 1 required positional arguments"
    labels = [label for label, *_ in cases(tree_of("jumperlos"))]
    assert "disconnect(1) " not in labels and "disconnect(1)" in labels and "adc_get(1.5) [int]" in labels


# --- conversions, in the messages MicroPython uses -----------------------------------------------------------------


def outcome(repl: RawRepl, code: str) -> str:
    """What one expression gives: its repr, or `Type: message`."""
    stdout, stderr = repl.exec(
        f"try:\n    print(repr({code}))\nexcept Exception as e:\n    print(type(e).__name__ + ': ' + str(e))"
    )
    assert stderr == "", stderr
    return stdout.strip()


def test_integer_arguments_follow_mp_obj_get_int(repl: RawRepl) -> None:
    assert outcome(repl, "adc_get(True)") == "0.0"  # a bool is 1
    assert outcome(repl, "switch_slot(node(0))") == "0"  # firmware objects convert through their int()
    assert outcome(repl, "adc_get(1.0)") == "TypeError: can't convert float to int"
    assert outcome(repl, "switch_slot('2')") == "TypeError: can't convert str to int"
    assert outcome(repl, "adc_get(None)") == "TypeError: can't convert NoneType to int"
    assert outcome(repl, "gpio_set_pull(1, 1.0)") == "TypeError: can't convert float to int"
    assert outcome(repl, "adc_get(2**40)") == "OverflowError: overflow converting long int to machine word"


def test_float_and_string_arguments(repl: RawRepl) -> None:
    assert outcome(repl, "wavegen_set_freq(True)") == "None"
    assert outcome(repl, "wavegen_set_freq('5')") == "TypeError: can't convert str to float"
    assert outcome(repl, "fs_exists(5)") == "TypeError: can't convert 'int' object to str implicitly"
    assert outcome(repl, "fs_exists(b'/')") == "True"  # mp_obj_str_get_str takes bytes too
    assert outcome(repl, "overlay_set('o', 1, 1, 1, 1, '[1]')") == "TypeError: object 'str' isn't a tuple or list"


def test_node_arguments_follow_get_node_value(repl: RawRepl) -> None:
    table = tree_of("jumperlos").table.node_names
    host_only = {a for n in nodes.NODES.values() for a in (n.name, *n.aliases) if a.upper() not in table}
    # strings are looked up only in the firmware's node_mappings: these host spellings are not there
    for name in ("T_RAIL", "B_RAIL", "RP_GPIO_0", "GPIO_20", "LOGO_PAD_TOP", "FAKE_GPIO_1"):
        assert name in host_only
        assert outcome(repl, f"connect({name!r}, 1)") == "ValueError: Unknown node name", name
    assert repl.lines("connect('ground', 'gpio1')\nprint(is_connected(GND, GPIO_1))") == ["CONNECTED"]
    assert repl.lines("connect('d13', ' 12')\nprint(is_connected(NANO_D13, 12))") == ["CONNECTED"]
    assert outcome(repl, "connect('12 ', 1)") == "ValueError: Unknown node name"  # strtol must end the string
    assert outcome(repl, "connect('201', 1)") == "ValueError: Unknown node name"
    assert outcome(repl, "connect('A' * 32, 1)") == "ValueError: Unknown node name"  # upper_name[32]
    assert outcome(repl, "connect(True, 1)") == "TypeError: Expected node, int, or string"
    assert outcome(repl, "connect(NANO_5V, 3)") == "TypeError: Expected node, int, or string"  # a ProbePad
    assert outcome(repl, "connect(300, 1)") == "None"  # an int passes unchecked (the firmware refuses silently)


def test_keywords_are_refused_like_builtins(repl: RawRepl) -> None:
    for code in ("probe_read(blocking=False)", "dac_set(0, 1.0, save=False)", "nodes_save(slot=1)",
                 "cycle_term_color(reset=True)", "pwm(1, frequency=10)"):  # fmt: skip  # the vendor stub's
        assert outcome(repl, code) == "TypeError: function doesn't take keyword arguments", code


def test_fixed_arities_the_host_once_dropped(repl: RawRepl, legacy_board: VirtualBoard) -> None:
    assert outcome(repl, "disconnect(5)") == "TypeError: function takes 2 positional arguments but 1 were given"
    assert outcome(repl, "fs_listdir()") == "TypeError: function takes 1 positional arguments but 0 were given"
    assert outcome(repl, "oled_set_pixel(1, 2)") == "TypeError: function takes 3 positional arguments but 2 were given"
    assert outcome(repl, "probe_read_blocking(True)") == (
        "TypeError: function takes 0 positional arguments but 1 were given"
    )
    assert outcome(repl, "oled_clear(False)") == "None"
    with MainPortClient(legacy_board.main_path) as client:  # 5.3.x oled_clear is FUN_OBJ_0 (V5 mjc :1740)
        client.send(b">oled_clear(False)\n")
        assert b"function takes 0 positional arguments but 1 were given" in client.read_quiet()


def test_functions_look_like_builtins(repl: RawRepl) -> None:
    assert outcome(repl, "connect") == "<function>"
    assert outcome(repl, "type(connect)") == "<class 'function'>"
    assert outcome(repl, "FakeGpioPin") == "<class 'FakeGpioPin'>"


def test_family_of_every_persona_matches_its_table() -> None:
    for persona in PERSONA_NAMES:
        assert tree_of(persona).family == PERSONAS[persona].family, persona
    assert tree_of("jumperlos-upstream").name.startswith("upstream") and tree_of("legacy").family is Family.LEGACY


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_keyword_functions_accept_exactly_the_tables_keywords(persona: str, tmp_path: Path) -> None:
    """The allowed_args each `_KW` implementation declares are the ones the parser read from the C."""
    tree = tree_of(persona)
    with VirtualBoard(persona, fs_dir=tmp_path / "fs", time_scale=0.05) as board:
        module = board.runtime.module
        for name, sig in tree.table.functions.items():
            spec = getattr(module.implementation(name), "kw_spec", None)
            if not sig.keywords:
                continue
            assert spec is not None, name
            assert tuple(arg.name for arg in spec) == sig.keywords, name
            positional = [arg for arg in spec if not arg.kw_only]
            assert (len(positional) if positional else None) == sig.max_args, name
            assert sum(arg.required for arg in spec) == sig.min_args, name
