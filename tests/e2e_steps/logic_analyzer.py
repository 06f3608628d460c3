"""The logic analyzer: idle, stoppable; on the e2e server's JumperlOS board a capture is refused with the reason
(its analyzer port is the REPL there; tests/test_logic_capture*.py capture on a 5.3.x board)."""

from __future__ import annotations

from e2e_steps import Fails, Step

STEPS = [
    Step("la_status", check=lambda r: r["capturing"] is False),
    Step("la_stop", check=lambda r: r["capturing"] is False and r["was_capturing"] is False),
    Step("la_capture", {"channels": [1], "sample_rate_hz": 10_000, "samples": 100}, Fails("unsupported_by_firmware")),
]
