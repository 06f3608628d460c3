"""The fault scenarios' check that the board runs only what the host rendered knows the capture's burst program
(tests/capture_sources.py): the real one passes in both framings, a changed program or argument does not."""

from __future__ import annotations

from capture_sources import burst_problems
from fault_scenarios import FIRMWARE_FUNCTIONS, rendered_problems

from jumperless_mcp.bench.capture_burst import board_source, one_line
from jumperless_mcp.bench.capture_plan import plan_capture

TAG = "\x1e12abc"


def _burst(**options: object) -> str:
    arguments = {
        "rate": 1000.0,
        "samples": 20,
        "duration": None,
        "trigger_channel": None,
        "trigger_level": None,
        "trigger_edge": "rising",
        "trigger_timeout": 0.5,
    }
    return board_source(plan_capture([0, "INA1"], **(arguments | options)), TAG)  # type: ignore[arg-type]


def test_real_bursts_pass_in_both_framings() -> None:
    ring = _burst(trigger_level=1.0, pretrigger=5)
    for source in (_burst(), _burst(rate=None), _burst(trigger_level=-1.5, trigger_edge="falling"), ring):
        assert rendered_problems(source) == []
        assert rendered_problems(one_line(source)) == []


def test_a_changed_program_or_a_non_literal_argument_is_reported() -> None:
    source = _burst()
    injected = source.replace("(adc_get,0,1e4)", "(__import__('os').remove,0,1e4)")
    assert injected != source and burst_problems(injected, FIRMWARE_FUNCTIONS)
    foreign = source.replace("(adc_get,0,1e4)", "(open,0,1e4)")
    assert any("open" in p for p in burst_problems(foreign, FIRMWARE_FUNCTIONS) or [])
    changed = source.replace("time.sleep_us(d)", "time.sleep_us(d);import os")
    assert burst_problems(changed, FIRMWARE_FUNCTIONS) and rendered_problems(one_line(changed))
    assert rendered_problems("exec('import os')")  # not a burst: the ordinary rule refuses it


def test_ordinary_statements_are_not_bursts() -> None:
    assert burst_problems("print('\\x1e00000:'+repr(adc_get(0)))", FIRMWARE_FUNCTIONS) is None
    assert burst_problems("x = (", FIRMWARE_FUNCTIONS) is None
