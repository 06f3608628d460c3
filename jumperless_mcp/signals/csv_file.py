"""Captured samples as CSV: `# key: value` header lines (board, firmware, channels, units, rate, start time),
then a column header and one row per sample time. Readers that skip `#` lines (pandas `comment="#"`,
spreadsheets after the header) get plain columns; `read_header` gives the header back for listings."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

HEADER_LINES = 40  # a header is read from at most this many leading lines


def render_csv(
    header: Mapping[str, object], columns: Sequence[str], times: Sequence[float], data: Sequence[Sequence[float]]
) -> str:
    """The CSV text: header lines, then `columns` (the time column first) and a row per time."""
    out = io.StringIO()
    for key, value in header.items():
        text = str(value).replace("\r", " ").replace("\n", " ")
        out.write(f"# {key}: {text}\n")
    out.write(",".join(columns) + "\n")
    for row, t in enumerate(times):
        out.write(f"{t:.6f}")
        for series in data:
            out.write(f",{series[row]:.6g}")
        out.write("\n")
    return out.getvalue()


def write_csv(path: Path, text: str) -> Path:
    """Write the text (creating the directory), atomically enough for a listing: a temporary name, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path


def read_header(path: Path) -> dict[str, str]:
    """The `# key: value` lines at the top of a CSV file written by `render_csv`."""
    header: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace") as file:
        for _, line in zip(range(HEADER_LINES), file, strict=False):
            if not line.startswith("# "):
                break
            key, sep, value = line[2:].rstrip("\n").partition(": ")
            if sep:
                header[key] = value
    return header
