"""Server push: one Server-Sent Events stream per open page, carrying only
what changed, one message per burst of ``set()`` calls.

Each stream remembers a single number, the version it last sent, so a slow
page costs no growing buffer: it gets everything it missed in its next
message.
"""

import asyncio

from microdot.sse import sse_response
from dashschema import wire


class LiveStreams:
    #: Most streams served at once; past it a page gets 503 and polls /data.
    max_streams = 4
    #: ``set()`` calls within this window go out as one message, in ms.
    coalesce_ms = 50
    #: A "ping" event this often lets both ends notice a dead connection, in s.
    heartbeat_s = 15

    def __init__(self, dash):
        self.dash = dash
        self.count = 0
        self._dirty = asyncio.Event()
        self._tick = asyncio.Event()

    def changed(self):
        self._dirty.set()

    def start(self):
        asyncio.create_task(self._coalesce())
        asyncio.create_task(self._heartbeat())

    def add_routes(self, app):
        @app.get(wire.EVENTS_PATH)
        async def events(request):
            if self.count >= self.max_streams:
                return {"error": "too many live streams; poll %s instead" % wire.DATA_PATH,
                        "widget": None}, 503
            return sse_response(request, self._stream)

    def _wake_streams(self):
        # A fresh Event per wake-up: every stream waiting on the old one runs once.
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

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

    async def _stream(self, request, sse):
        dash = self.dash
        self.count += 1
        # A page sends nothing after its request, so end-of-file on the socket
        # means it left: free the slot now rather than at the next failed write.
        watcher = asyncio.create_task(_until_closed(request.sock[0], asyncio.current_task()))
        try:
            sent = _resume_version(request, dash)
            while True:
                if sent is None or sent != dash.version:
                    state = dash.state(sent or 0)
                    sent = dash.version
                    await sse.send(state, event_id="%s:%d" % (dash.boot, sent))
                else:
                    # A named event, not a comment: the page's watchdog sees it.
                    await sse.send("{}", event="ping")
                await self._tick.wait()
                # Still writing the last message: wait, and the next message
                # carries everything since the last one sent.
                while sse.queue:
                    await asyncio.sleep_ms(self.coalesce_ms)
        finally:
            watcher.cancel()
            self.count -= 1


async def _until_closed(reader, stream_task):
    try:
        while await reader.read(16):
            pass
    except OSError:
        pass
    stream_task.cancel()


def _resume_version(request, dash):
    """The version a reconnecting page holds, or None to send everything.

    EventSource sends back the last event id on its own reconnects; a page
    opening a new stream passes ``?boot=B&since=V``.
    """
    last = request.headers.get("Last-Event-ID") or \
        "%s:%s" % (request.args.get("boot"), request.args.get("since"))
    boot, _, version = last.partition(":")
    if boot == dash.boot:
        try:
            version = int(version)
        except ValueError:
            return None
        if 0 <= version <= dash.version:
            return version
    return None
