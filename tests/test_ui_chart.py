"""A chart in a real Chromium at an insecure origin (board.test), against a
device on the MicroPython unix port: lines drawn in Python, moved by each
new point, broken by gaps, and the value under the pointer."""

import time

from test_chart_device import CHART
from test_device_http import write
from test_ui import custom_device

APP = CHART % {"series": ("inside", "outside"), "points": 10}

PATHS = "() => Array.from(document.querySelectorAll('[data-widget=climate] path'))" \
        ".map(p => p.getAttribute('d') || '')"


def add_points(device, count):
    for _ in range(count):
        assert write(device, {"add": True})[0] == 200
        # Points apart in time, as a sensor's are: the pointer tells them apart.
        time.sleep(0.3)


def test_chart_draws_lines_moves_with_new_points_and_reads_out_the_pointer(
        start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, APP)
    page = open_page(device).wait_ready()
    card = page.widget("climate")
    assert "no data yet" in card.inner_text()
    add_points(device, 2)
    page.page.wait_for_function(PATHS + ".every(d => d.includes('L'))", timeout=10000)
    assert not card.locator(".chart-empty").is_visible()
    # A line per series, and a legend with the latest values.
    assert card.locator("path").count() == 2
    legend = card.locator(".legend").inner_text()
    assert "inside" in legend and "20.2 C" in legend and "2.0 C" in legend
    before = page.page.evaluate(PATHS)
    add_points(device, 1)  # the third point: no outside reading
    page.page.wait_for_function("d => (%s)()[0] != d[0]" % PATHS, arg=before, timeout=10000)
    assert page.page.evaluate(PATHS)[0].count("L") == 2
    add_points(device, 2)
    page.page.wait_for_function(PATHS + "[0].split('L').length == 5", timeout=10000)
    inside, outside = page.page.evaluate(PATHS)
    # The gap breaks the outside line in two, where the inside one runs on.
    assert inside.count("M") == 1 and outside.count("M") == 2
    # The text alternative carries the latest values.
    label = card.locator("svg").get_attribute("aria-label")
    assert "inside 20.5 C, outside 5.0 C" in label, label
    # The pointer at the right end reads out the newest point; at the left, the oldest.
    box = card.locator("svg").bounding_box()
    page.page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    page.page.wait_for_function(
        "() => document.querySelector('[data-widget=climate] .readout').innerText"
        ".includes('inside 20.5 C, outside 5.0 C')", timeout=10000)
    page.page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
    page.page.wait_for_function(
        "() => document.querySelector('[data-widget=climate] .readout').innerText"
        ".includes('inside 20.1 C, outside 1.0 C')", timeout=10000)
    # A line marks the point read out: the oldest, at the left edge.
    cursor = card.locator(".cursor")
    assert cursor.evaluate("e => getComputedStyle(e).display") != "none"
    assert cursor.get_attribute("x1") == cursor.get_attribute("x2") == "0.0"
    # A page that opens now gets the whole ring at once.
    other = open_page(device).wait_ready()
    other.page.wait_for_function(PATHS + "[0].split('L').length == 5", timeout=10000)
    assert not page.errors and not other.errors
