"""Screenshots of the dashboard for the README, taken from the real page in
Chromium: a desktop and a phone (360 px wide), each light and dark, written
to docs/screenshots/<desktop|phone>-<light|dark>.png.

    python tools/screenshots.py [--app <app folder>] [--points 20]

It builds the app (`make build`, with APP when one is given), runs it on the
unix port as `make demo` does, in a scratch folder (its saved values and
chart history start afresh), and opens the four pages at once. When every
page is live and each chart has POINTS points, the device is paused, so that
the four show the very same state; transitions are frozen, and each picture
is recompressed with zopflipng.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from conftest import BOARD, BOARD_HOST, CHROMIUM, CHROMIUM_ARGS, Device, free_port  # noqa: E402

#: The app shown: an app folder, built with `make build APP=...`; None: the
#: demo, which the build puts in build/board by default.
APP = None
OUT = os.path.join(ROOT, "docs", "screenshots")
#: Browser context options per device: the desktop's whole page, the phone's
#: first screen at a phone's pixel density.
DEVICES = {
    "desktop": ({"viewport": {"width": 1100, "height": 800}}, True),
    "phone": ({"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2,
               "is_mobile": True, "has_touch": True}, False),
}
THEMES = ("light", "dark")
#: Every chart's every line with at least this many points.
CHARTS_FILLED = """n => document.body.dataset.state == 'live' &&
    [...document.querySelectorAll('.chart svg path:not(.cursor)')].every(
        path => ((path.getAttribute('d') || '').match(/[ML]/g) || []).length >= n)"""


def build(app):
    subprocess.run(["make", "-s", "build"] + (["APP=" + app] if app else []), cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)


def shoot(points):
    from playwright.sync_api import sync_playwright
    import zopfli.png

    scratch = tempfile.mkdtemp(prefix="splitdash-screenshots-")
    device = None
    try:
        for name in ("main.py", "www"):
            os.symlink(os.path.join(BOARD, name), os.path.join(scratch, name))
        device = Device("main.py", free_port(), cwd=scratch)
        url = "http://%s:%d/" % (BOARD_HOST, device.port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = {}
            for kind, (options, _) in DEVICES.items():
                for theme in THEMES:
                    context = browser.new_context(color_scheme=theme, **options)
                    pages[kind, theme] = context.new_page()
                    pages[kind, theme].goto(url)
            for page in pages.values():
                page.wait_for_function(CHARTS_FILLED, arg=points, timeout=60000 + 2000 * points)
            # Paused, the device sends nothing more: what is on its way
            # arrives, then every page holds the same last state.
            os.kill(device.proc.pid, signal.SIGSTOP)
            try:
                for page in pages.values():
                    page.wait_for_timeout(300)
                os.makedirs(OUT, exist_ok=True)
                for (kind, theme), page in pages.items():
                    png = page.screenshot(full_page=DEVICES[kind][1], animations="disabled")
                    # One iteration: within 1% of zopflipng's best, in a fraction of the time.
                    png = zopfli.png.optimize(png, num_iterations=1, num_iterations_large=1)
                    path = os.path.join(OUT, "%s-%s.png" % (kind, theme))
                    with open(path, "wb") as f:
                        f.write(png)
                    print("%7d  %s" % (len(png), os.path.relpath(path, ROOT)))
            finally:
                os.kill(device.proc.pid, signal.SIGCONT)
            browser.close()
    finally:
        if device:
            device.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default=APP, help="an app folder (default: the demo)")
    parser.add_argument("--points", type=int, default=20,
                        help="points each chart's lines have first (a point a second)")
    args = parser.parse_args()
    build(args.app)
    shoot(args.points)


if __name__ == "__main__":
    main()
