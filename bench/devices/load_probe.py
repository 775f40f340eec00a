"""Beside a device app under bench/board_load.py: a board's stream cap, and
the app's heap asked over HTTP.

- ``LiveStreams.max_streams`` is an ESP32's, ESP32_STREAMS: pages past
  that many poll ``/data``, as they do on that board;
- ``GET /heap`` answers ``{"free": ...}``, the free heap after a
  collection, and prints ``micropython.mem_info()`` on the console, whose
  "max free sz" is the largest free block (in blocks of 16 bytes on a
  32-bit build). (The least free heap says nothing: serving, the heap is
  collected only once it has run out.)

Imported after the app's own modules, so that the app loads as it would on
its own; it costs the app a few hundred bytes (this module and a route).
"""

import gc

import micropython
from live import LiveStreams

#: live.BOARD_MAX_STREAMS["esp32"]: an ESP32's MicroPython has 10 sockets in all.
ESP32_STREAMS = 4
LiveStreams.max_streams = ESP32_STREAMS


def add(dash):
    """The route on ``dash``'s app."""
    @dash.app.get("/heap")
    async def heap(request):
        gc.collect()
        micropython.mem_info()
        return {"free": gc.mem_free()}
