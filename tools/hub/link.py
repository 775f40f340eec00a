"""The hub's one stream from a board, and its fan-out to the pages on the hub.

A link reads the board's ``/events`` (polling ``/data`` while the board
refuses its stream with 503, trying the stream again every
``retry_stream_s``), checks each message against the board's schema, keeps
it in its Mirror and in the history, and wakes the pages' streams: however
many pages are open on the hub, the board serves one stream.

A board that stops answering is offline: its pages' streams on the hub end
(the pages then poll, are told 502 and show the board offline, as with the
board itself) and the history gets a gap. A board that comes back with
another boot id rebooted: a new run. A hub started again asks the board for
what came after the version its history was committed up to.
"""

import asyncio
import hashlib
import time

from dashschema import wire

from . import upstream
from .history import now_ms
from .mirror import BadMessage, Mirror, encode, parse

CONNECTING, ONLINE, OFFLINE, LOCKED = "connecting", "online", "offline", "locked"
PING = b"event: ping\ndata: {}\n\n"


class BoardLink:
    #: Seconds between attempts to reach a board that does not answer.
    retry_s = 2
    #: Seconds between attempts at a board that wants a read token the hub has not.
    retry_locked_s = 30
    #: Seconds of polling (the board refused its stream) before trying it again.
    retry_stream_s = 10
    #: A stream silent this long is taken as dead (a board pings every 15 s).
    stream_timeout_s = 40
    #: A "ping" to each page on the hub this often, in s: a page gone is noticed.
    ping_s = 15
    #: Seconds a page's token, once the board took it, is taken without asking.
    token_kept_s = 60

    def __init__(self, config, history=None, log=print):
        self.config = config
        self.name = config.name
        self.history = history
        self.log = log
        self.mirror = Mirror()
        self.state, self.since, self.reason = CONNECTING, now_ms(), ""
        self.last_seen = None
        self.dropped = 0  # messages that did not fit the schema
        self.pages = 0  # the hub's pages on this board's stream now
        self._news = asyncio.Event()
        self._epoch = 0  # moves on when the board goes offline: pages' streams end
        self._encoded = (None, None)  # ((boot, since, version), bytes)
        self._fill = False
        self._tokens = {}  # sha256 of a page's token -> when the board took it

    # ---- the board -----------------------------------------------------

    def auth(self):
        token = self.config.read_token
        return [("Authorization", "Bearer " + token)] if token else []

    async def run(self):
        """Follow the board, forever."""
        while True:
            wait = self.retry_s
            try:
                if await self._connect():
                    wait = self.retry_locked_s
            except upstream.Unreachable as exc:
                self._went(OFFLINE, str(exc))
            except BadMessage as exc:
                self._went(OFFLINE, "its schema does not load: %s" % exc)
            await asyncio.sleep(wait)

    async def _connect(self):
        """Read the board until it stops answering; True when it is locked."""
        status, _, body = await upstream.request(self.config, "GET", wire.SCHEMA_PATH, self.auth())
        if status == 401:
            self._went(LOCKED, "it wants a read token: give it in a boards.json")
            return True
        if status != 200:
            raise upstream.Unreachable("it answered %d for its schema" % status)
        self._start(parse(body))
        while True:
            if not await self._follow():
                return False  # dropped: ask for the schema again (a reboot?)
            deadline = time.monotonic() + self.retry_stream_s
            while time.monotonic() < deadline:
                await self._poll()
                await asyncio.sleep(self.mirror.schema.get("poll_s") or 2)

    def _start(self, schema):
        t = now_ms()
        new = self.mirror.set_schema(schema)
        if new and self.history is not None:
            last = self.history.last_run(self.name)
            if last is not None and last[0] == schema["boot"]:
                # The hub restarted: what came after its last commit.
                self.history.resume_run(self.name, t)
                self.mirror.version = last[1]
                self._fill = last[1] > 0
            else:
                self.history.start_run(self.name, schema, t)
        if self.history is not None:
            self.history.board_id(self.name, schema.get("title"))
        self._went(ONLINE)
        self._wake()

    def _since(self):
        m = self.mirror
        return "?boot=%s&since=%d" % (m.boot, m.version) if m.version else ""

    async def _follow(self):
        """Read the board's stream until it ends; True when it was refused."""
        headers = self.auth() + [("Accept", "text/event-stream")]
        status, _, reader, writer = await upstream.open_request(
            self.config, "GET", wire.EVENTS_PATH + self._since(), headers)
        try:
            if status == 503:
                return True
            if status != 200:
                raise upstream.Unreachable("it answered %d for its stream" % status)
            data = []
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), self.stream_timeout_s)
                except (asyncio.TimeoutError, OSError, ValueError):
                    return False
                if not line:
                    return False
                line = line.rstrip(b"\r\n")
                if line.startswith(b"data:"):
                    data.append(line[5:].strip())
                elif not line:
                    self.last_seen = now_ms()
                    if data and data != [b"{}"]:
                        await self._receive(b"\n".join(data))
                    data = []
        finally:
            await upstream.close(writer)

    async def _poll(self):
        status, _, body = await upstream.request(
            self.config, "GET", wire.DATA_PATH + self._since(), self.auth())
        if status not in (200, 204):
            raise upstream.Unreachable("it answered %d for its state" % status)
        self.last_seen = now_ms()
        if status == 200:
            await self._receive(body)

    async def _receive(self, data, fill=False):
        t = now_ms()
        try:
            message = parse(data)
            self.mirror.check(message)
        except BadMessage as exc:
            self.dropped += 1
            self.log("hub: %s: dropped a message that does not fit its schema: %s"
                     % (self.name, exc))
            return
        kept = self.mirror.apply(message, t, fill)
        if self.history is not None and not fill:
            self.history.record(self.name, self.mirror.widgets, kept, message["version"], t)
        self._wake()
        if self._fill:
            # A mirror started from where the history stopped holds only
            # what came since: the rest, for the pages.
            self._fill = False
            status, _, body = await upstream.request(self.config, "GET", wire.DATA_PATH,
                                                     self.auth())
            if status == 200:
                await self._receive(body, fill=True)

    def _went(self, state, reason=""):
        if state == self.state:
            return
        was = self.state
        self.state, self.since, self.reason = state, now_ms(), reason
        self.log("hub: %s (%s) %s" % (self.name, self.config.url, {
            ONLINE: "answers", OFFLINE: "is unreachable: " + reason,
            LOCKED: "is locked: " + reason}[state]))
        if state != ONLINE:
            self.end_pages()
            if was == ONLINE and self.history is not None:
                self.history.gap(self.name, self.since)

    def end_pages(self):
        """End the pages' streams: they poll, and find the board's state."""
        self._epoch += 1
        self._wake()

    def _wake(self):
        news, self._news = self._news, asyncio.Event()
        news.set()

    # ---- the pages on the hub ------------------------------------------

    def message(self, since):
        """The encoded state message for a page holding ``since``; the pages
        in step with each other share one."""
        m = self.mirror
        key = (m.boot, since, m.version)
        if self._encoded[0] != key:
            self._encoded = (key, encode(m.message(since, now_ms())).encode())
        return self._encoded[1]

    async def page_stream(self, since):
        """SSE for one page on the hub holding ``since`` (None: nothing);
        ends when the board goes offline."""
        epoch, boot, sent = self._epoch, self.mirror.boot, since or 0
        whole = since is None  # a page with nothing gets everything at once
        self.pages += 1
        try:
            while epoch == self._epoch:
                m = self.mirror
                if m.boot != boot:
                    boot, sent, whole = m.boot, 0, True  # rebooted: drawn anew
                if sent != m.version or whole:
                    version = m.version
                    yield b"data: " + self.message(sent) + b"\n\n"
                    sent, whole = version, False
                news = self._news
                try:
                    await asyncio.wait_for(news.wait(), self.ping_s)
                except asyncio.TimeoutError:
                    yield PING
        finally:
            self.pages -= 1

    async def page_may_read(self, token):
        """Whether the board takes ``token`` to read (a board with a read
        token, which the hub reads with its own): asked once a while."""
        if not self.config.read_token:
            return True
        if not token:
            return False
        key = hashlib.sha256(token.encode()).digest()
        if time.monotonic() - self._tokens.get(key, -1e9) < self.token_kept_s:
            return True
        try:
            status, _, _ = await upstream.request(
                self.config, "GET", wire.SCHEMA_PATH, [("Authorization", "Bearer " + token)])
        except upstream.Unreachable:
            return False
        if status == 200:
            self._tokens[key] = time.monotonic()
        return status == 200
