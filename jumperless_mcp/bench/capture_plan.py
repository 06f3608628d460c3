"""A capture request checked on the host before anything is sent: which channels (ADC volts, INA amps), how
many samples at what rate, and the trigger; each bad value names its parameter and what it allows. The
catalog has the last word on channel ranges per firmware, and 5.3.x's small heap caps the samples."""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware_api.calls import build_call
from firmware_api.errors import ArgumentError
from firmware_api.versions import Family, FirmwareVersion

MAX_SAMPLES = 20_000
MAX_DURATION = 5.0  # seconds of sampling (the trigger wait comes on top)
MAX_RATE = 100_000.0  # Hz asked for; the board reaches what it can and says so
MAX_TRIGGER_TIMEOUT = 5.0
LEGACY_MAX_VALUES = 4_000  # 5.3.x: samples x (channels + 1) in its small heap (16 KB of arrays, twice while made)
MAX_READS = 40_000  # samples x channels in one capture (the board's time: a few seconds at most)
DEFAULT_SAMPLES = 500
DEFAULT_RATE = 1000.0
HYSTERESIS = 0.02  # volts the trigger signal must pass on the far side of the level before an edge counts
ADC_NAMES = {f"ADC{n}": n for n in range(4)}  # what the catalog's adc_get takes on every firmware it knows
ANY_ADC = {f"ADC{n}": n for n in range(8)}  # upstream JumperlOS reads 0-7: the catalog decides per firmware
INA_NAMES = {f"INA{n}": n for n in range(2)}
CHANNEL_ALLOWED = "ADC channels 0-3 (or 'ADC0'-'ADC3'), INA current sensors 'INA0', 'INA1'; ADC 4 with via='aux'"
SCALE = {"V": 10_000, "A": 1_000_000}  # printed as integers: 0.1 mV, 1 uA
SCALE_TEXT = {"V": "1e4", "A": "1e6"}  # the same, as the burst loop's source writes them
LINE_VALUES = 64  # numbers per printed line
VIAS = ("auto", "burst", "aux")  # auto; the REPL burst loop; the JumperlOS fourth port's `:every:<us>us:<n>:adc`
AUX_MIN_US = 4000  # Ser3Backchannel.cpp usbSer3_verbs[] minUs for "adc": :every raises shorter intervals to it
AUX_MAX_RATE = 1e6 / AUX_MIN_US  # 250 Hz
AUX_ADCS = range(5)  # usbSer3_sendADC prints adc0..adc4
AUX_ALLOWED = "ADC channels 0-4 (or 'ADC0'-'ADC4') with via='aux'; INA sensors and other channels need via='burst'"


@dataclass(frozen=True)
class Channel:
    name: str  # "ADC0", "INA1"
    function: str  # the firmware function that reads it
    index: int
    unit: str  # "V" or "A"


@dataclass(frozen=True)
class Trigger:
    channel: int
    level: float
    edge: str  # "rising" | "falling"
    timeout: float
    found: bool = False
    waited: float = 0.0  # seconds until the edge (or the timeout)

    def as_dict(self) -> dict[str, object]:
        return {
            "channel": f"ADC{self.channel}",
            "level": self.level,
            "edge": self.edge,
            "timeout": self.timeout,
            "found": self.found,
            "waited_s": round(self.waited, 6),
        }


@dataclass(frozen=True)
class Plan:
    """A checked capture request: what to sample, how often, how many times."""

    channels: tuple[Channel, ...]
    samples: int
    rate: float | None  # None: as fast as the board can
    trigger: Trigger | None
    pretrigger: int = 0  # samples kept from before the trigger (only with a trigger and a rate)

    @property
    def period_us(self) -> int:
        return 0 if self.rate is None else max(1, round(1e6 / self.rate))


def parse_channels(channels: object) -> tuple[Channel, ...]:
    """ADC channels (0-3, "ADC0"-"ADC3") and INA sensors ("INA0", "INA1"), each once, in the order given."""
    if isinstance(channels, (int, str)):
        channels = [channels]
    if not isinstance(channels, (list, tuple)) or not channels:
        raise ArgumentError("channels", f"expected a non-empty list, got {channels!r}", CHANNEL_ALLOWED)
    found: dict[str, Channel] = {}
    for item in channels:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise ArgumentError("channels", f"{item!r} is not a channel", CHANNEL_ALLOWED)
        name = f"ADC{item}" if isinstance(item, int) else item.strip().upper()
        if name in ANY_ADC:
            channel = Channel(name, "adc_get", ANY_ADC[name], "V")
        elif name in INA_NAMES:
            channel = Channel(name, "ina_get_current", INA_NAMES[name], "A")
        else:
            raise ArgumentError("channels", f"{item!r} is not a channel", CHANNEL_ALLOWED)
        found.setdefault(name, channel)
    return tuple(found.values())


def _number(name: str, value: object, lo: float, hi: float, allowed: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ArgumentError(name, f"expected a number, got {value!r}", allowed)
    if not lo <= value <= hi:
        raise ArgumentError(name, f"{value!r} is out of range", allowed)
    return float(value)


def plan_capture(
    channels: object,
    *,
    rate: float | None,
    samples: int | None,
    duration: float | None,
    trigger_channel: int | None,
    trigger_level: float | None,
    trigger_edge: str,
    trigger_timeout: float,
    pretrigger: int = 0,
) -> Plan:
    """Check every argument (naming the parameter and its allowed values) before anything is sent."""
    chosen = parse_channels(channels)
    if rate is not None:
        rate = _number("rate", rate, 1.0, MAX_RATE, f"1 to {MAX_RATE:g} Hz, or None for as fast as the board can")
    if samples is not None and (
        isinstance(samples, bool) or not isinstance(samples, int) or not 2 <= samples <= MAX_SAMPLES
    ):
        raise ArgumentError("samples", f"{samples!r} is not a whole number in range", f"2-{MAX_SAMPLES}")
    if duration is not None:
        duration = _number("duration", duration, 0.0001, MAX_DURATION, f"0.0001 to {MAX_DURATION:g} s")
        if rate is None:
            raise ArgumentError("rate", "a duration needs a rate (samples = duration x rate)", "1 to 100000 Hz")
        by_time = round(duration * rate)
        if by_time < 2:
            raise ArgumentError("duration", f"{duration:g} s at {rate:g} Hz is fewer than 2 samples", "longer")
        if samples is None and by_time > MAX_SAMPLES:
            raise ArgumentError(
                "duration", f"{duration:g} s at {rate:g} Hz is {by_time} samples", f"at most {MAX_SAMPLES} samples"
            )
        samples = min(samples, by_time) if samples is not None else by_time
    if samples is None:
        samples = DEFAULT_SAMPLES
    if samples * len(chosen) > MAX_READS:
        raise ArgumentError(
            "samples",
            f"{samples} samples of {len(chosen)} channels are {samples * len(chosen)} readings",
            f"at most {MAX_READS // len(chosen)} samples with {len(chosen)} channel(s) ({MAX_READS} readings)",
        )
    if rate is not None and samples / rate > MAX_DURATION:
        raise ArgumentError(
            "samples", f"{samples} samples at {rate:g} Hz take {samples / rate:g} s", f"at most {MAX_DURATION:g} s"
        )
    trigger = None
    if trigger_level is not None or trigger_channel is not None:
        level = _number("trigger_level", 0.0 if trigger_level is None else trigger_level, -8.0, 8.0, "-8 to 8 V")
        if trigger_level is None:
            raise ArgumentError("trigger_level", "a trigger needs a level", "-8 to 8 V")
        channel = chosen[0].index if trigger_channel is None and chosen[0].unit == "V" else trigger_channel
        if channel is None:
            raise ArgumentError("trigger_channel", "the first channel is not an ADC: name the ADC to trigger on", "0-3")
        if isinstance(channel, bool) or not isinstance(channel, int) or channel not in range(4):
            raise ArgumentError("trigger_channel", f"{channel!r} is not an ADC channel", "0-3")
        if trigger_edge not in ("rising", "falling"):
            raise ArgumentError("trigger_edge", f"{trigger_edge!r} is not an edge", "rising, falling")
        timeout = _number(
            "trigger_timeout", trigger_timeout, 0.001, MAX_TRIGGER_TIMEOUT, f"0.001 to {MAX_TRIGGER_TIMEOUT:g} s"
        )
        trigger = Trigger(channel, level, trigger_edge, timeout)
    return Plan(chosen, samples, rate, trigger, check_pretrigger(pretrigger, samples, rate, trigger))


def check_pretrigger(pretrigger: object, samples: int, rate: float | None, trigger: Trigger | None) -> int:
    """Samples kept from before the trigger: 0 to samples - 1, and only with a trigger and a paced rate (the ring
    of samples before the edge is filled on the rate's schedule)."""
    allowed = f"0 to {samples - 1} (samples - 1), with a trigger_level and a rate"
    if isinstance(pretrigger, bool) or not isinstance(pretrigger, int):
        raise ArgumentError("pretrigger", f"{pretrigger!r} is not a whole number", allowed)
    if not 0 <= pretrigger < samples:
        raise ArgumentError("pretrigger", f"{pretrigger} is out of range for {samples} samples", allowed)
    if pretrigger and trigger is None:
        raise ArgumentError("pretrigger", "pre-trigger samples need a trigger (set trigger_level)", allowed)
    if pretrigger and rate is None:
        raise ArgumentError("pretrigger", "pre-trigger samples need a paced rate (rate=None is unpaced)", allowed)
    return pretrigger


def check_for_firmware(plan: Plan, firmware: FirmwareVersion) -> None:
    """The firmware's own rules (the catalog's channel ranges) and the heap the family has."""
    for channel in plan.channels:
        try:
            build_call(channel.function, firmware, channel.index)
        except ArgumentError as exc:
            raise ArgumentError("channels", f"{channel.name}: {exc}", CHANNEL_ALLOWED) from None
    if firmware.family is not Family.LEGACY:
        return
    if plan.samples * (len(plan.channels) + 1) > LEGACY_MAX_VALUES:
        most = LEGACY_MAX_VALUES // (len(plan.channels) + 1)
        raise ArgumentError(
            "samples",
            f"{plan.samples} samples of {len(plan.channels)} channel(s) do not fit the MicroPython heap of "
            f"firmware {firmware}",
            f"at most {most} samples with {len(plan.channels)} channel(s)",
        )


def check_via(via: object) -> str:
    if via not in VIAS:
        raise ArgumentError(
            "via", f"{via!r} is not a capture path", "'auto', 'burst' (the REPL loop), 'aux' (the fourth port)"
        )
    return str(via)


def fits_aux(plan: Plan) -> bool:
    """Whether the aux port's scheduled capture can take this plan as it is."""
    try:
        check_aux_plan(plan)
    except ArgumentError:
        return False
    return True


def check_aux_plan(plan: Plan) -> int:
    """What the aux port's `:every ... :adc` can do: ADC 0-4, a fixed rate up to 250 Hz, no trigger.
    Returns the interval to ask for, in microseconds."""
    for channel in plan.channels:
        if channel.unit != "V" or channel.index not in AUX_ADCS:
            raise ArgumentError("channels", f"{channel.name} cannot be sampled through the aux port", AUX_ALLOWED)
    if plan.rate is None:
        raise ArgumentError(
            "rate", "via='aux' samples on the firmware's schedule: name a rate", f"1 to {AUX_MAX_RATE:g} Hz"
        )
    if plan.rate > AUX_MAX_RATE:
        raise ArgumentError(
            "rate",
            f"{plan.rate:g} Hz is faster than the aux port's :adc floor ({AUX_MIN_US} us per sample)",
            f"1 to {AUX_MAX_RATE:g} Hz with via='aux', or via='burst' for faster",
        )
    if plan.trigger is not None:
        raise ArgumentError("via", "the aux port's scheduled capture has no trigger", "via='burst' to trigger")
    return plan.period_us
