"""The benchmark's clients: one thread per browser, each following the
dashboard the way that contender's own page does, counting the bytes it
moves and how late each label value reaches it.

Every label value is the device's clock in ms (modulo STAMP_MOD) when it
was set; client and device share the host's clock.
"""

import json
import random
import socket
import threading
import time

STAMP_MOD = 10000000  # as in bench/devices/workload.py
# What Chromium sends with a request to a board, so that bytes on the wire
# count what a browser really costs per request.
BROWSER_HEADERS = (
    "Host: 192.168.4.1\r\n"
    "Connection: keep-alive\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36\r\n"
    "Accept: */*\r\n"
    "Referer: http://192.168.4.1/\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
)


def now_ms():
    return time.time_ns() // 1000000


class HTTPError(OSError):
    pass


class Client(threading.Thread):
    """One page's traffic. Counts only while ``measuring`` is set."""

    #: How a contender's page keeps up: ("stream", ...) or ("poll", seconds, paths).
    FOLLOW = {
        # splitdash's page: the stream; past the device's stream cap, delta
        # polls as often as the schema says and the stream tried again every 10 s.
        "splitdash": ("stream", 10.0),
        # micropidash's page: both every 1.2 s.
        "micropidash": ("poll", 1.2, ("/data", "/graph-data")),
        # Raw Microdot: the full state once a second.
        "microdot": ("poll", 1.0, ("/data",)),
        # The chart rows (bench/devices/*_charts_app.py): as above.
        "splitdash_charts": ("stream", 10.0),
        "micropidash_charts": ("poll", 1.2, ("/data", "/graph-data")),
    }

    def __init__(self, port, contender, stop):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.stop = port, stop
        self.follow = self.FOLLOW[contender]
        self.measuring = False
        self.bytes = 0
        self.errors = []
        self.latencies_ms = []
        self.seen_at = []  # when each new value arrived, for the sync check
        self.streamed = False  # the device took this page's stream
        self._last = None

    # ---- what every page does ------------------------------------------

    def run(self):
        while not self.stop.is_set():
            try:
                if self.follow[0] == "stream":
                    self.follow_stream()
                else:
                    self.poll_full()
            except (OSError, ValueError, KeyError) as exc:
                if self.stop.is_set():
                    return
                # As a page would: note it, and carry on a second later.
                self.errors.append(repr(exc))
                self.stop.wait(1)

    def saw(self, stamp):
        stamp = int(stamp)
        if stamp != self._last:
            self._last = stamp
            if self.measuring:
                self.latencies_ms.append((now_ms() - stamp) % STAMP_MOD)
                self.seen_at.append(time.time())

    def count(self, n):
        if self.measuring:
            self.bytes += n

    def request(self, path):
        """Send one GET; returns the open socket."""
        request = ("GET %s HTTP/1.1\r\n%s\r\n" % (path, BROWSER_HEADERS)).encode()
        sock = socket.create_connection(("127.0.0.1", self.port), 10)
        sock.sendall(request)
        self.count(len(request))
        return sock

    def get(self, path):
        """One whole exchange (every contender closes the connection after
        it): (status, body)."""
        sock = self.request(path)
        raw = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                raw += chunk
        finally:
            sock.close()
        self.count(len(raw))
        head, _, body = raw.partition(b"\r\n\r\n")
        if not head:
            raise HTTPError("connection closed with no answer to %s" % path)
        return int(head.split(b" ", 2)[1]), body

    # ---- micropidash and raw Microdot: full state on a timer ---------

    def every(self, interval):
        """Yield about once per ``interval``, as a page's timer does.

        A page's timer starts at a random moment and runs on its own clock,
        so over time its polls fall at every phase of the device's updates;
        with a fixed phase, a short run would measure one arbitrary latency."""
        due = time.time() + random.uniform(0, interval)
        while not self.stop.wait(max(0, due - time.time())):
            yield
            due = max(due, time.time()) + interval * random.uniform(0.95, 1.05)

    def poll_full(self):
        _, interval, paths = self.follow
        for _ in self.every(interval):
            for path in paths:
                status, body = self.get(path)
                if status != 200:
                    raise HTTPError("%d for %s" % (status, path))
                if path == "/data":
                    value = json.loads(body)["l0"]
                    # micropidash wraps each value: {"type": ..., "value": ...}
                    self.saw(value["value"] if isinstance(value, dict) else value)

    # ---- splitdash: the stream, else delta polls ---------------------

    def follow_stream(self):
        _, retry_s = self.follow
        status, body = self.get("/schema")  # as the page starts
        if status != 200:
            raise HTTPError("%d for /schema" % status)
        poll_s = json.loads(body)["poll_s"]
        state = {"boot": None, "version": 0}
        while not self.stop.is_set():
            if not self.stream(state):
                # Refused: poll for a while, then try the stream again.
                until = time.time() + retry_s
                for _ in self.every(poll_s):
                    self.poll_delta(state)
                    if time.time() > until:
                        break

    def _since(self, state):
        return "?boot=%s&since=%d" % (state["boot"], state["version"]) if state["boot"] else ""

    def receive(self, state, message):
        state["boot"], state["version"] = message["boot"], message["version"]
        if "l0" in message["values"]:
            self.saw(message["values"]["l0"])

    def poll_delta(self, state):
        status, body = self.get("/data" + self._since(state))
        if status == 200:
            self.receive(state, json.loads(body))
        elif status != 204:
            raise HTTPError("%d for /data" % status)

    def stream(self, state):
        """Follow /events until told to stop; False when it is refused."""
        sock = self.request("/events" + self._since(state))
        try:
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(4096)
                if not chunk:
                    raise HTTPError("stream closed before its headers")
                self.count(len(chunk))
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            status = int(head.split(b" ", 2)[1])
            if status == 503:
                while True:  # the refusal's body
                    chunk = sock.recv(4096)
                    if not chunk:
                        return False
                    self.count(len(chunk))
            if status != 200:
                raise HTTPError("%d for /events" % status)
            self.streamed = True
            sock.settimeout(0.5)  # to notice the harness stopping
            while not self.stop.is_set():
                while b"\n\n" in buf:
                    event, buf = buf.split(b"\n\n", 1)
                    if event.startswith(b"data: "):  # not a ping
                        self.receive(state, json.loads(event[6:]))
                try:
                    chunk = sock.recv(4096)
                except socket.timeout:
                    continue
                if not chunk:
                    raise HTTPError("stream closed by the device")
                self.count(len(chunk))
                buf += chunk
            return True
        finally:
            sock.close()


class BackToBack(Client):
    """A client polling ``path`` with no pause between its requests, as a
    page does that finds the board back after a restart. Counts the answers
    and the requests that failed (anything but 200, or no answer)."""

    def __init__(self, port, stop, path="/data"):
        Client.__init__(self, port, "microdot", stop)
        self.path = path
        self.answers = 0

    def run(self):
        while not self.stop.is_set():
            try:
                status, _ = self.get(self.path)
                if status == 200:
                    self.answers += 1
                else:
                    self.errors.append("%d for %s" % (status, self.path))
            except OSError as exc:
                if self.stop.is_set():
                    return
                self.errors.append(repr(exc))
