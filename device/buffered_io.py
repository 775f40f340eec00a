"""A connection as Microdot sees it: requests read in chunks, without the
headers nothing on the board reads, and each answer's head written at once.

Microdot reads a request's line and headers with ``readline()``, and
MicroPython's ``readline()`` on a socket reads one byte per call. Microdot
then makes some six strings of each header line, and MicroPython looks every
new string up among all the names of the code it has loaded: a browser's
User-Agent, Accept-Language and the like cost a board more than the answer.
Microdot also writes the status line and each header with a write of its
own, and each write is a pass through the scheduler and often a packet.
``buffer_connections(app)`` hands Microdot a reader that takes whatever the
socket has, splits the lines itself and drops those headers as bytes, and a
writer that holds the head of an answer until its blank line.
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


class BufferedWriter:
    """Holds what is written on a connection until the end of the answer's
    head (its blank line), then writes it at once. What follows goes
    straight through, so a stream or a WebSocket is never held back."""

    def __init__(self, stream):
        self.stream = stream
        self.head = []  # the head's parts until it ends; then None

    async def awrite(self, data):
        if self.head is None:
            await self.stream.awrite(data)
            return
        self.head.append(data)
        if data == b"\r\n" or data.endswith(b"\r\n\r\n"):
            await self.flush()

    async def flush(self):
        head, self.head = self.head, None
        if head:
            await self.stream.awrite(b"".join(head))

    async def aclose(self):
        await self.flush()
        await self.stream.aclose()

    def get_extra_info(self, name):
        return self.stream.get_extra_info(name)


def buffer_connections(app):
    """Make ``app`` (a Microdot) read and write every connection through a
    BufferedReader and a BufferedWriter."""
    from microdot import Request
    handle = app.handle_request

    async def handle_request(reader, writer):
        await handle(BufferedReader(reader, Request.max_readline), BufferedWriter(writer))

    app.handle_request = handle_request
