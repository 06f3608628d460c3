"""jumperless-mcp: drive a Jumperless V5 breadboard from an AI agent or a bench script.

    from jumperless_mcp import Board, BoardTimeout          # async, for `async with` / anyio
    from jumperless_mcp import SyncBoard                    # the same methods without `await`

The package's layers, each a subpackage that imports only the ones below it:

    cli.py        the command line (serve, emulate, ports, ...)
    serving/      the MCP server on stdio or HTTP
    multiboard/   several local and remote boards behind one server
    tools/        every MCP tool, one module per subsystem
    tooling/      how a tool is declared, validated, run and found
    bench/        `Board`, the bench-script API       settings/  config file, environment, flags
    link/         one board over serial: ports, lock, handshake, channels, session
    errors.py, version.py   leaves every layer may import
    firmware_api  (its own package) what the firmware offers, pure, no I/O
    emulator/     the virtual board, apart from the host; started only as a target
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from jumperless_mcp.errors import (  # the exceptions a bench script catches
    ArgumentError,
    BoardBusy,
    BoardDisconnected,
    BoardNotFound,
    BoardTimeout,
    ConnectionProblem,
    FirmwareError,
    FirmwareInterrupted,
    FirmwareNameError,
    FirmwareOSError,
    FirmwareTypeError,
    FirmwareValueError,
    ForbiddenConnection,
    JumperlessError,
    NonFiniteReading,
    ProtocolError,
    ReplyParseError,
    UnsupportedByFirmware,
)
from jumperless_mcp.version import __version__

if TYPE_CHECKING:
    from firmware_api.nodes import UnknownNodeError
    from jumperless_mcp.bench.board import Batch, Board, ConnectionResult, Pending
    from jumperless_mcp.bench.measure_fixture import MeasureError
    from jumperless_mcp.bench.pictures import OledDisconnected
    from jumperless_mcp.bench.sync_board import SyncBatch, SyncBoard
    from jumperless_mcp.link.backchannel import BackchannelError
    from jumperless_mcp.serving.audit_script import ExportError
    from jumperless_mcp.settings.model import ConfigError

# Imported on first use: the command line's start-up (and `jumperless-mcp ports`) need not load the bench
# layer before it parses its arguments. tests/test_exports.py checks that every exception reaches here.
_LAZY = {
    "Batch": "jumperless_mcp.bench.board",
    "Board": "jumperless_mcp.bench.board",
    "ConnectionResult": "jumperless_mcp.bench.board",
    "Pending": "jumperless_mcp.bench.board",
    "SyncBatch": "jumperless_mcp.bench.sync_board",
    "SyncBoard": "jumperless_mcp.bench.sync_board",
    "MeasureError": "jumperless_mcp.bench.measure_fixture",
    "OledDisconnected": "jumperless_mcp.bench.pictures",
    "BackchannelError": "jumperless_mcp.link.backchannel",
    "ConfigError": "jumperless_mcp.settings.model",
    "ExportError": "jumperless_mcp.serving.audit_script",
    "UnknownNodeError": "firmware_api.nodes",
}

__all__ = [
    "ArgumentError",
    "BackchannelError",
    "Batch",
    "Board",
    "BoardBusy",
    "BoardDisconnected",
    "BoardNotFound",
    "BoardTimeout",
    "ConfigError",
    "ConnectionProblem",
    "ConnectionResult",
    "ExportError",
    "FirmwareError",
    "FirmwareInterrupted",
    "FirmwareNameError",
    "FirmwareOSError",
    "FirmwareTypeError",
    "FirmwareValueError",
    "ForbiddenConnection",
    "JumperlessError",
    "MeasureError",
    "NonFiniteReading",
    "OledDisconnected",
    "Pending",
    "ProtocolError",
    "ReplyParseError",
    "SyncBatch",
    "SyncBoard",
    "UnknownNodeError",
    "UnsupportedByFirmware",
    "__version__",
]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'jumperless_mcp' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
