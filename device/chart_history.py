"""A chart's history kept on the board's flash across reboots
(``Chart(..., persist=True)``), imported only when a chart asks for it.

One file per chart beside the dashboard's ``state_file``,
``chart-<id>.bin``: a line of JSON (the chart's series and points, the
ring's place, the newest point's age) and then the ring's gaps and values
as they lie in memory, so that a save allocates nothing and a file is
never larger than its ring (``4 + 4 * len(series)`` bytes a point, plus
the line). It is rewritten whole, through ``<file>.tmp`` and a rename, at
most every ``ChartHistory.every_s``: flash wears out with writes, and a
power cut loses at most that many seconds of points.

A file that cannot be used (damaged, or from a chart since declared with
other series or points) is reported on the console and the chart starts
empty; it is replaced at the next save. The board always boots.
"""

import asyncio
import json
import time
from time import ticks_add, ticks_ms

from chart_ring import MAX_AGE_MS, age
from saved_state import write_whole


def _clock():
    """Seconds of a wall clock the board was given (NTP, an RTC), or None:
    without one its clock starts again at every boot."""
    now = int(time.time())
    return now if time.gmtime(now)[0] >= 2024 else None


class ChartHistory:
    #: Seconds between a chart's new point and the write that keeps it,
    #: with every point added meanwhile.
    every_s = 300

    def __init__(self, ring, state_file):
        folder = state_file.rpartition("/")[0]
        self.path = "%schart-%s.bin" % (folder + "/" if folder else "", ring.chart.id)
        self.tmp = self.path + ".tmp"
        self.ring = ring
        #: Flash writes since boot, for wear estimates.
        self.writes = 0
        self._waiting = False
        self._load()

    def changed(self):
        if not self._waiting:
            self._waiting = True
            asyncio.create_task(self._keep())

    async def _keep(self):
        await asyncio.sleep(self.every_s)
        self._waiting = False
        self.save()

    def save(self):
        """Write the ring now (as before a deep sleep)."""
        ring = self.ring
        head = {"series": ring.chart.series, "points": ring.size, "head": ring.head,
                "count": ring.count, "age": age(ring.last), "clock": _clock()}
        try:
            write_whole(self.path, self.tmp, (json.dumps(head).encode(), b"\n", ring.gaps,
                                              ring.values))
        except OSError as exc:
            # A full or read-only flash must not stop the dashboard.
            print("splitdash: could not save chart %r to %s (%s)" % (ring.chart.id, self.path,
                                                                     exc))
            return
        self.writes += 1

    def _load(self):
        for path in (self.path, self.tmp):  # the new file alone: a rename FAT could not do
            try:
                f = open(path, "rb")
                break
            except OSError:
                pass
        else:
            return  # never saved
        ring = self.ring
        try:
            with f:
                head = json.loads(f.readline())
                if list(head["series"]) != list(ring.chart.series) or \
                        head["points"] != ring.size:
                    raise ValueError("it holds %d points of series %s" % (
                        head["points"], ", ".join(head["series"])))
                if not (0 <= head["head"] < ring.size and 0 <= head["count"] <= ring.size):
                    raise ValueError("its ring is out of bounds")
                size = f.readinto(ring.gaps) + f.readinto(ring.values)
                if size != 4 * ring.size * (1 + ring.width) or f.read(1):
                    raise ValueError("it is not the ring's size: cut short?")
                off = 0
                if head["clock"] is not None and _clock() is not None:
                    off = max(0, _clock() - head["clock"]) * 1000  # the board was off
                ring.last = ticks_add(ticks_ms(), -min(head["age"] + off, MAX_AGE_MS))
                ring.head, ring.count = head["head"], head["count"]
                for k in range(ring.count):  # versions 1, 2, ..., oldest first
                    ring.versions[(ring.head - ring.count + k) % ring.size] = k + 1
        except Exception as exc:
            print("splitdash: chart history %s is unusable (%s); %r starts empty" % (
                path, exc, ring.chart.id))
