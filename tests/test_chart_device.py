"""Charts on the board, under the MicroPython unix port: the ring (fixed
cost, wrapping in order), the deltas a page gets on the stream and on the
delta poll, a restart, and the history kept on flash."""

import os
import textwrap

import pytest

from conftest import run_micropython
from test_device_http import EventStream, wait_for, write

RING = """
import gc, sys, time, json
from dashschema.chart import Chart
from chart_ring import Ring

chart = Chart("c", series=("a", "b"), points=3)
ring = Ring(chart)
point = chart.validate({"a": 1.25, "b": None})


def allocated(count):
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for i in range(count):
        ring.append(point, i + 1)
    after = gc.mem_alloc()
    gc.enable()
    return after - before


print(json.dumps({"10 points": allocated(10), "1000 points": allocated(1000)}))
for i in range(5):
    ring.append(chart.validate({"a": i, "b": float("nan") if i == 3 else i * 10.55}), 1001 + i)
    time.sleep_ms(20)
got = {"all": ring.since(0), "after 1003": ring.since(1003), "after 1005": ring.since(1005)}
Ring.max_send = 2
got["in parts"] = [ring.since(0), ring.since(1004)]
print(json.dumps(got))
"""


def run_script(tmp_path, script, *args):
    (tmp_path / "script.py").write_text(script)
    proc = run_micropython(["script.py"] + list(args), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_ring_costs_nothing_per_point_wraps_and_keeps_order(tmp_path):
    import json
    lines = run_script(tmp_path, RING).splitlines()
    # Its storage was allocated when it was declared: points allocate nothing
    # (the loop's own few bytes aside).
    allocated = json.loads(lines[0])
    assert allocated["1000 points"] == allocated["10 points"] < 200
    got = json.loads(lines[1])
    full, more = got["all"]
    assert full["all"] is True and more == 0  # nothing left for a next part
    # The last 3 of 5 points, oldest first; values in tenths (precision 1),
    # a NaN is a gap (null); ages fall towards the newest.
    assert full["v"] == [[20, 30, 40], [211, None, 422]]
    assert full["t"][0] > full["t"][1] > full["t"][2] >= 0
    assert full["t"][0] - full["t"][2] >= 40
    assert got["after 1003"][0]["v"] == [[30, 40], [None, 422]]
    assert "all" not in got["after 1003"][0]
    assert got["after 1005"] == [{"t": [], "v": [[], []]}, 0]
    # At most max_send points a message: the oldest, and the version of the
    # last one sent, from which the next part goes on.
    (first, more), (rest, last) = got["in parts"]
    assert (first["v"], first["all"], more) == ([[20, 30], [211, None]], True, 1004)
    assert (rest["v"], last) == ([[40], [422]], 0)
    assert rest["t"] == full["t"][2:] and first["t"] == full["t"][:2]


NO_CHARTS = """
import sys
from dashboard import Dashboard
from dashschema.kinds import Number
dash = Dashboard("T", static_dir=None, state_file="state.json")
dash.add(Number("n"))
print(sorted(m for m in ("chart_ring", "chart_history", "dashschema.chart") if m in sys.modules))
from dashschema.chart import Chart
dash.add(Chart("c"))
print(sorted(m for m in ("chart_ring", "chart_history") if m in sys.modules))
"""


def test_a_dashboard_loads_chart_code_only_for_charts_and_flash_code_only_to_persist(tmp_path):
    assert run_script(tmp_path, NO_CHARTS).splitlines() == ["[]", "['chart_ring']"]


#: A chart fed by writes: each press of "add" is a point (the third reading
#: of the second series missing), so that versions and values are exact.
CHART = """
from dashschema.chart import Chart
from dashschema.kinds import Button
dash.add(Chart("climate", "Climate", series=%(series)r, unit="C", points=%(points)d,
               persist=True))
dash.add(Button("add", "Add a point"))
presses = iter(range(1, 1000))


@dash.on_write("add")
def add(_):
    n = next(presses)
    dash.set("climate", {"inside": 20 + n / 10, %(series)r[1]: None if n %% 3 == 0 else n})
"""

APP = """
import sys
from dashboard import Dashboard
from chart_history import ChartHistory

from chart_ring import Ring

ChartHistory.every_s = 0.2
Ring.max_send = 3  # a ring of 4 points goes to a page that opens in two parts
dash = Dashboard("Charts", static_dir=None)
""" + CHART + """
dash.run("127.0.0.1", int(sys.argv[1]))
"""


@pytest.fixture
def start_charts(start_device, tmp_path):
    def start(series=("inside", "outside"), port=None):
        (tmp_path / "app.py").write_text(APP % {"series": series, "points": 4})
        return start_device(script="app.py", cwd=str(tmp_path), port=port)
    return start


def add_points(dev, count):
    for _ in range(count):
        assert write(dev, {"add": True})[0] == 200


def chart(dev, path="/data"):
    status, _, state = dev.request(path)
    assert status == 200, state
    return state, state["values"].get("climate")


def whole_ring(dev, path="/data"):
    """What a polling page that opens holds: the first answer, and the
    parts after it, each asked for from the version the one before gave.
    ``points["parts"]``: each answer's ages apart, as each is counted back
    from the moment its answer was made."""
    state, points = chart(dev, path)
    assert points["all"] is True
    points["parts"] = [points["t"][:]]
    while True:
        status, _, more = dev.request("/data?boot=%s&since=%d" % (state["boot"],
                                                                  state["version"]))
        if status == 204:
            return state, points
        state = more
        part = more["values"].get("climate", {"t": [], "v": [[], []]})
        assert "all" not in part
        points["t"] += part["t"]
        points["parts"].append(part["t"])
        for column, values in zip(points["v"], part["v"]):
            column += values


def test_a_page_holding_the_history_gets_only_new_points_on_stream_and_poll(start_charts):
    dev = start_charts()
    state, points = chart(dev)
    assert points == {"all": True, "t": [], "v": [[], []]}  # no data yet
    add_points(dev, 3)
    state, points = chart(dev)
    assert points["all"] is True
    # In tenths (precision 1); the third reading a gap.
    assert points["v"] == [[201, 202, 203], [10, 20, None]]
    boot, version = state["boot"], state["version"]
    since = "?boot=%s&since=%d" % (boot, version)
    with EventStream(dev, "/events" + since) as stream:
        add_points(dev, 1)
        message = stream.next_state()
        assert message["values"]["climate"]["v"] == [[204], [40]]
        assert "all" not in message["values"]["climate"]
        assert len(message["values"]["climate"]["t"]) == 1
        # The delta poll from the same version: the same single point.
        _, polled = chart(dev, "/data" + since)
        assert polled["v"] == [[204], [40]] and "all" not in polled
        add_points(dev, 2)  # the ring (4 points) wraps
        got = []
        while len(got) < 2:
            got += list(zip(*stream.next_state()["values"]["climate"]["v"]))
        assert got == [(205, 50), (206, None)]
    # A page that opens gets the whole ring, oldest first, in parts of 3.
    assert chart(dev)[1]["v"] == [[203, 204, 205], [None, 40, 50]]
    _, points = whole_ring(dev)
    assert points["v"] == [[203, 204, 205, 206], [None, 40, 50, None]]
    for ages in points["parts"]:
        assert ages == sorted(ages, reverse=True)
    with EventStream(dev, "/events") as stream:
        first, second = stream.next_state(), stream.next_state()
    assert first["values"]["climate"]["v"] == [[203, 204, 205], [None, 40, 50]]
    assert first["values"]["climate"]["all"] is True
    assert second["values"]["climate"]["v"] == [[206], [None]]
    # A page that holds it all gets the next point alone.
    version = whole_ring(dev)[0]["version"]
    assert write(dev, {"add": True})[0] == 200
    _, points = chart(dev, "/data?boot=%s&since=%d" % (boot, version))
    assert points["v"] == [[207], [70]]


def saved_file(tmp_path):
    return tmp_path / "chart-climate.bin"


def saved(tmp_path, count, head):
    """Whether the history file holds ``count`` points, the next going at
    ``head`` (it is written a moment after the points come)."""
    import json
    try:
        line = saved_file(tmp_path).read_bytes().split(b"\n", 1)[0]
        header = json.loads(line)
    except (OSError, ValueError):
        return False
    return (header["count"], header["head"]) == (count, head)


def test_history_survives_a_restart_and_a_restart_resends_the_ring(start_charts, tmp_path):
    dev = start_charts()
    add_points(dev, 5)
    old_state, before = whole_ring(dev)
    wait_for(lambda: saved(tmp_path, 4, 1), "the history written to flash")
    # The ring as it lies in memory after a line of JSON: a size fixed by the chart.
    assert len(saved_file(tmp_path).read_bytes().split(b"\n", 1)[1]) == 4 * (4 + 2 * 4)
    dev.stop()
    dev = start_charts(port=dev.port)
    # The page held the old boot's versions: it gets the whole ring again.
    state, after = whole_ring(dev, "/data?boot=%s&since=%d" % (old_state["boot"],
                                                               old_state["version"]))
    assert state["boot"] != old_state["boot"]
    assert after["v"] == before["v"] == [[202, 203, 204, 205], [20, None, 40, 50]]
    # The same spacing between points (within the first part: one message,
    # one "now"), all older than they were.
    assert [b - a for a, b in zip(after["t"][:3], after["t"][1:3])] == \
        [b - a for a, b in zip(before["t"][:3], before["t"][1:3])]
    assert after["t"][-1] >= before["t"][-1]
    add_points(dev, 1)
    assert whole_ring(dev)[1]["v"] == [[203, 204, 205, 201], [None, 40, 50, 10]]


@pytest.mark.parametrize("damage", ["junk", "cut short", "empty", "too long"])
def test_a_damaged_history_file_is_reported_and_skipped(start_charts, tmp_path, damage):
    dev = start_charts()
    add_points(dev, 2)
    wait_for(lambda: saved(tmp_path, 2, 2), "the history written to flash")
    dev.stop()
    path = saved_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes({"junk": b"\x00\xff garbage\n" + data[:20], "cut short": data[:-3],
                      "empty": b"", "too long": data + b"\x00"}[damage])
    dev = start_charts(port=dev.port)
    assert "chart history %s is unusable" % "chart-climate.bin" in dev.output()
    _, points = chart(dev)
    assert points == {"all": True, "t": [], "v": [[], []]}
    # The board runs on, and the next save replaces the file.
    add_points(dev, 1)
    assert chart(dev)[1]["v"] == [[201], [10]]
    wait_for(lambda: saved(tmp_path, 1, 1), "the file written again")


def test_a_history_file_from_a_chart_with_other_series_is_skipped(start_charts, tmp_path):
    dev = start_charts()
    add_points(dev, 2)
    wait_for(lambda: saved(tmp_path, 2, 2), "the history written to flash")
    dev.stop()
    dev = start_charts(series=("inside", "attic"), port=dev.port)
    assert "holds 4 points of series inside, outside" in dev.output()
    assert chart(dev)[1] == {"all": True, "t": [], "v": [[], []]}
