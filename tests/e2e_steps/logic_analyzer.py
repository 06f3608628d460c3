"""The logic analyzer: idle, stoppable, and captures are refused with an explanation."""

from __future__ import annotations

from e2e_steps import Fails, Step

STEPS = [
    Step("la_status", check=lambda r: r["capturing"] is False),
    Step("la_stop", check=lambda r: r["capturing"] is False and r["was_capturing"] is False),
    Step("la_capture", check=Fails("unsupported_by_firmware")),
]
