"""The hub (tools/serve.py): boards on the MicroPython unix port, the
history in a real SQLite file, the fleet page in Chromium."""

import csv
import http.client
import io
import json
import random
import sqlite3
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

from hub_process import SERVE, hubs, read_db  # noqa: F401 (a fixture)

RECORDED_BOARD = textwrap.dedent("""
    import asyncio, sys
    from dashboard import Dashboard
    from dashschema.kinds import Number, Slider
    from dashschema.chart import Chart
    dash = Dashboard("Recorded", static_dir=None)
    dash.add(Slider("x", "X", min=0, max=1000, step=1))
    dash.add(Number("n", "N", precision=1))
    dash.add(Chart("c", "C", series=("a", "b"), points=50))

    @dash.on_write("x")
    def x_changed(v):
        dash.set("n", v / 10)
        dash.set("c", {"a": v, "b": -v})

    asyncio.run(dash.serve(port=int(sys.argv[1])))
""")

# A board gone wrong: its stream sends messages that do not fit its schema
# between two that do, then stays open (a minute at most).
HOSTILE_BOARD = textwrap.dedent('''
    import asyncio, sys
    SCHEMA = ('{"title":"Hostile","boot":"h1","poll_s":2,"widgets":['
              '{"id":"n","kind":"number","label":"N","unit":"","precision":1},'
              '{"id":"c","kind":"chart","label":"C","series":["a"],"unit":"","points":10,'
              '"precision":0,"min":null,"max":null}]}')
    MESSAGES = (
        '{"boot":"h1","version":1,"values":{"n":1.5,"c":{"t":[0],"v":[[1]],"all":true}}}',
        '{"boot":"h1","version":2,"values":{"n":"abc"}}',
        '{"boot":"h1","version":3,"values":{"nope":1}}',
        '{"boot":"h1","version":4,"values":{"c":{"t":[0,1],"v":[[1]]}}}',
        '{"boot":"h1","version":5,"values":{"n":NaN}}',
        'not json',
        '{"boot":"h1","version":6,"values":{"n":2.5,"c":{"t":[0],"v":[[2]]}}}',
    )

    async def handle(reader, writer):
        path = (await reader.readline()).split()[1]
        while (await reader.readline()) not in (b"\\r\\n", b""):
            pass
        if path.startswith(b"/schema"):
            writer.write(b"HTTP/1.0 200 OK\\r\\nContent-Type: application/json\\r\\n\\r\\n")
            writer.write(SCHEMA.encode())
        elif path.startswith(b"/events"):
            writer.write(b"HTTP/1.0 200 OK\\r\\nContent-Type: text/event-stream\\r\\n\\r\\n")
            for message in MESSAGES:
                writer.write(b"data: " + message.encode() + b"\\n\\n")
            await writer.drain()
            await asyncio.sleep(60)
        else:
            writer.write(b"HTTP/1.0 404 Not Found\\r\\n\\r\\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main():
        await asyncio.start_server(handle, "0.0.0.0", int(sys.argv[1]))
        await asyncio.sleep(60)

    asyncio.run(main())
''')


def script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def write(device, **values):
    status, _, body = device.request("/data", values, "POST",
                                     {"Content-Type": "application/json"})
    assert status == 200, body


def history(hub, board, widget, **args):
    query = "&".join("%s=%s" % kv for kv in dict(args, widget=widget).items())
    status, _, body = hub.request("/b/%s/history?%s" % (board, query))
    assert status == 200, body
    return json.loads(body)


def committed(hub, board, widget):
    """The values of the widget's first series the hub committed in the last hour."""
    status, _, body = hub.request("/b/%s/history?widget=%s&range=3600" % (board, widget))
    return json.loads(body)["v"][0] if status == 200 else []


def test_the_fleet_page_shows_both_boards_and_a_change_reaches_its_card(
        start_device, hubs, open_page, tmp_path):
    a, b = start_device(), start_device()
    hub = hubs("a=" + a.url, "b=" + b.url, "--db", str(tmp_path / "hub.sqlite"))
    page = open_page(SimpleNamespace(port=hub.port))
    for name in ("a", "b"):
        card = page.page.locator('[data-board="%s"][data-state=online]' % name)
        card.wait_for(timeout=20000)
        assert "Greenhouse" in card.inner_text()
    assert page.page.locator('[data-board="a"] [data-value=mode]').inner_text() == "auto"

    write(a, mode="on")
    page.page.wait_for_selector('[data-board="a"] [data-value=mode]:text-is("on")',
                                timeout=20000)
    assert page.page.locator('[data-board="b"] [data-value=mode]').inner_text() == "auto"

    # A card leads to its board's page, on the hub, drawn and live.
    page.page.locator('[data-board="a"] a').click()
    page.page.wait_for_selector("body[data-state=live]", timeout=30000)
    assert page.page.url.endswith("/b/a/")
    assert page.widget("mode").locator("select").input_value() == "on"
    # It learned from its schema that the hub keeps history: a chart offers
    # ranges past the board's ring, a reading its last day.
    chart = page.widget("temperature_history")
    chart.locator("button[data-range='3600']").click()
    chart.locator("button[data-range='3600'][aria-pressed=true]").wait_for(timeout=10000)
    assert "export.csv?widget=temperature_history&range=3600" in \
        chart.locator(".history a").get_attribute("href")
    reading = page.widget("temperature")
    reading.locator(".history button").click()
    reading.locator(".spark svg path").wait_for(timeout=10000, state="attached")
    assert reading.locator(".spark svg path").get_attribute("d").startswith("M0.0 ")
    assert not chart.locator(".card-error").inner_text()
    assert not page.errors
    # Its code came from the hub, not from the bundle every board page loads.
    assert any(url.endswith("/b/a/hub_history.py") for url in page.requests)


def test_history_ranges_csv_and_gaps(start_device, hubs, tmp_path):
    db = str(tmp_path / "hub.sqlite")
    device = start_device(script(tmp_path, "app.py", RECORDED_BOARD), cwd=str(tmp_path))
    hub = hubs("r=" + device.url, "--db", db)
    hub.wait_for(lambda: "x" in json.loads(hub.request("/b/r/data")[2]).get("values", {}),
                 "the board's first message on the hub")
    for x in (10, 20, 30, 40, 50):
        write(device, x=x)
        # Each value reaches the hub before the next is set: none is coalesced.
        hub.wait_for(lambda: json.loads(hub.request("/b/r/data")[2])["values"]["n"] == x / 10,
                     "%d on the hub" % x)
    hub.wait_for(lambda: len(committed(hub, "r", "c")) == 5, "5 points committed")

    found = history(hub, "r", "n", range=3600)
    assert found["scale"] == 10 and found["series"] == [""]
    assert found["v"] == [[None, 10, 20, 30, 40, 50]]  # no reading yet, then each one
    assert found["t"] == sorted(found["t"]) and not found["downsampled"]
    chart = history(hub, "r", "c", range=3600)
    assert chart["series"] == ["a", "b"]
    assert chart["v"] == [[100, 200, 300, 400, 500], [-100, -200, -300, -400, -500]]
    # The same, as from= and to=, and cut to a part of the range.
    assert history(hub, "r", "c", **{"from": chart["t"][1], "to": chart["t"][3]})["v"] == \
        [[200, 300], [-200, -300]]

    status, headers, body = hub.request("/b/r/export.csv?widget=n&range=3600")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["time", "widget", "series", "value"]
    assert [r[1:] for r in rows[1:]] == [["n", "", ""]] + [["n", "", "%d.0" % v]
                                                          for v in (1, 2, 3, 4, 5)]
    status, _, body = hub.request("/b/r/export.csv?range=3600")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [(r["series"], r["value"]) for r in rows if r["widget"] == "c"] == \
        [("a", "%d.0" % v) for v in (10, 20, 30, 40, 50)] + \
        [("b", "-%d.0" % v) for v in (10, 20, 30, 40, 50)]
    assert [r["value"] for r in rows if r["widget"] == "x"] == ["0", "10", "20", "30", "40", "50"]
    # The command line writes the same CSV, from the file.
    out = tmp_path / "n.csv"
    subprocess.run([sys.executable, SERVE, "export", "--db", db, "r", "n", "--from", "1h",
                    "-o", str(out)], check=True)
    assert list(csv.reader(io.StringIO(out.read_text())))[1:] == \
        list(csv.reader(io.StringIO(hub.request("/b/r/export.csv?widget=n&range=3600")[2]
                                    .decode())))[1:]

    # Offline: the fleet says since when, the history has a gap.
    device.stop()
    hub.wait_for(lambda: hub.board("r")["state"] == "offline", "the board offline")
    assert hub.request("/b/r/data")[0] == 502
    # Rebooted (a new boot id): a new run, after a gap.
    device = start_device(script(tmp_path, "app.py", RECORDED_BOARD), cwd=str(tmp_path),
                          port=device.port)
    hub.wait_for(lambda: hub.board("r")["state"] == "online", "the board back")
    write(device, x=60)
    hub.wait_for(lambda: committed(hub, "r", "n")[-1:] == [60], "60 committed")
    values = history(hub, "r", "n", range=3600)["v"][0]
    assert [v for v in values if v is not None] == [10, 20, 30, 40, 50, 60]
    assert None in values[values.index(50):]
    points = history(hub, "r", "c", range=3600)["v"][0]
    assert points[:5] == [100, 200, 300, 400, 500] and points[-1] == 600
    assert None in points[5:-1]  # the line breaks: never drawn across the gap
    runs = read_db(db, "SELECT boot FROM runs ORDER BY id")
    assert len(runs) == 2 and runs[0] != runs[1]


def test_a_killed_hub_reopens_clean_and_keeps_what_it_committed(start_device, hubs, tmp_path):
    db = str(tmp_path / "hub.sqlite")
    device = start_device()
    hub = hubs("g=" + device.url, "--db", db)
    rng = random.Random()
    seen = 0
    for _ in range(3):
        hub.wait_for(lambda: read_db(db, "SELECT COUNT(*) FROM points")[0][0] > seen + 20,
                     "more values committed")
        # Killed at a random moment of its second between commits.
        time.sleep(rng.uniform(0, 1))
        committed = set(read_db(db, "SELECT series, t, value FROM points"))
        seen = len(committed)
        hub.kill()
        check = sqlite3.connect(db)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()
        hub.start()
        assert committed <= set(read_db(db, "SELECT series, t, value FROM points"))

    # What the board's chart holds, the hub has, once: its restarts asked the
    # board for what came after their last commit.
    state = device.request("/data")[2]
    ring = len(state["values"]["temperature_history"]["t"])
    hub.wait_for(lambda: read_db(db, "SELECT MAX(version) FROM runs")[0][0] >= state["version"],
                 "the hub up to the board's version")
    after = len(device.request("/data")[2]["values"]["temperature_history"]["t"])
    kept = read_db(db, "SELECT COUNT(*) FROM points JOIN series ON series.id = points.series "
                   "WHERE widget='temperature_history' AND name='inside' AND value IS NOT NULL")
    assert ring <= kept[0][0] <= after < 240
    assert len(read_db(db, "SELECT id FROM runs")) == 1


def test_messages_that_do_not_fit_the_schema_are_dropped(start_device, hubs, tmp_path):
    db = str(tmp_path / "hub.sqlite")
    device = start_device(script(tmp_path, "hostile.py", HOSTILE_BOARD), cwd=str(tmp_path))
    hub = hubs("h=" + device.url, "--db", db)
    hub.wait_for(lambda: hub.board("h")["dropped"] == 5, "5 messages dropped")
    hub.wait_for(lambda: len(committed(hub, "h", "n")) == 2, "2 values committed")
    assert history(hub, "h", "n", range=3600)["v"] == [[15, 25]]
    assert history(hub, "h", "c", range=3600)["v"] == [[1, 2]]
    assert json.loads(hub.request("/b/h/data")[2])["values"]["n"] == 2.5
    log = hub.output()
    assert log.count("dropped a message") == 5
    assert "n: expected a number, got text" in log and "no widget 'nope'" in log
    assert "Traceback" not in log


def test_the_hub_token_guards_the_fleet_and_the_history(start_device, hubs, tmp_path):
    device = start_device(script(tmp_path, "app.py", RECORDED_BOARD), cwd=str(tmp_path))
    hub = hubs("r=" + device.url, "--db", str(tmp_path / "hub.sqlite"), "--token", "h0b")
    hub.wait_for(lambda: hub.request("/fleet.json?token=h0b")[0] == 200, "the hub")
    assert hub.request("/")[0] == 401
    assert hub.request("/fleet.json")[0] == 401
    assert hub.request("/b/r/history?widget=n&range=60")[0] == 401
    assert hub.request("/b/r/export.csv", {"Authorization": "Bearer nope"})[0] == 401
    assert hub.request("/b/r/export.csv", {"Authorization": "Bearer h0b"})[0] == 200
    # The board's own page and API are the board's: its tokens, if any.
    assert hub.request("/b/r/schema")[0] == 200
    # /?token= keeps the token in a cookie and leaves the address bar.
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    conn.request("GET", "/?token=h0b")
    answer = conn.getresponse()
    assert answer.status == 302 and answer.getheader("Location") == "/"
    cookie = answer.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert hub.request("/", {"Cookie": cookie.split(";")[0]})[0] == 200
