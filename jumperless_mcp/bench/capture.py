"""Waveform capture on the board's ADCs and INA sensors (Board.capture): a scope for bench scripts and agents.

One round trip on every firmware: the host renders a small MicroPython burst loop (every value through
`literal`) that samples the channels into preallocated arrays, paced to the requested rate with
`time.ticks_us` (a sample that comes late moves the schedule on instead of bunching the next ones), with each
sample's time the middle of its channel reads; then it prints them as a few tagged lines of integers (0.1 mV,
1 uA; times as microsecond deltas), so the rate reached comes from the board's own clock. On the raw REPL
(JumperlOS) the source goes as it is; on the `>` one-liner (5.3.x, or JumperlOS's fallback) as one `exec(...)`
line that fits the line limit (JumperlOS's fallback takes 929 characters: a triggered burst of one or two
channels, never the pre-trigger ring; 5.3.x's 1950 take the ring with every channel). There each request also
costs the firmware's 1 s input collector, and the heap is smaller, so fewer samples fit (LEGACY_MAX_VALUES).

`via="aux"` (JumperlOS 5.7.0.13's fourth port, `Backchannel.every_adc`) has the firmware run
`:every:<us>us:<n>:adc` from its service loop instead: nothing goes to the REPL, so a running script is not
disturbed. ADC 0-4 only, at most 250 Hz (the firmware's 4000 us floor for :adc), no trigger. The stream carries
no timestamps: sample i's time is i * eff_us (the interval the firmware says it used), so the rate is the
schedule's; a late slot (cap_end's `late`) is logged, not corrected.

Here: `Board.capture` (the mixin), the `Capture` it returns (stats, plot, CSV) and the captures folder;
`capture_plan.py` checks a request, `capture_burst.py` renders the board's loop and reads what it prints.

The trigger waits on one ADC channel for the level to be crossed in the given direction (armed once the
signal is HYSTERESIS volts on the other side) and then starts the capture. With `pretrigger` N (and a rate) the
board samples every channel on the rate's schedule while it waits, keeping the last N samples in a ring, and
the edge is decided on those samples' trigger-channel values: the capture holds up to N samples before the
trigger sample (fewer when the edge came sooner), and its times are 0 at the trigger sample, negative before.
When no edge comes within the timeout the capture runs anyway, untriggered, and says so (a scope's "auto" mode;
with pre-trigger samples t = 0 is then where the wait ended).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import platformdirs

from firmware_api.errors import ArgumentError, UnsupportedByFirmware
from firmware_api.versions import FirmwareVersion
from jumperless_mcp.bench.capture_burst import board_source, call_timeout, explain_error, one_line, parse_output
from jumperless_mcp.bench.capture_plan import (
    ADC_NAMES,
    DEFAULT_RATE,
    Plan,
    Trigger,
    check_aux_plan,
    check_for_firmware,
    check_via,
    fits_aux,
    plan_capture,
)
from jumperless_mcp.link.backchannel import AUX_SINCE, Backchannel, aux_port
from jumperless_mcp.link.session import Session
from jumperless_mcp.signals.csv_file import read_header, render_csv, write_csv
from jumperless_mcp.signals.plot import Trace, render_png
from jumperless_mcp.signals.waveform import ChannelStats, channel_stats

APP = "jumperless-mcp"
KIND = "waveform"  # the CSV header's `capture:` line, which tells these files from others in the folder
AUX_TIMEOUT = 3.0
log = logging.getLogger(__name__)


class _BoardLike(Protocol):
    """What capture needs of `Board` (this mixin must not import bench/board.py)."""

    session: Session

    @property
    def firmware(self) -> str | None: ...

    async def _firmware(self) -> FirmwareVersion: ...


@dataclass
class Capture:
    """One capture: per-channel samples (volts or amps) at board times (seconds from the first sample)."""

    channels: list[str]
    units: list[str]
    times: list[float]
    samples: dict[str, list[float]]
    requested_rate: float | None
    rate: float  # achieved, from the board's timestamps
    trigger: Trigger | None
    board: str
    firmware: str
    started: dt.datetime  # host clock, UTC, when the capture was sent
    via: str = "burst"  # the path that took it: "burst" (the REPL loop) or "aux" (the fourth port's schedule)
    pretrigger: int = 0  # samples asked for from before the trigger
    trigger_index: int | None = None  # the trigger sample's index (t = 0 there); None without a trigger
    stats: dict[str, ChannelStats] = field(init=False)

    def __post_init__(self) -> None:
        self.stats = {name: channel_stats(self.samples[name], self.times) for name in self.channels}

    @property
    def duration(self) -> float:
        return self.times[-1] - self.times[0] if len(self.times) > 1 else 0.0

    @property
    def trigger_time(self) -> float | None:
        """The trigger sample's time (0: times count from it), None without a trigger."""
        return None if self.trigger_index is None else self.times[self.trigger_index]

    @property
    def before_trigger(self) -> int:
        """How many samples came before the trigger sample (at most `pretrigger`)."""
        return self.trigger_index or 0

    def png(self, width: int = 1000, height: int = 500) -> bytes:
        """The plot as PNG bytes (one trace per channel, volts left, milliamps right)."""
        traces = [Trace(name, unit, self.samples[name]) for name, unit in zip(self.channels, self.units, strict=True)]
        title = f"{', '.join(self.channels)}: {len(self.times)} samples at {self.rate:.4g} Hz"
        if self.trigger is not None:
            how = "triggered" if self.trigger.found else "not triggered (timeout)"
            title += f", {self.trigger.edge} {self.trigger.level:g} V on ADC{self.trigger.channel} {how}"
        marker = self.trigger_time if self.before_trigger else None  # t = 0 where there is data before it
        return render_png(self.times, traces, title=title, width=width, height=height, marker=marker)

    def csv_text(self) -> str:
        header = {
            "capture": KIND,
            "board": self.board,
            "firmware": self.firmware,
            "channels": " ".join(self.channels),
            "units": " ".join(self.units),
            "samples": len(self.times),
            "rate_hz": f"{self.rate:.6g}",
            "requested_rate_hz": "max" if self.requested_rate is None else f"{self.requested_rate:g}",
            "start": self.started.isoformat(timespec="milliseconds"),
            "trigger": "none" if self.trigger is None else _trigger_words(self.trigger, self.before_trigger),
        }
        columns = ["time_s"] + [f"{name}_{unit}" for name, unit in zip(self.channels, self.units, strict=True)]
        return render_csv(header, columns, self.times, [self.samples[name] for name in self.channels])

    def to_csv(self, path: str | Path) -> Path:
        """Write the samples as CSV to `path` (header lines say board, firmware, channels, units, rate, time)."""
        return write_csv(Path(path), self.csv_text())

    def save(self, directory: str | Path | None = None) -> Path:
        """Write the CSV into the captures folder (default: the user data directory's `captures/`)."""
        folder = Path(directory) if directory is not None else captures_dir()
        stamp = self.started.strftime("%Y%m%d-%H%M%S")
        short = "-".join(name.lower() for name in self.channels[:3]) + f"-{secrets.token_hex(2)}"
        return self.to_csv(folder / f"{stamp}-{short}.csv")

    def summary(self) -> str:
        asked = "max" if self.requested_rate is None else f"{self.requested_rate:g} Hz"
        lines = [f"{len(self.times)} samples at {self.rate:.4g} Hz (asked {asked}) over {self.duration * 1000:.4g} ms"]
        if self.trigger is not None:
            lines.append(_trigger_words(self.trigger, self.before_trigger))
        for name, unit in zip(self.channels, self.units, strict=True):
            lines.append(f"{name}: {stats_words(self.stats[name], unit)}")
        return "\n".join(lines)


def stats_words(stats: ChannelStats, unit: str) -> str:
    if stats.invalid and math.isnan(stats.mean):
        return f"no valid samples ({stats.invalid} failed readings)"
    text = (
        f"min {stats.min:.4g} {unit}, max {stats.max:.4g} {unit}, mean {stats.mean:.4g} {unit}, "
        f"rms {stats.rms:.4g} {unit}, p-p {stats.peak_to_peak:.4g} {unit}"
    )
    if stats.frequency is not None:
        text += f", {stats.frequency:.5g} Hz"
        if stats.duty_cycle is not None:
            text += f", duty {stats.duty_cycle * 100:.1f} %"
    else:
        text += ", not periodic"
    if stats.invalid:
        text += f" ({stats.invalid} failed readings left out)"
    return text


def _trigger_words(trigger: Trigger, before: int = 0) -> str:
    where = f"{trigger.edge} edge through {trigger.level:g} V on ADC{trigger.channel}"
    if trigger.found:
        text = f"triggered on a {where} after {trigger.waited * 1000:.4g} ms"
    else:
        text = f"no {where} within {trigger.timeout:g} s: captured untriggered"
    if before:
        text += f"; {before} samples before t = 0" + (" (the trigger sample)" if trigger.found else "")
    return text


def captures_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "captures"


def list_captures(directory: str | Path | None = None, limit: int = 10) -> list[dict[str, object]]:
    """The newest files of the captures folder first: name, path, kind, time, channels, samples, rate.

    Waveform captures (this module's CSV) are read from their header; other files there (the logic analyzer's
    `logic-*` CSV/VCD) are listed by name and time, their details left empty (None)."""
    folder = Path(directory) if directory is not None else captures_dir()
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix in (".csv", ".vcd")]
    files.sort(key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    found: list[dict[str, object]] = []
    for path in files[:limit]:
        try:
            header = read_header(path) if path.suffix == ".csv" else {}
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        except OSError:
            continue
        waveform = header.get("capture") == KIND
        kind = KIND if waveform else "logic" if path.name.startswith("logic-") else "other"
        found.append(
            {
                "name": path.name,
                "file": str(path),
                "kind": kind,
                "time": header.get("start") if waveform else modified.isoformat(timespec="milliseconds"),
                "channels": header.get("channels", "").split() if waveform else [],
                "samples": _int(header.get("samples")) if waveform else None,
                "rate_hz": _float(header.get("rate_hz")) if waveform else None,
            }
        )
    return found


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


class CaptureMethods:
    """Mixed into `Board`."""

    async def capture(
        self: _BoardLike,
        channels: object = (0,),
        *,
        rate: float | None = DEFAULT_RATE,
        samples: int | None = None,
        duration: float | None = None,
        trigger_channel: int | None = None,
        trigger_level: float | None = None,
        trigger_edge: str = "rising",
        trigger_timeout: float = 1.0,
        timeout: float | None = None,
        via: str = "auto",
        pretrigger: int = 0,
    ) -> Capture:
        """Sample ADC channels (0-3, or "ADC0".."ADC3"; higher ones where the catalog says the firmware reads them)
        and/or INA current sensors ("INA0", "INA1") in one burst on the board.

        `rate` in Hz (None: as fast as the board can; the rate reached is measured either way), `samples`
        (2-20000, default 500) and/or `duration` in seconds (at most 5; with both, whichever ends first). A
        trigger (`trigger_level` volts, `trigger_edge` rising/falling on ADC `trigger_channel`, by default the
        first channel) waits up to `trigger_timeout` seconds, then captures anyway. `pretrigger` (with a trigger
        and a rate; 0 to samples - 1): samples kept from before the trigger, which the board takes on the rate's
        schedule while it waits; times are then 0 at the trigger sample (`Capture.trigger_index`), negative
        before it. Returns a `Capture`: samples per channel, times, stats, `.png()`, `.to_csv(path)`, `.save()`.

        `via="aux"`: sampled by JumperlOS 5.7.0.13's fourth port on its own schedule, leaving the REPL alone
        (ADC 0-4, up to 250 Hz, no trigger; times from the schedule, see the module docstring). `via="burst"`:
        the REPL loop. `via="auto"`: the aux port when the board has it and the request fits it, and either the
        REPL is busy (a script runs: the capture does not wait for it) or only the port can read a channel
        (ADC 4); else the burst loop, which is faster. `Capture.via` says which was used.
        """
        via = check_via(via)
        plan = plan_capture(
            channels,
            rate=rate,
            samples=samples,
            duration=duration,
            trigger_channel=trigger_channel,
            trigger_level=trigger_level,
            trigger_edge=trigger_edge,
            trigger_timeout=trigger_timeout,
            pretrigger=pretrigger,
        )
        if via == "aux":
            interval_us = check_aux_plan(plan)
        firmware = await self._firmware()
        if via == "auto":
            via = _auto_path(self, plan, firmware)
            interval_us = plan.period_us
        if via == "aux":
            return await _capture_aux(self, plan, interval_us, firmware, timeout)
        check_for_firmware(plan, firmware)
        tag = "\x1e" + secrets.token_hex(2) + "c"
        source = board_source(plan, tag)
        if self.session.channel != "raw-repl":
            source = one_line(source)
            _check_line(self, plan, tag, source)
        started = dt.datetime.now(dt.UTC)
        limit = timeout if timeout is not None else call_timeout(plan, self.session.default_timeout)
        reply = await self.session.run([source], timeout=limit)
        if reply.error is not None:
            raise explain_error(reply.error, plan)
        raw = parse_output(reply.stdout, tag, plan)
        first = raw.times_us[raw.trigger_index]
        times = [(t - first) / 1e6 for t in raw.times_us]  # from the trigger sample (the first without pretrigger)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        achieved = (len(times) - 1) / span if span > 0 else 0.0
        trigger = plan.trigger
        if trigger is not None:
            waited = raw.waited_us / 1e6
            trigger = Trigger(trigger.channel, trigger.level, trigger.edge, trigger.timeout, raw.found, waited)
        ports = self.session.ports
        return Capture(
            channels=[c.name for c in plan.channels],
            units=[c.unit for c in plan.channels],
            times=times,
            samples={c.name: raw.values[i] for i, c in enumerate(plan.channels)},
            requested_rate=plan.rate,
            rate=achieved,
            trigger=trigger,
            board=(ports.name or ports.main or "") if ports else "",
            firmware=self.firmware or str(firmware),
            started=started,
            pretrigger=plan.pretrigger,
            trigger_index=None if plan.trigger is None else raw.trigger_index,
        )


def _check_line(board: _BoardLike, plan: Plan, tag: str, line: str) -> None:
    """Refuse a burst longer than the `>` line, naming what to drop (the pre-trigger ring when that is enough)."""
    size, limit = board.session.wire_size(line)
    if limit is None or size <= limit:
        return
    parts = f"{len(plan.channels)} channel(s){' and a trigger' if plan.trigger else ''}"
    if plan.pretrigger:
        plain = replace(plan, pretrigger=0)
        if board.session.wire_size(one_line(board_source(plain, tag)))[0] <= limit:
            raise ArgumentError(
                "pretrigger",
                f"the burst loop for {parts} with pre-trigger samples is {size} characters, longer than this "
                f"firmware's `>` line ({limit}); nothing was sent",
                "0 on this channel (on the raw REPL channel there is no such limit)",
            )
        parts += " with pre-trigger samples"
    raise ArgumentError(
        "channels",
        f"the burst loop for {parts} is {size} characters, longer than this firmware's `>` line ({limit}); "
        "nothing was sent",
        f"fewer channels, {'pretrigger=0, ' if plan.pretrigger else ''}or no trigger "
        "(on the raw REPL channel there is no such limit)",
    )


def _auto_path(board: _BoardLike, plan: Plan, firmware: FirmwareVersion) -> str:
    """'aux' where the port can take the plan and is worth it (the REPL busy, or a channel only it reads)."""
    if aux_port(firmware, board.session.ports) is None or not fits_aux(plan):
        return "burst"
    only_aux = any(channel.index not in ADC_NAMES.values() for channel in plan.channels)
    return "aux" if board.session.busy or only_aux else "burst"


async def _capture_aux(
    board: _BoardLike, plan: Plan, interval_us: int, firmware: FirmwareVersion, timeout: float | None
) -> Capture:
    """`:every:<interval_us>us:<samples>:adc` on the aux port; nothing is written to the REPL."""
    ports = board.session.ports
    if ports is None or not ports.aux:
        raise UnsupportedByFirmware("via='aux': this board has no fourth (aux) port known to the host; use via='burst'")
    if firmware < AUX_SINCE:
        raise UnsupportedByFirmware(
            f"via='aux': firmware {firmware} has no scheduled :every capture (since {AUX_SINCE}); use via='burst'"
        )
    started = dt.datetime.now(dt.UTC)
    async with Backchannel(ports.aux, timeout if timeout is not None else AUX_TIMEOUT) as aux:
        stream = await aux.every_adc(interval_us, plan.samples)
    if stream.late:
        log.warning("aux capture: %d of %d samples came late on the board", stream.late, len(stream.samples))
    period = stream.eff_us / 1e6
    times = [i * period for i in range(len(stream.samples))]
    return Capture(
        channels=[c.name for c in plan.channels],
        units=[c.unit for c in plan.channels],
        times=times,
        samples={c.name: [sample[c.index] for sample in stream.samples] for c in plan.channels},
        requested_rate=plan.rate,
        rate=1e6 / stream.eff_us,
        trigger=None,
        board=ports.name or ports.main or "",
        firmware=board.firmware or str(firmware),
        started=started,
        via="aux",
    )


__all__ = ["Capture", "CaptureMethods", "captures_dir", "list_captures"]
