"""Print awkward text on the OLED, read the framebuffer back, clear it."""

from __future__ import annotations

from e2e_steps import Fails, Step

TEXT = 'e2e "quoted"\nline \x03'

STEPS = [
    Step("oled_print", {"text": TEXT}, lambda r: r["text"] == TEXT and r["text_size"] == 2 and r["connected"]),
    Step("oled_print", {"text": "small", "size": 1}, lambda r: r["size"] == 1 and r["text_size"] == 2),
    Step(
        "oled_read",
        {"format": "ascii"},
        lambda r: (
            (r["width"], r["height"], r["text_size"]) == (128, 32, 2)
            and len(r["rows"]) == 32
            and all(len(row) == 128 and set(row) <= {"#", " "} for row in r["rows"])
        ),
    ),
    Step("oled_print", {"text": "x" * 101}, Fails("invalid_argument", "text")),
    Step("oled_print", {"text": "ok", "size": 2}, lambda r: r["text_size"] == 2),
    Step("oled_clear", check=lambda r: r["connected"] is True),
    Step("oled_read", check=lambda r: len(r["rows"]) == 16 and r["blank"] and r["lit_pixels"] == 0),
]
