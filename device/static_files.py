"""Serves the webapp bundle from the board's filesystem.

The build stores every file gzipped (``<name>.gz``) with a manifest of
content hashes, so the board does no compression and no hashing at run time.
Runtime files live under a versioned folder and are cached for good; app
files are revalidated with their ETag, so a reload moves almost nothing.
A file is sent through its connection's buffer (see ``server.py``), which
the board holds once: sending allocates nothing per chunk.
"""

import json

from microdot import Response

try:
    import deflate
except ImportError:
    deflate = None

MIME_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "wasm": "application/wasm",
    "py": "text/plain; charset=utf-8",
    "toml": "text/plain; charset=utf-8",
    "json": "application/json",
    "svg": "image/svg+xml",
}


class StaticFiles:
    #: File in the bundle folder mapping each URL path to
    #: [etag, gzip size, Last-Modified date], one path a line.
    manifest_name = "manifest.json"
    #: URL prefix of the versioned runtime files (PyScript, MicroPython-WASM).
    immutable_prefix = "/rt-"

    def __init__(self, root):
        self.root = root
        # Searched on flash per request, a line at a time: held in the heap,
        # even as text, it would take more than a request does.
        self.manifest = root + "/" + self.manifest_name
        try:
            open(self.manifest).close()
        except OSError:
            print("splitdash: no webapp bundle in %r; serving the JSON API only" % root)

    def add_routes(self, app):
        @app.get("/")
        async def index(request):
            return self.response(request, "/index.html")

        @app.get("/<path:path>")
        async def static(request, path):
            return self.response(request, "/" + path)

    def entry(self, path):
        """The manifest's entry for a URL path, or None."""
        if '"' in path:
            return None
        key = '"%s":' % path
        try:
            with open(self.manifest) as f:
                for line in f:
                    if line.startswith(key):
                        return json.loads(line[len(key):].rstrip().rstrip(","))
        except OSError:
            pass
        return None

    def response(self, request, path):
        # Only paths in the manifest are served: nothing else on the board's
        # filesystem can be reached, whatever the URL says.
        entry = self.entry(path)
        if entry is None:
            return {"error": "not found", "widget": None}, 404
        headers = self.headers(path, entry)
        if self.unchanged(request.headers.get, entry):
            return Response(status_code=304, headers=headers)
        headers["Content-Type"] = MIME_TYPES.get(path.rsplit(".", 1)[-1],
                                                 "application/octet-stream")
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        if gzipped:
            headers["Content-Encoding"] = "gzip"
            headers["Content-Length"] = str(entry[1])
        elif not deflate:
            return {"error": "this board can only send gzip", "widget": None}, 406
        return Response(_Chunks(self.root + path + ".gz", gzipped, request.sock[1]),
                        headers=headers)

    @classmethod
    def headers(cls, path, entry):
        """Caching headers of a bundle file, by its manifest entry."""
        if path.startswith(cls.immutable_prefix):
            cache = "public, max-age=31536000, immutable"
        else:
            cache = "no-cache"
        return {"ETag": '"%s"' % entry[0], "Last-Modified": entry[2],
                "Cache-Control": cache, "Vary": "Accept-Encoding"}

    @staticmethod
    def unchanged(get_header, entry):
        """Whether the client's copy is current (answer 304)."""
        # Chromium does not send If-None-Match for a page or fetch() answered
        # over HTTP/1.0, as Microdot answers, but it does send If-Modified-Since.
        return get_header("If-None-Match") == '"%s"' % entry[0] or \
            get_header("If-Modified-Since") == entry[2]


class _Chunks:
    """A file as Microdot's streaming body (an asynchronous iterator), read
    chunk by chunk into its connection's buffer once what the buffer holds
    of the answer is sent: read plainly, every chunk would be a new bytes
    object. Opened only when the body is sent (not for a HEAD request)."""

    def __init__(self, path, gzipped, connection):
        self.path = path
        self.gzipped = gzipped
        self.connection = connection
        self.f = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        await self.connection.flush()
        if self.f is None:
            self.f = open(self.path, "rb")
            if not self.gzipped:
                self.f = deflate.DeflateIO(self.f, deflate.GZIP, 0, True)  # closes the file too
            self.buf = memoryview(self.connection.buffer)
        n = self.f.readinto(self.buf)
        if not n:
            raise StopAsyncIteration
        return self.buf[:n]

    async def aclose(self):
        if self.f is not None:
            self.f.close()
