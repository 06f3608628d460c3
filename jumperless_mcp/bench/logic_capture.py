"""The logic analyzer over the firmware's own protocol (Board.logic_capture)."""

from __future__ import annotations


class LogicMethods:
    """Mixed into `Board`."""
