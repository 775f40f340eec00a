"""The load a board sees, against one device app on the 32-bit unix port
(a board's object sizes), its libraries as ``.mpy`` from the filesystem or
from a ROMFS image, and the smallest heap that serves it.

The load, as a board on a network sees it, with an ESP32's caps (4 live
streams; bench/devices/load_probe.py sets them in the app):

- PAGES pages open: the first four on their streams, the others polling
  ``/data`` every ``poll_s`` and trying the stream again every 10 s, as
  the page does past the board's stream cap;
- cold loads from a fresh browser, one after another: every file of the
  bundle (build/board/www/manifest.json; PyScript fetches every Python
  file of its config) over BROWSER_CONNECTIONS connections at once, as
  Chromium does, then ``/schema`` and the live state;
- two writers, each a write every WRITE_PAUSE_S (5 a second), valid and
  invalid at random (seeded): a valid one must be answered 200 and reach
  every page, an invalid one 400 naming the widget, and no page may ever
  see a value the widget refuses.

Every request is retried as the page retries it (index.html's fetch
wrapper): answered 503 or dropped, again 200 ms later, then 400, 800,
1600, 3200 ms; a request still not answered then is a failure. The load
runs in rounds; after each, once every page holds the writers' last values,
the device is asked its free heap after a collection (``GET /heap``). A
try fails at a request not answered, a wrong write, a page left behind, a
task ended by an exception (the device's console), the device gone, or
free heap lost from the first rounds to the last (DRIFT_LIMIT). A request
the device drops for want of heap, and the page's retry gets answered, is
no failure: the console's MemoryErrors are counted ("dropped").

The rows (ROWS): six widgets of the first six kinds, the demo (every kind,
two 240-point charts full, a log), 20 widgets under clients polling back to
back, 30 widgets bridged to MQTT. ``make bench`` prints the smallest heap
of each (bench/run.py); tests/test_heap_targets.py holds each at its ``held`` heap
under a shorter load (TEST_LOAD).

    python bench/board_load.py [--row NAME ...] [--romfs] [--heap 64K]
                               [--minutes M] [--contender NAME]

With ``--heap``, one try at that heap (``--minutes``: the load for that
long, its cold loads spread over it, as a soak); without, the smallest heap.
"""

import argparse
import json
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from clients import BROWSER_HEADERS
from runtime import BENCH, BOARD, MICROPYTHON32, Device, build

#: Pages open throughout; the first ESP32_STREAMS of them stream.
PAGES = 8
ESP32_STREAMS = 4
#: Chromium's connections to one host at a time.
BROWSER_CONNECTIONS = 6
#: Seconds between a writer's writes.
WRITE_PAUSE_S = 0.2
#: The page's retries of a request answered 503 or dropped, in ms after
#: the failed try (webapp/index.html's fetch wrapper).
RETRY_MS = (200, 400, 800, 1600, 3200)
#: Seconds a page may take to hold the writers' last values after a round
#: (a polling page polls every 2 s, and a failed poll waits for the next).
CATCH_UP_S = 20
#: Free heap (bytes, after a collection) a later round may have less than
#: the first and still count as not drifting; the most of HEAP_ASKS asks.
DRIFT_LIMIT = 1024
HEAP_ASKS = 3
#: Seconds a request may wait for its answer to start, or for more of it:
#: a board serves one in well under a second, or has stopped serving.
ANSWER_S = 5
#: Seconds a round may take at most, whatever the device does.
ROUND_LIMIT_S = 300


class Load:
    """How much of the load a try runs: ``rounds`` rounds, each of
    ``loads`` cold loads one after another while each writer makes
    ``writes`` writes; or, for the back-to-back row, ``polls`` requests
    by each client."""

    def __init__(self, rounds, loads, writes, polls):
        self.rounds, self.loads, self.writes, self.polls = rounds, loads, writes, polls


#: make bench's load: 10 cold loads and 50 writes a writer, in two rounds;
#: 500 requests a client back to back.
BENCH_LOAD = Load(2, 5, 25, 500)
#: The tests' load: 4 cold loads and 20 writes a writer, in two rounds; 200
#: requests a client back to back.
TEST_LOAD = Load(2, 2, 10, 200)


def soak_load(minutes):
    """A load lasting about ``minutes``: a round a minute, one cold load
    and a minute's writes each."""
    return Load(max(2, int(minutes)), 1, int(60 / WRITE_PAUSE_S), 500)


#: What writers write, by widget kind: (valid values, invalid ones).
SLIDER_0_100_5 = ([v for v in range(0, 101, 5)], [37, 2, 99, 105, -5, 1000000, "50", None, [50]])
SLIDER_0_100_1 = ([v for v in range(0, 101, 7)], [37.5, 101, -1, "50", None, [50], True])
TOGGLE = ([True, False], [1, 0, 0.5, "true", "on", None])


class Row:
    """A row of the table: its device app (bench/devices/<app>_app.py, run
    in the board's folder), its load, its target heap in KB from the
    filesystem and from ROMFS (``targets``; None: no target), the heap
    tests/test_heap_targets.py holds it at (``held``: the target once met,
    until then the smallest heap it serves from, so that it only goes
    down), and its peers' apps."""

    def __init__(self, name, title, app, targets, held, writes=(), back_to_back=False,
                 peers=(), mqtt=False):
        self.name, self.title, self.app, self.targets = name, title, app, targets
        self.held = held
        self.writes = writes  # ((widget id, (valid, invalid)), ...)
        self.back_to_back = back_to_back
        self.peers = peers  # ((name, contender), ...)
        self.mqtt = mqtt


ROWS = [
    Row("six", "six widgets of the first six kinds", "six", {"fs": 56, "romfs": 40},
        {"fs": 72, "romfs": 48},
        writes=(("led", SLIDER_0_100_5), ("fan", TOGGLE)),
        peers=(("micropidash", "micropidash_six"),)),
    Row("demo", "the demo (every kind, two 240-point charts full, a log)", "demo_load",
        {"fs": 88, "romfs": 56}, {"fs": 112, "romfs": 80}, writes=(("led", SLIDER_0_100_5), ("fan", TOGGLE))),
    Row("twenty", "20 widgets, %d clients polling `/data` back to back" % PAGES, "splitdash",
        {"fs": 64, "romfs": None}, {"fs": 72, "romfs": None}, back_to_back=True,
        peers=(("micropidash", "micropidash"), ("microdot", "microdot"))),
    Row("thirty", "30 widgets bridged to MQTT", "thirty", {"fs": 72, "romfs": None}, {"fs": 96, "romfs": None},
        writes=(("s0", SLIDER_0_100_1), ("t0", TOGGLE)), mqtt=True),
]
ROW = dict((row.name, row) for row in ROWS)


# ---- HTTP as a browser sends it ---------------------------------------

class Dropped(OSError):
    """The connection closed with no answer, or with its body cut short."""


class Busy(Exception):
    """Answered 503."""


def exchange(port, method, path, body=None, headers=""):
    """One request on a new connection: (status, body). Raises Dropped."""
    data = b"" if body is None else json.dumps(body).encode()
    head = "%s %s HTTP/1.1\r\nHost: board.test:%d\r\n%s%s" % (
        method, path, port, BROWSER_HEADERS.split("\r\n", 1)[1], headers)
    if body is not None:
        head += "Origin: http://board.test:%d\r\nContent-Type: application/json\r\n" \
                "Content-Length: %d\r\n" % (port, len(data))
    raw = b""
    try:
        with socket.create_connection(("127.0.0.1", port), ANSWER_S) as sock:
            sock.sendall(head.encode() + b"\r\n" + data)
            while True:
                chunk = sock.recv(16384)
                if not chunk:
                    break
                raw += chunk
    except OSError as exc:  # refused, reset, timed out
        raise Dropped("%s %s: %r" % (method, path, exc))
    head, _, content = raw.partition(b"\r\n\r\n")
    if not head:
        raise Dropped("%s %s: no answer" % (method, path))
    length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
    if length and int(length.group(1)) != len(content):
        raise Dropped("%s %s: %d bytes of %s" % (method, path, len(content), length.group(1)))
    return int(head.split(b" ", 2)[1]), content


class Tally:
    """Requests made, retried and failed, shared by every client of a try."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.retries = 0
        self.failures = []  # what went wrong, in words

    def fail(self, why):
        with self.lock:
            self.failures.append(why)

    def fetch(self, port, method, path, body=None, headers="", parse=False):
        """A request, retried as the page retries it: (status, body), or
        None once it failed every try (noted), or once another has (the
        try has failed: the clients stop at once). ``parse``: the body is
        JSON, returned parsed; one cut short (an answer sent in parts, with
        no Content-Length) counts as dropped."""
        with self.lock:
            self.requests += 1
        why = None
        for wait_ms in RETRY_MS + (None,):
            if self.failures:
                return None
            try:
                status, content = exchange(port, method, path, body, headers)
                if status != 503:
                    if parse and status != 204:
                        try:
                            content = json.loads(content)
                        except ValueError:
                            raise Dropped("%s %s: %d, its JSON cut short" % (method, path, status))
                    return status, content
                why = "%s %s: 503" % (method, path)
            except Dropped as exc:
                why = str(exc)
            if wait_ms is None:
                break
            with self.lock:
                self.retries += 1
            time.sleep(wait_ms / 1000)
        self.fail("not answered after %d tries: %s" % (len(RETRY_MS) + 1, why))
        return None


# ---- the clients -------------------------------------------------------

class Page(threading.Thread):
    """An open page: the schema, then its stream, or polls while the board
    refuses it one; it holds every value it is sent, and remembers each
    value the written widgets took."""

    def __init__(self, port, tally, stop, written):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.tally, self.stop = port, tally, stop
        self.values = {}
        self.seen = dict((wid, set()) for wid in written)  # as JSON
        self.boot, self.version = None, 0
        self.poll_s = 2
        self.streamed = self.stream_ends = 0
        self.ready = threading.Event()  # its first state is in

    def receive(self, message):
        self.boot, self.version = message["boot"], message["version"]
        for wid, value in message["values"].items():
            self.values[wid] = value
            if wid in self.seen:
                self.seen[wid].add(json.dumps(value))
        self.ready.set()

    def since(self):
        return "?boot=%s&since=%d" % (self.boot, self.version) if self.boot else ""

    def run(self):
        try:
            self.follow()
        except Exception as exc:  # what the harness did not foresee: a failure too
            self.tally.fail("a page: %r" % exc)

    def follow(self):
        got = self.tally.fetch(self.port, "GET", "/schema", parse=True)
        if got is None or got[0] != 200:
            self.tally.fail("a page's schema: %s" % (got and got[0]))
            return
        self.poll_s = got[1]["poll_s"]
        while not self.stop.is_set():
            if not self.follow_stream():
                until = time.time() + 10  # DeviceLink.retry_stream_s
                while time.time() < until and not self.stop.is_set():
                    self.poll()
                    self.stop.wait(self.poll_s)

    def poll(self):
        got = self.tally.fetch(self.port, "GET", "/data" + self.since(), parse=True)
        if got is None:
            return
        if got[0] == 200:
            self.receive(got[1])
        elif got[0] != 204:
            self.tally.fail("a page's poll answered %d" % got[0])

    def follow_stream(self):
        """Follow /events until stopped or dropped; False when refused."""
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), 10)
        except OSError:
            return False
        try:
            sock.sendall(("GET /events%s HTTP/1.1\r\nHost: board.test:%d\r\n"
                          "Accept: text/event-stream\r\n\r\n"
                          % (self.since(), self.port)).encode())
            sock.settimeout(0.5)  # to notice the harness stopping
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = self._recv(sock)
                if chunk is None:
                    return True  # stopped
                if not chunk:
                    return False  # refused (503 then closed) or dropped
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            if int(head.split(b" ", 2)[1]) != 200:
                return False
            self.streamed += 1
            while not self.stop.is_set():
                while b"\n\n" in buf:
                    event, buf = buf.split(b"\n\n", 1)
                    if event.startswith(b"data: "):
                        self.receive(json.loads(event[6:]))
                chunk = self._recv(sock)
                if chunk is None:
                    return True
                if not chunk:
                    self.stream_ends += 1  # the board closed it: the page polls
                    return False
                buf += chunk
            return True
        except OSError:
            self.stream_ends += 1
            return False
        finally:
            sock.close()

    def _recv(self, sock):
        """Bytes, b"" at the end, None once the harness stops."""
        while not self.stop.is_set():
            try:
                return sock.recv(16384)
            except socket.timeout:
                pass
        return None


class Writer:
    """Writes one widget ``count`` times a round (``run``), valid and invalid
    values at random (seeded), checking each answer."""

    def __init__(self, port, tally, wid, values, count, seed):
        self.port, self.tally, self.wid = port, tally, wid
        self.valid, self.invalid = values
        self.count = count
        self.random = random.Random(seed)
        self.value = None  # the last valid value written
        self.applied = self.refused = 0

    def run(self):
        due = time.time()
        for _ in range(self.count):
            if self.tally.failures:
                return
            self.write_once()
            # A write every WRITE_PAUSE_S, however long the last one took.
            due = max(due + WRITE_PAUSE_S, time.time())
            time.sleep(max(0, due - time.time()))

    def write_once(self):
        valid = self.random.random() < 0.5
        if valid:
            value = self.random.choice([v for v in self.valid if v != self.value])
        else:
            value = self.random.choice(self.invalid)
        got = self.tally.fetch(self.port, "POST", "/data", {self.wid: value}, parse=True)
        if got is None:
            return
        status, answer = got
        if valid and status == 200 and isinstance(answer, dict) and "version" in answer:
            self.value = value
            self.applied += 1
        elif not valid and status == 400 and isinstance(answer, dict) \
                and answer.get("widget") == self.wid and answer.get("error"):
            self.refused += 1
        else:
            self.tally.fail("%s write of %s=%r answered %d %r" % (
                "a valid" if valid else "an invalid", self.wid, value, status, answer))


class ColdLoad:
    """A fresh browser loading the page: the bundle's files over
    BROWSER_CONNECTIONS connections, then the schema and the live state."""

    def __init__(self, port, tally, www=os.path.join(BOARD, "www")):
        self.port, self.tally = port, tally
        with open(os.path.join(www, "manifest.json")) as f:
            manifest = json.load(f)
        # The page, then its files in the order its scripts ask for them.
        self.files = [(path, manifest[path][1]) for path in manifest if path != "/index.html"]
        self.files.sort(key=lambda pf: (not pf[0].endswith(".css"), not pf[0].endswith(".js"),
                                        not pf[0].endswith(".toml"), "/py/" in pf[0]))
        self.index_size = manifest["/index.html"][1]

    def run(self):
        """None once the page holds the live state, else why not."""
        if not self.get("/", self.index_size):
            return "no page"
        with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
            if not all(pool.map(lambda pf: self.get(*pf), self.files)):
                return "a file of the bundle"
        got = self.tally.fetch(self.port, "GET", "/schema", parse=True)
        if got is None or got[0] != 200:
            return "no schema"
        # Its stream is refused (the open pages hold every slot): its first poll.
        got = self.tally.fetch(self.port, "GET", "/data", parse=True)
        if got is None or got[0] != 200 or "values" not in got[1]:
            return "no state"
        return None

    def get(self, path, size):
        got = self.tally.fetch(self.port, "GET", path)
        if got is None:
            return False
        if got[0] != 200 or len(got[1]) != size:
            self.tally.fail("%s answered %d, %d bytes of %d" % (path, got[0], len(got[1]), size))
            return False
        return True


class MicropidashPage(threading.Thread):
    """An open micropidash page: ``/data`` and ``/graph-data`` every 1.2 s."""

    def __init__(self, port, tally, stop):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.tally, self.stop = port, tally, stop
        self.values = {}
        self.ready = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for path in ("/data", "/graph-data"):
                got = self.tally.fetch(self.port, "GET", path, parse=True)
                if got is not None and got[0] == 200 and path == "/data":
                    self.values = dict((k, v["value"]) for k, v in got[1].items())
                    self.ready.set()
            self.stop.wait(1.2)


class MicropidashWriter:
    """micropidash's write: a toggle flipped (``/?<id>=toggle``), which it
    answers 200 with nothing to check; it has no invalid write to refuse."""

    def __init__(self, port, tally, wid, count):
        self.port, self.tally, self.wid, self.count = port, tally, wid, count
        self.value = 0
        self.applied = self.refused = 0

    def run(self):
        for _ in range(self.count):
            got = self.tally.fetch(self.port, "GET", "/?%s=toggle" % self.wid)
            if got is not None and got[0] == 200:
                self.value ^= 1
                self.applied += 1
            time.sleep(WRITE_PAUSE_S)


class MicropidashColdLoad:
    """A fresh browser loading micropidash's page: the page, then its polls."""

    def __init__(self, port, tally):
        self.port, self.tally = port, tally

    def run(self):
        for path in ("/", "/data", "/graph-data"):
            got = self.tally.fetch(self.port, "GET", path)
            if got is None or got[0] != 200:
                return "%s: %s" % (path, got and got[0])
        return None


# ---- the device's side ------------------------------------------------

def console_failure(output):
    """Why the device's console says it did not serve the load, or None: a
    task ended by an exception. (A request the heap had no room for is
    dropped, and the page retries it; Microdot prints the traceback of one
    it could not make.)"""
    for line in output.splitlines():
        if "Task exception wasn't retrieved" in line:
            return line.strip()
    return None


def dropped_requests(output):
    """Requests the device dropped for want of heap, by its console."""
    return sum(1 for line in output.splitlines() if "MemoryError" in line)


class MqttWatch:
    """The broker's side of the MQTT row: a broker on a free port, and a
    client holding the last payload of every topic."""

    def __init__(self):
        import paho.mqtt.client as mqtt
        from mqtt_rows import Broker
        self.broker = Broker()
        self.last = {}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda c, u, m: self.last.__setitem__(
            m.topic, m.payload.decode())
        self.client.connect("127.0.0.1", self.broker.port)
        self.client.subscribe("#", qos=1)
        self.client.loop_start()

    def configs(self):
        return sum(1 for topic in list(self.last) if topic.endswith("/config"))

    def state(self, wid):
        return self.last.get("splitdash/bench/%s/state" % wid)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()
        self.broker.stop()


def mqtt_text(value):
    return ("ON" if value else "OFF") if isinstance(value, bool) else str(value)


def wait_for(check, seconds):
    deadline = time.time() + seconds
    while not check():
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


# ---- a try -------------------------------------------------------------

def run_load(row, kb, romfs=False, contender="splitdash", load=BENCH_LOAD, folder=BENCH,
             micropython=MICROPYTHON32, log=None):
    """One try of ``row``'s load at ``kb`` KB of heap: a dict with "why"
    (None when it served the load) and what was measured."""
    app = row.app if contender == "splitdash" else dict(row.peers)[contender]
    if row.back_to_back:
        return _back_to_back(app, kb, romfs, folder, micropython, load.polls)
    watch = MqttWatch() if row.mqtt else None
    try:
        args = (str(watch.broker.port),) if watch else ()
        try:
            device = Device(app, "%dK" % kb, args=args, micropython=micropython, romfs=romfs,
                            folder=folder)
        except RuntimeError as exc:
            return {"why": str(exc)}
        try:
            return _serve_load(device, row, contender, load, watch, log or (lambda s: None))
        finally:
            device.stop()
    finally:
        if watch:
            watch.close()


def _back_to_back(app, kb, romfs, folder, micropython, count):
    """PAGES clients, ``count`` requests each of ``/data``, back to back."""
    try:
        device = Device(app, "%dK" % kb, micropython=micropython, romfs=romfs, folder=folder)
    except RuntimeError as exc:
        return {"why": str(exc)}
    tally = Tally()
    try:
        def poll(_):
            for _ in range(count):
                got = tally.fetch(device.port, "GET", "/data", parse=True)
                if got is not None and got[0] != 200:
                    tally.fail("/data answered %d" % got[0])
        with ThreadPoolExecutor(PAGES) as pool:
            list(pool.map(poll, range(PAGES)))
        output = device.output()
        why = tally.failures[0] if tally.failures else console_failure(output)
        if not why and device.proc.poll() is not None:
            why = "the device exited"
        return {"why": why, "requests": tally.requests, "retries": tally.retries,
                "failures": len(tally.failures), "dropped": dropped_requests(output)}
    finally:
        device.stop()


def _serve_load(device, row, contender, load, watch, log):
    started = time.time()
    tally, stop = Tally(), threading.Event()
    written = [wid for wid, _ in row.writes]
    ours = contender == "splitdash"
    pages = []
    result = {"why": None, "heap": []}

    def failed():
        """The first reason this try failed so far, or None."""
        why = tally.failures[0] if tally.failures else console_failure(device.output())
        if not why and device.proc.poll() is not None:
            why = "the device exited"
        if not why and time.time() - started > ROUND_LIMIT_S * load.rounds:
            why = "over %d s" % (ROUND_LIMIT_S * load.rounds)
        return why

    try:
        if watch and not wait_for(lambda: watch.configs() >= 30 or failed(), 30):
            return dict(result, why="the bridge published %d configs of 30" % watch.configs())
        # Opened one by one, so that the first ESP32_STREAMS are the ones streaming.
        for _ in range(PAGES):
            page = Page(device.port, tally, stop, written) if ours else \
                MicropidashPage(device.port, tally, stop)
            pages.append(page)
            page.start()
            if not wait_for(lambda: page.ready.is_set() or failed(), 30) or failed():
                return dict(result, why=failed() or "a page got no state")
        if ours:
            streaming = sum(1 for p in pages if p.streamed)
            if streaming != ESP32_STREAMS:
                return dict(result, why="%d pages streaming, not %d" % (streaming, ESP32_STREAMS))
        if ours:
            writers = [Writer(device.port, tally, wid, values, load.writes, seed)
                       for seed, (wid, values) in enumerate(row.writes)]
            cold = ColdLoad(device.port, tally)
        else:
            writers = [MicropidashWriter(device.port, tally, wid, load.writes)
                       for wid in ("fan", "reset")]
            cold = MicropidashColdLoad(device.port, tally)
        for n in range(load.rounds):
            threads = [threading.Thread(target=w.run, daemon=True) for w in writers]
            for t in threads:
                t.start()
            for i in range(load.loads):
                why = cold.run()
                if why or failed():
                    return dict(result, why=failed() or "cold load %d: %s" % (i + 1, why))
            for t in threads:
                while t.is_alive() and not failed():
                    t.join(0.5)
            if failed():
                return dict(result, why=failed())
            why = _caught_up(pages, writers, watch, ours, failed)
            if why:
                return dict(result, why=why)
            if ours:
                free = _free_heap(device.port, tally)
                if free is None:
                    return dict(result, why=failed() or "no heap report")
                result["heap"].append(free)
            log("    round %d: %s" % (n + 1, result["heap"][-1:]))
        stop.set()
        output = device.output()
        result.update(requests=tally.requests, retries=tally.retries,
                      dropped=dropped_requests(output),
                      applied=sum(w.applied for w in writers),
                      refused=sum(w.refused for w in writers),
                      stream_ends=sum(getattr(p, "stream_ends", 0) for p in pages),
                      block=_largest_block(output), seconds=time.time() - started)
        if ours:
            result["drift"] = drift(result["heap"])
            if result["drift"] >= DRIFT_LIMIT:
                return dict(result, why="free heap fell by %d bytes over the rounds (%s)"
                            % (result["drift"], result["heap"]))
        result["why"] = failed()
        return result
    finally:
        stop.set()


def _free_heap(port, tally):
    """The device's free heap after a collection, the most of HEAP_ASKS
    asks: an answer on its way when one is asked holds heap for a moment
    (a full state a few KB), which is not what the device keeps."""
    free = []
    for _ in range(HEAP_ASKS):
        got = tally.fetch(port, "GET", "/heap", parse=True)
        if got is None or got[0] != 200:
            return None
        free.append(got[1]["free"])
        time.sleep(0.3)
    return max(free)


def _caught_up(pages, writers, watch, ours, failed):
    """None once every page (and the broker) holds every writer's last
    value, and no page ever saw a value the widget refuses; else why not."""
    def held():
        for page in pages:
            for w in writers:
                if ours and w.value is not None and page.values.get(w.wid) != w.value:
                    return False
                if not ours and page.values.get(w.wid) != w.value:
                    return False
        if watch:
            return all(watch.state(w.wid) == mqtt_text(w.value) for w in writers
                       if w.value is not None)
        return True

    if not wait_for(lambda: held() or failed(), CATCH_UP_S) or failed():
        return failed() or "pages (or the broker) did not catch up with the last writes in %d s" \
            % CATCH_UP_S
    if ours:
        for page in pages:
            for w in writers:
                stray = page.seen[w.wid] - set(json.dumps(v) for v in w.valid)
                if stray:
                    return "a page saw %s=%s, which it refuses" % (w.wid, sorted(stray)[0])
    return None


def drift(heaps):
    """Bytes of free heap the last round has less than the first (positive:
    lost), taking each half's median when there are many rounds."""
    if len(heaps) < 2:
        return 0
    half = max(1, len(heaps) // 3)
    return int(statistics.median(heaps[:half]) - statistics.median(heaps[-half:]))


def _largest_block(output):
    """The largest free block in bytes at the last heap report (blocks of 16
    bytes on a 32-bit build)."""
    found = re.findall(r"max free sz: (\d+)", output)
    return int(found[-1]) * 16 if found else None


# ---- the smallest heap -------------------------------------------------

def smallest(row, romfs=False, contender="splitdash", load=BENCH_LOAD, folder=BENCH,
             micropython=MICROPYTHON32, log=print, low=16, high=256):
    """The smallest heap (KB, in heap_rows.STEP steps) at which ``row``
    serves its load, confirmed by a second try; None if not even ``high``."""
    from heap_rows import smallest_heap_kb
    return smallest_heap_kb(lambda kb: run_load(row, kb, romfs, contender, load, folder,
                                                micropython)["why"], log, low, high)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--row", action="append", choices=[r.name for r in ROWS],
                        help="a row (default: all); may be given again")
    parser.add_argument("--romfs", action="store_true", help="libraries from a ROMFS image")
    parser.add_argument("--contender", default="splitdash",
                        help="splitdash, or a peer of the row (micropidash, microdot)")
    parser.add_argument("--heap", help="one try at this heap (like 64K), not a search")
    parser.add_argument("--minutes", type=float,
                        help="with --heap: the load for this long, a round a minute")
    parser.add_argument("--test-load", action="store_true", help="the tests' shorter load")
    parser.add_argument("--micropython", default=MICROPYTHON32, help="the binary")
    args = parser.parse_args()
    build()
    load = soak_load(args.minutes) if args.minutes else TEST_LOAD if args.test_load \
        else BENCH_LOAD
    for name in args.row or [r.name for r in ROWS]:
        row = ROW[name]
        what = "%s, %s, %s" % (row.title, args.contender, "ROMFS" if args.romfs else "fs")
        if args.heap:
            r = run_load(row, int(args.heap.rstrip("K")), args.romfs, args.contender, load,
                         micropython=os.path.abspath(args.micropython), log=print)
            print("%s at %s: %s" % (what, args.heap, r))
        else:
            kb = smallest(row, args.romfs, args.contender, load,
                          micropython=os.path.abspath(args.micropython))
            print("%s: %s" % (what, "%dK" % kb if kb else "over 256K"))


if __name__ == "__main__":
    sys.exit(main())
