"""The logic analyzer: captures over its host protocol (Board.logic_capture), whether it is capturing, stopping it."""

from __future__ import annotations

from typing import Any

from firmware_api.catalog import by_name
from jumperless_mcp.bench.logic_capture import FORMATS, MAX_RATE, MAX_SAMPLES, MIN_RATE, MIN_SAMPLES
from jumperless_mcp.signals.logic import EDGES
from jumperless_mcp.signals.uart import PARITIES
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_spec import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    Param,
    Pictured,
    ToolSpec,
    choice,
    firmware_range,
    integer,
)

SUBSYSTEM = "logic_analyzer"
LA_UNTIL = by_name()["la_stop_capture"][0].until
CHANNELS_PARAM = Param(
    "channels",
    {
        "type": "array",
        "items": {"type": ["integer", "string"]},
        "minItems": 1,
        "maxItems": 8,
        "default": [1],
        "description": 'GPIO channels to report: 1-8 or "GPIO_1".."GPIO_8" (all 8 are always sampled)',
    },
    False,
    "1-8 or GPIO_1..GPIO_8",
)
ANALOG_PARAM = Param(
    "analog_channels",
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 7},
        "maxItems": 8,
        "default": [],
        "description": "ADC channels 0-7 to sample alongside (min/max/mean in volts; all in the file)",
    },
    False,
    "ADC channels 0-7",
)


def _line(name: str, description: str) -> Param:
    schema = {"type": ["integer", "string", "null"], "default": None, "description": description}
    return Param(name, schema, False, "1-8 or GPIO_1..GPIO_8")


CAPTURE_PARAMS = (
    CHANNELS_PARAM,
    integer("sample_rate_hz", "samples per second", minimum=MIN_RATE, maximum=MAX_RATE, default=100_000),
    integer("samples", "how many samples", minimum=MIN_SAMPLES, maximum=MAX_SAMPLES, default=10_000),
    ANALOG_PARAM,
    Param(
        "trigger_channel",
        {"type": ["integer", "string", "null"], "default": None, "description": "start the result at an edge here"},
        False,
        "1-8 or GPIO_1..GPIO_8",
    ),
    choice("trigger_edge", list(EDGES), "which edge triggers", default="rising"),
    Param(
        "uart_channel",
        {"type": ["integer", "string", "null"], "default": None, "description": "decode UART on this channel"},
        False,
        "1-8 or GPIO_1..GPIO_8",
    ),
    integer("uart_baud", "UART baud rate", minimum=1, maximum=MAX_RATE, default=9600),
    integer("uart_data_bits", "UART data bits", minimum=5, maximum=9, default=8),
    choice("uart_parity", list(PARITIES), "UART parity", default="none"),
    integer("uart_stop_bits", "UART stop bits", minimum=1, maximum=2, default=1),
    choice("file_format", list(FORMATS), "samples file in <user data dir>/captures", default="csv"),
    *(_line(f"i2c_{name}", f"decode I2C: its {name.upper()} line (give both)") for name in ("scl", "sda")),
    _line("spi_clock", "decode SPI: its clock line"),
    _line("spi_mosi", "SPI: the MOSI line (and/or spi_miso)"),
    _line("spi_miso", "SPI: the MISO line"),
    _line("spi_cs", "SPI: the chip select (active low; optional)"),
    choice("spi_mode", [0, 1, 2, 3], "SPI mode (CPOL, CPHA): 0 and 3 sample on rising edges", default=0),
    integer("spi_word_bits", "SPI bits per word", minimum=4, maximum=32, default=8),
    Param("spi_lsb_first", {"type": "boolean", "default": False, "description": "SPI words LSB first"}, False),
)
NULLABLE_OBJECT = {"type": ["object", "null"]}
CAPTURE_OUTPUT = {
    "firmware": STRING,
    "sample_rate_hz": NUMBER,
    "requested_rate_hz": INTEGER,
    "samples": INTEGER,
    "duration_s": NUMBER,
    "channels": {"type": "array", "items": {"type": "object"}},
    "analog": {"type": "object"},
    "trigger": NULLABLE_OBJECT,
    "uart": NULLABLE_OBJECT,
    "i2c": NULLABLE_OBJECT,
    "spi": NULLABLE_OBJECT,
    "file": {"type": ["string", "null"]},
    "picture": {"type": "object"},
}


async def _la_status(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"capturing": bool(await ctx.board.la_is_capturing())}


async def _la_stop(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        before = batch.la_is_capturing()
        stopped = batch.la_stop_capture()  # a bool (JOS mjc :5811, V5 :3279); not relied on: read back instead
        after = batch.la_is_capturing()
    return {"was_capturing": bool(before.value), "capturing": bool(after.value), "stop_returned": stopped.value}


async def _la_capture(ctx: ToolContext, args: dict[str, Any]) -> Pictured:
    capture = await ctx.board.logic_capture(**args)
    return Pictured(capture.as_dict(), (capture.png,))


def _capture_text(r: dict[str, Any]) -> str:
    parts = [f"{r['samples']} samples at {r['sample_rate_hz']:g} Hz"]
    for ch in r["channels"]:
        if ch["frequency_hz"] is not None:
            parts.append(f"{ch['channel']}: {ch['frequency_hz']:.6g} Hz, duty {100 * ch['duty_cycle']:.1f} %")
        else:
            parts.append(f"{ch['channel']}: {ch['transitions']} transitions, starts {ch['first_level']}")
    if r["uart"]:
        parts.append(f"UART on {r['uart']['channel']}: {r['uart']['text']!r}")
    if r["i2c"]:
        parts.append(f"I2C: {r['i2c']['text'] or 'no transfer'}".replace("\n", " | "))
    if r["spi"]:
        words = [f"MOSI {f['mosi']} MISO {f['miso']}" for f in r["spi"]["frames"]]
        parts.append(f"SPI: {' | '.join(words) or 'no frame'}")
    if r["file"]:
        parts.append(f"samples in {r['file']}")
    return "; ".join(parts)


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="la_status",
        subsystem=SUBSYSTEM,
        description="Whether the board's logic analyzer is capturing now (la_is_capturing). While it runs, the "
        "firmware's main loop mostly waits, so the board answers slowly; la_stop ends it.",
        params=(),
        output={"capturing": BOOLEAN},
        run=_la_status,
        text=lambda r: "capturing" if r["capturing"] else "not capturing",
        **firmware_range("la_is_capturing"),
    ),
    ToolSpec(
        name="la_stop",
        subsystem=SUBSYSTEM,
        description="Stop a logic-analyzer capture (la_stop_capture) and read back that it stopped. Harmless when "
        "nothing is capturing. stop_returned is the firmware's own answer (a bool). JumperlOS "
        f"{LA_UNTIL} and later have no logic analyzer: there the la_* tools are not listed.",
        params=(),
        output={"was_capturing": BOOLEAN, "capturing": BOOLEAN, "stop_returned": BOOLEAN},
        run=_la_stop,
        text=lambda r: "capture stopped" if r["was_capturing"] else "nothing was capturing",
        mutates=True,
        **firmware_range("la_is_capturing", "la_stop_capture"),
    ),
    ToolSpec(
        name="la_capture",
        subsystem=SUBSYSTEM,
        description="Logic analyzer capture of digital lines 1-8 (and optionally ADC channels) over the board's "
        "own analyzer USB port: per line transitions, frequency, duty cycle, high and low times, an optional decoded "
        "UART byte stream (uart_channel, uart_baud, 8N1 by default), decoded I2C transfers (i2c_scl + i2c_sda: "
        "address, read/write, data, ACKs) and SPI words (spi_clock, spi_mosi/spi_miso, optional spi_cs, spi_mode), "
        "an optional software trigger (the result "
        "starts at the first edge on trigger_channel), a timing-diagram picture, and the samples as a CSV or VCD "
        "file. Firmware 5.3.x-5.5.x only: on JumperlOS it fails with 'unsupported_by_firmware' (its analyzer port "
        "is the MicroPython REPL and is never served; 5.7.2 and later removed it). Below 5 kHz the firmware samples "
        "at 32/33 of the rate asked; sample_rate_hz in the result is the real one.",
        params=CAPTURE_PARAMS,
        output=CAPTURE_OUTPUT,
        run=_la_capture,
        text=_capture_text,
        mutates=True,
        idempotent=False,
        **firmware_range("la_is_capturing"),
    ),
]
