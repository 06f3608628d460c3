"""A bridge, then a picture of the board (with the divider's parts from --parts); printed text, then the OLED."""

from __future__ import annotations

from e2e_steps import Fails, Step

STEPS = [
    Step("connect", {"node1": 3, "node2": 7}, lambda r: r["ok"]),
    Step(
        "board_picture",
        check=lambda r: (
            ["3", "7"] in r["bridges"]
            and {p["name"] for p in r["parts"]} >= {"R1", "R2"}
            and (r["image_width"], r["image_height"]) == (1200, 560)
            and 0 < r["png_bytes"] < 100_000
        ),
    ),
    Step("disconnect", {"node1": 3, "node2": 7}, lambda r: r["ok"]),
    Step("oled_print", {"text": "HI"}, lambda r: r["connected"]),
    Step("oled_picture", {"scale": 2}, lambda r: r["lit_pixels"] > 40 and r["image_width"] == 272),
    Step("oled_picture", {"scale": 0}, Fails("invalid_argument", "scale")),
]
