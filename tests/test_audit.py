"""The audit log: every tool call through the MCP server, one JSON line each (tooling/audit.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import pytest
from mcp_harness import serve

from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling import audit
from jumperless_mcp.tooling.audit import FILE_NAME, AuditLog, clean

pytestmark = pytest.mark.anyio


def entries(folder: Path) -> list[dict]:
    return list(AuditLog(folder).entries())


async def test_each_call_is_logged_with_the_python_sent(jos_board: VirtualBoard, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    async with serve(jos_board, audit_dir=str(folder)) as h:
        await h.ok("dac_set", channel="DAC0", voltage=1.25)
        await h.error("dac_set", channel="DAC7", voltage=1.0)  # refused before anything is sent
        await h.ok("get_bridges")
    first, refused, bridges = entries(folder)
    assert first["tool"] == "dac_set" and first["outcome"] == "ok"
    assert first["arguments"] == {"channel": "DAC0", "voltage": 1.25}
    assert first["result"]["voltage"] == pytest.approx(1.25)
    assert any("dac_set(" in source and "1.25" in source for source in first["python"])
    assert first["firmware"] == jos_board.firmware and first["session"] == audit.session_id()
    assert first["duration_ms"] >= 0 and first["time"].endswith("Z")
    assert refused["outcome"] == "error" and refused["error"]["kind"] == "invalid_argument"
    assert refused["python"] == []  # nothing reached the board
    assert bridges["python"] and "result" in bridges


async def test_concurrent_calls_keep_their_own_sources(jos_board: VirtualBoard, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    async with serve(jos_board, audit_dir=str(folder)) as h, anyio.create_task_group() as group:
        group.start_soon(lambda: h.ok("oled_print", text="hello"))
        group.start_soon(lambda: h.ok("dac_set", channel="DAC1", voltage=0.5))
        group.start_soon(lambda: h.ok("gpio_read", pin=1))
    by_tool = {entry["tool"]: " ".join(entry["python"]) for entry in entries(folder)}
    assert "oled_print(" in by_tool["oled_print"] and "dac_set(" not in by_tool["oled_print"]
    assert "dac_set(" in by_tool["dac_set"] and "oled_print(" not in by_tool["dac_set"]
    assert "gpio_get(" in by_tool["gpio_read"] and "dac_set(" not in by_tool["gpio_read"]


async def test_the_setting_off_writes_nothing(jos_board: VirtualBoard, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    async with serve(jos_board, audit_dir=str(folder), audit_log=False) as h:
        await h.ok("dac_set", channel="DAC0", voltage=0.5)
        await h.ok("get_bridges")
    assert not folder.exists()


async def test_a_log_that_cannot_be_written_never_breaks_a_call(
    jos_board: VirtualBoard, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="jumperless_mcp.audit"):
        async with serve(jos_board, audit_dir=str(blocker / "audit")) as h:
            await h.ok("dac_set", channel="DAC0", voltage=0.5)
            await h.ok("dac_get", channel="DAC0")
    warnings = [r for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len(warnings) == 1


async def test_secrets_and_large_values_are_cut(jos_board: VirtualBoard, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    token = "s3cr3t-T0KEN-value"
    big = "x" * 5000 + token
    async with serve(jos_board, audit_dir=str(folder), http_token=token) as h:
        await h.ok("fs_write", path="/notes.txt", text=big)
        await h.ok("fs_read", path="/notes.txt")
        await h.ok("oled_picture", scale=2)
    text = (folder / FILE_NAME).read_text()
    assert token not in text
    write, read, picture = entries(folder)
    assert len(write["arguments"]["text"]) < 1000 and "chars cut]" in write["arguments"]["text"]
    assert all(len(source) <= audit.MAX_SOURCE + 40 for source in write["python"])
    assert "chars cut]" in read["result"]["text"]
    assert picture["images"] and picture["images"][0].startswith("[PNG, ")
    assert len(text) < 20_000


def test_clean_redacts_secret_keys_bearer_headers_and_pictures() -> None:
    value = {
        "http_token": "abc",
        "headers": {"Authorization": "Bearer xyz"},
        "note": "sent Bearer abcdef123 to the server",
        "png": "iVBORw0KGgo" + "A" * 4000,
        "rows": list(range(500)),
        "blob": b"\x00" * 10,
    }
    cleaned = clean(value)
    assert cleaned["http_token"] == audit.REDACTED
    assert cleaned["headers"]["Authorization"] == audit.REDACTED
    assert "abcdef123" not in cleaned["note"]
    assert cleaned["png"].startswith("[PNG, ")
    assert len(cleaned["rows"]) == audit.MAX_ITEMS + 1 and "more items cut" in cleaned["rows"][-1]
    assert cleaned["blob"] == "[10 bytes]"
    assert audit.secret_values(Config(http_token="abcd1234")) == ("abcd1234",)


def test_rotation_keeps_a_few_files_and_drops_the_oldest(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, max_bytes=2000, backups=2)
    for index in range(100):
        assert log.write({"index": index, "pad": "p" * 80})
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == [FILE_NAME, f"{FILE_NAME}.1", f"{FILE_NAME}.2"]
    assert all(path.stat().st_size <= 2000 for path in tmp_path.iterdir())
    kept = [entry["index"] for entry in log.entries()]
    assert kept == sorted(kept) and kept[-1] == 99 and kept[0] > 0  # oldest first, the earliest gone
    assert kept == list(range(kept[0], 100))  # nothing lost between the files kept


def test_a_torn_line_is_skipped(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.write({"tool": "a"})
    with open(log.path, "a") as file:
        file.write('{"tool": "b", "trunc\n')
    log.write({"tool": "c"})
    assert [entry["tool"] for entry in log.entries()] == ["a", "c"]


def test_settings_from_file_environment_and_flags(tmp_path: Path) -> None:
    from jumperless_mcp.cli import SERVE_SETTINGS, build_parser
    from jumperless_mcp.settings import config as settings

    assert settings.load(environ={}).audit_log is True
    assert settings.load(environ={"JUMPERLESS_AUDIT_LOG": "0"}).audit_log is False
    file = tmp_path / "config.toml"
    file.write_text(f'audit_log = false\naudit_dir = "{tmp_path / "logs"}"\n')
    loaded = settings.load(environ={}, path=file)
    assert loaded.audit_log is False and audit.folder(loaded) == tmp_path / "logs"
    args = build_parser().parse_args(["serve", "--no-audit-log", "--audit-dir", "/tmp/x"])
    flags = {key: getattr(args, key, None) for key in SERVE_SETTINGS}
    assert flags["audit_log"] is False and flags["audit_dir"] == "/tmp/x"
    assert settings.load(flags, environ={}).audit_log is False
    assert audit.log_for(Config(audit_log=False)) is None
