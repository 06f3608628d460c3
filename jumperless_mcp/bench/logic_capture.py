"""The logic analyzer over the firmware's own protocol (Board.logic_capture).

Only 5.3.x-5.5.x (the LEGACY family) serve the protocol, on CDC2 ("JL Logic Analyzer"); see
`jumperless_mcp.link.logic_port` for the protocol facts with their firmware lines. The session is held for the
whole capture (`Session.exclusive`), so no call interleaves with it. Triggering is done here, on the samples
(the firmware has none); analysis, UART decoding and the timing diagram are `jumperless_mcp.signals`.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from firmware_api.versions import Family
from jumperless_mcp.bench.capture import captures_dir
from jumperless_mcp.errors import ArgumentError, UnsupportedByFirmware
from jumperless_mcp.link.logic_port import LogicAnalyzerClient, RawCapture
from jumperless_mcp.link.session import Session
from jumperless_mcp.signals import i2c, logic, spi, timing, uart
from jumperless_mcp.signals.csv_file import write_csv

MIN_RATE, MAX_RATE = 100, 1_000_000  # slow mode floor ~72 Hz (divider), USB throughput cap (inferred)
MIN_SAMPLES, MAX_SAMPLES = 16, 200_000
ANALOG_BUDGET = 200_000  # rate * analog channels (LogicAnalyzer.h:24)
FORMATS = ("csv", "vcd", "none")
UNSUPPORTED = (
    "the logic analyzer's host protocol is served by firmware 5.3.x-5.5.x only (CDC2, 'JL Logic Analyzer'); "
    "firmware {version} cannot capture: JumperlOS 5.6-5.7.1 keeps the analyzer code but never polls its port "
    "while idle and puts the MicroPython REPL on CDC2, and 5.7.2 and later removed the analyzer"
)


class _HasSession(Protocol):
    session: Session


@dataclass
class LogicCapture:
    """One capture: per-channel figures, decoded UART, the PNG and the samples file."""

    firmware: str
    channels: list[int]
    requested_rate_hz: int
    rate_hz: float
    samples: int
    summaries: list[logic.ChannelSummary]
    levels: dict[int, list[int]] = field(repr=False)
    analog: dict[int, list[float]] = field(default_factory=dict, repr=False)
    trigger: dict[str, Any] | None = None
    uart: dict[str, Any] | None = None
    i2c: dict[str, Any] | None = None
    spi: dict[str, Any] | None = None
    png: bytes = field(default=b"", repr=False)
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        analog = {
            f"ADC{ch}": {"min_v": min(v), "max_v": max(v), "mean_v": sum(v) / len(v)}
            for ch, v in self.analog.items()
            if v
        }
        return {
            "firmware": self.firmware,
            "sample_rate_hz": self.rate_hz,
            "requested_rate_hz": self.requested_rate_hz,
            "samples": self.samples,
            "duration_s": self.samples / self.rate_hz,
            "channels": [s.as_dict() for s in self.summaries],
            "analog": analog,
            "trigger": self.trigger,
            "uart": self.uart,
            "i2c": self.i2c,
            "spi": self.spi,
            "file": self.file,
            "picture": {"format": "png", "bytes": len(self.png)},
        }


def _channel(value: object, parameter: str) -> int:
    if isinstance(value, str):
        match = re.fullmatch(r"(?:GPIO_?|GP_?)?([1-8])", value.strip(), re.IGNORECASE)
        if match:
            return int(match.group(1))
    elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
        return value
    raise ArgumentError(parameter, f"{value!r} is not a logic-analyzer channel", "1-8 or GPIO_1..GPIO_8")


def _int(value: object, parameter: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ArgumentError(parameter, f"{value!r} is out of range", f"an integer {low}..{high}")
    return value


@dataclass(frozen=True)
class _Request:
    channels: list[int]
    rate: int
    samples: int
    analog: tuple[int, ...]
    trigger_channel: int | None
    trigger_edge: str
    uart: dict[str, Any] | None
    file_format: str
    i2c: dict[str, int] | None = None  # {"scl": line, "sda": line}
    spi: dict[str, Any] | None = None  # clock, mosi, miso, cs lines (None: not wired), mode, word_bits, lsb_first


def check_request(
    channels: object,
    sample_rate_hz: object,
    samples: object,
    *,
    analog_channels: object = (),
    trigger_channel: object = None,
    trigger_edge: object = "rising",
    uart_channel: object = None,
    uart_baud: object = 9600,
    uart_data_bits: object = 8,
    uart_parity: object = "none",
    uart_stop_bits: object = 1,
    file_format: object = "csv",
    i2c_scl: object = None,
    i2c_sda: object = None,
    spi_clock: object = None,
    spi_mosi: object = None,
    spi_miso: object = None,
    spi_cs: object = None,
    spi_mode: object = 0,
    spi_word_bits: object = 8,
    spi_lsb_first: object = False,
) -> _Request:
    """Every argument checked before anything is sent; errors name the parameter and what is allowed."""
    if not isinstance(channels, (list, tuple)) or not channels:
        raise ArgumentError("channels", f"{channels!r} is not a non-empty list", "GPIO numbers 1-8")
    chans = sorted({_channel(c, "channels") for c in channels})
    rate = _int(sample_rate_hz, "sample_rate_hz", MIN_RATE, MAX_RATE)
    count = _int(samples, "samples", MIN_SAMPLES, MAX_SAMPLES)
    if not isinstance(analog_channels, (list, tuple)):
        raise ArgumentError("analog_channels", repr(analog_channels), "a list of ADC channels 0-7")
    analog = tuple(sorted({_int(c, "analog_channels", 0, 7) for c in analog_channels}))
    if analog and rate * len(analog) > ANALOG_BUDGET:
        raise ArgumentError(
            "sample_rate_hz",
            f"{rate} Hz on {len(analog)} analog channel(s) exceeds the ADC's {ANALOG_BUDGET} samples/s",
            f"at most {ANALOG_BUDGET // len(analog)} Hz with these analog channels",
        )
    trig = None if trigger_channel is None else _captured(trigger_channel, "trigger_channel", chans)
    if trigger_edge not in logic.EDGES:
        raise ArgumentError("trigger_edge", repr(trigger_edge), ", ".join(logic.EDGES))
    decode = None
    if uart_channel is not None:
        line = _captured(uart_channel, "uart_channel", chans)
        baud = _int(uart_baud, "uart_baud", 1, MAX_RATE)
        bits = _int(uart_data_bits, "uart_data_bits", 5, 9)
        stop = _int(uart_stop_bits, "uart_stop_bits", 1, 2)
        uart.check_settings(baud, rate, bits, str(uart_parity), stop)
        decode = {"channel": line, "baud": baud, "data_bits": bits, "parity": uart_parity, "stop_bits": stop}
    if file_format not in FORMATS:
        raise ArgumentError("file_format", repr(file_format), ", ".join(FORMATS))
    i2c_lines = _i2c_lines(i2c_scl, i2c_sda, chans)
    spi_lines = _spi_lines(spi_clock, spi_mosi, spi_miso, spi_cs, chans)
    if spi_lines is not None:
        if isinstance(spi_mode, bool) or not isinstance(spi_mode, int):
            raise ArgumentError("spi_mode", repr(spi_mode), "0, 1, 2 or 3")
        spi.check_settings(spi_mode, spi_word_bits)  # type: ignore[arg-type]
        if not isinstance(spi_lsb_first, bool):
            raise ArgumentError("spi_lsb_first", repr(spi_lsb_first), "true or false")
        spi_lines |= {"mode": spi_mode, "word_bits": spi_word_bits, "lsb_first": spi_lsb_first}
    return _Request(chans, rate, count, analog, trig, str(trigger_edge), decode, str(file_format), i2c_lines, spi_lines)


def _captured(value: object, parameter: str, chans: list[int]) -> int:
    line = _channel(value, parameter)
    if line not in chans:
        raise ArgumentError(parameter, f"GPIO_{line} is not captured", f"one of {chans}")
    return line


def _i2c_lines(scl: object, sda: object, chans: list[int]) -> dict[str, int] | None:
    if scl is None and sda is None:
        return None
    if scl is None or sda is None:
        missing = "i2c_scl" if scl is None else "i2c_sda"
        raise ArgumentError(missing, "I2C decoding needs both lines", "a captured GPIO (1-8) for each of SCL and SDA")
    lines = {"scl": _captured(scl, "i2c_scl", chans), "sda": _captured(sda, "i2c_sda", chans)}
    if lines["scl"] == lines["sda"]:
        raise ArgumentError("i2c_sda", "SDA and SCL are the same line", "two different captured GPIOs")
    return lines


def _spi_lines(clock: object, mosi: object, miso: object, cs: object, chans: list[int]) -> dict[str, Any] | None:
    if clock is None:
        for name, value in (("spi_mosi", mosi), ("spi_miso", miso), ("spi_cs", cs)):
            if value is not None:
                raise ArgumentError("spi_clock", f"{name} was given without a clock line", "a captured GPIO (1-8)")
        return None
    if mosi is None and miso is None:
        raise ArgumentError("spi_mosi", "SPI decoding needs a data line", "spi_mosi and/or spi_miso: captured GPIOs")
    lines = {
        name: None if value is None else _captured(value, f"spi_{name}", chans)
        for name, value in (("clock", clock), ("mosi", mosi), ("miso", miso), ("cs", cs))
    }
    used = [line for line in lines.values() if line is not None]
    if len(used) != len(set(used)):
        raise ArgumentError("spi_clock", "two SPI signals on the same line", "a different captured GPIO for each")
    return lines


class LogicMethods:
    """Mixed into `Board`."""

    async def logic_capture(
        self: _HasSession,
        channels: list[int | str] | tuple[int | str, ...] = (1,),
        sample_rate_hz: int = 100_000,
        samples: int = 10_000,
        *,
        analog_channels: list[int] | tuple[int, ...] = (),
        trigger_channel: int | str | None = None,
        trigger_edge: str = "rising",
        uart_channel: int | str | None = None,
        uart_baud: int = 9600,
        uart_data_bits: int = 8,
        uart_parity: str = "none",
        uart_stop_bits: int = 1,
        file_format: str = "csv",
        picture: bool = True,
        i2c_scl: int | str | None = None,
        i2c_sda: int | str | None = None,
        spi_clock: int | str | None = None,
        spi_mosi: int | str | None = None,
        spi_miso: int | str | None = None,
        spi_cs: int | str | None = None,
        spi_mode: int = 0,
        spi_word_bits: int = 8,
        spi_lsb_first: bool = False,
    ) -> LogicCapture:
        """Capture GPIO_1..GPIO_8 (and ADC channels) with the board's logic analyzer; see LogicCapture."""
        req = check_request(
            channels,
            sample_rate_hz,
            samples,
            analog_channels=analog_channels,
            trigger_channel=trigger_channel,
            trigger_edge=trigger_edge,
            uart_channel=uart_channel,
            uart_baud=uart_baud,
            uart_data_bits=uart_data_bits,
            uart_parity=uart_parity,
            uart_stop_bits=uart_stop_bits,
            file_format=file_format,
            i2c_scl=i2c_scl,
            i2c_sda=i2c_sda,
            spi_clock=spi_clock,
            spi_mosi=spi_mosi,
            spi_miso=spi_miso,
            spi_cs=spi_cs,
            spi_mode=spi_mode,
            spi_word_bits=spi_word_bits,
            spi_lsb_first=spi_lsb_first,
        )
        async with self.session.exclusive() as (version, ports):
            if version.family is not Family.LEGACY:
                raise UnsupportedByFirmware(UNSUPPORTED.format(version=version))
            if not ports.repl:
                raise UnsupportedByFirmware(
                    "the logic analyzer's port (CDC2, 'JL Logic Analyzer') was not found; connect with auto "
                    'discovery or give it as "repl" in the port mapping'
                )
            async with LogicAnalyzerClient(ports.repl) as client:
                raw = await client.capture(req.rate, req.samples, req.analog)
        return _analyse(raw, req, str(version), picture)


def _analyse(raw: RawCapture, req: _Request, firmware: str, picture: bool) -> LogicCapture:
    digital = list(raw.digital)
    analog = raw.analog
    trigger = None
    if req.trigger_channel is not None:
        index = logic.find_trigger(digital, req.trigger_channel - 1, req.trigger_edge)
        trigger = {"channel": f"GPIO_{req.trigger_channel}", "edge": req.trigger_edge, "fired": index is not None}
        if index is not None:
            trigger["time_s"] = index / raw.rate_hz
            digital = digital[index:]
            analog = {ch: v[index:] for ch, v in analog.items()}
    levels = {ch: logic.bits(digital, ch - 1) for ch in req.channels}
    summaries = [logic.summarize(f"GPIO_{ch}", levels[ch], raw.rate_hz) for ch in req.channels]
    decoded = None
    if req.uart:
        frames = uart.decode(
            levels[req.uart["channel"]],
            raw.rate_hz,
            req.uart["baud"],
            req.uart["data_bits"],
            req.uart["parity"],
            req.uart["stop_bits"],
        )
        decoded = {
            **req.uart,
            "channel": f"GPIO_{req.uart['channel']}",
            "bytes": [f.value for f in frames],
            "text": uart.as_text(frames),
            "errors": [{"time_s": f.time_s, "problem": f.problem} for f in frames if not f.ok],
        }
    result = LogicCapture(
        firmware,
        req.channels,
        req.rate,
        raw.rate_hz,
        len(digital),
        summaries,
        levels,
        analog,
        trigger,
        decoded,
        _decode_i2c(req, levels, raw.rate_hz),
        _decode_spi(req, levels, raw.rate_hz),
    )
    if picture:
        title = f"logic analyzer, {raw.rate_hz:g} samples/s, {len(digital)} samples (firmware {firmware})"
        result.png = timing.render([(f"GPIO_{ch}", levels[ch]) for ch in req.channels], raw.rate_hz, title=title)
    if req.file_format != "none":
        result.file = str(_save(result, req.file_format))
    return result


def _decode_i2c(req: _Request, levels: dict[int, list[int]], rate: float) -> dict[str, Any] | None:
    if req.i2c is None:
        return None
    transfers = i2c.decode(levels[req.i2c["scl"]], levels[req.i2c["sda"]], rate)
    return {
        "scl": f"GPIO_{req.i2c['scl']}",
        "sda": f"GPIO_{req.i2c['sda']}",
        "transfers": [t.as_dict() for t in transfers],
        "text": i2c.as_text(transfers),
    }


def _decode_spi(req: _Request, levels: dict[int, list[int]], rate: float) -> dict[str, Any] | None:
    if req.spi is None:
        return None
    line = {name: None if req.spi[name] is None else levels[req.spi[name]] for name in ("clock", "mosi", "miso", "cs")}
    frames = spi.decode(
        line["clock"],  # type: ignore[arg-type]
        rate,
        mosi=line["mosi"],
        miso=line["miso"],
        cs=line["cs"],
        mode=req.spi["mode"],
        word_bits=req.spi["word_bits"],
        lsb_first=req.spi["lsb_first"],
    )
    named = {
        name: None if req.spi[name] is None else f"GPIO_{req.spi[name]}" for name in ("clock", "mosi", "miso", "cs")
    }
    settings = {key: req.spi[key] for key in ("mode", "word_bits", "lsb_first")}
    return {**named, **settings, "frames": [f.as_dict() for f in frames]}


def _save(capture: LogicCapture, file_format: str) -> Path:
    """The samples as CSV or VCD in the captures folder, written as waveform captures are (`write_csv`)."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = captures_dir() / f"logic-{stamp}.{file_format}"
    text = _csv(capture, stamp) if file_format == "csv" else _vcd(capture)
    return write_csv(path, text)


def _csv(capture: LogicCapture, stamp: str) -> str:
    names = [f"GPIO_{ch}" for ch in capture.channels]
    period = 1 / capture.rate_hz
    analog = sorted(capture.analog)
    lines = [
        f"# logic analyzer capture; firmware {capture.firmware}; rate {capture.rate_hz:g} Hz; "
        f"samples {capture.samples}; units: time s, GPIO 0/1, ADC V; taken {stamp}",
        ",".join(["time_s", *names, *(f"ADC{ch}_V" for ch in analog)]),
    ]
    for i in range(capture.samples):
        row = [f"{i * period:.9g}", *(str(capture.levels[ch][i]) for ch in capture.channels)]
        row += [f"{capture.analog[ch][i]:.4f}" for ch in analog]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def _vcd(capture: LogicCapture) -> str:
    period = 1 / capture.rate_hz
    ids = {ch: chr(33 + k) for k, ch in enumerate(capture.channels)}
    lines = [
        f"$comment logic analyzer capture, firmware {capture.firmware} $end",
        "$timescale 1 ns $end",
        "$scope module jumperless $end",
        *(f"$var wire 1 {ids[ch]} GPIO_{ch} $end" for ch in capture.channels),
        "$upscope $end",
        "$enddefinitions $end",
    ]
    previous: dict[int, int] = {}
    for i in range(capture.samples):
        changes = [
            f"{capture.levels[ch][i]}{ids[ch]}" for ch in capture.channels if previous.get(ch) != capture.levels[ch][i]
        ]
        if changes:
            lines += [f"#{round(i * period * 1e9)}", *changes]
            previous.update({ch: capture.levels[ch][i] for ch in capture.channels})
    return "\n".join(lines) + "\n"
