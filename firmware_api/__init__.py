"""What the Jumperless V5 firmware speaks: node table, function catalog, reply parsing and safe call building.

Pure data and functions, no I/O: shared by the host side and the virtual board.
"""
