"""The dashboard a board serves: its widgets, their values and the JSON routes.

See ``dashschema/wire.py`` for the protocol. A dashboard runs as one more
asyncio task beside the application's own; ``set()`` never blocks or awaits.
"""

import asyncio
import gc
import json
import os

from microdot import Microdot, Response, iscoroutine
from dashschema import wire
from dashschema.widget import finite_or_none
from buffered_io import buffer_connections

try:
    from sys import print_exception
except ImportError:  # CPython
    from traceback import print_exception


def _new_boot_id():
    return "%08x" % int.from_bytes(os.urandom(4), "big")


def _compact():
    # Loading modules leaves garbage between the objects they keep. Freed
    # at once, the gaps are filled by what is allocated next; freed only
    # when the heap runs out, they are scattered all over it, and a request
    # later finds no free block large enough for its headers.
    gc.collect()


def json_response(message, status=200, headers=None):
    """``message``: a dict, or one already encoded."""
    if not isinstance(message, str):
        message = wire.encode(message)
    response = Response(message, status, headers)
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    return response


def _error(reason, status, widget=None):
    return json_response({"error": reason, "widget": widget}, status)


class Dashboard:
    #: Largest ``POST /data`` body accepted, in bytes.
    max_write_length = 1024
    #: Seconds between a page's polls of ``/data`` while it has no stream
    #: (past ``LiveStreams.max_streams``, or with ``live=False``). Pages read
    #: it from the schema. Every poll is a request the board parses in full,
    #: and its browser headers alone are some 400 bytes.
    poll_s = 2

    def __init__(self, title="splitdash", static_dir="www", token=None, live=True,
                 app=None):
        self.title = title
        #: Optional shared secret: writes must send ``Authorization: Bearer <token>``.
        self.token = token
        self.widgets = []  # declaration order is display order
        self._index = {}  # id -> position in widgets
        self._values = []
        self._changed_at = []  # version of each widget's last change
        self._callbacks = {}
        self.version = 0
        self.boot = _new_boot_id()
        self._schema_cache = (None, None)  # (what it was built from, encoded)
        self.app = app or Microdot()
        buffer_connections(self.app)
        self.live = None
        self._add_routes()
        if live:
            from live import LiveStreams
            self.live = LiveStreams(self)
            self.live.add_routes(self.app)
        if static_dir:
            from static_files import StaticFiles
            StaticFiles(static_dir).add_routes(self.app)
        _compact()

    # ---- the device-side API -------------------------------------------

    def add(self, widget):
        """Append a widget (any registered kind); returns it."""
        if widget.id in self._index:
            raise ValueError("duplicate widget id %r" % widget.id)
        self._index[widget.id] = len(self.widgets)
        self.widgets.append(widget)
        self._values.append(widget.initial)
        self._changed_at.append(0)
        return widget

    def set(self, wid, value):
        """Set a widget's value from the device; raises ``ValueError`` for a
        value its kind rejects. NaN and infinity become "no reading"."""
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

        def decorator(f):
            self._callbacks[wid] = f
            return f
        return decorator

    def state(self, since=0):
        """Values changed after version ``since`` (all of them for 0)."""
        values = {}
        for i, widget in enumerate(self.widgets):
            if self._changed_at[i] > since or not since:
                if not widget.momentary:
                    values[widget.id] = finite_or_none(self._values[i])
        return wire.state_message(self.boot, self.version, values)

    def apply(self, changes):
        """Apply a browser's write: validated whole, then stored and reported
        to the callbacks. Raises ``wire.WriteError``."""
        accepted = wire.check_writes(changes, self._find)
        for widget, value in accepted:
            if not widget.momentary:
                self._store(self._index[widget.id], value)
        for widget, value in accepted:
            self._call_back(widget.id, value)

    async def serve(self, host="0.0.0.0", port=80):
        """Serve until the server is shut down; run it as an asyncio task."""
        if self.live:
            self.live.start()
        print("splitdash: %r on http://%s:%d/" % (self.title, host, port))
        _compact()
        await self.app.start_server(host=host, port=port)

    def run(self, host="0.0.0.0", port=80):
        asyncio.run(self.serve(host, port))

    # ---- internals -------------------------------------------------------

    def _schema(self):
        """The schema, encoded once for each set of widgets: every page that
        opens asks for it, often all at once after the board restarts, and
        building it takes a dict per widget."""
        key = (len(self.widgets), self.title, self.poll_s)
        if self._schema_cache[0] != key:
            self._schema_cache = (key, wire.encode(wire.schema_message(
                self.title, self.boot, self.widgets, self.poll_s)))
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
        if value == old and type(value) is type(old):
            return
        self._values[i] = value
        self.version += 1
        self._changed_at[i] = self.version
        if self.live:
            self.live.changed()

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

    def _authorized(self, request):
        return not self.token or \
            request.headers.get("Authorization") == "Bearer " + self.token

    def _add_routes(self):
        app = self.app

        @app.get(wire.SCHEMA_PATH)
        async def schema(request):
            return json_response(self._schema(), headers={"Cache-Control": "no-cache"})

        @app.get(wire.DATA_PATH)
        async def read(request):
            since = 0
            if request.args.get("boot") == self.boot:
                try:
                    since = int(request.args.get("since", "0"))
                except ValueError:
                    return _error("since must be a whole number", 400)
                if since == self.version:
                    return 204, {"Cache-Control": "no-store"}
                if since > self.version:
                    since = 0
            return json_response(self.state(since), headers={"Cache-Control": "no-store"})

        @app.post(wire.DATA_PATH)
        async def write(request):
            if not self._authorized(request):
                return _error("this dashboard needs its write token", 401)
            if len(request.body) > self.max_write_length:
                return _error("write too large", 413)
            try:
                changes = json.loads(request.body)
            except ValueError:
                return _error("the body is not valid JSON", 400)
            try:
                self.apply(changes)
            except wire.WriteError as exc:
                return json_response(exc.to_dict(), 400)
            return json_response({"boot": self.boot, "version": self.version})

        @app.errorhandler(404)
        async def not_found(request):
            return _error("not found", 404)

        @app.errorhandler(405)
        async def not_allowed(request):
            return _error("method not allowed", 405)

        @app.errorhandler(413)
        async def too_large(request):
            return _error("request too large", 413)

        @app.errorhandler(Exception)
        async def internal(request, exc):
            return _error("internal error", 500)
