"""The hub's history (tools/hub/history.py) on a real SQLite file, fed as
the hub feeds it, with the times given: a rate is a count of values over
given times, not a race against the clock."""

import math
import os
import sqlite3
import sys

from conftest import ROOT

sys.path[:0] = [os.path.join(ROOT, "tools"), os.path.join(ROOT, "shared")]
from hub.history import History, query_range  # noqa: E402
from hub.mirror import Mirror  # noqa: E402

SCHEMA = {"title": "T", "boot": "b1", "poll_s": 2, "widgets": [
    {"id": "n", "kind": "number", "label": "N", "unit": "", "precision": 0},
    {"id": "c", "kind": "chart", "label": "C", "series": ["a"], "unit": "", "points": 1000,
     "precision": 0, "min": None, "max": None}]}
T0 = 1700000000000


def recorder(tmp_path, logged):
    history = History(str(tmp_path / "h.sqlite"), keep_days=0, log=logged.append)
    mirror = Mirror()
    mirror.set_schema(SCHEMA)
    history.start_run("t", SCHEMA, T0)
    version = [0]

    def send(t, **values):
        version[0] += 1
        message = {"boot": "b1", "version": version[0], "values": values}
        mirror.check(message)
        history.record("t", mirror.widgets, mirror.apply(message, t), version[0], t)
    return history, send


def count(history, widget):
    history.commit()
    with sqlite3.connect(history.path) as db:
        return db.execute("SELECT COUNT(*) FROM points JOIN series ON series.id = points.series "
                          "WHERE widget=?", (widget,)).fetchone()[0]


def test_a_board_at_its_usual_rate_is_recorded_whole(tmp_path):
    logged = []
    history, send = recorder(tmp_path, logged)
    for i in range(3000):  # 50 minutes at 1 Hz
        send(T0 + i * 1000, n=i % 100)
    assert count(history, "n") == 3000 and not logged


def test_a_board_at_a_hundred_times_its_rate_is_limited(tmp_path):
    logged = []
    history, send = recorder(tmp_path, logged)
    for i in range(10000):  # 100 s at 100 Hz
        send(T0 + i * 10, n=i % 100)
    # The burst, then max_rate_hz a second.
    expected = History.burst + 100 * History.max_rate_hz
    assert expected - 5 <= count(history, "n") <= expected
    assert len(logged) == 1 and "faster than 10 values a second" in logged[0]
    # A chart's points count one by one, however many a message brings.
    send(T0 + 200000, c={"t": list(range(5000, 0, -1)), "v": [list(range(5000))]})
    assert count(history, "c") == History.burst


def test_seven_days_come_back_as_500_points_with_spikes_and_gaps(tmp_path):
    history, send = recorder(tmp_path, [])
    minute = 60000
    for i in range(7 * 24 * 60):
        t = T0 + i * minute
        if i == 3000:
            history.gap("t", t)  # offline for a while
        elif 3000 < i < 3100:
            continue
        else:
            send(t, n=999 if i == 5000 else int(50 + 40 * math.sin(i / 300)))
    history.commit()
    db = sqlite3.connect(history.path)
    found = query_range(db, "t", "n", T0, T0 + 7 * 24 * 60 * minute)
    assert found["downsampled"] and len(found["t"]) <= 500
    values = found["v"][0]
    assert max(v for v in values if v is not None) == 999  # the spike survives
    assert min(v for v in values if v is not None) == 10
    assert values.count(None) == 1
    gap_at = found["t"][values.index(None)]
    assert T0 + 2990 * minute < gap_at < T0 + 3100 * minute
    # A short range: every value as it was recorded.
    short = query_range(db, "t", "n", T0, T0 + 10 * minute)
    assert not short["downsampled"]
    assert short["t"] == [T0 + i * minute for i in range(10)]
    assert short["v"] == [[int(50 + 40 * math.sin(i / 300)) for i in range(10)]]
    db.close()


def test_what_is_older_than_the_days_kept_is_deleted(tmp_path):
    history, send = recorder(tmp_path, [])
    day = 86400000
    for d in range(10):
        send(T0 + d * day, n=d)
    history.keep_days = 3
    history.prune(T0 + 9 * day + 1)
    db = sqlite3.connect(history.path)
    assert query_range(db, "t", "n", T0, T0 + 20 * day)["v"] == [[7, 8, 9]]
    db.close()
