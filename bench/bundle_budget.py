"""Bytes on the wire for a cold load and a reload of the dashboard page,
against the budgets: cold load at most 300 KB, reload at most 10 KB
(1 KB = 1000 bytes). Measured in Chromium from its network events, headers
included, until the page shows live data.

    python bench/bundle_budget.py [--url http://<board>/ | --laptop] [--per-request]

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


class WireMeter:
    """Bytes received per request, from the DevTools protocol's network
    events; a request still open (the live stream) counts what arrived."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.reset()

    def reset(self):
        self.received = {}  # request id -> bytes so far
        self.rows = {}  # request id -> (status, url)

    def _response(self, event):
        response = event["response"]
        self.rows[event["requestId"]] = (response["status"], response["url"])
        self.received[event["requestId"]] = response.get("encodedDataLength", 0)

    def _data(self, event):
        rid = event["requestId"]
        self.received[rid] = self.received.get(rid, 0) + event["encodedDataLength"]

    def _finished(self, event):
        # The final count for the request, headers included.
        self.received[event["requestId"]] = event["encodedDataLength"]

    def snapshot(self):
        rows = [(self.received.get(rid, 0),) + self.rows[rid] for rid in self.rows]
        return sorted(rows, reverse=True)


def measure(browser, url):
    context = browser.new_context()
    page = context.new_page()
    meter = WireMeter(page)
    results = {}
    page.goto(url)
    page.wait_for_selector("body[data-state=live]", timeout=60000)
    results["cold load"] = meter.snapshot()
    meter.reset()
    page.reload()
    page.wait_for_selector("body[data-state=live]", timeout=60000)
    results["reload"] = meter.snapshot()
    context.close()
    return results


def report(url, results, per_request):
    print("bundle budget for %s" % url)
    print("%-10s %9s %12s %10s" % ("", "requests", "bytes", "budget"))
    for name, rows in results.items():
        total = sum(r[0] for r in rows)
        print("%-10s %9d %12d %10d  %s" % (name, len(rows), total, BUDGETS[name],
                                            "ok" if total <= BUDGETS[name] else "OVER BUDGET"))
    if per_request:
        for name, rows in results.items():
            print("\n%s, per request:" % name)
            for size, status, req_url in rows:
                print("%9d  %3d  %s" % (size, status, req_url))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running dashboard (default: start the demo)")
    parser.add_argument("--laptop", action="store_true",
                        help="measure the demo through tools/serve.py")
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
            results = measure(browser, url)
            browser.close()
    finally:
        if laptop:
            laptop.terminate()
            laptop.wait()
        if device:
            device.stop()
    report(url + (" through tools/serve.py" if laptop else ""), results, args.per_request)


if __name__ == "__main__":
    main()
