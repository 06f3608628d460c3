"""Every piece of Python the host can generate runs under real MicroPython, against the firmware's signature table.

The interpreter is MicroPython's WebAssembly port (npm, pinned in tests/micropython/package.json), the
`jumperless` module a stub generated from `firmware_api.signatures` for each firmware tree
(tests/micropython_stub.py: the firmware's arity, no keywords where the C function takes none, its argument
conversions, and return values of the kinds its C code returns, printed as the firmware prints them).
The sources are (1) every catalog call the host can build, for every tree, with optional arguments given and
omitted and representative values, in both framings and as one batch (tests/micropython_sources.py), and
(2) what the host really sent to virtual boards of both personas while running Board API operations and every
MCP tool (tests/micropython_recording.py). Each runs twice (the stub's return variants 0 and 1): the generated
ones in one Node process while the virtual boards record, the recorded ones in a second; the MicroPython part
must stay well under 30 s.

What it cannot see: float32 printing (the WebAssembly build is double-precision), `small int` overflow on
5.3.x (the WebAssembly build has long ints: checked on the literals instead), and the board's state (the stub
has none: a refused bridge or a missing file is the virtual board's business, not this test's).
"""

from __future__ import annotations

import ast
import math
import os
import re
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from micropython_recording import Recording, record
from micropython_runner import Job, Result, node_command, pinned_version, run
from micropython_sources import (
    JSON_DOCUMENT,
    NUMBER_KINDS,
    HostSource,
    argument_sets,
    declared_returns,
    float_samples,
    generated_sources,
    tagged_calls,
)
from micropython_stub import module_name, stub_source

from firmware_api import python_ast
from firmware_api.c_module import FunctionSig
from firmware_api.calls import build_call
from firmware_api.catalog import Returns, functions, lookup
from firmware_api.errors import ReplyParseError
from firmware_api.quoting import literal
from firmware_api.replies import parse_literal, parse_reply
from firmware_api.signatures import Tree, tree_for, trees
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.bench.steps import SIZING_NONCE, split_output
from jumperless_mcp.emulator.virtual_board import PERSONAS

SMALL_INT = (-(2**30), 2**30 - 1)  # 5.3.2.4 is built with MICROPY_LONGINT_IMPL_NONE (mpconfigport.h sets none)
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
NAME_ERROR = re.compile(r"NameError: name '(\w+)' isn't defined")
EMOJI_TEXT = "n\u00e9t \U0001f600 \u2603"


@dataclass(frozen=True)
class Outcome:
    """One host source's run under one return variant."""

    source: HostSource
    variant: int
    result: Result


@dataclass
class Check:
    """Everything the module's tests look at: one MicroPython run of every source, control and recording."""

    implementation: str
    outcomes: list[Outcome]
    controls: dict[str, Result]
    recordings: dict[str, Recording]
    seconds: float  # the two MicroPython runs (one Node process each: generated and controls, then recorded)


_ARGUMENT_TEXT = {"str": "'1'", "sequence": "[1]"}  # other conversions (int, float, node, truthy, object) take 1


def _arguments(sig: FunctionSig, count: int) -> list[str]:
    """`count` argument texts the stub's conversions accept for this function."""
    kinds = [*sig.arg_kinds, *["object"] * count][:count]
    return [_ARGUMENT_TEXT.get(kind, "1") for kind in kinds]


def _controls(tree: Tree) -> dict[str, str]:
    """Sources that must fail (or succeed) if the interpreter and the stub are what they claim to be."""
    table = sorted(tree.table.functions.items())
    fixed, sig = next((n, s) for n, s in table if s.min_args >= 1 and s.max_args == s.min_args)
    no_keywords, plain = next((n, s) for n, s in table if not s.keywords)
    by_node, takes_node = next((n, s) for n, s in table if s.arg_kinds[:1] == ("node",))
    unknown_node = ["'NOT_A_NODE'", *_arguments(takes_node, takes_node.min_args)[1:]]
    return {
        "removeprefix": "'a'.removeprefix('a')",  # str.removeprefix is CPython's, not MicroPython's
        "arity": f"{fixed}({', '.join(_arguments(sig, sig.min_args - 1))})",
        "keywords": f"{no_keywords}({', '.join([*_arguments(plain, plain.min_args), 'flag=1'])})",
        "node name": f"{by_node}({', '.join(unknown_node)})",
        "valid": f"{fixed}({', '.join(_arguments(sig, sig.min_args))})",
    }


def _json_source(tree: Tree) -> str | None:
    """MicroPython's json.loads of the JSON text the host sends to set_state, printed as the host reads replies."""
    if "set_state" not in {f.name for f in functions(tree.version)}:
        return None
    call = build_call("set_state", tree.version, {"name": EMOJI_TEXT, "nets": []})
    return "import json\n" + f"print('\\x1e{SIZING_NONCE}0:'+repr(json.loads({literal(call.args[0])})))"


def _float_literals(tree: Tree) -> list[tuple[str, str, float]]:
    """(function.argument, literal as sent, value) for each float sample of each catalog float argument.

    A sample the host leaves out of the call (the firmware's own default) sends no literal and is skipped.
    """
    found = []
    for function in functions(tree.version):
        required = next(argument_sets(function))
        for index, arg in enumerate(function.args):
            if arg.kind.value not in NUMBER_KINDS:
                continue
            for value in float_samples(arg):
                source = build_call(function.name, tree.version, **(required | {arg.name: value})).source
                sent = python_ast.parse(source).body[0].value.args  # type: ignore[attr-defined]
                if index < len(sent):
                    found.append((f"{function.name}.{arg.name}", ast.get_source_segment(source, sent[index]), value))
    return found


def _float_source(literals: list[tuple[str, str, float]]) -> str:
    return "\n".join(f"print('\\x1e{SIZING_NONCE}{i}:'+repr({text}))" for i, (_, text, _) in enumerate(literals))


def _control_jobs() -> dict[str, Job]:
    controls: dict[str, Job] = {}
    for tree in trees():
        for label, text in _controls(tree).items():
            controls[f"{tree.name} {label}"] = Job(module_name(tree), text)
        json_text = _json_source(tree)
        if json_text is not None:
            controls[f"{tree.name} json"] = Job(module_name(tree), json_text)
        controls[f"{tree.name} floats"] = Job(module_name(tree), _float_source(_float_literals(tree)))
    return controls


# The oldest and newest firmware of each family: jumperlos-5.7.5's functions are a subset of the upstream
# persona's, and every catalog call of its tree is generated above anyway.
RECORDED_PERSONAS = ("legacy", "jumperlos", "jumperlos-upstream")


def _record_all(fs_root: Path) -> dict[str, Recording]:
    """The recorded personas at once, the 5.3.x one on six boards (it mostly waits on its `>` input collector)."""
    parts = {persona: 6 if PERSONAS[persona].family is Family.LEGACY else 1 for persona in RECORDED_PERSONAS}
    pieces: dict[str, list[Recording]] = {persona: [] for persona in RECORDED_PERSONAS}

    async def one(persona: str, part: int) -> None:
        pieces[persona].append(await record(persona, fs_root / f"{persona}-{part}", part, parts[persona]))

    async def every() -> None:
        async with anyio.create_task_group() as group:
            for persona, count in parts.items():
                for part in range(count):
                    group.start_soon(one, persona, part)

    anyio.run(every)
    return {persona: _merged(recordings) for persona, recordings in pieces.items()}


def _merged(recordings: list[Recording]) -> Recording:
    merged = Recording()
    for recording in recordings:
        merged.sources += recording.sources
        merged.tool_calls += recording.tool_calls
        merged.rejected += recording.rejected
    return merged


def _timed_run(modules: dict[str, str], jobs: list[Job]) -> tuple[str, list[Result], float]:
    """The run and the CPU seconds its Node process used (not wall time: a loaded machine must not fail it)."""
    before = os.times()
    implementation, results = run(modules, jobs)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return implementation, results, cpu


def _distinct(sources: list[HostSource]) -> list[HostSource]:
    """Each source once per behaviour: a source already run for an earlier tree is skipped when every function it
    calls has the same signature and declared return there, and the node names are the same (the stub would do
    exactly the same)."""
    node_tables = {tree.name: tuple(sorted(tree.table.node_names.items())) for tree in trees()}
    seen: set[tuple[object, ...]] = set()
    kept = []
    for source in sources:
        called = tuple(
            (name, _behaviour(source.tree.table.functions.get(name)), declared_returns(source.tree, name))
            for _, name in tagged_calls(source.text)
        )
        key = (source.text, called, node_tables[source.tree.name])
        if key not in seen:
            seen.add(key)
            kept.append(source)
    return kept


def _behaviour(sig: FunctionSig | None) -> tuple[object, ...] | None:
    """What the stub does with a call: the signature without where the C source has it."""
    return None if sig is None else (sig.min_args, sig.max_args, sig.keywords, sig.arg_kinds, sig.returns)


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory) -> Check:
    """Generated sources and controls run in MicroPython while the virtual boards record; then the recordings."""
    node_command()  # skip or fail before the recording if MicroPython is not there
    modules = {module_name(tree): stub_source(tree) for tree in trees()}
    distinct = _distinct([source for tree in trees() for source in generated_sources(tree)])
    generated = [(source, variant) for source in distinct for variant in (0, 1)]
    controls = _control_jobs()
    first_jobs = [Job(module_name(s.tree), s.text, variant) for s, variant in generated] + list(controls.values())
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(_timed_run, modules, first_jobs)
        recordings = _record_all(tmp_path_factory.mktemp("fs"))
        recorded = [
            (HostSource(tree_for(FirmwareVersion.parse(PERSONAS[persona].version)), text, f"recorded on {persona}"), v)
            for persona, recording in recordings.items()
            for text in dict.fromkeys(recording.sources)
            for v in (0, 1)
        ]
        implementation, recorded_results, recorded_seconds = _timed_run(
            modules, [Job(module_name(s.tree), s.text, variant) for s, variant in recorded]
        )
        _, first_results, first_seconds = first.result()
    runs = generated + recorded
    results = first_results[: len(generated)] + recorded_results
    outcomes = [Outcome(s, variant, r) for (s, variant), r in zip(runs, results, strict=True)]
    control_results = dict(zip(controls, first_results[len(generated) :], strict=True))
    return Check(implementation, outcomes, control_results, recordings, first_seconds + recorded_seconds)


def _expected_error(source: HostSource, error: str) -> bool:
    """A NameError for an `optional` catalog function the tree lacks: the host maps it to unsupported_by_firmware."""
    missing = NAME_ERROR.search(error)
    if missing is None or missing.group(1) in source.tree.table.functions:
        return False
    try:
        return lookup(missing.group(1), source.tree.version).optional
    except KeyError:
        return False


def violations(outcome: Outcome) -> list[str]:
    """What went wrong for one source: a traceback, a missing result, or a result the host cannot parse."""
    source, result = outcome.source, outcome.result
    where = f"[{source.tree.name}, {source.origin}, variant {outcome.variant}] {source.text[:300]!r}"
    if result.error is not None:
        if _expected_error(source, result.error):
            return []
        return [f"{where}\n    -> {result.error.strip().splitlines()[-1]}"]
    replies, _ = split_output(result.stdout)
    found = []
    for index, name in tagged_calls(source.text):
        if index not in replies:
            found.append(f"{where}\n    -> no result line for call {index} ({name})")
            continue
        try:
            parse_reply(declared_returns(source.tree, name), replies[index])
        except ReplyParseError as exc:
            found.append(f"{where}\n    -> {name}: {exc}")
    return found


def _report(found: list[str]) -> str:
    unique = list(dict.fromkeys(found))
    return f"{len(unique)} violation(s):\n" + "\n".join(unique[:60])


# --- the interpreter and the stub are what they claim --------------------------------------------------------


def test_the_interpreter_is_real_micropython_and_the_stub_enforces_the_table(check: Check) -> None:
    assert check.implementation == f"micropython {pinned_version()}"
    for tree in trees():
        controls = {
            label.removeprefix(f"{tree.name} "): r for label, r in check.controls.items() if label.startswith(tree.name)
        }
        assert "AttributeError" in (controls["removeprefix"].error or ""), "CPython would accept str.removeprefix"
        assert "TypeError: function takes" in (controls["arity"].error or ""), controls["arity"]
        assert "TypeError: function doesn't take keyword arguments" in (controls["keywords"].error or "")
        assert "ValueError: Unknown node name" in (controls["node name"].error or ""), controls["node name"]
        assert controls["valid"].error is None, controls["valid"].error


def test_the_check_is_fast_and_covers_both_families(check: Check) -> None:
    # CPU seconds of the Node runs, about 6 s; the bound only catches a pathological slowdown (a 64 MB heap made
    # it 50 s), and CPU time does not grow with the machine's load as wall time does
    assert check.seconds < 60, f"the MicroPython run took {check.seconds:.1f} CPU s"
    families = {o.source.tree.family for o in check.outcomes if o.source.origin.startswith("generated")}
    assert families == {Family.LEGACY, Family.JUMPERLOS}
    recorded = {o.source.tree.family for o in check.outcomes if o.source.origin.startswith("recorded")}
    assert recorded == {Family.LEGACY, Family.JUMPERLOS}


# --- every host source runs and every reply parses ----------------------------------------------------------


def test_every_catalog_call_runs_under_micropython_and_its_reply_parses(check: Check) -> None:
    generated = [o for o in check.outcomes if o.source.origin.startswith("generated")]
    assert len(generated) > 1000
    assert all(tagged_calls(o.source.text) for o in generated), "a host statement the checker cannot find"
    found = [v for o in generated for v in violations(o)]
    assert not found, _report(found)


def test_everything_the_host_sent_to_virtual_boards_runs_under_micropython(check: Check) -> None:
    for persona, recording in check.recordings.items():
        assert recording.rejected == [], f"{persona}: the test's own tool arguments were rejected"
        assert recording.tool_calls > 50 and len(set(recording.sources)) > 50, persona
    recorded = [o for o in check.outcomes if o.source.origin.startswith("recorded")]
    found = [v for o in recorded for v in violations(o)]
    assert not found, _report(found)


def test_a_violation_is_reported() -> None:
    """The checker itself can fail: a traceback, a missing result and an unparsable reply are each reported."""
    tree = trees()[-1]
    source = HostSource(tree, f"print('\\x1e{SIZING_NONCE}0:'+repr(dac_get(0)))", "control")
    assert violations(Outcome(source, 0, Result("", "Traceback...\nTypeError: function takes 1")))
    assert violations(Outcome(source, 0, Result(f"\x1e{SIZING_NONCE}1:1.5\n", None)))
    assert violations(Outcome(source, 0, Result(f"\x1e{SIZING_NONCE}0:'text'\n", None)))
    assert violations(Outcome(source, 0, Result(f"\x1e{SIZING_NONCE}0:1.5\n", None))) == []


# --- what the bytes look like -------------------------------------------------------------------------------


def test_sources_are_printable_ascii_one_liners_are_one_line_and_json_has_no_surrogates(check: Check) -> None:
    found = []
    for outcome in check.outcomes:
        text = outcome.source.text
        if outcome.variant or not text:
            continue
        odd = {c for c in text if not (" " <= c <= "~" or c in "\r\n")}
        if odd:
            found.append(f"{outcome.source.origin}: control or non-ASCII characters {sorted(odd)!r}: {text[:120]!r}")
        if "one-liner" in outcome.source.origin and "\n" in text:
            found.append(f"{outcome.source.origin}: a one-liner holds a newline: {text[:120]!r}")
        if SURROGATE_ESCAPE.search(text):
            found.append(f"{outcome.source.origin}: a surrogate-pair escape (send JSON with ensure_ascii=False)")
    assert not found, _report(found)


def test_non_ascii_json_is_sent_unescaped_and_micropython_reads_it_back(check: Check) -> None:
    checked = 0
    for tree in trees():
        label = f"{tree.name} json"
        if label not in check.controls:
            continue
        call = build_call("set_state", tree.version, JSON_DOCUMENT)
        assert not SURROGATE_ESCAPE.search(call.args[0]), f"surrogate pairs in the sent JSON: {call.args[0]!r}"
        result = check.controls[label]
        assert result.error is None, result.error
        replies, _ = split_output(result.stdout)
        assert parse_literal(replies[0]) == {"name": EMOJI_TEXT, "nets": []}, replies[0]
        checked += 1
    assert checked == len([t for t in trees() if t.family is Family.JUMPERLOS])


def test_float_arguments_are_bounded_within_float32_and_parse_in_micropython(check: Check) -> None:
    found = []
    for tree in trees():
        literals = _float_literals(tree)
        for function in functions(tree.version):
            for arg in function.args:
                if arg.kind.value in NUMBER_KINDS and (arg.minimum is None or arg.maximum is None):
                    found.append(f"{tree.name} {function.name}.{arg.name}: unbounded (the host could send any double)")
        result = check.controls[f"{tree.name} floats"]
        assert result.error is None, result.error
        replies, _ = split_output(result.stdout)
        for index, (where, text, value) in enumerate(literals):
            back = parse_reply(Returns.FLOAT, replies[index])
            if back != value:
                found.append(f"{tree.name} {where}: {text} came back as {replies[index]}")
            if not fits_float32(value):
                found.append(f"{tree.name} {where}: {text} does not fit a float32")
    assert not found, _report(found)


def fits_float32(value: float) -> bool:
    """Finite as a float32, and not flushed to zero (struct raises OverflowError beyond 3.4028235e38)."""
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return False
    return math.isfinite(single) and (single != 0.0 or value == 0.0)


def test_fits_float32_rejects_what_the_board_cannot_hold() -> None:
    assert fits_float32(62_500_000.0) and fits_float32(0.0001) and fits_float32(-8.0)
    assert not fits_float32(3.5e38) and not fits_float32(1e300) and not fits_float32(5e-324)


def test_legacy_integer_literals_fit_small_ints(check: Check) -> None:
    """5.3.2.4 has no long ints: a literal outside +-2**30 fails there (the WebAssembly build cannot show it)."""
    found = []
    for outcome in check.outcomes:
        if outcome.variant or outcome.source.tree.family is not Family.LEGACY:
            continue
        for node in ast.walk(python_ast.parse(outcome.source.text)):
            if (
                isinstance(node, ast.Constant)
                and type(node.value) is int
                and not SMALL_INT[0] <= node.value <= SMALL_INT[1]
            ):
                found.append(f"{outcome.source.origin}: {node.value} in {outcome.source.text[:120]!r}")
    assert not found, _report(found)
