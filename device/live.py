"""Server push: one Server-Sent Events stream per open page, carrying only
what changed, one message per burst of ``set()`` calls.

``GET /events`` writes the stream's head itself and takes the connection
over (``Response.already_handled``, as Microdot's WebSocket support does),
so Microdot frees the request and the server its slot at once. From there
a stream is its connection, the version it last sent and two small tasks:
one writes what its page is missing whenever a burst ends, the other waits
for the page to leave (a page sends nothing after its request, so its
connection turning readable means it closed). A page whose connection is
slow holds up only its own stream, and gets everything it missed in one
message once it has caught up. (Microdot's own ``sse`` extension keeps a
request, a queue and a task per stream, about 7 KB each: too much for a
board.)
"""

import asyncio
import sys
from time import ticks_diff, ticks_ms

from microdot import Response
from dashschema import wire
from server import json_parts

_PING = (b"event: ping\ndata: {}\n\n",)
#: The stream cap on boards, whose page loads, polls and writes need TCP
#: connections too: an ESP32's MicroPython has 10 sockets in all, a Pico W's
#: lwIP 5 TCP connections. A port not listed gets 2; the unix port
#: ("linux") serves from a computer.
BOARD_MAX_STREAMS = {"esp32": 4, "rp2": 2, "linux": 16}


class LiveStreams:
    #: Most streams served at once; past it a page gets 503 and polls /data
    #: (every ``Dashboard.poll_s``). A stream costs a few hundred bytes of
    #: heap, but on a board it holds one of its few TCP connections for as
    #: long as its page is open: see BOARD_MAX_STREAMS.
    max_streams = BOARD_MAX_STREAMS.get(sys.platform, 2)
    #: ``set()`` calls within this window go out as one message, in ms.
    coalesce_ms = 50
    #: A "ping" event this often lets both ends notice a dead connection, in s.
    heartbeat_s = 15
    #: A page that has taken nothing of a message for this long is dropped, in s.
    stall_s = 30
    #: Tries, 100 ms apart, at a message the heap has no room for: the
    #: requests under way free theirs in a moment. Then the stream is
    #: closed, and its page polls.
    message_tries = 10

    def __init__(self, dash):
        self.dash = dash
        self.streams = []
        self._flushing = False  # a burst of changes is being collected
        self._burst = asyncio.Event()  # set when a burst ends, or to ping
        # The last message encoded, for (since, version): the streams in step
        # with each other need the very same bytes.
        self._encoded = (None, None, (), None)

    def changed(self):
        if self.streams and not self._flushing:
            self._flushing = True
            asyncio.create_task(self._flush())

    def start(self):
        asyncio.create_task(self._tick())

    def add_routes(self, app):
        @app.get(wire.EVENTS_PATH)
        async def events(request):
            refused = self.dash.refuse_read(request)
            if refused:
                return refused
            if len(self.streams) >= self.max_streams:
                return {"error": "too many live streams; poll %s instead" % wire.DATA_PATH,
                        "widget": None}, 503
            stream = _Stream(_resume_version(request, self.dash))
            self.streams.append(stream)  # before the head goes: others count it
            connection = request.sock[1]
            head = b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n" \
                b"Cache-Control: no-store\r\n"
            origin = request.app.allowed_origin(request)
            if origin:
                head += b"Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n" % origin.encode()
            try:
                await connection.awrite(head + b"\r\n")
                stream.sock = connection.sock
                stream.connection = await connection.take()
                stream.writer = asyncio.create_task(self._send(stream))
                stream.watcher = asyncio.create_task(self._watch(stream))
            except (OSError, MemoryError):
                self._end(stream)  # the server closes a connection not taken yet
            return Response.already_handled

    def message(self, since):
        """The message for a page holding version ``since``, as the parts to
        write, and the version it brings the page to: the dashboard's, or
        less when a chart's history goes in parts. One part, unless the heap
        has no block as large as the message (the whole state a page that
        opens gets may be larger than any a heap in use for long has): then
        parts of a few hundred bytes, as ``/data`` is answered, which take
        five times the CPU."""
        version = self.dash.version
        cached_since, cached_version, parts, brings = self._encoded
        if cached_since != since or cached_version != version:
            self._encoded = (None, None, (), None)  # its parts freed first
            state = self.dash.state(since)
            try:
                parts = (b"data: " + wire.encode(state).encode() + b"\n\n",)
            except MemoryError:
                parts = [part.encode() for part in json_parts(state)]
                parts[0] = b"data: " + parts[0]
                parts[-1] += b"\n\n"
            brings = state["version"]
            self._encoded = (since, version, parts, brings)
        return parts, brings

    async def _send(self, stream):
        """Write what the stream's page is missing, whenever a burst ends."""
        tries = 0
        try:
            while True:
                if stream.sent != self.dash.version:
                    try:
                        parts, stream.sent = self.message(stream.sent or 0)
                        tries = 0
                    except MemoryError:
                        tries += 1
                        if tries == self.message_tries:
                            raise
                        await asyncio.sleep_ms(100)
                        continue
                elif stream.ping:
                    parts = _PING
                else:
                    await self._burst.wait()
                    continue
                stream.ping = False
                stream.writing_since = ticks_ms()
                for part in parts:
                    await stream.connection.awrite(part)
                stream.writing_since = None
        except Exception:  # the page has gone (OSError), or no heap for its message
            self._end(stream)

    async def _watch(self, stream):
        """Wait for the page to leave: end of file, or an error."""
        try:
            while await stream.connection.read(16):
                pass
        except OSError:
            pass
        finally:  # cancelled too: by _end, or as stalled
            self._end(stream)

    def _end(self, stream):
        if stream in self.streams:
            self.streams.remove(stream)
        current = asyncio.current_task()
        for task in (stream.writer, stream.watcher):
            if task is not None and task is not current:
                task.cancel()
        # Closed here, not by a task: a task cancelled before it has run
        # never runs its ``finally``, and the page would wait on an open
        # stream that sends nothing.
        if stream.sock is not None:
            stream.sock.close()
            stream.sock = None

    async def _flush(self):
        await asyncio.sleep_ms(self.coalesce_ms)
        self._flushing = False
        self._burst.set()  # wakes every stream's writer
        self._burst.clear()

    async def _tick(self):
        since_beat = 0  # seconds
        stall_ms = self.stall_s * 1000
        while True:
            await asyncio.sleep(1)
            now = ticks_ms()
            for stream in self.streams[:]:
                if stream.writing_since is not None and \
                        ticks_diff(now, stream.writing_since) > stall_ms:
                    stream.watcher.cancel()
            since_beat += 1
            if since_beat >= self.heartbeat_s:
                since_beat = 0
                for stream in self.streams:
                    stream.ping = True
                self._burst.set()
                self._burst.clear()


class _Stream:
    """One page's stream."""

    def __init__(self, sent):
        self.sent = sent  # the version its page holds; None: nothing yet
        self.ping = False
        self.writing_since = None  # ticks_ms a write began, while it lasts
        self.connection = self.sock = self.writer = self.watcher = None


def _resume_version(request, dash):
    """The version a page opening a stream holds (``?boot=B&since=V``), or
    None to send everything. Messages carry no event id: the page reopens
    its stream itself, and 17 bytes a message add up on a board's WiFi."""
    if request.args.get("boot") != dash.boot:
        return None
    try:
        version = int(request.args.get("since"))
    except (TypeError, ValueError):
        return None
    return version if 0 <= version <= dash.version else None
