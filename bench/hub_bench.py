"""The hub's figures (`make bench-hub`), not timed tests:

1. recording: 10 simulated boards of 20 widgets, each value new every
   second, fed through the hub's own path (JSON parsed, checked against the
   schema, mirrored, recorded, committed every simulated second) as fast as
   it goes: CPU time per recorded value, and database bytes per board-day;
2. a 7-day range of one series (1 Hz: 604,800 values) asked of a running
   hub over HTTP, downsampled: query and transfer time, and bytes;
3. a board's device instructions (the demo under Valgrind's callgrind, as
   bench/run.py counts them) with 10 pages open on the hub, against 1 and
   10 pages open on the board: page loads' /schema and their streams for
   WINDOW_S.

    python bench/hub_bench.py [--hours 1] [--skip-device]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path[:0] = [BENCH, os.path.join(ROOT, "tools"), os.path.join(ROOT, "shared")]
from hub.history import History, now_ms  # noqa: E402
from hub.mirror import Mirror, parse  # noqa: E402

BOARDS, WIDGETS = 10, 20
PAGES = 10
#: Seconds the pages stay open on the counted device.
WINDOW_S = 20
SERVE = os.path.join(ROOT, "tools", "serve.py")


def schema(boot):
    return {"title": "Sim", "boot": boot, "poll_s": 2, "widgets": [
        {"id": "w%d" % i, "kind": "number", "label": "W%d" % i, "unit": "°C", "precision": 1}
        for i in range(WIDGETS)]}


def recording(hours):
    folder = tempfile.mkdtemp(prefix="hub-bench-")
    path = os.path.join(folder, "hub.sqlite")
    history = History(path, keep_days=0, log=lambda line: None)
    mirrors = []
    t0 = now_ms() - int(hours * 3600 * 1000)
    for b in range(BOARDS):
        mirror = Mirror()
        mirror.set_schema(schema("boot%d" % b))
        history.start_run("sim%d" % b, mirror.schema, t0)
        mirrors.append(mirror)
    # The messages as a board sends them, made beforehand: only the hub's work is timed.
    seconds = int(hours * 3600)
    messages = [[json.dumps({"boot": "boot%d" % b, "version": s + 1, "values": {
        "w%d" % i: round(20 + ((s * 7 + i * 13 + b) % 100) / 10, 1) for i in range(WIDGETS)}},
        separators=(",", ":")).encode() for b in range(BOARDS)] for s in range(seconds)]
    started = time.process_time()
    for s, second in enumerate(messages):
        t = t0 + s * 1000
        for b, data in enumerate(second):
            message = parse(data)
            mirrors[b].check(message)
            kept = mirrors[b].apply(message, t)
            history.record("sim%d" % b, mirrors[b].widgets, kept, message["version"], t)
        history.commit()
    cpu = time.process_time() - started
    history.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    history.close()
    values = BOARDS * WIDGETS * seconds
    size = os.path.getsize(path)
    board_days = BOARDS * hours / 24
    print("recording: %d boards x %d widgets at 1 Hz, %.1f h simulated: %d values"
          % (BOARDS, WIDGETS, hours, values))
    print("  CPU per recorded value: %.1f us (%.2f s in all; %.1f%% of one core for the 10 "
          "boards in real time)" % (cpu / values * 1e6, cpu, cpu / seconds * 100))
    print("  database: %d bytes, %.1f MB per board-day (%.1f bytes a value)"
          % (size, size / board_days / 1e6, size / values))
    os.remove(path)


def seven_days():
    folder = tempfile.mkdtemp(prefix="hub-bench-")
    path = os.path.join(folder, "hub.sqlite")
    history = History(path, keep_days=0, log=lambda line: None)
    mirror = Mirror()
    mirror.set_schema(schema("b"))
    end = now_ms()
    start = end - 7 * 86400 * 1000
    history.start_run("week", mirror.schema, start)
    widget = {"w0": mirror.widgets["w0"]}
    for s in range(7 * 86400):
        # Recorded as the hub does, at 1 Hz; a spike an hour.
        value = 99.9 if s % 3600 == 1800 else round(20 + (s % 600) / 100, 1)
        history.record("week", widget, {"w0": value}, s + 1, start + s * 1000)
        if s % 86400 == 0:
            history.commit()
    history.close()
    port = free_port()
    hub = subprocess.Popen([sys.executable, SERVE, "week=http://127.0.0.1:9", "--db", path,
                            "--port", str(port)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.STDOUT)
    try:
        wait_listening(port)
        url = "http://127.0.0.1:%d/b/week/history?widget=w0&range=%d" % (port, 7 * 86400)
        times, size = [], 0
        for _ in range(10):
            begun = time.perf_counter()
            with urllib.request.urlopen(url, timeout=60) as r:
                body = r.read()
            times.append(time.perf_counter() - begun)
            size = len(body)
        found = json.loads(body)
    finally:
        hub.terminate()
        hub.wait()
    os.remove(path)
    print("7-day range of one series (604800 values at 1 Hz), over HTTP from the hub:")
    print("  %d points (downsampled: %s), %d bytes; query and transfer: median %.0f ms, "
          "best %.0f ms of 10" % (len(found["t"]), found["downsampled"], size,
                                  statistics.median(times) * 1000, min(times) * 1000))
    print("  highest value kept: %s (the hourly spikes of 99.9 survive)"
          % (max(v for v in found["v"][0] if v is not None) / found["scale"]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on %d" % port)


class Page(threading.Thread):
    """A page: its schema, then its stream, read until ``stop``."""

    def __init__(self, port, prefix, stop):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.prefix, self.stop = port, prefix, stop
        self.messages = 0

    def get(self, path):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        s.sendall(("GET %s%s HTTP/1.1\r\nHost: board\r\n\r\n" % (self.prefix, path)).encode())
        return s

    def run(self):
        s = self.get("/schema")
        while s.recv(65536):
            pass
        s.close()
        s = self.get("/events")
        s.settimeout(0.5)
        try:
            while not self.stop.is_set():
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                self.messages += data.count(b"data: {\"")
        finally:
            s.close()


def device_instructions():
    from runtime import Device, build
    build()
    rows = []
    for where, count in (("board", 1), ("board", PAGES), ("hub", PAGES)):
        device = Device("demo", counted=True)
        hub = None
        try:
            port, prefix = device.port, ""
            if where == "hub":
                port, prefix = free_port(), "/b/demo"
                hub = subprocess.Popen([sys.executable, SERVE, "demo=http://127.0.0.1:%d" % device.port,
                                        "--no-history", "--port", str(port)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
                wait_listening(port)
                time.sleep(10)  # the hub's own schema and stream, before the count
            before = device.cpu()
            stop = threading.Event()
            pages = [Page(port, prefix, stop) for _ in range(count)]
            for page in pages:
                page.start()
            time.sleep(WINDOW_S)
            stop.set()
            for page in pages:
                page.join(10)
            rows.append((where, count, device.cpu() - before, min(p.messages for p in pages)))
        finally:
            if hub:
                hub.terminate()
                hub.wait()
            device.stop()
    print("the demo's device instructions, pages open for %d s (callgrind):" % WINDOW_S)
    for where, count, instructions, messages in rows:
        print("  %2d page%s on the %-5s %6.0f M instructions (each page got %d messages or more)"
              % (count, " " if count == 1 else "s", where + ":", instructions / 1e6, messages))
    one, ten, hub = (row[2] for row in rows)
    print("  %d pages on the hub: %.2f times one page on the board, %.2f times %d pages on it"
          % (PAGES, hub / one, hub / ten, PAGES))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1, help="hours of recording simulated")
    parser.add_argument("--skip-device", action="store_true",
                        help="skip the device instructions (Valgrind)")
    args = parser.parse_args()
    recording(args.hours)
    seven_days()
    if not args.skip_device:
        device_instructions()


if __name__ == "__main__":
    main()
