"""Every value each board sends, in one SQLite file (WAL mode).

Schema (times are ms since the epoch, on the hub's clock):

    boards(id, name UNIQUE, title)
    runs(id, board, boot, version, start_ms, last_ms, schema)
        one per boot of a board: its boot id, its schema (JSON), and the
        board's version the hub recorded up to, committed with the points;
        a hub that restarts asks the board for what came after it
    series(id, board, widget, name, scale, UNIQUE(board, widget, name, scale))
        one per widget, and per series of a chart (``name`` its series,
        "" for any other widget). ``scale``: a number is kept as a whole
        number of its last shown digit (21.5 at precision 1 is 215, scale
        10), as a board's chart sends it; 0: the value is kept as JSON text
        (a label's, a switch's, a log's lines one row each). A widget whose
        precision changes starts a new series; queries read the newest.
    points(series, t, value, PRIMARY KEY(series, t)) WITHOUT ROWID
        one row per value. ``value`` NULL is a gap: the board went offline
        or rebooted (the row is written for each of its series at that
        moment), or a chart's point had no reading. A chart never draws a
        line across one. A series' times only grow: a value in the same ms
        as the last is written 1 ms later.

Recording happens in one open transaction, committed every ``commit_s``
(1 s) by ``run()``: a hub killed at any moment loses at most the values of
the last second, never what a commit confirmed, and SQLite reopens the file
clean. Queries use connections of their own (WAL: readers never wait for
the writer), from a thread.
"""

import asyncio
import csv
import io
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from urllib.parse import quote

SCHEMA = """
CREATE TABLE IF NOT EXISTS boards (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    title TEXT);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, board INTEGER NOT NULL,
    boot TEXT NOT NULL, version INTEGER NOT NULL, start_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL, schema TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_board ON runs (board, id);
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, board INTEGER NOT NULL,
    widget TEXT NOT NULL, name TEXT NOT NULL, scale INTEGER NOT NULL,
    UNIQUE (board, widget, name, scale));
CREATE TABLE IF NOT EXISTS points (series INTEGER NOT NULL, t INTEGER NOT NULL, value,
    PRIMARY KEY (series, t)) WITHOUT ROWID;
"""

DAY_MS = 86400 * 1000


def now_ms():
    return int(time.time() * 1000)


def series_of(widget):
    """[(series name, scale)] a widget's values are kept as."""
    precision = getattr(widget, "precision", None)
    if widget.history == "chart_ring":
        return [(name, 10 ** precision) for name in widget.series]
    if isinstance(precision, int) and widget.kind in ("number", "level", "gauge"):
        return [("", 10 ** precision)]
    return [("", 0)]


def rows_of(widget, value, t, scales):
    """(series index, t, stored value) of one value a board sent; ``value``
    as Mirror.apply returns it."""
    if widget.history == "chart_ring":
        return [(s, pt, v) for pt, point in value for s, v in enumerate(point)]
    if widget.history == "log_ring":
        return [(0, t, json.dumps(line)) for line in value]
    if scales[0]:
        return [(0, t, None if value is None else int(round(value * scales[0])))]
    return [(0, t, None if value is None else json.dumps(value, separators=(",", ":")))]


class History:
    #: Most seconds between two commits.
    commit_s = 1.0
    #: Values a series records per second, sustained: a board sending many
    #: times its usual rate (1 Hz, say) is limited, not let fill the disk.
    max_rate_hz = 10
    #: ... and at once: a chart's whole ring when a board is first seen.
    burst = 1200
    #: Seconds between two deletions of what is older than ``keep_days``.
    prune_every_s = 3600

    def __init__(self, path, keep_days=30, log=print):
        self.path = path
        self.keep_days = keep_days
        self.log = log
        self.db = sqlite3.connect(path, isolation_level="DEFERRED")
        self.db.execute("PRAGMA journal_mode=WAL")
        # A commit is on disk when it returns: "confirmed" survives power loss too.
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.db.commit()
        self._boards = {}  # name -> id
        self._series = {}  # (board id, widget, name, scale) -> id
        self._last_t = {}  # series id -> its last t
        self._runs = {}  # board name -> [run id, version, last_ms, dirty]
        self._buckets = {}  # series id -> [tokens, at ms]
        self._limited = set()  # series told of being limited, until they slow down
        self.recorded = 0  # values recorded since the start (the benchmark reads it)

    # ---- recording (the event loop's thread) ---------------------------

    def board_id(self, name, title=None):
        bid = self._boards.get(name)
        if bid is None:
            row = self.db.execute("SELECT id FROM boards WHERE name=?", (name,)).fetchone()
            bid = row[0] if row else self.db.execute(
                "INSERT INTO boards (name, title) VALUES (?, ?)", (name, title)).lastrowid
            self._boards[name] = bid
        if title is not None:
            self.db.execute("UPDATE boards SET title=? WHERE id=? AND title IS NOT ?",
                            (title, bid, title))
        return bid

    def last_run(self, name):
        """(boot, version, last_ms) the board's newest run was recorded up
        to, or None."""
        row = self.db.execute(
            "SELECT boot, version, last_ms FROM runs WHERE board=? ORDER BY id DESC LIMIT 1",
            (self.board_id(name),)).fetchone()
        return tuple(row) if row else None

    def start_run(self, name, schema, t):
        """A board's boot not seen before: a new run, the old one ended by a
        gap."""
        bid = self.board_id(name, schema.get("title"))
        if self.last_run(name) is not None:
            self.gap(name, t)
        run = self.db.execute(
            "INSERT INTO runs (board, boot, version, start_ms, last_ms, schema) "
            "VALUES (?, ?, 0, ?, ?, ?)", (bid, schema["boot"], t, t, json.dumps(schema))).lastrowid
        self._runs[name] = [run, 0, t, False]

    def resume_run(self, name, t):
        """Go on with the board's newest run (the same boot came back)."""
        row = self.db.execute("SELECT id, version, last_ms FROM runs WHERE board=? "
                              "ORDER BY id DESC LIMIT 1", (self.board_id(name),)).fetchone()
        self._runs[name] = [row[0], row[1], row[2], False]

    def record(self, name, widgets, kept, version, t):
        """Keep what a message brought (``kept`` from Mirror.apply, for the
        widgets ``widgets`` of its schema) and that the board's version is
        recorded up to ``version``."""
        bid = self.board_id(name)
        rows = []
        for wid, value in kept.items():
            widget = widgets.get(wid)
            if widget is None or widget.momentary:
                continue
            specs = series_of(widget)
            ids = [self._series_id(bid, wid, n, scale) for n, scale in specs]
            for s, pt, stored in rows_of(widget, value, t, [scale for _, scale in specs]):
                sid = ids[s]
                if not self._allowed(sid, t, name, wid):
                    continue
                pt = max(int(pt), self._last(sid) + 1)
                self._last_t[sid] = pt
                rows.append((sid, pt, stored))
        if rows:
            self.db.executemany("INSERT INTO points VALUES (?, ?, ?)", rows)
            self.recorded += len(rows)
        run = self._runs[name]
        run[1], run[2], run[3] = max(run[1], version), t, True

    def gap(self, name, t):
        """A gap in every series of the board (it went offline, or rebooted)."""
        bid = self.board_id(name)
        rows = []
        for (sid,) in self.db.execute("SELECT id FROM series WHERE board=?", (bid,)).fetchall():
            pt = max(t, self._last(sid) + 1)
            self._last_t[sid] = pt
            rows.append((sid, pt, None))
        self.db.executemany("INSERT INTO points VALUES (?, ?, ?)", rows)

    def _allowed(self, sid, t, name, wid):
        tokens, at = self._buckets.get(sid, (self.burst, t))
        tokens = min(self.burst, tokens + (t - at) * self.max_rate_hz / 1000)
        allowed = tokens >= 1
        self._buckets[sid] = [tokens - allowed, t]
        if not allowed and sid not in self._limited:
            self._limited.add(sid)
            self.log("hub: %s sends %s faster than %d values a second: "
                     "the rest is not recorded" % (name, wid, self.max_rate_hz))
        elif allowed and tokens > self.burst / 2:
            self._limited.discard(sid)
        return allowed

    def _series_id(self, bid, wid, name, scale):
        key = (bid, wid, name, scale)
        sid = self._series.get(key)
        if sid is None:
            row = self.db.execute("SELECT id FROM series WHERE board=? AND widget=? AND name=? "
                                  "AND scale=?", key).fetchone()
            sid = row[0] if row else self.db.execute(
                "INSERT INTO series (board, widget, name, scale) VALUES (?, ?, ?, ?)",
                key).lastrowid
            self._series[key] = sid
        return sid

    def _last(self, sid):
        last = self._last_t.get(sid)
        if last is None:
            last = self.db.execute("SELECT MAX(t) FROM points WHERE series=?",
                                   (sid,)).fetchone()[0] or 0
            self._last_t[sid] = last
        return last

    def commit(self):
        for run, version, last_ms, dirty in self._runs.values():
            if dirty:
                self.db.execute("UPDATE runs SET version=?, last_ms=? WHERE id=?",
                                (version, last_ms, run))
        for run in self._runs.values():
            run[3] = False
        self.db.commit()

    def prune(self, t):
        if not self.keep_days:
            return
        cutoff = t - int(self.keep_days * DAY_MS)
        sids = [row[0] for row in self.db.execute("SELECT id FROM series")]
        for sid in sids:
            self.db.execute("DELETE FROM points WHERE series=? AND t<?", (sid, cutoff))
        self.db.execute("DELETE FROM runs WHERE last_ms<? AND id NOT IN "
                        "(SELECT MAX(id) FROM runs GROUP BY board)", (cutoff,))
        self.commit()

    async def run(self):
        """Commit every ``commit_s``, prune every ``prune_every_s``; forever."""
        pruned = 0
        while True:
            await asyncio.sleep(self.commit_s)
            self.commit()
            if time.time() - pruned > self.prune_every_s:
                pruned = time.time()
                self.prune(now_ms())

    def close(self):
        self.commit()
        self.db.close()

    # ---- reading (any thread, a connection of its own) ------------------

    def reader(self):
        return open_reader(self.path)


def open_reader(path):
    """A read-only connection to a history file."""
    db = sqlite3.connect("file:%s?mode=ro" % quote(os.path.abspath(path)), uri=True)
    db.execute("PRAGMA query_only=1")
    return db


def newest_series(db, board, widget=None):
    """[(series id, widget, name, scale)] of a board (or of one of its
    widgets), the newest of each (widget, name)."""
    query = ("SELECT MAX(series.id), widget, series.name, scale FROM series JOIN boards "
             "ON boards.id = series.board WHERE boards.name=?")
    args = [board]
    if widget is not None:
        query += " AND widget=?"
        args.append(widget)
    rows = db.execute(query + " GROUP BY widget, series.name ORDER BY widget, series.name",
                      args).fetchall()
    return [tuple(r) for r in rows if r[0] is not None]


def query_range(db, board, widget, start, end, max_points=500):
    """A widget's values from ``start`` to ``end`` (ms), at most about
    ``max_points`` per series: beyond, the range is cut into max_points/2
    buckets and each gives its lowest and highest value (so a spike
    survives), at a quarter and three quarters of the bucket; a bucket with
    a gap gives None in place of its highest. Returns None for a widget
    never recorded, else {"series", "scale", "t", "v", "downsampled"}: like
    a chart's wire value, with times in ms since the epoch; values as kept
    (whole numbers of the last digit when ``scale``, else decoded JSON)."""
    series = newest_series(db, board, widget)
    if not series:
        return None
    ids = [s[0] for s in series]
    marks = ",".join("?" * len(ids))
    scale = series[0][3]
    count = db.execute("SELECT COUNT(*) FROM points WHERE series IN (%s) AND t>=? AND t<?"
                       % marks, ids + [start, end]).fetchone()[0]
    columns = {}
    downsampled = scale != 0 and count > max_points * len(ids)
    if not downsampled:
        rows = db.execute("SELECT series, t, value FROM points WHERE series IN (%s) AND t>=? "
                          "AND t<? ORDER BY t DESC LIMIT ?" % marks,
                          ids + [start, end, max_points * len(ids)]).fetchall()
        rows.reverse()
        for sid, t, value in rows:
            if value is not None and not scale:
                value = json.loads(value)
            columns.setdefault(t, {})[sid] = value
    else:
        n = max(1, max_points // 2)
        width = max(1, -(-(end - start) // n))
        for sid, b, lo, hi, known, total in db.execute(
                "SELECT series, (t - ?) / ?, MIN(value), MAX(value), COUNT(value), COUNT(*) "
                "FROM points WHERE series IN (%s) AND t>=? AND t<? GROUP BY series, 2" % marks,
                [start, width] + ids + [start, end]):
            at = start + b * width
            columns.setdefault(at + width // 4, {})[sid] = lo
            columns.setdefault(at + 3 * width // 4, {})[sid] = hi if known == total else None
    times = sorted(columns)
    return {"series": [s[2] for s in series], "scale": scale, "t": times,
            "v": [[columns[t].get(sid) for t in times] for sid in ids],
            "downsampled": downsampled}


def export_csv(db, board, widget, start, end):
    """CSV lines (text) of a board's values, or one widget's, from ``start``
    to ``end`` (ms): time (UTC, ISO 8601), widget, series, value; a gap has
    an empty value. Widget by widget, each in time order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("time", "widget", "series", "value"))
    yield out.getvalue()
    for sid, wid, name, scale in newest_series(db, board, widget):
        cursor = db.execute("SELECT t, value FROM points WHERE series=? AND t>=? AND t<? "
                            "ORDER BY t", (sid, start, end))
        while True:
            rows = cursor.fetchmany(1000)
            if not rows:
                break
            out.seek(0)
            out.truncate()
            for t, value in rows:
                writer.writerow((iso(t), wid, name, shown(value, scale)))
            yield out.getvalue()


def shown(value, scale):
    if value is None:
        return ""
    if scale:
        digits = len(str(scale)) - 1
        return "%.*f" % (digits, value / scale)
    value = json.loads(value)
    return value if isinstance(value, str) else json.dumps(value)


def iso(t):
    return datetime.fromtimestamp(t / 1000, timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")
