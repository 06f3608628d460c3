"""jumperless-mcp: drive a Jumperless V5 breadboard from an AI agent or a bench script.

from jumperless_mcp import Board
"""

from jumperless_mcp.board import Batch, Board, ConnectionResult, Pending

__version__ = "0.1.0"
__all__ = ["Batch", "Board", "ConnectionResult", "Pending", "__version__"]
