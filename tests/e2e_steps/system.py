"""Board info, main-port messages, the Arduino UART and reset, Python context, core 2, status text, exec_python."""

from __future__ import annotations

from e2e_steps import Fails, Step

UART = [["NANO_D0", "RP_UART_TX"], ["NANO_D1", "RP_UART_RX"]]

STEPS = [
    Step(
        "board_info",
        check=lambda r: (
            r["family"] == "jumperlos"
            and r["channel"] == "raw-repl"
            and r["virtual"] is True
            and r["connected"] is True
            and r["health"] in ("healthy", "degraded")
            and isinstance(r["current_slot"], int)
            and r["settings"]["allow_python"] is True
            and r["last_latency_ms"] > 0
        ),
    ),
    Step(
        "boards",
        check=lambda r: (
            [(b["name"], b["prefix"], b["level"], b["firmware"]) for b in r["boards"]]
            == [("board", "", "healthy", "5.7.0.13")]
            and r["boards"][0]["latency_ms"] > 0
        ),
    ),
    Step("boards", {"ping": "yes"}, Fails("invalid_argument", "ping")),
    Step("board_messages", {"clear": True}, lambda r: r["cleared"] and r["collected"]),
    Step("exec_python", {"code": "paths = get_all_paths()\nprint(len(paths) >= 0)"}, lambda r: "True" in r["stdout"]),
    Step("board_messages", check=lambda r: any("jl_get_all_path_info" in m for m in r["messages"])),
    Step("exec_python", {"code": "raise ValueError('e2e boom')"}, Fails("firmware_error")),
    Step("arduino_reset", check=lambda r: r["reset"] and r["virtual"]),
    Step("disconnect", {"node1": "D0"}, lambda r: r["ok"]),
    Step("disconnect", {"node1": "D1"}, lambda r: r["ok"]),
    Step("uart_connect_arduino", {"connect": True}, lambda r: r["ok"] and r["connected"]),
    Step("get_bridges", check=lambda r: all(pair in r["bridges"] for pair in UART)),
    Step("board_status_text", {"what": "bridges"}, lambda r: "UART_Tx" in r["text"] and "D0" in r["text"]),
    Step("board_status_text", {"what": "crossbars"}, lambda r: r["what"] == "crossbars" and r["text"].strip() != ""),
    Step("board_status_text", {"what": "nets"}, Fails("invalid_argument", "what")),
    Step("uart_connect_arduino", {"connect": False}, lambda r: r["ok"] and not r["connected"]),
    Step("get_bridges", check=lambda r: not any(pair in r["bridges"] for pair in UART)),
    Step("python_context_get", check=lambda r: r["context"] == "global"),
    Step("python_context_toggle", check=lambda r: r["previous"] == "global" and r["context"] == "python"),
    Step("python_context_toggle", check=lambda r: r["context"] == "global"),
    Step("core2_pause", check=lambda r: r["paused"] is True),
    Step("board_info", check=lambda r: r["core2_paused"] is True),
    Step("core2_resume", check=lambda r: r["paused"] is False),
    Step("board_info", check=lambda r: r["core2_paused"] is False),
]
