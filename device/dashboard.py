"""The dashboard a board serves: its widgets, their values and the JSON routes.

See ``dashschema/wire.py`` for the protocol. A dashboard runs as one more
asyncio task beside the application's own; ``set()`` never blocks or awaits.
"""

import asyncio
import gc
import json
import os

# The server first: it sets how often the heap is collected, before
# Microdot loads.
from server import Server, json_error, json_parts, json_response
from microdot import Request, Response, iscoroutine
from dashschema import wire
from dashschema.widget import finite_or_none

try:
    from sys import print_exception
except ImportError:  # CPython
    from traceback import print_exception


def _persists(widget):
    """Whether a widget's value is kept across reboots: writable kinds that
    store a value (not a button), unless made with ``persist=False``."""
    return widget.writable and not widget.momentary and widget.persist


def _same(given, secret):
    """Whether ``given`` is ``secret``, in a time that does not tell how
    much of it was right."""
    if given is None:
        return False
    given, secret = given.encode(), secret.encode()
    diff = len(given) ^ len(secret)
    for i in range(len(secret)):
        diff |= secret[i] ^ (given[i] if i < len(given) else 0)
    return diff == 0


def _given_token(request):
    """The token a request carries: ``Authorization: Bearer <t>``, or
    ``?token=<t>`` (what an EventSource can send)."""
    auth = request.headers.get("Authorization")
    if auth and auth.startswith("Bearer "):
        return auth[7:]
    return request.args.get("token")


class Dashboard:
    #: Largest request body the board accepts, in bytes: a ``POST /data``
    #: larger than this is refused (413) from its Content-Length, unread.
    #: It sets Microdot's ``Request.max_content_length`` and
    #: ``max_body_length`` for the whole app: raise both for a route of
    #: your own that takes larger bodies.
    max_write_length = 1024
    #: Seconds between a page's polls of ``/data`` while it has no stream
    #: (past ``LiveStreams.max_streams``, or with ``live=False``). Pages read
    #: it from the schema. Every poll is a request the board parses in full,
    #: and its browser headers alone are some 400 bytes.
    poll_s = 2

    def __init__(self, title="splitdash", static_dir="www", token=None, live=True,
                 read_token=None, cors_origins=(), state_file="state.json", accent=None,
                 tabs=None):
        self.title = title
        #: The page's accent colour ("#rrggbb"), or None for its own.
        self.accent = None
        if accent is not None:
            from dashschema.inputs import Color
            try:
                self.accent = Color("accent").validate(accent)
            except ValueError as exc:
                raise ValueError("accent: %s" % exc)
        #: Groups shown as tabs (True), one under another (False), or as
        #: the page finds best for their number (None).
        self.tabs = tabs
        self._group = None  # the heading ``add`` puts widgets under
        #: Optional shared secret: writes must send ``Authorization: Bearer <token>``.
        self.token = token
        #: Optional secret for reading the schema, the values and the stream.
        self.read_token = read_token
        #: Where writable widgets' values are kept across reboots (None: nowhere).
        self.state_file = state_file
        #: The ``saved_state.SavedState`` keeping those values, or None: made
        #: (its module loaded) with the first widget that persists.
        self.saved = None
        self._serving = False
        self.widgets = []  # declaration order is display order
        self._index = {}  # id -> position in widgets
        self._values = []
        self._changed_at = []  # version of each widget's last change
        self._callbacks = {}
        self.version = 0
        self.boot = "%08x" % int.from_bytes(os.urandom(4), "big")
        self._schema_cache = (None, None)  # (what it was built from, encoded)
        #: The Microdot app (a ``server.Server``): add routes of your own to it.
        #: Pages from other origins may call the board only when listed in
        #: ``cors_origins`` (like "http://laptop.local:8000", or "*"); every
        #: other site's requests are refused (403).
        self.app = Server(cors_origins)
        Request.max_content_length = Request.max_body_length = self.max_write_length
        if cors_origins:
            from microdot.cors import CORS
            CORS(self.app, allowed_origins="*" if "*" in cors_origins else list(cors_origins))
        #: What is told of every change through its ``changed()``, which must
        #: not block: the live streams, an MQTT bridge. Each keeps the version
        #: it last sent on and asks ``state(since)`` for what is new, so a
        #: burst of ``set()`` calls costs it one message.
        self.listeners = []
        self.live = None
        self._add_routes()
        if live:
            from live import LiveStreams
            self.live = LiveStreams(self)
            self.live.add_routes(self.app)
            self.listeners.append(self.live)
        self.static_dir = static_dir
        # Loading modules leaves garbage between the objects they keep.
        # Freed at once, the gaps are filled by what is allocated next;
        # freed only when the heap runs out, they are scattered all over it,
        # and a request later finds no free block large enough for its
        # headers.
        gc.collect()

    # ---- the device-side API -------------------------------------------

    def add(self, widget, value=None):
        """Append a widget (any registered kind); returns it. ``value``: the
        one it starts with, unless it has one kept from before a reboot."""
        if widget.id in self._index:
            raise ValueError("duplicate widget id %r" % widget.id)
        value = widget.initial if value is None else widget.validate(value)
        if widget.group is None and self._group is not None:
            widget.group = self._group
        self._index[widget.id] = len(self.widgets)
        self.widgets.append(widget)
        self._values.append(value)
        self._changed_at.append(0)
        if widget.history:
            # Its points, in a ring allocated now: its heap cost is known at boot.
            ring = self._values[-1] = __import__(widget.history).Ring(widget, self.state_file)
            # Points restored from flash are versions 1, 2, ...: sent in parts too.
            self.version = self._changed_at[-1] = max(self.version, ring.count)
        if self.state_file and _persists(widget):
            if not self.saved:
                from saved_state import SavedState
                self.saved = SavedState(self.state_file)
                if self._serving:
                    self.saved.start(self)
            self._values[-1] = self.saved.take(widget, self._values[-1])
        return widget

    def group(self, heading):
        """``with dash.group("Climate"):``: the widgets added in the block
        are shown under that heading, as one card group."""
        self._group = str(heading)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._group = None

    def log(self, wid, line):
        """Add a line to a log widget; the oldest one beyond its ``lines``
        is dropped. Raises ``ValueError`` for a line the log refuses."""
        self.set(wid, line)

    def set(self, wid, value):
        """Set a widget's value (add a chart's point) from the device; raises
        ``ValueError`` for a value its kind rejects. NaN and infinity become
        "no reading" (a chart's gap)."""
        i = self._position(wid)
        self._store(i, self.widgets[i].validate(value))

    def get(self, wid):
        return self._values[self._position(wid)]

    def on_write(self, wid):
        """Decorator: call ``f(value)`` after a browser writes ``wid``.

        ``f`` may be a plain function or a coroutine function (run as a task).
        """
        widget = self.widgets[self._position(wid)]
        if not widget.writable:
            raise ValueError("%r is read-only: browsers cannot write it" % wid)

        def register(f):
            self._callbacks[wid] = f
            return f
        return register

    def state(self, since=0):
        """Values changed after version ``since`` (all of them for 0). A
        chart sends only the points added after ``since``, a part at a
        time: the message's version is then that of its last point sent,
        and the next message, from there, has the next part."""
        values = {}
        version = self.version
        for i, widget in enumerate(self.widgets):
            if self._changed_at[i] > since or not since:
                if not widget.momentary:
                    value = self._values[i]
                    if widget.history:
                        value, sent = value.since(since)
                        version = min(version, sent or version)
                    values[widget.id] = finite_or_none(value)
        return wire.state_message(self.boot, version, values)

    def apply(self, changes):
        """Apply a browser's write: validated whole, then stored and reported
        to the callbacks. Raises ``wire.WriteError``."""
        accepted = wire.check_writes(changes, self._find, self.get)
        for widget, value in accepted:
            if not widget.momentary:
                self._store(self._index[widget.id], value)
        for widget, value in accepted:
            self._call_back(widget.id, value)

    async def serve(self, host="0.0.0.0", port=80):
        """Serve until the server is shut down; run it as an asyncio task."""
        if self.static_dir:
            # Last: its catch-all route must not hide the app's own routes.
            from static_files import StaticFiles
            StaticFiles(self.static_dir).add_routes(self.app)
            self.static_dir = None
        if self.live:
            self.live.start()
        self._serving = True
        if self.saved:
            self.saved.start(self)
            # Outputs follow their restored values, as after a browser's write.
            for wid in self.saved.restored:
                self._call_back(wid, self.get(wid))
            self.saved.restored = []
        # Encoded now, while the heap is in one piece: later, among the
        # pages' streams, a block as large as the schema may be hard to find.
        self._schema()
        print("splitdash: %r on http://%s:%d/" % (self.title, host, port))
        gc.collect()  # as after loading
        await self.app.start_server(host=host, port=port)
        if self.saved:
            self.saved.flush(self)  # a change made just before shutdown is kept

    def run(self, host="0.0.0.0", port=80):
        asyncio.run(self.serve(host, port))

    # ---- internals -------------------------------------------------------

    def _schema(self):
        """The schema, encoded once for each set of widgets: every page that
        opens asks for it, often all at once after the board restarts, and
        building it takes a dict per widget."""
        key = (len(self.widgets), self.title, self.poll_s)
        if self._schema_cache[0] != key:
            message = wire.schema_message(self.title, self.boot, self.widgets, self.poll_s)
            if self.accent:
                message["accent"] = self.accent
            if self.tabs is not None:
                message["tabs"] = self.tabs
            # Bytes: an answer sends them with no copy made.
            self._schema_cache = (key, wire.encode(message).encode())
        return self._schema_cache[1]

    def _position(self, wid):
        try:
            return self._index[wid]
        except KeyError:
            raise ValueError("no widget %r" % wid)

    def _find(self, wid):
        i = self._index.get(wid)
        return None if i is None else self.widgets[i]

    def _store(self, i, value):
        old = self._values[i]
        if self.widgets[i].history:
            old.append(value, self.version + 1)  # a new point, even if an equal one
        elif value == old and type(value) is type(old):
            return
        else:
            self._values[i] = value
        self.version += 1
        self._changed_at[i] = self.version
        for listener in self.listeners:
            listener.changed()
        if self.saved and _persists(self.widgets[i]):
            self.saved.changed()

    def _call_back(self, wid, value):
        f = self._callbacks.get(wid)
        if f is None:
            return
        try:
            result = f(value)
            if iscoroutine(result):
                asyncio.create_task(result)
        except Exception as exc:
            # The write itself succeeded; a failing callback is the device
            # program's bug and must not take the server down.
            print("splitdash: callback for %r failed:" % wid)
            print_exception(exc)

    def refuse_read(self, request):
        """The answer refusing a read without the read token, or None."""
        if not self.read_token:
            return None
        given = _given_token(request)
        if _same(given, self.read_token) or (self.token and _same(given, self.token)):
            return None
        return json_error("this dashboard needs its read token", 401)

    def _refuse_write(self, request):
        secret = self.token or self.read_token
        if secret and not _same(_given_token(request), secret):
            response = json_error("this dashboard needs its write token", 401)
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        content_type = request.headers.get("Content-Type", "")
        if content_type.split(";", 1)[0].strip().lower() != "application/json":
            return json_error("writes must be sent as Content-Type: application/json", 415)
        return None

    def _add_routes(self):
        app = self.app

        @app.get(wire.SCHEMA_PATH)
        async def schema(request):
            return self.refuse_read(request) or \
                json_response(self._schema(), headers={"Cache-Control": "no-cache"})

        @app.get(wire.DATA_PATH)
        async def read(request):
            refused = self.refuse_read(request)
            if refused:
                return refused
            since = 0
            if request.args.get("boot") == self.boot:
                try:
                    since = int(request.args.get("since", "0"))
                except ValueError:
                    return json_error("since must be a whole number", 400)
                if since == self.version:
                    return 204, {"Cache-Control": "no-store"}
                if since > self.version:
                    since = 0
            return json_response(json_parts(self.state(since)),
                                 headers={"Cache-Control": "no-store"})

        @app.post(wire.DATA_PATH)
        async def write(request):
            # Too large a body was refused (413) before it was read.
            refused = self._refuse_write(request)
            if refused:
                return refused
            try:
                changes = json.loads(request.body)
            except (ValueError, RuntimeError):  # RuntimeError: nested too deep
                return json_error("the body is not valid JSON", 400)
            try:
                self.apply(changes)
            except wire.WriteError as exc:
                return json_response(exc.to_dict(), 400)
            return json_response({"boot": self.boot, "version": self.version})

        for status, reason in ((400, "bad request"), (404, "not found"),
                               (405, "method not allowed"), (413, "request too large")):
            app.errorhandler(status)(
                lambda request, status=status, reason=reason: json_error(reason, status))

        # No heap for a route now: dropped unanswered, as when the request
        # could not be read (the page retries), rather than a 500.
        app.errorhandler(MemoryError)(lambda request, exc: Response.already_handled)
        app.errorhandler(Exception)(lambda request, exc: json_error("internal error", 500))
