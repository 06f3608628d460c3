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
        "pretrigger": 0,
    }
    return plan_capture([0, 3, "INA1"], **(arguments | options))  # type: ignore[arg-type]


def test_the_burst_loop_runs_under_micropython_and_its_output_parses() -> None:
    node_command()  # skips (or fails under CI) without Node
    plans = [
        _plan(),
        _plan(rate=None, trigger_level=1.0, trigger_edge="falling"),
        _plan(trigger_level=1.0, pretrigger=5),  # the ring: the stub never crosses, so it wraps until the timeout
        _plan(trigger_level=1.0, trigger_channel=2, pretrigger=69),  # a trigger ADC that is not sampled
    ]
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
        if plan.pretrigger:
            assert 1 <= raw.trigger_index <= plan.pretrigger  # time order: checked above


# A square wave by call count for the ring's own test: low for calls 0-9, high for 10-19, and so on.
SQUARE = "_n=[0]\ndef adc_get(c):\n _n[0]+=1\n return 3.0 if _n[0]//10%2 else 0.0\n"


def test_the_pretrigger_ring_keeps_the_samples_before_the_edge_in_time_order_under_micropython() -> None:
    """The edge comes on the 10th sample; with 3 samples kept before it the ring (4 rows) has wrapped, so the
    rotation into time order runs; every framing, every firmware tree."""
    node_command()
    plan = plan_capture(
        [0],
        rate=5000.0,
        samples=12,
        duration=None,
        trigger_channel=None,
        trigger_level=1.0,
        trigger_edge="rising",
        trigger_timeout=1.0,
        pretrigger=3,
    )
    source = board_source(plan, TAG)
    modules = {module_name(tree): stub_source(tree) for tree in trees()}
    jobs = [Job(module_name(tree), SQUARE + text) for tree in trees() for text in (source, one_line(source))]
    _, results = run(modules, jobs)
    expected = [3.0 if m // 10 % 2 else 0.0 for m in [7, 8, 9, *range(10, 19)]]  # calls 7-9 kept, 10 the edge
    for job, result in zip(jobs, results, strict=True):
        assert result.error is None, (job.source[:80], result.error)
        raw = parse_output(result.stdout, TAG, plan)
        assert raw.found and raw.trigger_index == 3 and raw.values[0] == expected
        assert raw.times_us == sorted(raw.times_us)  # this port's ticks_us counts whole milliseconds
