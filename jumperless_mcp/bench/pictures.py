"""Pictures of the board and of its OLED as PNG bytes (Board.board_picture, Board.oled_picture)."""

from __future__ import annotations


class PictureMethods:
    """Mixed into `Board`."""
