"""Fault injection, kept small: the scenarios of tests/fault_scenarios.py (benchmarks/faults.py runs them long).

Unplug/replug with a call in flight, unsolicited output and marker look-alikes on both ports, concurrent calls
with random cancellations, fuzzed tool calls through the MCP server (the board runs only what the host
rendered), and corrupted config files while serving. The one rule everywhere: never a wrong answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fault_scenarios import (
    PERSONAS,
    Fuzzer,
    concurrent_cancellations,
    config_corruption,
    fuzzer,
    injected_output,
    schema_strategy,
    source_problems,
    unplug_replug,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Reproducible in CI: a fixed derivation of examples, no example database, no time limit per example.
FUZZ = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck), print_blob=False
)


@pytest.mark.parametrize("persona", PERSONAS)
async def test_unplug_replug_with_a_call_in_flight(persona: str) -> None:
    tally = await unplug_replug(persona, cycles=2)
    assert not tally.wrong, tally.lines(persona)
    assert not tally.not_retryable(), tally.lines(persona)
    assert sum(tally.errors.values()) == 4, tally.lines(persona)  # per cycle: the in-flight call, the unplugged one
    assert len(tally.recovery) == 2, tally.lines(persona)  # the first call after each replug was right


@pytest.mark.parametrize("persona", PERSONAS)
async def test_injected_output_never_gives_a_wrong_answer(persona: str, tmp_path: Path) -> None:
    tally = await injected_output(persona, 44 if persona == "jumperlos" else 22, tmp_path / "fs")
    assert not tally.wrong, tally.lines(persona)
    assert not tally.not_retryable(), tally.lines(persona)  # an error, if any, says a retry may work


@pytest.mark.parametrize("persona", PERSONAS)
async def test_concurrent_calls_with_random_cancellations_get_their_own_answers(persona: str, tmp_path: Path) -> None:
    calls, span = (120, 0.8) if persona == "jumperlos" else (30, 1.5)
    tally = await concurrent_cancellations(persona, calls, tmp_path / "fs", span=span)
    assert not tally.wrong, tally.lines(persona)
    assert not tally.errors, tally.lines(persona)  # a cancelled call is cancelled, never an error for another
    assert tally.right + tally.cancelled >= calls, tally.lines(persona)


def test_the_source_check_sees_a_statement_break_out_of_its_literal() -> None:
    rendered = [["print('\\x1e0:'+repr(fs_read('/a.txt')))"]]
    framed = "print('\\x02'+'ab12');print('\\x1e0:'+repr(fs_read('/a.txt')));print('ab12'+'\\x03')\n"
    assert source_problems(rendered, [framed]) == []
    broken_out = framed.replace("fs_read('/a.txt')", "fs_read('/a.txt'));import os;print(os.listdir('/')")
    assert source_problems(rendered, [broken_out])
    assert source_problems([["print('\\x1e0:'+repr(fs_read('/a'));import os)"]], [])  # rendered broken out
    assert source_problems([["print('\\x1e0:'+repr(fs_read(__import__('os').getcwd())))"]], [])


def test_fuzzed_tool_calls_run_only_what_the_host_rendered_on_jumperlos(tmp_path: Path) -> None:
    """Every listed tool, a few schema-valid argument sets each (literal-breaking text among them)."""
    problems: list[str] = []
    with fuzzer("jumperlos", tmp_path / "fs") as fuzz:
        for tool in fuzz.tools:
            problems += _fuzz_one_tool(fuzz, tool.name, schema_strategy(tool.input_schema, text_cap=80), examples=2)
        problems += fuzz.alive()
    assert not problems, "\n".join(problems[:20])


def _fuzz_one_tool(fuzz: Fuzzer, name: str, arguments: st.SearchStrategy[Any], examples: int) -> list[str]:
    problems: list[str] = []

    @settings(FUZZ, max_examples=examples)
    @given(arguments=arguments)
    def call(arguments: dict[str, Any]) -> None:
        problems.extend(fuzz.call(name, arguments))

    call()
    return problems


def test_fuzzed_tool_calls_run_only_what_the_host_rendered_on_legacy(tmp_path: Path) -> None:
    problems: list[str] = []
    with fuzzer("legacy", tmp_path / "fs") as fuzz:
        strategies = {tool.name: schema_strategy(tool.input_schema, text_cap=80) for tool in fuzz.tools}

        @settings(FUZZ, max_examples=20)
        @given(st.sampled_from(sorted(strategies)).flatmap(lambda n: st.tuples(st.just(n), strategies[n])))
        def call(case: tuple[str, dict[str, object]]) -> None:
            problems.extend(fuzz.call(*case))

        call()
        problems += fuzz.alive()
    assert not problems, "\n".join(problems[:20])


async def test_corrupted_config_files_while_serving_never_widen_a_limit(tmp_path: Path) -> None:
    tally = await config_corruption(tmp_path / "config.toml", count=8)
    assert not tally.wrong, tally.lines("config")
    assert not tally.errors, tally.lines("config")
