"""A chart's points on the board: a ring allocated whole when the chart is
declared, so that its heap cost is fixed and known then, ``8 + 4 *
len(series)`` bytes a point: the ms since the point before it, the
dashboard version that added it, and a 32-bit whole number per series (the
value in units of its last shown digit, as ``Chart.validate`` rounds it, or
GAP). Neither adding a point nor sending one makes a float. The oldest
point gives way to the newest.

Time is ``time.ticks_ms``, no wall clock: a point's age is the sum of the
gaps after it. Pages get ages, not times, so that board and page need no
common clock.
"""

from array import array
from time import ticks_diff, ticks_ms

#: The oldest a point can be told to be, in ms: ``ticks_diff`` is only
#: meaningful below half the ticks' period (2**30 ms).
MAX_AGE_MS = (1 << 29) - 1
#: A value no reading has: a gap in the line.
GAP = -(1 << 31)


def newer(ring, version):
    """How many of the ring's newest entries a dashboard version after
    ``version`` added (all of them for 0): ``ring`` has ``versions``, in
    the order they were added up to ``head``, ``count`` and ``size``."""
    if not version:
        return ring.count
    k, n = 0, ring.size
    while k < ring.count and ring.versions[(ring.head - 1 - k) % n] > version:
        k += 1
    return k


def age(ticks):
    return min(max(ticks_diff(ticks_ms(), ticks), 0), MAX_AGE_MS)


class Ring:
    #: Most points of a chart in one message. A page that opens gets the
    #: ring in parts, one message after another: a whole ring at once would
    #: need one large block of heap, which a board that has run for a
    #: while may no longer have in one piece.
    max_send = 16

    def __init__(self, chart, state_file=None):
        self.chart = chart
        n = self.size = chart.points
        self.width = len(chart.series)
        self.gaps = array("I", bytes(4 * n))
        self.versions = array("I", bytes(4 * n))
        self.values = array("i", bytes(4 * n * self.width))
        self.head = 0  # where the next point goes
        self.count = 0
        self.last = ticks_ms()  # when the newest point came
        #: The chart_history.ChartHistory keeping the ring on flash, or None.
        self.kept = None
        if state_file and chart.persist:
            from chart_history import ChartHistory
            self.kept = ChartHistory(self, state_file)

    def append(self, point, version):
        """Add ``point`` (the chart's ``validate()``d values), added at
        dashboard ``version``."""
        i = self.head
        self.gaps[i] = age(self.last) if self.count else 0
        self.last = ticks_ms()
        self.versions[i] = version
        at = i * self.width
        for value in point:
            self.values[at] = GAP if value is None else value
            at += 1
        self.head = (i + 1) % self.size
        if self.count < self.size:
            self.count += 1
        if self.kept:
            self.kept.changed()

    def since(self, version):
        """The points added after dashboard ``version`` (every point for 0),
        as the wire carries them (see ``wire.py``), the oldest ``max_send``
        of them; and the version of the last one sent when more are left,
        else 0."""
        n, width = self.size, self.width
        k = newer(self, version)
        m = min(k, self.max_send)
        elapsed = age(self.last)
        i = self.head
        for _ in range(k - m):  # the newer points, left for later messages
            i = (i - 1) % n
            elapsed += self.gaps[i]
        ages = [0] * m
        columns = [[None] * m for _ in range(width)]
        for j in range(m - 1, -1, -1):
            i = (i - 1) % n
            ages[j] = elapsed
            at = i * width
            for s in range(width):
                value = self.values[at + s]
                if value != GAP:
                    columns[s][j] = value
            elapsed += self.gaps[i]
        points = {"t": ages, "v": columns}
        if not version:
            points["all"] = True
        return points, self.versions[(i + m - 1) % n] if m < k else 0
