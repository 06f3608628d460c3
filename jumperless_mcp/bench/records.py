"""Measurement records: one value with its units, when, on which board and firmware, and its limits.

One small type shared by the measurement workflows (`VoltageReading.record()`, `ResistanceReading.record()`) and
the pytest plugin (which puts records into the test report and, optionally, a file). Files are CSV or JSON Lines
with a metadata header, so a file alone says what produced it:

    CSV:         `# key: value` comment lines, then a header row, then one row per record
    JSON Lines:  a first line `{"metadata": {...}}`, then one object per record

Appending to an existing file adds rows only (its header stays). Plain data and files, no board access.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

FORMAT = "jumperless-measurements/1"
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class Measurement:
    """One measured value; `low`/`high` are the limits it is judged against (None: no limit on that side)."""

    name: str
    value: float | None  # None: nothing measurable (an open circuit, a value above the range)
    units: str
    time: float = field(default_factory=time.time)  # seconds since the epoch
    board: str = ""  # the board's name or target
    firmware: str = ""
    settle: float | None = None  # seconds between setting up and reading
    low: float | None = None
    high: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("name: expected a non-empty measurement name")
        for limit in ("low", "high"):
            bound = getattr(self, limit)
            if bound is not None and (not isinstance(bound, int | float) or math.isnan(bound)):
                raise ValueError(f"{limit}: expected a number or None, got {bound!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low: {self.low} is above high {self.high}")

    @property
    def passed(self) -> bool | None:
        """Within its limits (None when it has none; False when there is no value to judge)."""
        if self.low is None and self.high is None:
            return None
        if self.value is None or math.isnan(self.value):
            return False
        return (self.low is None or self.value >= self.low) and (self.high is None or self.value <= self.high)

    @property
    def iso_time(self) -> str:
        return datetime.datetime.fromtimestamp(self.time, datetime.UTC).isoformat(timespec="milliseconds")

    def describe(self) -> str:
        """`vcc = 3.301 V (limits 3.2..3.4): pass`, for messages and logs."""
        value = "none" if self.value is None else f"{self.value:.6g} {self.units}".rstrip()
        limits = ""
        if self.low is not None or self.high is not None:
            lo = "" if self.low is None else f"{self.low:g}"
            hi = "" if self.high is None else f"{self.high:g}"
            limits = f" (limits {lo}..{hi}): {'pass' if self.passed else 'FAIL'}"
        note = f" [{self.note}]" if self.note else ""
        return f"{self.name} = {value}{limits}{note}"

    def as_dict(self) -> dict[str, Any]:
        """The record as written to files: every field, the time also as ISO 8601 UTC, and `passed`."""
        return {**asdict(self), "iso_time": self.iso_time, "passed": self.passed}


COLUMNS = (*(f.name for f in fields(Measurement)), "iso_time", "passed")


def default_metadata(**extra: object) -> dict[str, Any]:
    from jumperless_mcp.version import __version__

    created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {"format": FORMAT, "created": created, "jumperless_mcp": __version__, **extra}


def file_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"path: records are written as .csv or .jsonl (.ndjson), not {suffix or 'no suffix'!r}")
    return SUFFIXES[suffix]


def write(path: Path | str, records: Iterable[Measurement], metadata: Mapping[str, object] | None = None) -> Path:
    """Append records to a .csv or .jsonl file; a new (or empty) file gets the metadata header first."""
    path = Path(path)
    kind = file_format(path)
    fresh = not path.exists() or path.stat().st_size == 0
    header = default_metadata(**dict(metadata or {}))
    text = (_csv if kind == "csv" else _jsonl)(list(records), header if fresh else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write(text)
    return path


def _csv(records: list[Measurement], header: Mapping[str, object] | None) -> str:
    buffer = io.StringIO()
    if header is not None:
        for key, value in header.items():
            buffer.write(f"# {key}: {json.dumps(value) if not isinstance(value, str) else value}\n")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    if header is not None:
        writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.as_dict().items()})
    return buffer.getvalue()


def _jsonl(records: list[Measurement], header: Mapping[str, object] | None) -> str:
    lines = [] if header is None else [json.dumps({"metadata": dict(header)})]
    lines += [json.dumps(record.as_dict()) for record in records]
    return "".join(line + "\n" for line in lines)


def read(path: Path | str) -> tuple[dict[str, Any], list[Measurement]]:
    """The metadata header and the records of a file `write` made."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if file_format(path) == "jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        metadata = rows.pop(0)["metadata"] if rows and "metadata" in rows[0] else {}
        return metadata, [_from_row(row) for row in rows]
    lines = text.splitlines()
    metadata = {}
    while lines and lines[0].startswith("# "):
        key, _, value = lines.pop(0)[2:].partition(": ")
        metadata[key] = value
    return metadata, [_from_row(row) for row in csv.DictReader(lines)]


NUMBERS = ("value", "time", "settle", "low", "high")


def _from_row(row: Mapping[str, Any]) -> Measurement:
    known = {f.name for f in fields(Measurement)}
    values: dict[str, Any] = {k: v for k, v in row.items() if k in known}
    for key in NUMBERS:
        if isinstance(values.get(key), str):
            values[key] = float(values[key]) if values[key] != "" else None
    return Measurement(**values)
