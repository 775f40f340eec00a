"""Server push: one Server-Sent Events stream per open page, carrying only
what changed, one message per burst of ``set()`` calls.

Microdot answers ``GET /events`` with the stream's headers; then the socket
passes to ``LiveStreams``, and Microdot frees what it holds for an open
response (its request, response and task: about 2.5 KB of heap a page).
From there a stream is its socket and one number, the version it last sent.
One task writes each burst to every stream with non-blocking writes; a page
whose connection cannot take a message yet keeps only the unsent end of it,
and gets everything it missed in one message once it has caught up.
(Microdot's own ``sse`` extension builds a class, a queue and a task per
stream, about 7 KB each: too much for a board.)
"""

import asyncio
import select
import sys

from microdot import Response
from dashschema import wire

PING = b"event: ping\ndata: {}\n\n"
#: The stream cap on boards, whose page loads, polls and writes need TCP
#: connections too: an ESP32's MicroPython has 10 sockets in all, a Pico W's
#: lwIP 5 TCP connections. Ports not listed here (the unix port) have 16.
BOARD_MAX_STREAMS = {"esp32": 4, "rp2": 2}


class LiveStreams:
    #: Most streams served at once; past it a page gets 503 and polls /data
    #: (every ``Dashboard.poll_s``). A stream costs a few hundred bytes of
    #: heap, but on a board it holds one of its few TCP connections for as
    #: long as its page is open: see BOARD_MAX_STREAMS.
    max_streams = BOARD_MAX_STREAMS.get(sys.platform, 16)
    #: ``set()`` calls within this window go out as one message, in ms.
    coalesce_ms = 50
    #: A "ping" event this often lets both ends notice a dead connection, in s.
    heartbeat_s = 15

    def __init__(self, dash):
        self.dash = dash
        self.streams = []
        self._flushing = False  # a burst of changes is being collected
        # Every stream's socket, to notice the pages that leave.
        self._sockets = select.poll()
        # The last message encoded, for (since, version): the streams in step
        # with each other need the very same bytes.
        self._encoded = (None, None, b"")

    def changed(self):
        if self.streams and not self._flushing:
            self._flushing = True
            asyncio.create_task(self._flush())

    def start(self):
        asyncio.create_task(self._tick())

    def add_routes(self, app):
        @app.get(wire.EVENTS_PATH)
        async def events(request):
            if len(self.streams) >= self.max_streams:
                return {"error": "too many live streams; poll %s instead" % wire.DATA_PATH,
                        "widget": None}, 503
            return Response(_Stream(self, request), headers={
                "Content-Type": "text/event-stream", "Cache-Control": "no-store"})

    def message(self, since):
        version = self.dash.version
        cached_since, cached_version, data = self._encoded
        if cached_since != since or cached_version != version:
            data = b"data: " + wire.encode(self.dash.state(since)).encode() + b"\n\n"
            self._encoded = (since, version, data)
        return data

    def take(self, stream):
        """Serve a stream whose headers Microdot has sent."""
        if len(self.streams) >= self.max_streams:  # others got in first
            stream.socket.close()
            return
        self.streams.append(stream)
        self._sockets.register(stream.socket, select.POLLIN)
        self.send(stream)

    def send(self, stream, ping=False):
        """Write what the stream's page is missing (or a ping), as far as
        its socket takes it without waiting."""
        try:
            if stream.pending and not self._write(stream, stream.pending):
                return
            if stream.sent != self.dash.version:
                since, stream.sent = stream.sent or 0, self.dash.version
                self._write(stream, self.message(since))
            elif ping:
                self._write(stream, PING)
        except OSError:  # the page has gone
            self.end(stream)

    @staticmethod
    def _write(stream, data):
        """Whether all of ``data`` went; the rest waits in the stream."""
        written = stream.socket.write(data)  # None: nothing fitted
        stream.pending = data[written:] if written else data
        return not stream.pending

    def end(self, stream):
        if stream in self.streams:
            self.streams.remove(stream)
            self._sockets.unregister(stream.socket)
            stream.socket.close()

    async def _flush(self):
        await asyncio.sleep_ms(self.coalesce_ms)
        self._flushing = False
        for stream in self.streams[:]:  # a failed write ends its stream
            self.send(stream)

    async def _tick(self):
        since_beat = 0  # seconds
        while True:
            await asyncio.sleep(1)
            # A page sends nothing after its request: its socket turning
            # readable (end of file) or failing means it has left.
            for sock, _ in self._sockets.poll(0):
                for stream in self.streams:
                    if stream.socket is sock:
                        self.end(stream)
                        break
            since_beat += 1
            beat = since_beat >= self.heartbeat_s
            if beat:
                since_beat = 0
            for stream in self.streams[:]:
                # New changes wait for their burst's message.
                if beat or stream.pending:
                    self.send(stream, beat)


class _Stream:
    """One page's stream. To Microdot, the body of the ``GET /events``
    response: asked for its first part, it takes the socket over and ends."""

    def __init__(self, live, request):
        self.live = live
        self.sent = _resume_version(request, live.dash)
        self.pending = b""  # the unsent end of a message
        self.socket = None
        self._writer = request.sock[1]

    def __aiter__(self):
        return self

    async def __anext__(self):
        # The head is out (the BufferedWriter wrote it at its blank line):
        # keep the socket, and leave Microdot a stand-in to close when it
        # finishes the response.
        stream, self._writer = self._writer.stream, None
        self.socket, stream.s = stream.s, _KEPT
        self.live.take(self)
        raise StopAsyncIteration


class _Kept:
    def close(self):
        pass


_KEPT = _Kept()


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
