"""The one-line summaries that search results and the README's tool table show: whole sentences, never cut short."""

from __future__ import annotations

import pytest

from jumperless_mcp.tooling.tool_search import ABBREVIATIONS, SUMMARY_LIMIT, summary
from jumperless_mcp.tools import ALL_TOOLS


@pytest.mark.parametrize("spec", ALL_TOOLS, ids=lambda spec: spec.name)
def test_every_summary_is_a_whole_sentence_that_says_something(spec) -> None:
    line = summary(spec.description)
    assert len(line) >= 30, line
    assert len(line) <= SUMMARY_LIMIT
    assert not line.lower().rstrip(".").endswith(tuple(a.rstrip(".") for a in ABBREVIATIONS)), line
    assert spec.description.startswith(line.removesuffix("…"))


def test_summary_reads_past_abbreviations_and_a_short_opening() -> None:
    assert summary("Pause the second core, e.g. for timing. More here.") == "Pause the second core, e.g. for timing."
    assert summary("Start here. What is connected and how it is going. Details.") == (
        "Start here. What is connected and how it is going."
    )
    long = "Read the board: " + ", ".join(f"item {i}" for i in range(60)) + "."
    assert summary(long).endswith("…") and len(summary(long)) <= SUMMARY_LIMIT
