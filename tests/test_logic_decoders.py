"""I2C and SPI decoding of logic-analyzer samples: the decoders on synthetic lines, their arguments checked
before anything is sent, and an I2C write bit-banged on the virtual board decoded through the real analyzer port."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from mcp_harness import Harness

from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.logic_capture import check_request
from jumperless_mcp.emulator.virtual_board import VirtualBoard
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.signals import i2c, spi

Steps = list[tuple[int, int]]


def i2c_steps(address: int, data: list[int], read: bool = False, nack_last: bool = False) -> Steps:
    """(SCL, SDA) per quarter clock period: idle, start, address + R/W, data bytes, each with its ACK bit, stop."""
    steps: Steps = [(1, 1), (1, 1), (1, 0), (0, 0)]
    for index, byte in enumerate([address << 1 | int(read), *data]):
        last = index == len(data)
        ack = 1 if (nack_last and last and data) else 0
        for bit in [(byte >> (7 - k)) & 1 for k in range(8)] + [ack]:
            steps += [(0, bit), (1, bit), (1, bit), (0, bit)]
    return [*steps, (0, 0), (1, 0), (1, 1), (1, 1)]


def spi_steps(words: list[int], mode: int = 0, with_cs: bool = True) -> tuple[Steps, list[int]]:
    """(SCLK, MOSI) per half clock period, and the chip select line, MSB first."""
    idle = 1 if mode in (2, 3) else 0
    data_first = mode in (0, 2)  # CPHA 0: data valid before the first edge
    steps: Steps = [(idle, 0)] * 2
    previous = 0
    for word in words:
        for bit in [(word >> (7 - k)) & 1 for k in range(8)]:
            if data_first:
                steps += [(idle, bit), (1 - idle, bit)]
            else:  # the data changes just after the leading edge
                steps += [(1 - idle, previous), (1 - idle, bit), (idle, bit)]
            previous = bit
    steps += [(idle, 0)] * 2
    cs = [1] + [0] * (len(steps) - 2) + [1] if with_cs else [0] * len(steps)
    return steps, cs


def expand(steps: Steps, per_step: int) -> tuple[list[int], list[int]]:
    first = [a for a, _ in steps for _ in range(per_step)]
    second = [b for _, b in steps for _ in range(per_step)]
    return first, second


def test_i2c_write_and_read_with_acks_and_a_repeated_start() -> None:
    scl, sda = expand(i2c_steps(0x3C, [0x00, 0xAF]), 3)
    scl2, sda2 = expand(i2c_steps(0x50, [0x12], read=True, nack_last=True), 3)
    (write,) = i2c.decode(scl, sda, 1000.0)
    assert (write.address, write.read, write.address_ack) == (0x3C, False, True)
    assert write.data == [0x00, 0xAF] and write.acks == [True, True] and write.stopped
    assert i2c.as_text([write]) == "W 0x3c ACK: 00 af"
    both = i2c.decode(scl + scl2, sda + sda2, 1000.0)
    assert [(t.address, t.read) for t in both] == [(0x3C, False), (0x50, True)]
    assert both[1].data == [0x12] and both[1].acks == [False]
    assert i2c.as_text(both[1:]) == "R 0x50 ACK: 12 NACK"
    # a repeated start: the first transfer is not stopped, the second starts without a stop between
    restart = [*i2c_steps(0x3C, [0x01])[:-4], (0, 1), (1, 1), *i2c_steps(0x3C, [], read=True)[2:]]
    scl3, sda3 = expand(restart, 2)
    first, second = i2c.decode(scl3, sda3, 1000.0)
    assert not first.stopped and first.data == [0x01] and second.read and second.stopped


def test_i2c_ignores_bits_before_a_start_and_reports_a_cut_off_address() -> None:
    steps = i2c_steps(0x3C, [0x55])
    scl, sda = expand(steps[4:], 2)  # the start is missing
    assert i2c.decode(scl, sda, 1000.0) == []
    scl, sda = expand(steps[:12], 2)  # the capture ends inside the address byte
    (cut,) = i2c.decode(scl, sda, 1000.0)
    assert cut.address is None and i2c.as_text([cut]) == "start, then the capture ended"


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
def test_spi_words_in_every_mode(mode: int) -> None:
    steps, cs = spi_steps([0xA5, 0x3C], mode)
    clock, mosi = expand(steps, 2)
    select = [c for c in cs for _ in range(2)]
    (frame,) = spi.decode(clock, 1000.0, mosi=mosi, cs=select, mode=mode)
    assert frame.mosi == [0xA5, 0x3C] and frame.partial_bits == 0 and frame.miso == []
    wrong = (mode + 1) % 4 if mode in (0, 2) else (mode + 3) % 4  # the other edge
    assert spi.decode(clock, 1000.0, mosi=mosi, cs=select, mode=wrong)[0].mosi != [0xA5, 0x3C]


def test_spi_lsb_first_without_chip_select_and_a_partial_word() -> None:
    steps, _ = spi_steps([0x01, 0x80], 0, with_cs=False)
    clock, mosi = expand(steps, 2)
    (frame,) = spi.decode(clock, 1000.0, mosi=mosi, lsb_first=True)
    assert frame.mosi == [0x80, 0x01]
    (short,) = spi.decode(clock, 1000.0, miso=mosi, word_bits=12)
    assert short.miso == [0x018] and short.partial_bits == 4
    with pytest.raises(ArgumentError, match="spi_mode"):
        spi.decode(clock, 1000.0, mosi=mosi, mode=4)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"i2c_scl": 1}, "i2c_sda"),
        ({"i2c_sda": 2}, "i2c_scl"),
        ({"i2c_scl": 1, "i2c_sda": 1}, "i2c_sda"),
        ({"i2c_scl": 1, "i2c_sda": 5}, "i2c_sda"),  # not captured
        ({"spi_mosi": 2}, "spi_clock"),
        ({"spi_clock": 1}, "spi_mosi"),
        ({"spi_clock": 1, "spi_mosi": 1}, "spi_clock"),
        ({"spi_clock": 1, "spi_mosi": 2, "spi_mode": 5}, "spi_mode"),
        ({"spi_clock": 1, "spi_mosi": 2, "spi_word_bits": 3}, "spi_word_bits"),
        ({"spi_clock": 1, "spi_mosi": 2, "spi_lsb_first": "yes"}, "spi_lsb_first"),
    ],
)
def test_bad_decoder_arguments_name_the_parameter(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        check_request([1, 2, 3], 10_000, 1000, **kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


async def test_la_capture_tool_refuses_a_half_i2c_request_before_sending(legacy_mcp: Harness) -> None:
    error = await legacy_mcp.error("la_capture", channels=[1, 2], samples=100, i2c_scl=1)
    assert error["kind"] == "invalid_argument" and error["parameter"] == "i2c_sda"


I2C_SCRIPT = """
import time
import jumperless
jumperless.gpio_set_dir(3, True)
jumperless.gpio_set_dir(4, True)
jumperless.gpio_set(3, 1)
jumperless.gpio_set(4, 1)
while not jumperless.la_is_capturing():
    time.sleep_ms(1)
time.sleep_ms(250)
for scl, sda in STEPS:
    jumperless.gpio_set(4, sda)
    jumperless.gpio_set(3, scl)
    time.sleep_ms(8)
"""


async def test_i2c_write_bit_banged_on_the_board_is_decoded(tmp_path: Path) -> None:
    """On real time: each step lasts at least 8 ms (sleep after the change), sampled every ~1 ms, so a busy
    machine stretches the steps but never hides one."""
    steps = i2c_steps(0x3C, [0xAF])
    errors: list[str] = []
    with VirtualBoard("legacy", fs_dir=tmp_path / "fs") as legacy_board:

        def run() -> None:
            failure = legacy_board.runtime.run(I2C_SCRIPT.replace("STEPS", repr(steps)), lambda _text: None)
            if failure:
                errors.append(failure)

        sender = threading.Thread(target=run, daemon=True)
        sender.start()
        async with Board(legacy_board.info()) as board:
            capture = await board.logic_capture([3, 4], 1_000, 2_400, i2c_scl=3, i2c_sda=4, file_format="none")
        sender.join(5)
    assert not errors
    assert capture.i2c is not None and capture.i2c["text"] == "W 0x3c ACK: af"
    assert capture.i2c["transfers"][0]["address"] == "0x3c" and capture.i2c["scl"] == "GPIO_3"
