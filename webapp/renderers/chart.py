"""Charts: an SVG drawn in Python, a line per series. The card adds the
points each message brings (their times on this page's clock); "all" (the
whole ring) replaces them. A new point rewrites only lines and labels."""

from pyscript import web, when, window

from renderers.card import Card
from renderers.registry import register

W, H = 300, 100  # the drawing's units; CSS stretches it


def ago(ms):
    s = ms / 1000
    if s < 1.5:
        return "now"
    if s < 90:
        return "-%d s" % s
    if s < 5400:
        return "-%d min" % (s / 60)
    return "-%.1f h" % (s / 3600)


@register
class ChartCard(Card):
    kind = "chart"

    def build(self):
        w = self.widget
        self.times = []  # ms, this page's clock
        self.columns = [[] for _ in w.series]  # values or None (a gap)
        self.span = (0, 1)  # the time axis: (start, length) in ms
        self.keep = w.points  # points held: more while a hub's range is shown
        lines = "".join('<path class="s%d"/>' % (s % 4) for s in range(len(w.series)))
        self.svg = web.div('<svg viewBox="0 0 %d %d" preserveAspectRatio="none" role="img">%s'
                           '<line class="cursor" y1="0" y2="%d"/></svg>' % (W, H, lines, H))
        self.paths = self.svg.find("path")
        self.cursor = self.svg.find(".cursor")[0]
        self.top, self.bottom = web.span(), web.span()
        self.start = web.span()
        self.empty = web.p("no data yet", classes=["chart-empty"])
        self.readout = web.p(classes=["readout"])
        self.legend = [web.b() for _ in w.series]
        items = [web.li(web.i(classes=["s%d" % (s % 4)]), web.span(textContent=name), self.legend[s])
                 for s, name in enumerate(w.series)]

        @when("pointermove", self.svg)
        @when("pointerdown", self.svg)
        def point(event):
            box = event.currentTarget.getBoundingClientRect()
            self.point_at((event.clientX - box.left) / box.width)

        @when("pointerleave", self.svg)
        def leave(event):
            self.cursor.style["display"] = "none"
            self.readout.textContent = ""

        plot = web.div(web.div(self.top, self.bottom, classes=["y-axis"]), self.svg,
                       web.div(self.start, web.span("now"), classes=["x-axis"]), classes=["plot"])
        return web.div(self.empty, plot, self.readout, web.ul(*items, classes=["legend"]),
                       classes=["chart"])

    def number(self, v):
        if v is None:
            return "—"
        return ("%." + str(self.widget.precision) + "f %s") % (v, self.widget.unit)

    def text(self, j):
        return ", ".join("%s %s" % (name, self.number(column[j]))
                         for name, column in zip(self.widget.series, self.columns))

    def show(self, points):
        if not isinstance(points, dict):
            return
        now = window.Date.now()
        if points.get("all"):
            self.times = []
            self.columns = [[] for _ in self.columns]
        scale = 10 ** self.widget.precision
        self.times.extend(now - age for age in points["t"])
        for column, values in zip(self.columns, points["v"]):
            column.extend(None if v is None else v / scale for v in values)
        excess = len(self.times) - self.keep
        if excess > 0:
            del self.times[:excess]
            for column in self.columns:
                del column[:excess]
        self.draw(now)

    def draw(self, now):
        w = self.widget
        self.empty.style["display"] = "none" if self.times else ""
        if not self.times:
            return
        known = [v for column in self.columns for v in column if v is not None]
        lo = w.min if w.min is not None else min(known, default=0)
        hi = w.max if w.max is not None else max(known, default=1)
        if hi <= lo:
            lo, hi = lo - 1, hi + 1
        start = self.times[0]
        self.span = (start, max(now - start, 1000))
        for path, column in zip(self.paths, self.columns):
            d, pen = [], "M"
            for t, v in zip(self.times, column):
                if v is None:
                    pen = "M"  # a gap: the line breaks
                    continue
                d.append("%s%.1f %.1f" % (pen, W * (t - start) / self.span[1],
                                          H * (hi - v) / (hi - lo)))
                pen = "L"
            path.setAttribute("d", "".join(d))
        self.top.textContent, self.bottom.textContent = self.number(hi), self.number(lo)
        self.start.textContent = ago(self.span[1])
        latest = len(self.times) - 1
        for b, column in zip(self.legend, self.columns):
            b.textContent = self.number(column[latest])
        self.svg.find("svg")[0].setAttribute("aria-label", "%s, latest: %s; %d points since %s" % (
            w.label, self.text(latest), len(self.times), ago(self.span[1])))

    def point_at(self, fraction):  # of the time axis
        if not self.times:
            return
        t = self.span[0] + fraction * self.span[1]
        lo, hi = 0, len(self.times) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.times[mid] < t:
                lo = mid + 1
            else:
                hi = mid
        if lo and t - self.times[lo - 1] < self.times[lo] - t:
            lo -= 1
        x = "%.1f" % (W * (self.times[lo] - self.span[0]) / self.span[1])
        self.cursor.setAttribute("x1", x)
        self.cursor.setAttribute("x2", x)
        self.cursor.style["display"] = "inline"
        self.readout.textContent = "%s: %s" % (ago(window.Date.now() - self.times[lo]),
                                               self.text(lo))
