"""A virtual Jumperless V5 that speaks the real serial protocol on pseudo-terminals."""

from jumperless_mcp.emulator.parts import Resistor, load_parts
from jumperless_mcp.emulator.virtual_board import PERSONAS, VirtualBoard

__all__ = ["PERSONAS", "Resistor", "VirtualBoard", "load_parts"]
