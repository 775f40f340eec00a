"""Server push: one Server-Sent Events stream per open page, carrying only
what changed, one message per burst of ``set()`` calls.

A stream is a response body Microdot writes as it iterates; it remembers a
single number, the version it last sent. Microdot waits for each message to
be written before asking for the next, so a slow page costs no growing
buffer: it gets everything it missed in one later message. (Microdot's own
``sse`` extension builds a class, a queue and a task per stream, about 7 KB
of heap each: too much for a board.)
"""

import asyncio

from microdot import Response
from dashschema import wire

PING = b"event: ping\ndata: {}\n\n"


class LiveStreams:
    #: Most streams served at once; past it a page gets 503 and polls /data.
    #: Each open stream holds about 5 KB of heap and one socket (boards have
    #: 10 to 16 sockets in all); raise it on a board with heap to spare.
    max_streams = 4
    #: ``set()`` calls within this window go out as one message, in ms.
    coalesce_ms = 50
    #: A "ping" event this often lets both ends notice a dead connection, in s.
    heartbeat_s = 15

    def __init__(self, dash):
        self.dash = dash
        self.streams = []
        self._dirty = asyncio.Event()
        # The last message encoded, for (since, version): the streams woken by
        # one burst mostly need the very same bytes.
        self._encoded = (None, None, b"")

    def changed(self):
        self._dirty.set()

    def start(self):
        asyncio.create_task(self._coalesce())
        asyncio.create_task(self._heartbeat())

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

    def _wake_streams(self):
        for stream in self.streams:
            stream.wake.set()

    async def _coalesce(self):
        while True:
            await self._dirty.wait()
            await asyncio.sleep_ms(self.coalesce_ms)
            self._dirty.clear()
            self._wake_streams()

    async def _heartbeat(self):
        while True:
            await asyncio.sleep(self.heartbeat_s)
            self._wake_streams()


class _Stream:
    """One page's stream: an async iterator of SSE messages."""

    def __init__(self, live, request):
        self.live = live
        self.sent = _resume_version(request, live.dash)
        self.wake = asyncio.Event()
        live.streams.append(self)
        # A page sends nothing after its request, so end-of-file on the socket
        # means it left: free the slot now, not at the next failed write.
        self.watcher = asyncio.create_task(self._until_closed(request.sock[0]))

    def __aiter__(self):
        return self

    async def __anext__(self):
        live = self.live
        if self.sent is not None and self.sent == live.dash.version:
            await self.wake.wait()
            self.wake.clear()
            if self not in live.streams:
                raise StopAsyncIteration
            if self.sent == live.dash.version:
                return PING
        data = live.message(self.sent or 0)
        self.sent = live.dash.version
        return data

    async def aclose(self):
        self._end()
        self.watcher.cancel()

    def _end(self):
        if self in self.live.streams:
            self.live.streams.remove(self)
            self.wake.set()

    async def _until_closed(self, reader):
        try:
            while await reader.read(16):
                pass
        except OSError:
            pass
        self._end()


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
