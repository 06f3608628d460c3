"""The capture's burst loop under real MicroPython (the WebAssembly port, tests/micropython_runner.py) against each
firmware tree's `jumperless` stub: as raw-REPL source and as the `>` channel's exec() line, with and without a
trigger; what it prints parses into exactly the samples asked for. (Everything the `capture` tool sends to the
virtual boards also runs there, in tests/test_micropython_host_sources.py.)"""

from __future__ import annotations

from micropython_runner import Job, node_command, run
from micropython_stub import module_name, stub_source

from firmware_api.signatures import trees
from jumperless_mcp.bench.capture_burst import board_source, one_line, parse_output
from jumperless_mcp.bench.capture_plan import plan_capture

TAG = "\x1eabcdc"


def _plan(**options: object):  # type: ignore[no-untyped-def]
    arguments = {
        "rate": 2000.0,
        "samples": 70,  # more than one printed line of 64
        "duration": None,
        "trigger_channel": None,
        "trigger_level": None,
        "trigger_edge": "rising",
        "trigger_timeout": 0.01,
    }
    return plan_capture([0, 3, "INA1"], **(arguments | options))  # type: ignore[arg-type]


def test_the_burst_loop_runs_under_micropython_and_its_output_parses() -> None:
    node_command()  # skips (or fails under CI) without Node
    plans = [_plan(), _plan(rate=None, trigger_level=1.0, trigger_edge="falling")]
    modules = {module_name(tree): stub_source(tree) for tree in trees()}
    jobs, expected = [], []
    for tree in trees():
        for plan in plans:
            source = board_source(plan, TAG)
            for text in (source, one_line(source)):
                for variant in (0, 1):
                    jobs.append(Job(module_name(tree), text, variant))
                    expected.append((plan, variant))
    _, results = run(modules, jobs)
    for job, result, (plan, variant) in zip(jobs, results, expected, strict=True):
        assert result.error is None, (job.source[:80], result.error)
        raw = parse_output(result.stdout, TAG, plan)
        assert len(raw.times_us) == plan.samples and raw.times_us == sorted(raw.times_us)
        stub_value = 1.5 if variant == 0 else 1 / 3
        assert all(abs(v - stub_value) < 1e-4 for v in raw.values[0])
        if plan.trigger is not None:
            assert raw.found is False and raw.waited_us >= 10_000  # the stub's ADC never crosses: timed out
