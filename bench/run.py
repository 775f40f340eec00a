"""The device-cost benchmark: splitdash against micropidash and raw Microdot,
all on the MicroPython unix port with every library compiled to .mpy, one
workload for all (bench/devices/workload.py), measured in the same run.

    python bench/run.py [--seconds 8] [--clients 1,8,16] [--no-heap] [--no-browser]

Prints a markdown table and writes it into docs/benchmark.md.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
BOARD_LIB = os.path.join(ROOT, "build", "board", "lib")
BENCH_LIB = os.path.join(ROOT, "build", "bench", "lib")
DEVICES = os.path.join(ROOT, "bench", "devices")
STAMP_MOD = 10000000  # as in bench/devices/workload.py

# name: (device script, how its own page keeps up)
CONTENDERS = {
    "splitdash": "splitdash_app",
    "micropidash": "micropidash_app",
    "microdot": "microdot_app",
}
POLLS = {
    # micropidash's page fetches both every 1.2 s; raw Microdot is polled each second.
    "micropidash": (1.2, ("/data", "/graph-data")),
    "microdot": (1.0, ("/data",)),
}
HEAP = "256K"
# What Chromium sends with a fetch() to a board, so that bytes on the wire
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return time.time_ns() // 1000000


def compile_libraries():
    """micropidash and the workload as .mpy, beside build/board/lib's."""
    import importlib.util
    package = os.path.dirname(importlib.util.find_spec("micropidash").origin)
    sources = [(os.path.join(package, name),
                os.path.join("micropidash", name[:-3] + ".mpy"))
               for name in ("__init__.py", "micropidash.py")]
    # The contenders' apps too, run with -m so that nothing is compiled on the device.
    sources += [(os.path.join(DEVICES, name), name[:-3] + ".mpy")
                for name in os.listdir(DEVICES) if name.endswith(".py")]
    for src, rel in sources:
        out = os.path.join(BENCH_LIB, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-o", out, src], check=True)


class Device:
    def __init__(self, contender, heap=HEAP):
        self.port = free_port()
        env = dict(os.environ, MICROPYPATH=".frozen:%s:%s" % (BENCH_LIB, BOARD_LIB))
        self.log = open(os.path.join(ROOT, "build", "bench", contender + ".log"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "micropython"), "-X", "heapsize=" + heap,
             "-m", CONTENDERS[contender], str(self.port)],
            cwd=BENCH_LIB, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("%s did not start:\n%s" % (contender, self.output()))

    def cpu_s(self):
        # Nanosecond CPU time; /proc/<pid>/stat's 10 ms ticks are too coarse.
        with open("/proc/%d/schedstat" % self.proc.pid) as f:
            return int(f.read().split()[0]) / 1e9

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def lateness_p99_ms(self):
        lines = [l for l in self.output().splitlines() if l.startswith("STATS")]
        if not lines:
            return None
        counts = [int(n) for n in lines[-1].split()[1:]]
        total, seen = sum(counts), 0
        for ms, n in enumerate(counts):
            seen += n
            if seen >= 0.99 * total:
                return ms
        return len(counts) - 1

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


class Client(threading.Thread):
    """One browser's worth of traffic: counts bytes, updates and latency."""

    def __init__(self, port, contender, stop):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.contender, self.stop = port, contender, stop
        self.bytes = 0
        self.errors = 0
        self.latencies_ms = []
        self.last = None  # the newest label stamp seen
        self.measuring = False

    def saw(self, stamp):
        stamp = int(stamp)
        if stamp != self.last:
            self.last = stamp
            if self.measuring:
                self.latencies_ms.append((now_ms() - stamp) % STAMP_MOD)

    def count(self, n):
        if self.measuring:
            self.bytes += n

    def run(self):
        try:
            if self.contender == "splitdash":
                # As the page does: the stream, or delta polls when it is refused.
                if not self.stream():
                    self.poll_deltas()
            else:
                self.poll()
        except Exception:
            if not self.stop.is_set():
                self.errors += 1

    def get(self, path):
        """One HTTP/1.0-style exchange: (status, body), bytes counted."""
        request = ("GET %s HTTP/1.1\r\n%s\r\n" % (path, BROWSER_HEADERS)).encode()
        sock = socket.create_connection(("127.0.0.1", self.port), 10)
        sock.sendall(request)
        raw = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            raw += chunk
        sock.close()
        self.count(len(request) + len(raw))
        head, _, body = raw.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body

    def poll_deltas(self):
        import json
        state = json.loads(self.get("/data")[1])
        while not self.stop.wait(1.0):
            status, body = self.get("/data?boot=%s&since=%d" % (state["boot"], state["version"]))
            if status == 200:
                state = json.loads(body)
                if "l0" in state["values"]:
                    self.saw(state["values"]["l0"])
            elif status != 204:
                raise OSError("HTTP %d" % status)

    def stream(self):
        import json
        request = ("GET /events HTTP/1.1\r\n%s\r\n" % BROWSER_HEADERS).encode()
        sock = socket.create_connection(("127.0.0.1", self.port), 10)
        sock.settimeout(1)
        sock.sendall(request)
        self.count(len(request))
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(4096)
        self.count(len(buf))
        head, buf = buf.split(b"\r\n\r\n", 1)
        if b" 200 " not in head.split(b"\r\n")[0]:
            sock.close()
            return False
        while not self.stop.is_set():
            try:
                chunk = sock.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError
            self.count(len(chunk))
            buf += chunk
            while b"\n\n" in buf:
                event, buf = buf.split(b"\n\n", 1)
                for line in event.split(b"\n"):
                    if line.startswith(b"data: "):
                        values = json.loads(line[6:]).get("values", {})  # {} is a ping
                        if "l0" in values:
                            self.saw(values["l0"])
        sock.close()
        return True

    def poll(self):
        import json
        interval, paths = POLLS[self.contender]
        while not self.stop.is_set():
            started = time.time()
            for path in paths:
                status, body = self.get(path)
                if status != 200:
                    raise OSError("HTTP %d" % status)
                if path == "/data":
                    value = json.loads(body)["l0"]
                    self.saw(value["value"] if isinstance(value, dict) else value)
            self.stop.wait(max(0, interval - (time.time() - started)))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else None


def measure(contender, n_clients, seconds, heap=HEAP):
    try:
        device = Device(contender, heap)
    except RuntimeError:  # too small a heap to even start
        return {"ok": False}
    stop = threading.Event()
    clients = [Client(device.port, contender, stop) for _ in range(n_clients)]
    try:
        # The device's own cost first, in the same process: CPU per second
        # differs from one process to the next by more than a client costs.
        time.sleep(1)
        cpu0, t0 = device.cpu_s(), time.time()
        time.sleep(seconds)
        idle_per_s = (device.cpu_s() - cpu0) / (time.time() - t0)
        for c in clients:
            c.start()
        time.sleep(1.5)  # every client connected and in step
        for c in clients:
            c.measuring = True
        cpu0, t0 = device.cpu_s(), time.time()
        time.sleep(seconds)
        cpu1, t1 = device.cpu_s(), time.time()
        for c in clients:
            c.measuring = False
        stop.set()
        for c in clients:
            c.join(3)
        died = device.proc.poll() is not None
        log = device.output()
        window = t1 - t0
        latencies = [l for c in clients for l in c.latencies_ms]
        return {
            "cpu_s": cpu1 - cpu0,
            "idle_cpu_per_s": idle_per_s,
            "window": window,
            "bytes_per_client_s": sum(c.bytes for c in clients) / n_clients / window,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "late_p99_ms": device.lateness_p99_ms(),
            "ok": not died and "MemoryError" not in log and not any(c.errors for c in clients)
            and all(c.latencies_ms for c in clients),
        }
    finally:
        stop.set()
        device.stop()


def smallest_heap_kb(contender, seconds, clients=8, low=16, high=256, step=8):
    """The smallest -X heapsize (KB, multiple of step) serving ``clients``
    for the whole window with no MemoryError and no failed request."""
    if not measure(contender, clients, seconds, "%dK" % high)["ok"]:
        return None
    while high - low > step:
        mid = (low + high) // 2 // step * step
        if measure(contender, clients, seconds, "%dK" % mid)["ok"]:
            high = mid
        else:
            low = mid
    return high


def browser_figures(seconds):
    """Chromium: cold load to a fully rendered dashboard, and bytes on the
    wire for a cold load and a reload, splitdash's demo against the page
    micropidash serves (raw Microdot has no page)."""
    sys.path[:0] = [os.path.join(ROOT, "bench"), os.path.join(ROOT, "tests")]
    from playwright.sync_api import sync_playwright
    import bundle_budget
    from conftest import BOARD_HOST, CHROMIUM, CHROMIUM_ARGS
    from conftest import Device as DemoDevice

    rendered = {
        # splitdash: live values drawn; micropidash: its first poll drawn.
        "splitdash": "() => document.body.dataset.state == 'live'",
        "micropidash": "() => document.getElementById('l0').innerText != '---'",
    }
    rows = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in rendered:
            device = DemoDevice("main.py", free_port()) if name == "splitdash" else Device(name)
            url = "http://%s:%d/" % (BOARD_HOST, device.port)
            try:
                context = browser.new_context()
                page = context.new_page()
                started = time.time()
                page.goto(url)
                page.wait_for_function(rendered[name], timeout=60000)
                load_s = time.time() - started
                context.close()
                if name == "splitdash":
                    wire = bundle_budget.measure(browser, url)
                    cold, reload = (sum(r[0] for r in wire[k]) for k in ("cold load", "reload"))
                else:
                    cold = reload = _page_bytes(browser, url, rendered[name])
                rows[name] = (load_s, cold, reload)
            finally:
                device.stop()
        browser.close()
    ours, theirs = rows["splitdash"], rows["micropidash"]
    lines = ["| page | cold load to rendered, s | cold load bytes | reload bytes |",
             "|---|---|---|---|"]
    for name, (load_s, cold, reload) in rows.items():
        lines.append("| %s | %.2f | %d | %d |" % (name, load_s, cold, reload))
    lines.append("| splitdash / micropidash | %s | %s | %s |" % tuple(
        ratio(a, b) for a, b in zip(ours, theirs)))
    return "\n".join(lines)


def _page_bytes(browser, url, rendered):
    """Bytes received for one load of a page that sets no caching headers
    (a reload moves the same again)."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received = {}
    cdp.on("Network.loadingFinished",
           lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url)
    page.wait_for_function(rendered, timeout=60000)
    page.wait_for_timeout(300)
    context.close()
    return sum(received.values())


def _ms(seconds):
    return "below noise" if seconds is None else "%.3g" % (seconds * 1000)


def fmt(value, spec="%.3g"):
    return "n/a" if value is None else spec % value


def ratio(ours, theirs):
    if ours is None or not theirs:
        return "n/a"
    return "%.2f" % (ours / theirs)


def table(results, heaps, clients):
    lines = ["| contender | clients | device CPU ms per client-s | bytes per client-s "
             "| update latency p50 / p95 ms | control loop p99 late ms |",
             "|---|---|---|---|---|---|"]
    for n in clients:
        for name in CONTENDERS:
            r = results[name, n]
            lines.append("| %s | %d | %s | %s | %s / %s | %s |" % (
                name, n, _ms(r["cpu_per_client_s"]), fmt(r["bytes_per_client_s"], "%.0f"),
                fmt(r["p50_ms"], "%.0f"), fmt(r["p95_ms"], "%.0f"), fmt(r["late_p99_ms"], "%d")))
    lines += ["", "Ratios, splitdash / peer (below 1 is better for splitdash):", "",
              "| clients | CPU / micropidash | CPU / microdot | bytes / micropidash "
              "| bytes / microdot | p95 latency / micropidash |", "|---|---|---|---|---|---|"]
    for n in clients:
        ours = results["splitdash", n]
        pd, md = results["micropidash", n], results["microdot", n]
        lines.append("| %d | %s | %s | %s | %s | %s |" % (
            n, ratio(ours["cpu_per_client_s"], pd["cpu_per_client_s"]),
            ratio(ours["cpu_per_client_s"], md["cpu_per_client_s"]),
            ratio(ours["bytes_per_client_s"], pd["bytes_per_client_s"]),
            ratio(ours["bytes_per_client_s"], md["bytes_per_client_s"]),
            ratio(ours["p95_ms"], pd["p95_ms"])))
    lines += ["", "The device's own CPU with no client (measured before each run, in the same "
              "process, and subtracted above), ms per s: " +
              ", ".join("%s %.1f" % (name, 1000 * sum(results[name, n]["idle_cpu_per_s"]
                                                      for n in clients) / len(clients))
                        for name in CONTENDERS)]
    if heaps:
        lines += ["", "Smallest `-X heapsize` serving 8 clients for the whole window: " +
                  ", ".join("%s %s" % (name, "%dK" % heaps[name] if heaps[name] else "over 256K")
                            for name in CONTENDERS)]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", default="1,8,16")
    parser.add_argument("--no-heap", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    clients = [int(n) for n in args.clients.split(",")]
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build.py"), "--quiet"], check=True)
    compile_libraries()

    results = {}
    for n in clients:
        for name in CONTENDERS:
            r = measure(name, n, args.seconds)
            busy = r["cpu_s"] - r["idle_cpu_per_s"] * r["window"]
            # None: below the noise of the idle cost it is measured against.
            r["cpu_per_client_s"] = busy / (n * r["window"]) if busy > 0 else None
            results[name, n] = r
            print("%-11s %2d clients: %s" % (name, n, r), flush=True)
    heaps = None
    if not args.no_heap:
        heaps = {name: smallest_heap_kb(name, args.seconds / 2) for name in CONTENDERS}
    report = table(results, heaps, clients)
    if not args.no_browser:
        report += "\n\nIn Chromium:\n\n" + browser_figures(args.seconds)
    print(report)
    write_docs(report, " ".join(sys.argv[1:]))


def write_docs(report, argv):
    path = os.path.join(ROOT, "docs", "benchmark.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    command = "make bench" + (" BENCH_ARGS=%r" % argv if argv else "")
    with open(path, "w") as f:
        f.write(DOC % {"command": command, "report": report,
                       "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count()})


DOC = """# Benchmark: splitdash against micropidash and raw Microdot

Reproduce with `%(command)s` (about seven minutes on 2 cores). Measured on
%(date)s, %(cpus)s cores, every contender on the MicroPython unix port with its
libraries compiled to `.mpy`.

Workload (bench/devices/workload.py), the same for all: 20 widgets, 10 toggles
that stay put and 10 labels whose values all change once a second, and a 10 ms
periodic task standing in for the board's control loop. Each client follows
the dashboard its own way: splitdash through its live stream (`/events`),
micropidash as its page does (`/data` and `/graph-data` every 1.2 s), raw
Microdot by polling the full state at `/data` once a second.

- device CPU: the device process's CPU time over the window, less its own
  cost with no client measured just before in the same process, per
  client-second ("below noise" when the difference is not above zero);
- bytes: HTTP bytes both ways at the client, headers included (TCP/IP
  overhead not counted; every poll is also a new TCP connection);
- latency: from the device's `set()` to the client holding the value;
- control loop lateness: how late the 10 ms task wakes, 99th percentile.

splitdash serves at most 4 streams (`LiveStreams.max_streams`); pages past
that poll `/data` for deltas each second, as its page does, which shows at 8
and 16 clients. The CPU figures are small beside the device's own cost and
move by tens of percent from one run to the next: read them as a trend.

%(report)s
"""


if __name__ == "__main__":
    main()
