"""Requests read in chunks, without the headers nothing on the board reads.

Microdot reads a request's line and headers with ``readline()``, and
MicroPython's ``readline()`` on a socket reads one byte per call. Microdot
then makes some six strings of each header line, and MicroPython looks every
new string up among all the names of the code it has loaded: a browser's
User-Agent, Accept-Language and the like cost a board more than the answer.
``buffer_requests(app)`` hands Microdot a reader that takes whatever the
socket has, splits the lines itself and drops those headers as bytes.
"""


class BufferedReader:
    #: Bytes asked of the socket at a time.
    chunk_size = 512
    #: Request headers dropped unread, lowercase: what browsers send that
    #: neither Microdot nor the dashboard looks at. Take a name out to read
    #: that header in your own routes.
    skip_headers = (b"user-agent", b"accept", b"accept-language", b"referer",
                    b"cache-control", b"pragma", b"dnt", b"upgrade-insecure-requests",
                    b"priority")

    def __init__(self, stream, max_line):
        self.stream = stream
        self.max_line = max_line
        self.buf = b""
        self.pos = 0  # what is before it has been read

    def _held(self):
        return len(self.buf) - self.pos

    async def _fill(self, size):
        data = await self.stream.read(size)
        if data:
            self.buf = self.buf[self.pos:] + data
            self.pos = 0
        return data

    def _take(self, n):
        self.pos += n
        return self.buf[self.pos - n:self.pos]

    async def readline(self):
        while True:
            line = await self._line()
            colon = line.find(b":")
            if colon < 0 or line[:colon].lower() not in self.skip_headers:
                return line

    async def _line(self):
        searched = self.pos
        while True:
            end = self.buf.find(b"\n", searched) + 1
            if end:
                return self._take(end - self.pos)
            # A line that never ends must not grow the buffer without limit:
            # past the limit it goes to Microdot whole, which refuses it.
            if self._held() > self.max_line:
                return self._take(self._held())
            searched = len(self.buf) - self.pos  # where the new data starts, once filled
            if not await self._fill(self.chunk_size):
                return self._take(self._held())  # the connection ended mid-line

    async def readexactly(self, n):
        while self._held() < n:
            if not await self._fill(n - self._held()):
                raise EOFError
        return self._take(n)

    async def read(self, n=-1):
        if not self._held():
            return await self.stream.read(n)
        return self._take(self._held() if n < 0 else min(n, self._held()))


def buffer_requests(app):
    """Make ``app`` (a Microdot) read every request through a BufferedReader."""
    from microdot import Request
    handle = app.handle_request

    async def handle_request(reader, writer):
        await handle(BufferedReader(reader, Request.max_readline), writer)

    app.handle_request = handle_request
