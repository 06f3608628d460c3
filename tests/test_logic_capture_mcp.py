"""la_capture through the MCP server (and discovery mode's tools_call) on a virtual 5.3.x board's analyzer port,
and its refusals: bad input with nothing sent, JumperlOS with the reason."""

from __future__ import annotations

import base64
import io

import pytest
from mcp import types
from mcp_harness import serve
from PIL import Image

from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.tooling.deferred import CAPABILITY


def _png_of(result: types.CallToolResult) -> Image.Image:
    images = [c for c in result.content if isinstance(c, types.ImageContent)]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    png = base64.b64decode(images[0].data)
    assert len(png) < 100_000
    assert result.structured_content is not None and result.structured_content["picture"]["bytes"] == len(png)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width <= 1200 and image.height <= 600
    return image


def _check_pwm(result: dict) -> None:
    gpio1 = result["channels"][0]
    assert gpio1["channel"] == "GPIO_1"
    assert gpio1["frequency_hz"] == pytest.approx(1000, rel=0.01)
    assert gpio1["duty_cycle"] == pytest.approx(0.25, abs=0.02)
    assert result["file"] and result["file"].endswith(".csv")


async def test_la_capture_tool(legacy_mcp) -> None:
    await legacy_mcp.ok("pwm_start", pin=1, frequency=1000, duty=0.25)
    result = await legacy_mcp.result("la_capture", channels=[1, "GPIO_2"], sample_rate_hz=20_000, samples=2_000)
    assert not result.is_error, result.content[0].text
    _check_pwm(result.structured_content)
    assert "GPIO_1: 1000 Hz, duty 25.0 %" in result.content[0].text
    image = _png_of(result).convert("RGB")
    assert len(image.getcolors(maxcolors=4096) or ()) > 2  # traces and text on the background


async def test_la_capture_through_tools_call(legacy_board: VirtualBoard) -> None:
    async with serve(legacy_board, experimental={CAPABILITY: {}}) as discovery:
        await discovery.ok("tools_call", name="pwm_start", arguments={"pin": 1, "frequency": 1000, "duty": 0.25})
        result = await discovery.result(
            "tools_call", name="la_capture", arguments={"channels": [1], "sample_rate_hz": 20_000, "samples": 2_000}
        )
        assert not result.is_error, result.content[0].text
        _check_pwm(result.structured_content)
        _png_of(result)


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"channels": [0]}, "channels"),
        ({"sample_rate_hz": 10}, "sample_rate_hz"),
        ({"channels": [1], "uart_channel": 3}, "uart_channel"),
        ({"trigger_edge": "sideways"}, "trigger_edge"),
    ],
)
async def test_bad_input_errors_with_nothing_sent(legacy_mcp, arguments: dict, parameter: str) -> None:
    error = await legacy_mcp.error("la_capture", **arguments)
    assert error["kind"] == "invalid_argument" and parameter in error["error"]
    assert legacy_mcp.vboard.la.received == 0 and legacy_mcp.vboard.la.captures == 0


async def test_jumperlos_refuses_with_the_reason(jos_mcp) -> None:
    error = await jos_mcp.error("la_capture", channels=[1])
    assert error["kind"] == "unsupported_by_firmware"
    assert "5.3.x-5.5.x only" in error["error"] and "5.7.0.13" in error["error"]
