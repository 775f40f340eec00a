"""The benchmark's heap rows: the smallest ``-X heapsize`` at which a
device serves a load, searched by halving, each try a fresh device.

- cold page loads: LOADS loads in a row, each from a fresh Chromium context
  (an empty cache, as a new visitor), of the built demo (build/board, bundle
  included), of the chart workload's two charts served with the same bundle,
  or of micropidash's own page; alone, or with OPEN_PAGES pages
  already open (splitdash's on their streams, micropidash's polling as its
  page does). A load counts when every widget is drawn with a value; the
  try fails at the first load that is not, or at a MemoryError (or an
  unretrieved task exception) in the device's log;
- back-to-back polls: POLLERS clients requesting ``/data`` with no pause
  for POLL_SECONDS; the try fails at any request not answered 200.
"""

import os
import sys
import threading
import time

from clients import BackToBack, Client
from runtime import ROOT, Device

#: Heaps are searched in these steps, between these bounds (KB).
STEP, LOW, HIGH = 8, 16, 256
LOADS, OPEN_PAGES = 10, 8
#: Longest a cold load may take to draw every widget, in s.
LOAD_TIMEOUT_S = 20
POLLERS, POLL_SECONDS = 8, 5


def smallest_heap_kb(serves, log, low=LOW, high=HIGH):
    """The smallest heap (KB, a multiple of STEP) for which ``serves(kb)``
    returns None (else it returns why not), by halving: None if not even
    ``high`` does. A heap that only just fits may fail on another run (the
    heap fragments differently): the one reported passed twice."""
    def ok(kb):
        started = time.time()
        why = serves(kb)
        log("    %dK: %s (%.0f s)" % (kb, why or "served", time.time() - started))
        return why is None

    if not ok(high):
        return None
    low -= STEP  # the highest heap known not to serve
    while high - low > STEP:
        mid = (low + high) // 2 // STEP * STEP
        if ok(mid):
            high = mid
        else:
            low = mid
    while high < HIGH and not ok(high):
        high += STEP
    return high


#: JavaScript true once a splitdash page is live with a card for each of
#: its ``n`` widgets, every kind known.
LIVE = ("n => document.body.dataset.state == 'live' && "
        "document.querySelectorAll('[data-widget]').length == n && "
        "!document.querySelector('.kind-unknown')")
#: The same, and no chart showing "no data yet".
LIVE_CHARTS_FULL = LIVE + " && !document.querySelector('.chart-empty:not([style*=none])')"


def widget_count(device):
    """How many widgets a running splitdash device's schema has."""
    import json
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/schema" % device.port, timeout=10) as answer:
        return len(json.loads(answer.read())["widgets"])


def _open_pages(device, contender, stop):
    """OPEN_PAGES pages following the device as their page does, once they
    are all in step: splitdash's on their streams."""
    pages = [Client(device.port, contender, stop) for _ in range(OPEN_PAGES)]
    for page in pages:
        page.start()
        time.sleep(0.1)
    deadline = time.time() + 10
    while contender == "splitdash" and time.time() < deadline:
        if all(p.streamed for p in pages) or any(p.errors for p in pages):
            break
        time.sleep(0.1)
    time.sleep(1)
    return pages


def _pages_failed(pages, contender):
    for page in pages:
        if page.errors:
            return "an open page: " + page.errors[0]
        if contender == "splitdash" and not page.streamed:
            return "an open page got no stream"
    return None


class ColdLoads:
    """Cold page loads in Chromium (launched once, a context per load)."""

    #: JavaScript true once a page has drawn every widget with a value.
    #: splitdash: live (values from the stream) with a card for each of the
    #: schema's widgets; micropidash: each of its labels past its "---".
    RENDERED = {
        "demo": LIVE,
        # Rings full (devices/full_charts_app.py, devices/charts_page_app.py).
        "full_charts": LIVE_CHARTS_FULL,
        "charts_page": LIVE_CHARTS_FULL,
        "micropidash": "n => Array.from({length: n}, (_, i) => document.getElementById('l' + i))"
                       ".every(e => e && e.innerText != '---')",
    }

    def __init__(self):
        from playwright.sync_api import sync_playwright
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        from conftest import BOARD_HOST, CHROMIUM, CHROMIUM_ARGS
        self.host = BOARD_HOST
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM,
                                                        args=CHROMIUM_ARGS)
        self.widgets = {"micropidash": 10}  # bench/devices/workload.py's labels

    def close(self):
        self.browser.close()
        self._playwright.stop()

    def count_widgets(self, contender, micropython):
        """How many widgets the contender's schema has (asked of a roomy device)."""
        device = Device(contender, micropython=micropython)
        try:
            return widget_count(device)
        finally:
            device.stop()

    def serves(self, contender, kb, micropython=None, open_pages=False):
        """None if the device at ``kb`` served LOADS cold loads in a row,
        else why not. ``contender``: "demo", "full_charts", "charts_page" or "micropidash"."""
        if contender not in self.widgets:
            self.widgets[contender] = self.count_widgets(contender, micropython)
        try:
            device = Device(contender, "%dK" % kb, micropython=micropython)
        except RuntimeError as exc:
            return str(exc)
        stop = threading.Event()
        page = contender if contender == "micropidash" else "splitdash"  # how pages follow
        try:
            pages = []
            if open_pages:
                pages = _open_pages(device, page, stop)
                why = device.failed() or _pages_failed(pages, page)
                if why:
                    return "before the loads: " + why
            for i in range(LOADS):
                why = self.load(device, contender) or device.failed() or \
                    _pages_failed(pages, page)
                if why:
                    return "load %d of %d: %s" % (i + 1, LOADS, why)
            return None
        finally:
            stop.set()
            device.stop()

    def load(self, device, contender):
        """One cold load; None once every widget is drawn, else why not."""
        from playwright.sync_api import Error
        context = self.browser.new_context()
        try:
            page = context.new_page()
            page.goto("http://%s:%d/" % (self.host, device.port), wait_until="commit",
                      timeout=LOAD_TIMEOUT_S * 1000)
            deadline = time.time() + LOAD_TIMEOUT_S
            while True:
                # In short waits, to stop at the device's first MemoryError.
                try:
                    page.wait_for_function(self.RENDERED[contender], arg=self.widgets[contender],
                                           timeout=500)
                    return None
                except Error:
                    pass
                why = device.failed()
                if why:
                    return why
                if time.time() > deadline:
                    return "not drawn in %d s" % LOAD_TIMEOUT_S
        except Error as exc:
            return str(exc).splitlines()[0]
        finally:
            context.close()


def polls_served(contender, kb, micropython=None):
    """None if POLLERS clients polling /data back to back for POLL_SECONDS
    all got every answer, else why not."""
    try:
        device = Device(contender, "%dK" % kb, micropython=micropython)
    except RuntimeError as exc:
        return str(exc)
    stop = threading.Event()
    pollers = [BackToBack(device.port, stop) for _ in range(POLLERS)]
    try:
        for p in pollers:
            p.start()
        time.sleep(POLL_SECONDS)
        stop.set()
        for p in pollers:
            p.join(15)
        why = device.failed()
        failed = sum(len(p.errors) for p in pollers)
        if failed:
            why = "%d of %d requests failed (%s)%s" % (
                failed, failed + sum(p.answers for p in pollers),
                next(p.errors[0] for p in pollers if p.errors), ", " + why if why else "")
        return why
    finally:
        stop.set()
        device.stop()
