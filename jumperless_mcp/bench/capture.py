"""Waveform capture on the board's ADCs and INA sensors (Board.capture)."""

from __future__ import annotations


class CaptureMethods:
    """Mixed into `Board`."""
