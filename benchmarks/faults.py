"""Fault injection at length: the scenarios of tests/fault_scenarios.py (tests/test_faults.py runs them small).

Prints, per scenario and persona, the figures of the reliability findings: calls, right and wrong answers,
errors by kind, cancellations, recovery times (median / p95). A wrong answer is the one figure that must be 0.

    .venv/bin/python benchmarks/faults.py                      # the default (long) sizes
    .venv/bin/python benchmarks/faults.py --cycles 20 --injected 1000 --concurrent 500 --fuzzed 300 --configs 30 \
        --signals 8
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fault_long_runs import http_sessions, hung_board, signal_exits
from fault_scenarios import (
    PERSONAS,
    Tally,
    concurrent_cancellations,
    config_corruption,
    fuzzer,
    injected_output,
    schema_strategy,
    unplug_replug,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as seed_of
from hypothesis import strategies as st


def fuzz(persona: str, examples: int, fs_dir: Path, seed: int) -> Tally:
    """`examples` tool calls with schema-valid random arguments, spread over every listed tool."""
    tally = Tally()
    with fuzzer(persona, fs_dir) as session:
        strategies = {tool.name: schema_strategy(tool.input_schema) for tool in session.tools}

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.sampled_from(sorted(strategies)).flatmap(lambda n: st.tuples(st.just(n), strategies[n])))
        def call(case: tuple[str, dict[str, object]]) -> None:
            problems = session.call(*case)
            tally.calls += 1
            tally.wrong += problems
            tally.right += not problems

        seed_of(seed)(call)()
        tally.notes += session.alive()
    return tally


async def run(args: argparse.Namespace) -> None:
    personas = args.persona or list(PERSONAS)
    with tempfile.TemporaryDirectory(prefix="jumperless-faults-") as tmp:
        root = Path(tmp)
        for persona in personas:
            if args.cycles:
                await report(f"unplug/replug {persona}", unplug_replug(persona, args.cycles, args.seed))
            if args.injected:
                await report(
                    f"injected output {persona}",
                    injected_output(persona, args.injected, root / f"inj-{persona}", args.seed),
                )
            if args.concurrent:
                span = args.concurrent / (800 if persona == "jumperlos" else 15)  # keeps the board busy, not swamped
                await report(
                    f"concurrent + cancellations {persona}",
                    concurrent_cancellations(persona, args.concurrent, root / f"cc-{persona}", args.seed, span),
                )
            if args.fuzzed:
                started = time.monotonic()
                tally = await anyio.to_thread.run_sync(fuzz, persona, args.fuzzed, root / f"fz-{persona}", args.seed)
                show(f"fuzzed tool calls {persona}", tally, time.monotonic() - started)
            if args.hung:
                print("\n".join(await hung_board(persona, args.hung, args.hung_timeout, root / f"hung-{persona}")))
            if args.signals:
                print("\n".join(await signal_exits(persona, args.signals, root / f"sig-{persona}")), flush=True)
        if args.configs:
            await report("corrupted config files", config_corruption(root / "config.toml", args.configs, args.seed))
        if args.http_sessions:
            print("\n".join(await http_sessions(3, args.http_sessions // 3)), flush=True)


async def report(title: str, scenario) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    show(title, await scenario, time.monotonic() - started)


def show(title: str, tally: Tally, seconds: float) -> None:
    lines = tally.lines(title)
    lines[0] += f" ({seconds:.1f} s)"
    print("\n".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=100, help="unplug/replug cycles per persona (100)")
    parser.add_argument("--injected", type=int, default=10_000, help="calls with injected output per persona")
    parser.add_argument("--concurrent", type=int, default=3_000, help="concurrent calls per persona")
    parser.add_argument("--fuzzed", type=int, default=3_000, help="fuzzed MCP tool calls per persona")
    parser.add_argument("--configs", type=int, default=100, help="corrupted config files")
    parser.add_argument("--hung", type=int, default=10, help="calls on a hung board per persona (10)")
    parser.add_argument("--hung-timeout", type=float, default=2.0, help="their per-call timeout in s (2)")
    parser.add_argument("--signals", type=int, default=20, help="stdio servers stopped by a signal per persona (20)")
    parser.add_argument("--http-sessions", type=int, default=600, help="HTTP sessions opened and closed (600)")
    parser.add_argument("--persona", action="append", choices=PERSONAS, help="only this persona (repeatable)")
    parser.add_argument("--seed", type=int, default=1)
    anyio.run(run, parser.parse_args())


if __name__ == "__main__":
    main()
