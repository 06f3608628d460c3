"""Waveform capture (a scope for the agent): `capture` samples ADCs / INA current in one burst on the board and
answers with numbers, a plot (PNG image content) and a CSV file of the samples; `captures_list` lists the files."""

from __future__ import annotations

from typing import Any

from jumperless_mcp.bench.capture import captures_dir, list_captures
from jumperless_mcp.bench.capture_plan import (
    ADC_NAMES,
    AUX_MAX_RATE,
    CHANNEL_ALLOWED,
    DEFAULT_RATE,
    DEFAULT_SAMPLES,
    INA_NAMES,
    MAX_DURATION,
    MAX_RATE,
    MAX_READS,
    MAX_SAMPLES,
    MAX_TRIGGER_TIMEOUT,
)
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_spec import (
    INTEGER,
    NUMBER,
    OMIT,
    STRING,
    Param,
    Pictured,
    ToolSpec,
    choice,
    integer,
    number,
)

SUBSYSTEM = "capture"
CHANNEL_VALUES: list[Any] = [0, 1, 2, 3, 4, *ADC_NAMES, "ADC4", *INA_NAMES]  # ADC 4: via='aux' only
OPTIONAL_NUMBER = {"type": ["number", "null"]}
STATS = {
    "type": "object",
    "properties": {
        "unit": STRING,
        "min": OPTIONAL_NUMBER,
        "max": OPTIONAL_NUMBER,
        "mean": OPTIONAL_NUMBER,
        "rms": OPTIONAL_NUMBER,
        "ac_rms": OPTIONAL_NUMBER,
        "peak_to_peak": OPTIONAL_NUMBER,
        "frequency": OPTIONAL_NUMBER,
        "duty_cycle": OPTIONAL_NUMBER,
        "periods": INTEGER,
        "invalid": INTEGER,
    },
    "required": ["unit", "min", "max", "mean", "rms", "peak_to_peak", "frequency", "duty_cycle"],
}
TRIGGER = {
    "type": ["object", "null"],
    "properties": {
        "channel": STRING,
        "level": NUMBER,
        "edge": STRING,
        "timeout": NUMBER,
        "found": {"type": "boolean"},
        "waited_s": NUMBER,
    },
}
CAPTURE_ENTRY = {
    "type": "object",
    "properties": {
        "name": STRING,
        "file": STRING,
        "kind": {"type": "string", "enum": ["waveform", "logic", "other"]},
        "time": {"type": ["string", "null"]},
        "channels": {"type": "array", "items": STRING},
        "samples": {"type": ["integer", "null"]},
        "rate_hz": OPTIONAL_NUMBER,
    },
}

CHANNELS = Param(
    "channels",
    {
        "type": "array",
        "items": {"type": ["integer", "string"], "enum": CHANNEL_VALUES},
        "minItems": 1,
        "maxItems": len(ADC_NAMES) + 1 + len(INA_NAMES),
        "default": [0],
        "description": "What to sample: ADC channels 0-3 (or 'ADC0'-'ADC3', volts) and INA current sensors "
        "'INA0', 'INA1' (amps); ADC 4 with via='aux' only (adc_get takes 0-3). Bridge the node you want to watch "
        "to an ADC first (connect).",
    },
    False,
    CHANNEL_ALLOWED,
)


def _finite(value: float | None) -> float | None:
    return value if value is not None and value == value and abs(value) != float("inf") else None


async def _capture(ctx: ToolContext, args: dict[str, Any]) -> Pictured:
    capture = await ctx.board.capture(
        args["channels"],
        rate=args["rate"],
        samples=args.get("samples"),
        duration=args.get("duration"),
        trigger_channel=args.get("trigger_channel"),
        trigger_level=args.get("trigger_level"),
        trigger_edge=args["trigger_edge"],
        trigger_timeout=args["trigger_timeout"],
        via=args["via"],
        pretrigger=args["pretrigger"],
    )
    path = capture.save()
    stats = {}
    for name, unit in zip(capture.channels, capture.units, strict=True):
        values = capture.stats[name].as_dict()
        stats[name] = {"unit": unit} | {key: _finite(v) if isinstance(v, float) else v for key, v in values.items()}
    notes = []
    if capture.via == "aux":
        notes.append(
            "sampled by the aux port's :every schedule (the REPL was not used); its samples carry no timestamps, "
            f"so the times are the schedule's, {1e3 / capture.rate:g} ms apart"
        )
    elif capture.rate < 0.95 * args["rate"]:
        notes.append(
            f"the board reached {capture.rate:.4g} Hz of the {args['rate']:g} Hz asked (each reading takes time on "
            "the board; fewer channels sample faster)"
        )
    result = {
        "file": str(path),
        "name": path.name,
        "channels": capture.channels,
        "samples": len(capture.times),
        "requested_rate": args["rate"],
        "rate": round(capture.rate, 3),
        "duration_s": round(capture.duration, 6),
        "stats": stats,
        "trigger": None if capture.trigger is None else capture.trigger.as_dict(),
        "firmware": capture.firmware,
        "started": capture.started.isoformat(timespec="milliseconds"),
        "via": capture.via,
        "notes": notes,
    }
    if capture.pretrigger:
        result |= {"pretrigger": capture.pretrigger, "trigger_index": capture.trigger_index}
    return Pictured(result, (capture.png(),))


def _capture_text(result: dict[str, Any]) -> str:
    lines = [
        f"{result['samples']} samples of {', '.join(result['channels'])} at {result['rate']:.4g} Hz "
        f"(asked {result['requested_rate']:g}) over {result['duration_s'] * 1000:.4g} ms; samples in {result['file']}"
    ]
    trigger = result["trigger"]
    if trigger is not None:
        where = f"{trigger['edge']} {trigger['level']:g} V on {trigger['channel']}"
        lines.append(
            f"trigger {where}: found after {trigger['waited_s'] * 1000:.4g} ms"
            if trigger["found"]
            else f"trigger {where}: none within {trigger['timeout']:g} s, captured untriggered"
        )
    if result.get("pretrigger"):
        lines.append(
            f"{result['trigger_index']} samples before t = 0 (of {result['pretrigger']} asked; times are 0 at "
            f"sample {result['trigger_index']}, negative before it)"
        )
    for name, s in result["stats"].items():
        unit = s["unit"]
        if s["mean"] is None:
            lines.append(f"{name}: no valid samples")
            continue
        text = (
            f"{name}: min {s['min']:.4g} {unit}, max {s['max']:.4g} {unit}, mean {s['mean']:.4g} {unit}, "
            f"rms {s['rms']:.4g} {unit}, p-p {s['peak_to_peak']:.4g} {unit}"
        )
        if s["frequency"] is not None:
            text += f", {s['frequency']:.5g} Hz"
            if s["duty_cycle"] is not None:
                text += f", duty {s['duty_cycle'] * 100:.1f} %"
        else:
            text += ", not periodic"
        lines.append(text)
    lines += result["notes"]
    return "\n".join(lines)


async def _captures_list(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"directory": str(captures_dir()), "captures": list_captures(limit=args["limit"])}


def _list_text(result: dict[str, Any]) -> str:
    if not result["captures"]:
        return f"no captures yet in {result['directory']}"
    lines = [f"{len(result['captures'])} capture(s) in {result['directory']}, newest first:"]
    for entry in result["captures"]:
        rate = f"{entry['rate_hz']:.4g} Hz" if entry["rate_hz"] is not None else "? Hz"
        if entry["kind"] != "waveform":
            lines.append(f"{entry['name']}: {entry['kind']}, {entry['time']}")
            continue
        lines.append(f"{entry['name']}: {entry['time']}, {' '.join(entry['channels'])}, {entry['samples']} at {rate}")
    return "\n".join(lines)


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="capture",
        subsystem=SUBSYSTEM,
        description="Oscilloscope: sample ADC channels (volts) and/or INA current sensors (amps) in one burst on "
        "the board at `rate` Hz for `samples` readings or `duration` seconds (with both, whichever ends first; "
        f"default {DEFAULT_SAMPLES} samples at {DEFAULT_RATE:g} Hz; at most {MAX_SAMPLES} samples, "
        f"{MAX_READS} readings over all channels and {MAX_DURATION:g} s). Optional trigger: waits up to "
        "trigger_timeout s for `trigger_level` volts to be crossed (trigger_edge rising/falling) on ADC "
        "trigger_channel (default: the first channel), then captures from that moment; with `pretrigger` N it "
        "also keeps the N samples before the trigger sample (times 0 at the trigger, negative before); "
        "without an edge it captures anyway and says so. Returns per channel min/max/mean/RMS/peak-to-peak and, "
        "when periodic, frequency and duty cycle, the rate the board really reached (from its own clock), a plot "
        "as an image, and the raw samples as a CSV file (named in `file`; see captures_list). Bridge the node "
        "to watch to an ADC first (connect). Channels are read one after another within each sample. "
        f"via='aux' (JumperlOS 5.7.0.13+ with the fourth port): the firmware samples ADC 0-4 on its own schedule "
        f"(at most {AUX_MAX_RATE:g} Hz, no trigger) without touching the REPL, so a running script goes on.",
        params=(
            CHANNELS,
            number(
                "rate", f"Samples per second, 1 to {MAX_RATE:g}.", minimum=1.0, maximum=MAX_RATE, default=DEFAULT_RATE
            ),
            integer("samples", f"Number of samples, 2 to {MAX_SAMPLES}.", minimum=2, maximum=MAX_SAMPLES, default=OMIT),
            number(
                "duration",
                f"Seconds to capture (samples = duration x rate), at most {MAX_DURATION:g}.",
                minimum=0.0001,
                maximum=MAX_DURATION,
                default=OMIT,
            ),
            number(
                "trigger_level", "Trigger level in volts (sets a trigger).", minimum=-8.0, maximum=8.0, default=OMIT
            ),
            integer("trigger_channel", "ADC channel 0-3 to trigger on.", minimum=0, maximum=3, default=OMIT),
            choice("trigger_edge", ["rising", "falling"], "Edge to trigger on.", "rising"),
            number(
                "trigger_timeout",
                f"Seconds to wait for the trigger, 0.001 to {MAX_TRIGGER_TIMEOUT:g}.",
                minimum=0.001,
                maximum=MAX_TRIGGER_TIMEOUT,
                default=1.0,
            ),
            integer(
                "pretrigger",
                "Samples to keep from before the trigger (a scope's pre-trigger), 0 to samples - 1; needs "
                "trigger_level. The board samples at `rate` while it waits; times are 0 at the trigger sample.",
                minimum=0,
                maximum=MAX_SAMPLES - 1,
                default=0,
            ),
            choice(
                "via",
                ["auto", "burst", "aux"],
                "'burst': a sampling loop on the REPL; 'aux': the fourth port's scheduled :adc (ADC only, "
                f"<= {AUX_MAX_RATE:g} Hz, leaves a running script alone); 'auto': aux where it fits and the REPL "
                "is busy (or for ADC 4), else burst. The result's `via` says which was used.",
                "auto",
            ),
        ),
        output={
            "file": STRING,
            "name": STRING,
            "channels": {"type": "array", "items": STRING},
            "samples": INTEGER,
            "requested_rate": NUMBER,
            "rate": NUMBER,
            "duration_s": NUMBER,
            "stats": {"type": "object", "additionalProperties": STATS},
            "trigger": TRIGGER,
            "firmware": STRING,
            "started": STRING,
            "via": {"type": "string", "enum": ["burst", "aux"]},
            "notes": {"type": "array", "items": STRING},
            "pretrigger": INTEGER,
            "trigger_index": INTEGER,
        },
        optional_output=("pretrigger", "trigger_index"),
        run=_capture,
        text=_capture_text,
        idempotent=False,
    ),
    ToolSpec(
        name="captures_list",
        subsystem=SUBSYSTEM,
        description="The latest files in the captures folder of the user data directory, newest first: waveform "
        "captures saved by `capture` (CSV: name, path, start time, channels, samples and rate) and the logic "
        "analyzer's files (kind 'logic': name, path and time).",
        params=(integer("limit", "How many to list, 1 to 100.", minimum=1, maximum=100, default=10),),
        output={"directory": STRING, "captures": {"type": "array", "items": CAPTURE_ENTRY}},
        run=_captures_list,
        text=_list_text,
    ),
]
