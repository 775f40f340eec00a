"""The hub's HTTP server: Microdot on CPython, as on a board (HTTP/1.0, a
connection per request).

    GET  /                        the fleet page (fleet.py)       hub token
    GET  /fleet.json              what it shows                   hub token
    GET  /b/<name>/               the board's page: the bundle of build/board/www
    GET  /b/<name>/schema         the board's schema, from the hub's mirror, with
                                  "history": "history" when the hub records it
    GET  /b/<name>/data           its state, from the mirror (?boot=&since= as a board)
    GET  /b/<name>/events         its stream, from the hub's one stream of the board
    POST /b/<name>/data           relayed to the board: its write token goes through
    GET  /b/<name>/history?widget=ID&from=MS&to=MS (or &range=S, up to now)
                                  a widget's values, at most ~500 per series  hub token
    GET  /b/<name>/export.csv?[widget=ID&]from=&to=   CSV                     hub token

A board that wants a read token the hub was not given is relayed as it is,
requests and stream alike (its history is not kept). For one whose read
token the hub has, a page's reads need a token the board takes.

The board refuses a request naming an Origin other than its own, and to the
board every relayed request comes from its own Host: the hub refuses (403)
what names an Origin other than its own, and drops its own pages' Origin.

The hub token (``--token``; made up and printed when the hub listens beyond
this machine without one) is taken as ``Authorization: Bearer``, as
``?token=`` (``/?token=...`` keeps it in a cookie, then takes it out of the
address bar) or from that cookie.
"""

import asyncio
import gzip
import hmac
import json
import os
import signal
from contextlib import closing

from microdot import Microdot, Request, Response

from dashschema import wire
from static_files import MIME_TYPES, StaticFiles

from . import fleet, history, upstream
from .link import LOCKED, ONLINE

# Headers about one connection, not the request: not passed on; and the
# Origin, checked here (see above).
NOT_RELAYED = ("connection", "keep-alive", "proxy-authorization", "proxy-connection", "te",
               "trailer", "transfer-encoding", "upgrade", "host", "origin", "content-length",
               "cookie")
ANSWER_HEADERS = ("content-type", "cache-control", "www-authenticate", "retry-after")
COOKIE = "splitdash_hub"
NO_STORE = {"Cache-Control": "no-store"}
#: The page's history view (see the route that serves it).
HISTORY_VIEW = os.path.join(os.path.dirname(__file__), "..", "..", "webapp", "hub",
                            "hub_history.py")
#: Ranges a page may ask for by name, in seconds.
MAX_RANGE_S = 400 * 86400


def error(status, reason):
    return Response(json.dumps({"error": reason, "widget": None}), status,
                    {"Content-Type": "application/json", "Cache-Control": "no-store"})


class Hub:
    #: Largest request body passed to a board, in bytes.
    max_body = 64 * 1024
    #: Most points per series a history answer holds.
    max_points = 500

    def __init__(self, links, www, db=None, token=None):
        self.links = {link.name: link for link in links}
        self.www = www
        self.db = db  # history.History, or None
        self.token = token
        Request.max_content_length = Request.max_body_length = self.max_body
        self.app = Microdot()
        self._routes(self.app)

    # ---- access ----------------------------------------------------------

    def hub_token_ok(self, request):
        if not self.token:
            return True
        given = request.args.get("token") or request.cookies.get(COOKIE) or \
            _bearer(request.headers.get("Authorization"))
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def refuse_hub(self, request):
        if self.hub_token_ok(request):
            return None
        return error(401, "this hub needs its token: open /?token=... once")

    # ---- routes ----------------------------------------------------------

    def _routes(self, app):
        @app.before_request
        async def origin(request):
            given = request.headers.get("Origin")
            if given is not None and given != "http://" + request.headers.get("Host", ""):
                return error(403, "requests from %s are not allowed" % given)

        @app.get("/")
        async def fleet_page(request):
            if self.token and request.args.get("token"):
                refused = self.refuse_hub(request)
                if refused:
                    return refused
                response = Response.redirect("/")
                response.set_cookie(COOKIE, self.token, path="/", http_only=True)
                response.headers["Set-Cookie"][-1] += "; SameSite=Strict"
                return response
            return self.refuse_hub(request) or \
                Response(fleet.PAGE, headers={"Content-Type": "text/html; charset=utf-8",
                                              "Cache-Control": "no-cache"})

        @app.get("/fleet.json")
        async def fleet_json(request):
            return self.refuse_hub(request) or \
                Response(fleet.fleet(self.links.values()), headers=dict(NO_STORE))

        @app.get("/b/<name>")
        async def board_root(request, name):
            return Response.redirect("/b/%s/" % name) if name in self.links else \
                error(404, "no board %r" % name)

        @app.get("/b/<name>/schema")
        async def schema(request, name):
            return await self.read(request, name, self.schema)

        @app.get("/b/<name>/data")
        async def data(request, name):
            return await self.read(request, name, self.data)

        @app.get("/b/<name>/events")
        async def events(request, name):
            return await self.read(request, name, self.events)

        @app.post("/b/<name>/data")
        async def write(request, name):
            link = self.links.get(name)
            if link is None:
                return error(404, "no board %r" % name)
            return await self.relay(request, link, wire.DATA_PATH)

        @app.get("/b/<name>/history")
        async def history_(request, name):
            return self.refuse_hub(request) or await self.history(request, name)

        @app.get("/b/<name>/export.csv")
        async def export(request, name):
            return self.refuse_hub(request) or await self.export(request, name)

        @app.get("/b/<name>/hub_history.py")
        async def history_view(request, name):
            # The page's history view, served by the hub alone: a board's
            # bundle, which every board page loads, does not carry it.
            if name not in self.links:
                return error(404, "no board %r" % name)
            with open(HISTORY_VIEW, "rb") as f:
                source = f.read()
            return Response(source, headers={"Content-Type": "text/plain; charset=utf-8",
                                             "Cache-Control": "no-cache"})

        @app.get("/b/<name>/")
        async def page(request, name):
            return self.bundle(request, name, "/index.html")

        @app.get("/b/<name>/<path:path>")
        async def bundle_file(request, name, path):
            return self.bundle(request, name, "/" + path)

    # ---- a board's reads -------------------------------------------------

    async def read(self, request, name, answer):
        link = self.links.get(name)
        if link is None:
            return error(404, "no board %r" % name)
        if link.state == LOCKED:
            return await self.relay(request, link, "/" + request.path.rsplit("/", 1)[1])
        if link.state != ONLINE or link.mirror.schema is None:
            return error(502, "device unreachable (%s): %s" % (link.config.url,
                                                               link.reason or "connecting"))
        token = request.args.get("token") or _bearer(request.headers.get("Authorization"))
        if not await link.page_may_read(token):
            return error(401, "this dashboard needs its read token")
        return answer(request, link)

    def schema(self, request, link):
        schema = dict(link.mirror.schema)
        if self.db is not None:
            schema["history"] = "history"
        return Response(json.dumps(schema, separators=(",", ":")),
                        headers={"Content-Type": "application/json",
                                 "Cache-Control": "no-cache"})

    def data(self, request, link):
        since = link.mirror.resume(request.args)
        if since == link.mirror.version:
            return Response(status_code=204, headers=dict(NO_STORE))
        return Response(link.message(since or 0),
                        headers={"Content-Type": "application/json", "Cache-Control": "no-store"})

    def events(self, request, link):
        return Response(link.page_stream(link.mirror.resume(request.args)),
                        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})

    async def relay(self, request, link, path):
        """The request passed to the board, its answer passed back."""
        if request.query_string:
            path += "?" + request.query_string
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in NOT_RELAYED]
        try:
            status, answer, reader, writer = await upstream.open_request(
                link.config, request.method, path, headers, request.body or b"")
        except upstream.Unreachable as exc:
            return error(502, "device unreachable (%s): %s" % (link.config.url, exc))
        kept = {k.title(): v for k, v in answer.items() if k in ANSWER_HEADERS}

        async def body():
            try:
                while True:
                    chunk = await reader.read(65536)
                    if not chunk:
                        break
                    yield chunk
            finally:
                await upstream.close(writer)
        return Response(body(), status, kept)

    # ---- history ---------------------------------------------------------

    def _range(self, request):
        """(from, to) in ms of a request's from=&to= or range= (s)."""
        now = history.now_ms()
        args = request.args
        if "range" in args:
            seconds = float(args["range"])
            if not 0 < seconds <= MAX_RANGE_S:
                raise ValueError("range must be from 1 s to %d days" % (MAX_RANGE_S // 86400))
            return now - int(seconds * 1000), now + 1
        start = int(args.get("from", now - 86400 * 1000))
        end = int(args.get("to", now + 1))
        if end <= start:
            raise ValueError("to must be after from")
        return start, end

    async def history(self, request, name):
        if self.db is None:
            return error(404, "this hub keeps no history")
        widget = request.args.get("widget")
        if not widget:
            return error(400, "which widget? ?widget=ID")
        try:
            start, end = self._range(request)
            points = int(request.args.get("points", self.max_points))
        except ValueError as exc:
            return error(400, str(exc) if "must" in str(exc) else "from, to, range and points "
                         "are numbers")
        points = max(2, min(points, self.max_points))

        def query():
            with closing(self.db.reader()) as db:
                return history.query_range(db, name, widget, start, end, points)
        found = await asyncio.to_thread(query)
        if found is None:
            return error(404, "no history of %r on %r" % (widget, name))
        found.update({"widget": widget, "from": start, "to": end, "now": history.now_ms()})
        return Response(json.dumps(found, separators=(",", ":")),
                        headers={"Content-Type": "application/json", "Cache-Control": "no-store"})

    async def export(self, request, name):
        if self.db is None:
            return error(404, "this hub keeps no history")
        try:
            start, end = self._range(request)
        except ValueError as exc:
            return error(400, str(exc) if "must" in str(exc) else "from, to and range are numbers")
        widget = request.args.get("widget") or None
        db = self.db.reader()
        lines = history.export_csv(db, name, widget, start, end)

        async def body():
            try:
                for chunk in lines:
                    yield chunk.encode()
                    await asyncio.sleep(0)
            finally:
                db.close()
        filename = "%s%s.csv" % (name, "-" + widget if widget else "")
        return Response(body(), headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="%s"' % filename.replace('"', "")})

    # ---- the bundle ------------------------------------------------------

    def bundle(self, request, name, path):
        if name not in self.links:
            return error(404, "no board %r" % name)
        # Read per request: a rebuild while serving is picked up at once.
        try:
            with open(os.path.join(self.www, StaticFiles.manifest_name)) as f:
                entry = json.load(f).get(path)
        except OSError:
            return error(500, "no bundle in %s: run make build" % self.www)
        if entry is None:
            return error(404, "not found")
        headers = StaticFiles.headers(path, entry)
        if StaticFiles.unchanged(request.headers.get, entry):
            return Response(status_code=304, headers=headers)
        with open(self.www + path + ".gz", "rb") as f:
            body = f.read()
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
        else:
            body = gzip.decompress(body)
        headers["Content-Type"] = MIME_TYPES.get(path.rsplit(".", 1)[-1],
                                                 "application/octet-stream")
        return Response(body, headers=headers)

    # ---- running ---------------------------------------------------------

    async def serve(self, host, port, ready=None):
        """Serve until cancelled; ``ready()`` once listening."""
        server = asyncio.create_task(self.app.start_server(host, port))
        while getattr(self.app, "server", None) is None and not server.done():
            await asyncio.sleep(0.01)
        tasks = [asyncio.create_task(link.run()) for link in self.links.values()]
        if self.db is not None:
            tasks.append(asyncio.create_task(self.db.run()))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Stopped, the hub commits what it holds.
            loop.add_signal_handler(sig, server.cancel)
        if ready and not server.done():
            ready()
        try:
            await server
        except asyncio.CancelledError:
            pass
        finally:
            for task in tasks:
                task.cancel()
            # The pages' streams end as when their board goes offline, so
            # that no request is left for asyncio to cancel.
            for link in self.links.values():
                link.end_pages()
            await asyncio.sleep(0.1)
            if self.db is not None:
                self.db.close()


def _bearer(header):
    if header and header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    return None

