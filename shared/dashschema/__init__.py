"""splitdash's widget schema: kinds, validation and the wire protocol.

Imported on the board, in the browser and in host tests; it uses only what
MicroPython has. Import the submodules you need; this file does no work.
"""
