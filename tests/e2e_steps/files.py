"""Write a file whose path and text hold quotes, newlines and control characters; read and list it back."""

from __future__ import annotations

from e2e_steps import Fails, Step

PATH = "/mcp e2e 'quoted' \"file\".txt"
TEXT = 'first line\nit\'s "quoted" \\ \x03 \x04 \x11 end\n'

STEPS = [
    Step("fs_write", {"path": PATH, "text": TEXT}, lambda r: r["verified"] and r["bytes"] == len(TEXT.encode())),
    Step("fs_read", {"path": PATH}, lambda r: r["text"] == TEXT and r["truncated"] is False),
    Step("fs_list", {}, lambda r: {"name": PATH.lstrip("/"), "is_dir": False} in r["entries"]),
    Step("fs_list", {"path": "/no_such_folder"}, Fails("not_found")),
    Step("fs_read", {"path": "/no_such_file.txt"}, Fails("not_found")),
    Step("fs_write", {"path": "/bad\x00name.txt", "text": "x"}, Fails("invalid_argument", "path")),
    Step("fs_write", {"path": PATH, "text": "overwritten"}, lambda r: r["verified"] and r["bytes"] == 11),
    Step("fs_read", {"path": PATH}, lambda r: r["text"] == "overwritten"),
]
