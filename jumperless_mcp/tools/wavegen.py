"""The waveform generator: configure (with host-side voltage limits), sweep, start, stop, status."""

from __future__ import annotations

from typing import Any

from firmware_api.calls import DAC_CHANNEL_NAMES
from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import (
    BOOLEAN,
    DAC_CHANNELS,
    NUMBER,
    OMIT,
    WAVES,
    Param,
    ToolSpec,
    choice,
    number,
)
from jumperless_mcp.tools.integers import whole

SUBSYSTEM = "wavegen"
OUTPUT_NAMES = DAC_CHANNEL_NAMES
WAVE_NAMES = dict(enumerate([*WAVES, "arbitrary"]))
TOLERANCE = 1e-4  # volts: the firmware's floats are single precision
MAX_HZ = 10_000.0
STATUS = {
    "output": {"type": "string", "enum": list(OUTPUT_NAMES.values())},
    "wave": {"type": "string"},
    "frequency": NUMBER,
    "amplitude": NUMBER,
    "offset": NUMBER,
    "low_voltage": NUMBER,
    "high_voltage": NUMBER,
    "running": BOOLEAN,
}
GETTERS = {
    "output": "wavegen_get_output",
    "wave": "wavegen_get_wave",
    "frequency": "wavegen_get_freq",
    "amplitude": "wavegen_get_amplitude",
    "offset": "wavegen_get_offset",
}
SETTERS = {
    "output": "wavegen_set_output",
    "wave": "wavegen_set_wave",
    "frequency": "wavegen_set_freq",
    "amplitude": "wavegen_set_amplitude",
    "offset": "wavegen_set_offset",
}
DRIVE_NOTE = (
    "The wavegen drives its output (DAC0, DAC1, TOP_RAIL or BOTTOM_RAIL) and so the whole net bridged to it; "
    "bridge that DAC to a row to feed a circuit. While it runs, dac_set on the same channel is overridden. "
    "Started without setup it uses DAC1, sine, 100 Hz, 3.3 Vpp, 1.65 V offset (0 to 3.3 V). "
)


def _limits_text(ctx: ToolContext) -> str:
    return f"{ctx.config.min_voltage:g} to {ctx.config.max_voltage:g} V"


def _swing(amplitude: float, offset: float) -> tuple[float, float]:
    return offset - amplitude / 2, offset + amplitude / 2


def _within(ctx: ToolContext, amplitude: float, offset: float) -> bool:
    low, high = _swing(amplitude, offset)
    return low >= ctx.config.min_voltage - TOLERANCE and high <= ctx.config.max_voltage + TOLERANCE


def _batch_status(batch: Any) -> dict[str, Any]:
    pending = {key: batch.call(getter) for key, getter in GETTERS.items()}
    pending["running"] = batch.wavegen_is_running()
    return pending


def _status(pending: dict[str, Any]) -> dict[str, Any]:
    values = {key: p.value for key, p in pending.items()}
    amplitude, offset = float(values["amplitude"]), float(values["offset"])
    low, high = _swing(amplitude, offset)
    return {
        "output": OUTPUT_NAMES.get(int(values["output"]), str(values["output"])),
        "wave": WAVE_NAMES.get(int(values["wave"]), str(values["wave"])),
        "frequency": float(values["frequency"]),
        "amplitude": amplitude,
        "offset": offset,
        "low_voltage": low,
        "high_voltage": high,
        "running": bool(values["running"]),
    }


async def _read_status(ctx: ToolContext) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        pending = _batch_status(batch)
    return _status(pending)


def _energising(ctx: ToolContext, amplitude: float, offset: float) -> bool:
    """Above the confirm_above_vpp amplitude, or a peak beyond confirm_above_volts (as for dac_set)."""
    low, high = _swing(amplitude, offset)
    return confirm.above_vpp(amplitude, ctx) or confirm.beyond_volts(max(abs(low), abs(high)), ctx)


def _wave_words(status: dict[str, Any], amplitude: float, offset: float) -> str:
    low, high = _swing(amplitude, offset)
    return (
        f"a {status['wave']} wave of {amplitude:g} Vpp around {offset:g} V at {status['frequency']:g} Hz on "
        f"{status['output']} (swinging {low:.3f} to {high:.3f} V)"
    )


async def _start_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """Starting a large waveform energises its output: the person confirms (one read, nothing sent)."""
    status = await _read_status(ctx)
    if status["running"] or not _energising(ctx, status["amplitude"], status["offset"]):
        return None
    return "start " + _wave_words(status, status["amplitude"], status["offset"])


async def _configure_confirm(ctx: ToolContext, args: dict[str, Any]) -> str | None:
    """A running wavegen changes at once: a large new amplitude or offset asks first."""
    amplitude, offset = args.get("amplitude"), args.get("offset")
    large = (amplitude is not None and confirm.above_vpp(amplitude, ctx)) or (
        offset is not None and confirm.beyond_volts(offset, ctx)
    )
    if amplitude is not None and offset is not None:
        large = _energising(ctx, amplitude, offset)
    if not large:  # decided without a round trip
        return None
    status = await _read_status(ctx)
    amplitude, offset = args.get("amplitude", status["amplitude"]), args.get("offset", status["offset"])
    if not status["running"] or not _energising(ctx, amplitude, offset):
        return None
    return "change the running waveform at once to " + _wave_words(status, amplitude, offset)


async def _configure(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    given = {key: args[key] for key in SETTERS if key in args}
    if isinstance(given.get("output"), float):  # 1.0 matches the schema's enum entry 1
        given["output"] = whole(given["output"], "output", ", ".join(map(str, DAC_CHANNELS)))
    if not given:
        return await _read_status(ctx) | {"changed": []}
    amplitude, offset = given.get("amplitude"), given.get("offset")
    if amplitude is None or offset is None:
        async with ctx.board.batch() as batch:
            current_amplitude = batch.wavegen_get_amplitude()
            current_offset = batch.wavegen_get_offset()
        amplitude = current_amplitude.value if amplitude is None else amplitude
        offset = current_offset.value if offset is None else offset
    if not _within(ctx, amplitude, offset):
        raise _limit_failure(ctx, given, amplitude, offset)
    async with ctx.board.batch() as batch:
        for key, value in given.items():
            batch.call(SETTERS[key], value)
        pending = _batch_status(batch)
    return _status(pending) | {"changed": list(given)}


def _limit_failure(ctx: ToolContext, given: dict[str, Any], amplitude: float, offset: float) -> ToolFailure:
    low, high = _swing(amplitude, offset)
    if "amplitude" in given:
        parameter = "amplitude"
    elif "offset" in given:
        parameter = "offset"
    else:
        parameter = "amplitude"  # the current setting is already outside: the fix is a smaller swing
    source = {key: "given" if key in given else "current" for key in ("amplitude", "offset")}
    message = (
        f"{parameter}: the waveform would swing from {low:.3f} V to {high:.3f} V (offset {offset:g} V "
        f"({source['offset']}) \u00b1 amplitude {amplitude:g} Vpp ({source['amplitude']}) / 2), outside the "
        f"configured voltage limits {_limits_text(ctx)} (min_voltage / max_voltage); nothing was sent"
    )
    details = {
        "parameter": parameter,
        "allowed": f"offset \u00b1 amplitude/2 within {_limits_text(ctx)}",
        "sent_to_board": False,
        "low_voltage": low,
        "high_voltage": high,
    }
    return ToolFailure(message, "invalid_argument", False, details)


async def _sweep(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        batch.wavegen_set_sweep(args["start_hz"], args["end_hz"], args["seconds"])
        pending = _batch_status(batch)
    return {"start_hz": args["start_hz"], "end_hz": args["end_hz"], "seconds": args["seconds"]} | _status(pending)


async def _start(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    before = await _read_status(ctx)
    if not _within(ctx, before["amplitude"], before["offset"]):
        raise _start_refused(ctx, before, "nothing was started")
    async with ctx.board.batch() as batch:
        batch.wavegen_start()
        pending = _batch_status(batch)
    after = _status(pending)
    if not _within(ctx, after["amplitude"], after["offset"]):  # the firmware filled in its own defaults
        async with ctx.board.batch() as batch:
            batch.wavegen_stop()
        raise _start_refused(ctx, after, "the firmware applied these on start, so it was stopped again")
    return after


def _start_refused(ctx: ToolContext, status: dict[str, Any], what: str) -> ToolFailure:
    message = (
        f"the configured waveform swings from {status['low_voltage']:.3f} V to {status['high_voltage']:.3f} V, "
        f"outside the configured voltage limits {_limits_text(ctx)}; {what}. Lower amplitude/offset with "
        "wavegen_configure first"
    )
    return ToolFailure(message, "refused", False, status | {"allowed": _limits_text(ctx)})


async def _stop(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        batch.wavegen_stop()
        pending = _batch_status(batch)
    return _status(pending)


async def _status_tool(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _read_status(ctx)


def _status_text(result: dict[str, Any]) -> str:
    state = "running" if result["running"] else "stopped"
    return (
        f"wavegen {state}: {result['wave']} {result['frequency']:g} Hz on {result['output']}, "
        f"{result['amplitude']:g} Vpp around {result['offset']:g} V ({result['low_voltage']:.3f} to "
        f"{result['high_voltage']:.3f} V)"
    )


OFFSET = Param(
    "offset",
    {"type": "number", "minimum": -8.0, "maximum": 8.0, "description": "DC centre of the waveform in volts."},
    False,
    "-8 to 8",
    voltage=True,
)
HZ_DOC = f"Hz, 0.0001 to {MAX_HZ:g}"

TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="wavegen_configure",
        subsystem=SUBSYSTEM,
        description="Configure the waveform generator: set only the parameters given (all in one round trip; a "
        "running wavegen changes at once) and return the whole configuration read back plus whether it runs. "
        "Waves: sine, triangle, sawtooth, square (the firmware's arbitrary wave is not implemented). amplitude is "
        "peak-to-peak: the output swings offset \u00b1 amplitude/2, and that range (using the current values for "
        "parameters not given) must stay within the server's voltage limits (min_voltage/max_voltage), otherwise "
        "the call is refused and nothing is sent. " + DRIVE_NOTE + "Use wavegen_start to run it.",
        params=(
            choice("output", DAC_CHANNELS, "DAC0, DAC1, TOP_RAIL or BOTTOM_RAIL (or 0-3).", OMIT),
            choice("wave", WAVES, "Waveform shape.", OMIT),
            number("frequency", f"Frequency in {HZ_DOC}.", minimum=0.0001, maximum=MAX_HZ, default=OMIT),
            number("amplitude", "Peak-to-peak volts, 0 to 16.", minimum=0.0, maximum=16.0, default=OMIT),
            OFFSET,
        ),
        output=STATUS | {"changed": {"type": "array", "items": {"type": "string"}}},
        run=_configure,
        text=_status_text,
        mutates=True,
        confirm=_configure_confirm,
    ),
    ToolSpec(
        name="wavegen_sweep",
        subsystem=SUBSYSTEM,
        description="Set a frequency sweep from start_hz to end_hz over `seconds`. The firmware only stores "
        "these values (there is no function to read them back, so they are echoed), and firmware builds differ "
        "in whether a running wavegen acts on them: check the output (ADC, logic analyzer) rather than assume. "
        "Returns the wavegen status too.",
        params=(
            number("start_hz", f"Start frequency in {HZ_DOC}.", minimum=0.0001, maximum=MAX_HZ),
            number("end_hz", f"End frequency in {HZ_DOC}.", minimum=0.0001, maximum=MAX_HZ),
            number("seconds", "Sweep duration in seconds (0 to 3600).", minimum=0.0, maximum=3600.0),
        ),
        output=STATUS | {"start_hz": NUMBER, "end_hz": NUMBER, "seconds": NUMBER},
        run=_sweep,
        text=lambda r: f"sweep {r['start_hz']:g} to {r['end_hz']:g} Hz over {r['seconds']:g} s; " + _status_text(r),
        mutates=True,
    ),
    ToolSpec(
        name="wavegen_start",
        subsystem=SUBSYSTEM,
        description="Start the waveform generator with its current configuration and return it read back. "
        + DRIVE_NOTE
        + "Refused (kind 'refused', nothing started) when the configured swing is outside the server's voltage "
        "limits; if the firmware's own defaults turn out to exceed them after starting, it is stopped again.",
        params=(),
        output=STATUS,
        run=_start,
        text=_status_text,
        mutates=True,
        confirm=_start_confirm,
    ),
    ToolSpec(
        name="wavegen_stop",
        subsystem=SUBSYSTEM,
        description="Stop the waveform generator (the configuration is kept) and return its status. The output "
        "is no longer driven by the wavegen; set it with dac_set if its net needs a defined voltage afterwards.",
        params=(),
        output=STATUS,
        run=_stop,
        text=_status_text,
        mutates=True,
    ),
    ToolSpec(
        name="wavegen_status",
        subsystem=SUBSYSTEM,
        description="The waveform generator's configuration and state in one round trip: output, wave, frequency "
        "(Hz), amplitude (Vpp), offset (V), the resulting low/high voltages and whether it is running.",
        params=(),
        output=STATUS,
        run=_status_tool,
        text=_status_text,
    ),
]
