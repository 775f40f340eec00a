"""The dashboard page on a mid-range phone on a board's WiFi: Chromium with
its CPU throttled 4x, 2 Mbit/s each way and 20 ms of latency per request.
For a cold load and a reload: the time until the page shows live values
(body[data-state=live], from the navigation's start), the requests made
and the bytes on the wire, headers included, against the targets and
budgets below (1 KB = 1000 bytes). The time is the median of RUNS loads,
each in a fresh browser context.

    python bench/bundle_budget.py [--url http://<board>/ | --laptop] [--runs 5] [--per-request]

Without --url it runs the demo device from build/board on the unix port
(`make bench-bundle` builds it first); --laptop measures it through
tools/serve.py, as `make serve` would show it.
"""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import BOARD_HOST, CHROMIUM, CHROMIUM_ARGS, Device, free_port  # noqa: E402

BUDGETS = {"cold load": 300000, "reload": 10000}
#: Seconds to live values on the phone below.
TARGETS = {"cold load": 2.0, "reload": 0.8}
#: A mid-range phone: Chromium's CPU throttling rate and network conditions.
PHONE_CPU_SLOWDOWN = 4
PHONE_NETWORK = {"offline": False, "latency": 20,
                 "downloadThroughput": 2e6 / 8, "uploadThroughput": 2e6 / 8}  # bytes/s
RUNS = 5
LIVE = "body[data-state=live]"
#: When the page first showed live values, in ms from its navigation's start.
LIVE_AT = """new MutationObserver(() => {
    if (!window.liveAt && document.body && document.body.dataset.state == "live")
        window.liveAt = performance.now();
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-state"]});"""


class WireMeter:
    """Bytes received per request that reached the network (not the
    browser's cache), from the DevTools protocol's network events; a request
    still open (the live stream) counts what arrived."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.requestServedFromCache", self._cached)
        self.reset()

    def reset(self):
        self.received = {}  # request id -> bytes so far
        self.rows = {}  # request id -> (status, url)
        self.cached = set()  # request ids the cache answered

    def _response(self, event):
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached.add(event["requestId"])
        self.rows[event["requestId"]] = (response["status"], response["url"])
        self.received[event["requestId"]] = response.get("encodedDataLength", 0)

    def _data(self, event):
        rid = event["requestId"]
        self.received[rid] = self.received.get(rid, 0) + event["encodedDataLength"]

    def _finished(self, event):
        # The final count for the request, headers included.
        self.received[event["requestId"]] = event["encodedDataLength"]

    def _cached(self, event):
        self.cached.add(event["requestId"])

    def snapshot(self):
        rows = [(self.received.get(rid, 0),) + self.rows[rid] for rid in self.rows
                if rid not in self.cached]
        return sorted(rows, reverse=True)


def measure(browser, url, phone=False):
    """{"cold load": rows, "reload": rows}, a row (bytes, status, url) per
    request that reached the network; with ``phone``, also "cold load s"
    and "reload s", the seconds to live values."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(LIVE_AT)
    meter = WireMeter(page)
    if phone:
        meter.cdp.send("Network.emulateNetworkConditions", PHONE_NETWORK)
        meter.cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
    results = {}
    for name in ("cold load", "reload"):
        meter.reset()
        if name == "reload":
            page.reload()
        else:
            page.goto(url)
        page.wait_for_selector(LIVE, timeout=60000)
        results[name] = meter.snapshot()
        results[name + " s"] = page.evaluate("window.liveAt") / 1000
    context.close()
    return results


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def report(url, runs, per_request):
    print("%s as a mid-range phone would load it (CPU %dx slower, %g Mbit/s, %d ms latency),"
          " %d loads each:" % (url, PHONE_CPU_SLOWDOWN, PHONE_NETWORK["downloadThroughput"] * 8e-6,
                               PHONE_NETWORK["latency"], len(runs)))
    print("%-10s %12s %8s %9s %10s %8s %10s" % (
        "", "to live, s", "target", "requests", "bytes", "budget", "each run, s"))
    last = runs[-1]
    for name in ("cold load", "reload"):
        times = [r[name + " s"] for r in runs]
        total = sum(row[0] for row in last[name])
        print("%-10s %12.2f %8.1f %9d %10d %8d  %s  %s" % (
            name, median(times), TARGETS[name], len(last[name]), total, BUDGETS[name],
            " ".join("%.2f" % t for t in times),
            "ok" if median(times) <= TARGETS[name] and total <= BUDGETS[name] else "OVER"))
    if per_request:
        for name in ("cold load", "reload"):
            print("\n%s, per request:" % name)
            for size, status, req_url in last[name]:
                print("%9d  %3d  %s" % (size, status, req_url))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running dashboard (default: start the demo)")
    parser.add_argument("--laptop", action="store_true",
                        help="measure the demo through tools/serve.py")
    parser.add_argument("--runs", type=int, default=RUNS, help="loads of each kind")
    parser.add_argument("--per-request", action="store_true", help="list every request")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    device = laptop = None
    url = args.url
    try:
        if not url:
            device = Device("main.py", free_port())
            port = device.port
            if args.laptop:
                port = free_port()
                laptop = subprocess.Popen(
                    [sys.executable, os.path.join(ROOT, "tools", "serve.py"),
                     "board=" + device.url, "--no-history", "--port", str(port)],
                    stdout=subprocess.PIPE)
                laptop.stdout.readline()  # listening
            # A name, not localhost: like a board's address, not a secure context.
            url = "http://%s:%d/%s" % (BOARD_HOST, port, "b/board/" if laptop else "")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                        headless=True)
            runs = [measure(browser, url, phone=True) for _ in range(args.runs)]
            browser.close()
    finally:
        if laptop:
            laptop.terminate()
            laptop.wait()
        if device:
            device.stop()
    report(url + (" through tools/serve.py" if laptop else ""), runs, args.per_request)


if __name__ == "__main__":
    main()
