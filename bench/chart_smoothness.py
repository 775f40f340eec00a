"""How smoothly the page takes the demo's charts at one point a second, on
a fast computer and with Chromium's CPU throttled 4x (a mid-range phone):
the demo with both rings full (devices/full_charts_app.py, 240 points of
two series each, so every redraw is the largest one), one page open for
SECONDS, every animation frame's gap to the one before, and the longest
tasks the page ran (PerformanceObserver "longtask", 50 ms and more).

    python bench/chart_smoothness.py [--seconds 30]

A frame due every 16.7 ms that comes 50 ms or more after the last one is a
visible stutter; the figures say how often that happens while the charts
move, and how long the longest stall is.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from conftest import BOARD_HOST, CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from heap_rows import LIVE_CHARTS_FULL, widget_count  # noqa: E402
from runtime import Device, build  # noqa: E402

#: Recording on the page: frame gaps (ms) and long tasks (ms), until read.
RECORD = """() => {
    window.frameGaps = []; window.longTasks = [];
    new PerformanceObserver(list => list.getEntries().forEach(
        e => window.longTasks.push(e.duration))).observe({entryTypes: ["longtask"]});
    let last = performance.now();
    const frame = now => { window.frameGaps.push(now - last); last = now;
                           requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
}"""
#: What the page drew in the meantime: the newest point's readout changes.
LEGEND = "() => document.querySelector('[data-widget=temperature_history]').innerText"


def measure(browser, port, widgets, throttle, seconds):
    page = browser.new_page()
    try:
        cdp = page.context.new_cdp_session(page)
        page.goto("http://%s:%d/" % (BOARD_HOST, port))
        page.wait_for_function(LIVE_CHARTS_FULL, arg=widgets, timeout=60000)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        page.wait_for_timeout(2000)  # settled at the new rate
        page.evaluate(RECORD)
        legends = set()
        for _ in range(int(seconds)):
            page.wait_for_timeout(1000)
            legends.add(page.evaluate(LEGEND))
        gaps = sorted(page.evaluate("window.frameGaps"))
        tasks = page.evaluate("window.longTasks")
        return {"frames": len(gaps), "p50": gaps[len(gaps) // 2],
                "p95": gaps[int(len(gaps) * 0.95)], "max": gaps[-1],
                "stutters": sum(1 for g in gaps if g >= 50),
                "long_tasks": len(tasks), "longest_task": max(tasks or [0]),
                "redraws": len(legends)}
    finally:
        page.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    build()
    from playwright.sync_api import sync_playwright
    device = Device("full_charts")
    rows = []
    try:
        widgets = widget_count(device)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for throttle in (1, 4):
                rows.append((throttle, measure(browser, device.port, widgets, throttle,
                                               args.seconds)))
            browser.close()
    finally:
        device.stop()
    print("Two 240-point charts of two series, a point a second each, for %d s:\n"
          % args.seconds)
    print("| CPU | frames | frame gap p50 / p95 / max, ms | frames 50 ms or more late "
          "| long tasks (longest, ms) | legend changes seen |")
    print("|---|---|---|---|---|---|")
    for throttle, r in rows:
        print("| %s | %d | %.0f / %.0f / %.0f | %d | %d (%.0f) | %d |" % (
            "as is" if throttle == 1 else "%dx slower" % throttle, r["frames"], r["p50"],
            r["p95"], r["max"], r["stutters"], r["long_tasks"], r["longest_task"],
            r["redraws"]))


if __name__ == "__main__":
    main()
