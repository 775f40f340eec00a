"""The board's HTTP server: Microdot, with the connection handling a board
needs to stay up on a network for months.

Microdot on its own starts a task per connection, with a request, its
headers and buffers, however many arrive: a browser opening six
connections for a cold page load beside a few polling pages exhausts a
board's heap. ``Server`` admits a request by one check: a free slot (one
of ``max_active``) and ``min_free`` bytes of heap free. Each slot reads
its request through one buffer held for good, which then gathers the
answer and carries the static files it sends. A connection waiting for a
slot is a socket and nothing else (no task, no stream), and past
``max_waiting`` of them a new one gets a short 503; while the heap is
short, connections wait in the TCP backlog. A request the heap turns out
too short for all the same (a ``MemoryError`` wherever it is served) is
dropped unanswered, which a page retries; a malformed one is answered
400. A client that sends its request too slowly, or stops taking its
answer, is dropped.

Requests are read in chunks: MicroPython's socket ``readline()`` reads one
byte per call. Header lines nothing on the board reads (a browser's
User-Agent, Accept-Language, ...) are dropped as bytes, before Microdot
makes strings of them: they cost a board more than the answer. An answer
is gathered in the same buffer and goes out in as few writes as it fills,
its head in one.

Microdot is used through its documented API (routes, error handlers,
``Request.create`` given a stream of the server's own,
``Response.already_handled``), and three parts it does not document,
each held by ``tests/test_microdot_pins.py``, which fails when Microdot
changes one: ``Microdot.dispatch_request(request)`` routes a request and
``Response.write(stream)`` writes its answer, as Microdot's own
``handle_request`` does; ``request.sock`` is the ``(reader, writer)``
given to ``Request.create``, as Microdot's WebSocket support relies on.
"""

import asyncio
import gc
import socket
from time import ticks_add, ticks_diff, ticks_ms

#: Bytes allocated between garbage collections (``gc.threshold``) while the
#: app loads, from the moment this module does (before Microdot) until
#: serving starts. Collected only when the heap runs out, the garbage of
#: loading modules fills all of it, and what outlives that garbage (the
#: modules' code, the widgets) is left scattered: the free heap is then in
#: pieces too small for a request (Microdot's takes blocks of 500 bytes).
#: Collected every few KB, garbage is reused where it lies and the free
#: heap stays in one piece. Serving goes back to the port's own rule:
#: collecting that often while serving would triple a request's CPU.
LOADING_GC_EVERY = 4096
try:
    _SERVING_GC_EVERY = gc.threshold()
    gc.threshold(LOADING_GC_EVERY)
except AttributeError:  # CPython collects by its own rules
    _SERVING_GC_EVERY = None

# asyncio loads its streams on first use: loaded here, with the app, rather
# than when serving starts, with the heap already in use.
from asyncio import StreamReader
from microdot import Microdot, Request, Response
from dashschema import wire

_BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         b"Retry-After: 1\r\nContent-Length: 41\r\n\r\n"
         b'{"error":"busy, try again","widget":null}')


def json_response(message, status=200, headers=None):
    """``message``: a dict, or one already encoded (bytes are sent as they
    are, with no copy made)."""
    if isinstance(message, dict):
        message = wire.encode(message)
    response = Response(message, status, headers)
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    return response


def json_parts(message, size=256):
    """``message``, a dict, as JSON in parts of about ``size`` bytes, a
    value of it that is a dict split at its own items: sent as Microdot's
    generator body, an answer then never needs one block of heap as large
    as itself, which a heap in use for long may no longer have."""
    part, comma = "{", ""
    for key in message:
        value = message[key]
        part += comma + wire.encode(key) + ":"
        comma = ","
        if not isinstance(value, dict):
            part += wire.encode(value)
            continue
        part += "{"
        inner = ""
        for name in value:
            piece = inner + wire.encode(name) + ":" + wire.encode(value[name])
            inner = ","
            if len(part) + len(piece) > size:
                yield part
                part = piece
            else:
                part += piece
        part += "}"
    yield part + "}"


def json_error(reason, status, widget=None):
    return json_response({"error": reason, "widget": widget}, status)


class Connection:
    """One client connection, the stream Microdot reads its request from and
    writes its answer to: a request's ``sock`` is ``(connection, connection)``.
    A body is read whole (up to ``Request.max_body_length``), not as a
    stream."""

    #: Request headers dropped unread, lowercase: what browsers send that
    #: neither Microdot nor the dashboard looks at. Take a name out to read
    #: that header in your own routes.
    skip_headers = (b"user-agent", b"accept", b"accept-language", b"referer",
                    b"cache-control", b"pragma", b"dnt", b"upgrade-insecure-requests",
                    b"priority", b"sec-ch-ua", b"sec-ch-ua-mobile", b"sec-ch-ua-platform",
                    b"sec-fetch-site", b"sec-fetch-mode", b"sec-fetch-dest",
                    b"sec-fetch-user", b"sec-purpose")

    # One per request slot, made when serving starts and used for one
    # connection after another: made per request, its attributes would
    # leave a trail of outgrown tables behind in the heap every time.
    def __init__(self, server):
        self.server = server
        #: The slot's buffer, a bytearray: requests are read into it, and
        #: answers are gathered in it once the request is read.
        self.buffer = bytearray(server.buffer_size)
        self._view = memoryview(self.buffer)
        self.open(None)

    def open(self, sock):
        """Start on a new connection (None: the slot is free)."""
        self.sock = sock
        self.stream = None if sock is None else StreamReader(sock)
        self._start = self._end = 0  # unread bytes: buffer[_start:_end]
        self._held = 0  # bytes of the answer gathered in the buffer
        #: ticks_ms by which the request must be read, or the write under
        #: way end; None while neither.
        self.deadline = ticks_add(ticks_ms(), self.server.read_timeout_s * 1000)
        self.task = None if sock is None else asyncio.current_task()

    async def take(self):
        """Hand the connection over for good (a live stream), once what was
        written to it is sent: Microdot and the server forget it, and the
        caller closes it (``sock.close()``, which needs no heap). Returns
        the asyncio stream."""
        await self.flush()
        self.sock = None
        return self.stream

    # ---- what Microdot reads ----------------------------------------------

    async def readline(self):
        while True:
            end = self.buffer.find(b"\n", self._start, self._end) + 1
            if end:
                line = bytes(self._view[self._start:end])
                self._start = end
                colon = line.find(b":")
                if colon < 0 or line[:colon].lower() not in self.skip_headers:
                    return line
                continue
            held = self._end - self._start
            if held == len(self.buffer):
                # A line must fit in the buffer: a longer one is refused
                # (400) before it costs any heap.
                raise ValueError("line too long")
            # What there is of the line moves to the front; the rest is read
            # in behind it.
            self.buffer[:held] = self._view[self._start:self._end]
            if not await self._fill(held):
                return bytes(self._view[:held])  # the connection ended mid-line

    async def readexactly(self, n):
        data = b""
        while len(data) < n:
            if self._start == self._end and not await self._fill():
                raise EOFError
            take = min(n - len(data), self._end - self._start)
            data += bytes(self._view[self._start:self._start + take])
            self._start += take
        return data

    async def _fill(self, n=0):
        """Read more behind the first ``n`` bytes of the buffer, which it
        holds of the request; the number read (0: the connection ended)."""
        got = await self.stream.readinto(self._view[n:])
        self._start, self._end = 0, n + (got or 0)
        return got

    # ---- what Microdot writes ---------------------------------------------

    async def awrite(self, data):
        # Gathered in the buffer, whose request has been read, and sent when
        # it is full or the answer ends: Microdot writes an answer's head a
        # line at a time, which would be a packet a line. A memoryview is a
        # static file's chunk, read into this very buffer once it was sent.
        if isinstance(data, memoryview):
            return await self._send(data)
        end = self._held + len(data)
        if end > len(self.buffer):
            await self.flush()
            end = len(data)
            if end > len(self.buffer):
                return await self._send(data)
        self.buffer[end - len(data):end] = data
        self._held = end

    async def flush(self):
        """Send what is gathered of the answer."""
        held, self._held = self._held, 0
        if held:
            await self._send(self._view[:held])

    async def _send(self, data):
        self.deadline = ticks_add(ticks_ms(), self.server.send_timeout_s * 1000)
        await self.stream.awrite(data)
        self.deadline = None



class Server(Microdot):
    #: Requests handled at once. Each holds a Microdot request and one
    #: ``buffer_size`` buffer; a live stream holds none once its head is out.
    max_active = 2
    #: Connections waiting for their turn, unread. Past this a new one is
    #: answered 503 at once (a page retries).
    max_waiting = 8
    #: Seconds a request's line, headers and body have, all together, to
    #: arrive once its turn comes; a client still sending then is dropped.
    read_timeout_s = 5
    #: Seconds one write of an answer may wait for the client to take it.
    send_timeout_s = 10
    #: Bytes of each request read at a time, and of a file sent at a time;
    #: also the longest request line or header line taken (longer: 400).
    buffer_size = 512
    #: Bytes of heap that must be free (after a collection) to take a
    #: connection, and to start its request once a slot is free: a Microdot
    #: request and its answer take about 3 KB on a 32-bit board, twice that
    #: on a 64-bit computer. Below it, connections wait in the TCP backlog
    #: or for their turn, for the requests under way to free their heap.
    min_free = 6 * 1024

    def __init__(self, allowed_origins=()):
        super().__init__()
        #: Origins (like "http://laptop.local:8000", or "*") whose pages may
        #: call the board besides its own; see ``foreign()``.
        self.allowed_origins = allowed_origins
        self._free = None  # the request slots' Connections not in use
        self._active = []
        self._waiting = []  # (socket, address) of the connections not yet served
        self._accepting = None  # the accept loop's task
        self._watching = False

    async def start_server(self, host="0.0.0.0", port=5000, debug=False, ssl=None):
        """Serve until ``shutdown()``. The accept loop is the server's own:
        asyncio's ends for good at the first allocation that fails while
        it takes a connection, leaving its socket listening with nobody
        accepting, where this one drops that connection and goes on."""
        if ssl:
            raise ValueError("splitdash serves plain HTTP")
        # Made before the first connection: at the heap's end they might
        # not be made at all.
        self._free = [Connection(self) for _ in range(self.max_active)]
        if _SERVING_GC_EVERY is not None:
            gc.threshold(_SERVING_GC_EVERY)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(socket.getaddrinfo(host, port)[0][-1])
        listener.listen(self.max_waiting)
        listener.setblocking(False)
        # A listening socket turns readable when a connection is pending;
        # reading it then fails at once (ENOTCONN), which is the signal.
        pending = StreamReader(listener)
        signal = bytearray(1)
        self._accepting = asyncio.current_task()
        try:
            while True:
                try:
                    held_back = not self._accept(listener)
                except MemoryError:
                    held_back = True
                if held_back or self._waiting:
                    # Looked at again shortly: the heap, or a slot, may have
                    # been freed by then.
                    await asyncio.sleep_ms(50)
                    continue
                try:
                    await pending.readinto(signal)
                except OSError:
                    pass
        except asyncio.CancelledError:
            if self._accepting is not None:
                raise  # our caller was cancelled, not shut down
        finally:
            self._accepting = None
            listener.close()
            for sock, _ in self._waiting:
                sock.close()
            self._waiting = []
        # As with Microdot's own server, the requests under way finish (their
        # time is bounded); a route may have called shutdown().
        while self._active:
            await asyncio.sleep_ms(10)

    def shutdown(self):
        task, self._accepting = self._accepting, None
        if task is not None:
            task.cancel()

    def _accept(self, listener):
        """Take the pending connections while the heap has room (a socket
        that could not be made once its connection is taken could never be
        closed): each waits its turn, or past ``max_waiting`` is refused.
        False when the heap held them back."""
        while self._room():
            try:
                sock, addr = listener.accept()
            except OSError:  # none left (EAGAIN)
                return True
            sock.setblocking(False)
            if len(self._waiting) < self.max_waiting:
                self._waiting.append((sock, addr))
            else:
                try:
                    sock.send(_BUSY)  # small enough for any socket's send buffer
                except OSError:
                    pass
                sock.close()
            self._next()
        return False

    def _next(self):
        """Start the connections waiting, as far as the slots and the heap allow."""
        while self._waiting and self._free and self._room():
            sock, addr = self._waiting.pop(0)
            connection = self._free.pop()
            try:
                asyncio.create_task(self._serve(sock, addr, connection))
            except MemoryError:
                self._free.append(connection)
                sock.close()

    async def _serve(self, sock, addr, connection):
        """One request, as Microdot's ``handle_request`` serves it, but with
        what it cannot tell apart kept apart: it answers 400 to a request it
        had no heap for, as to a malformed one."""
        try:
            connection.open(sock)
            self._active.append(connection)
            if not self._watching:
                asyncio.create_task(self._watch())
                self._watching = True  # once it exists: else the next request tries again
            try:
                request = await Request.create(self, connection, connection, addr)
            except (MemoryError, OSError, EOFError):
                raise
            except Exception:  # malformed: a line, a header, the query string
                response = json_error("bad request", 400)
            else:
                if request is None:
                    return  # the client sent nothing
                connection.deadline = None  # read in time
                if self.foreign(request):
                    response = json_error("requests from %s are not allowed"
                                          % request.headers["Origin"], 403)
                else:
                    response = await self.dispatch_request(request)
            if response is not Response.already_handled:
                await response.write(connection)
                await connection.flush()
        except asyncio.CancelledError:
            pass  # dropped by _watch: too slow
        except Exception as exc:
            # No heap left for it (MemoryError), or the client gone (OSError,
            # EOFError): dropped unanswered. A page retries it, where a 400
            # would leave it without the file, or refuse a write it should
            # have taken. Printed as it is: a repr() would need heap.
            print("splitdash: request dropped:", type(exc).__name__, exc)
        finally:
            if connection in self._active:
                self._active.remove(connection)
            # Closed here, whatever Microdot managed, unless taken: closing
            # the socket itself needs no heap, awaiting its stream's
            # aclose() does.
            if connection.sock is not None:
                sock.close()
            connection.open(None)
            self._free.append(connection)
            self._next()

    def allowed_origin(self, request):
        """The request's Origin when it is one of ``allowed_origins``, else None."""
        origin = request.headers.get("Origin")
        if origin and ("*" in self.allowed_origins or origin in self.allowed_origins):
            return origin
        return None

    def foreign(self, request):
        """Whether a request names another site's page as its origin. Such a
        page can send the board requests (a form, a no-cors fetch) without
        being allowed to read the answers: they are refused before they do
        anything, whatever their method."""
        origin = request.headers.get("Origin")
        return origin is not None and origin != "http://" + request.headers.get("Host", "") \
            and not self.allowed_origin(request)

    def _room(self):
        """The admission check: ``min_free`` bytes of heap free."""
        if gc.mem_free() < self.min_free:
            gc.collect()
        return gc.mem_free() >= self.min_free

    async def _watch(self):
        """Drop the connections whose read or write has run out of time,
        for as long as there are any."""
        while self._active:
            await asyncio.sleep_ms(250)
            now = ticks_ms()
            for connection in self._active:
                if connection.deadline is not None and \
                        ticks_diff(now, connection.deadline) > 0:
                    connection.deadline = None
                    connection.task.cancel()
        self._watching = False
