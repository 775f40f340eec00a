"""History on a page the hub serves (its schema names a "history" path):
a chart's ranges beyond the board's ring, 1 h, 24 h, 7 d and back to live;
a reading's last day as a sparkline, on demand; each with its CSV. Loaded
only on such a page: a board's own page never imports it."""

import asyncio

from pyscript import fetch, web, when, window

RANGES = (("live", 0), ("1 h", 3600), ("24 h", 86400), ("7 d", 7 * 86400))
SPARK_S = 86400
SPARK_POINTS = 120
W, H = 300, 40  # the sparkline's units; CSS stretches it
CSS = """.history { display: flex; flex-wrap: wrap; gap: .3rem; align-items: center;
  margin-top: .5rem; font-size: .8rem; }
.card .history button { padding: .15rem .6rem; font-size: .8rem; font-weight: 600;
  border-radius: 1rem; border: 1px solid var(--muted); background: none; color: inherit; }
.card .history button[aria-pressed=true] { background: var(--accent); color: var(--on-accent);
  border-color: var(--accent); }
.history a { color: var(--muted); margin-left: auto; }
.spark svg { display: block; width: 100%; height: 40px; }
.spark path { fill: none; stroke: var(--accent); stroke-width: 1.5;
  vector-effect: non-scaling-stroke; }"""

_styled = []


def offer(card, url):
    """Add what the card's kind can show of its history (``url``: the
    hub's history route for this board)."""
    if not _styled:
        _styled.append(True)
        window.document.head.append(web.style(textContent=CSS)._dom_element)
    if card.kind == "chart":
        Ranges(card, url)
    elif card.kind in ("number", "level", "gauge"):
        Sparkline(card, url)


async def values(url, wid, seconds, points=None):
    query = "?widget=%s&range=%d" % (window.encodeURIComponent(wid), seconds)
    if points:
        query += "&points=%d" % points
    response = await fetch(url + query, cache="no-store")
    found = await response.json()
    if not response.ok:
        raise OSError(found.get("error") or "the hub answered %d" % response.status)
    return found


def csv_link(url, wid, seconds):
    base = url[:url.rfind("/") + 1]
    return "%sexport.csv?widget=%s&range=%d" % (base, window.encodeURIComponent(wid), seconds)


class Ranges:
    """A chart's range buttons: past the board's ring, from the hub."""

    def __init__(self, card, url):
        self.card, self.url = card, url
        self.buttons = []
        self.csv = web.a(textContent="CSV", href=csv_link(url, card.widget.id, 86400),
                         download="")
        for name, seconds in RANGES:
            button = web.button(textContent=name, type="button")
            button.setAttribute("aria-pressed", "true" if not seconds else "false")
            button.setAttribute("data-range", str(seconds))
            self.bind(button, seconds)
            self.buttons.append(button)
        bar = web.div(*self.buttons, self.csv, classes=["history"], role="group")
        bar.setAttribute("aria-label", "Range")
        card.error._dom_element.before(bar._dom_element)

    def bind(self, button, seconds):
        @when("click", button)
        def clicked(event):
            asyncio.create_task(self.choose(button, seconds))

    async def choose(self, chosen, seconds):
        for button in self.buttons:
            button.setAttribute("aria-pressed", "true" if button == chosen else "false")
        card = self.card
        card.show_error(None)
        if not seconds:
            # Live: back to the board's ring, its newest points.
            card.keep = card.widget.points
            excess = len(card.times) - card.keep
            if excess > 0:
                del card.times[:excess]
                for column in card.columns:
                    del column[:excess]
            card.draw(window.Date.now())
            return
        self.csv.setAttribute("href", csv_link(self.url, card.widget.id, seconds))
        try:
            found = await values(self.url, card.widget.id, seconds)
        except Exception as exc:
            card.show_error("history: %s" % exc)
            return
        scale = found["scale"] or 1
        # The hub's clock and this page's may differ: its "now" is ours.
        shift = window.Date.now() - found["now"]
        card.keep = len(found["t"]) + 100000  # live points go on, none dropped
        card.times = [t + shift for t in found["t"]]
        card.columns = [[None if v is None else v / scale for v in column]
                        for column in found["v"]]
        card.draw(window.Date.now())


class Sparkline:
    """A reading's last day, drawn under it when asked for."""

    def __init__(self, card, url):
        self.card, self.url = card, url
        self.button = web.button(textContent="24 h", type="button", title="The last 24 hours")
        self.button.setAttribute("aria-pressed", "false")
        self.box = web.div(classes=["spark"])
        self.csv = web.a(textContent="CSV", href=csv_link(url, card.widget.id, SPARK_S),
                         download="")
        bar = web.div(self.button, self.csv, classes=["history"])
        card.error._dom_element.before(self.box._dom_element)
        card.error._dom_element.before(bar._dom_element)

        @when("click", self.button)
        def clicked(event):
            asyncio.create_task(self.toggle())

    async def toggle(self):
        if self.button.getAttribute("aria-pressed") == "true":
            self.button.setAttribute("aria-pressed", "false")
            self.box.innerHTML = ""
            return
        self.button.setAttribute("aria-pressed", "true")
        try:
            found = await values(self.url, self.card.widget.id, SPARK_S, SPARK_POINTS)
        except Exception as exc:
            self.card.show_error("history: %s" % exc)
            return
        self.box.innerHTML = sparkline(found["t"], found["v"][0], found["to"])


def sparkline(times, column, end):
    """An SVG of one series from its first value, broken at its gaps."""
    known = [v for v in column if v is not None]
    if not known:
        return '<p class="chart-empty">no history yet</p>'
    start = min(times[0], end - 1000)
    lo, hi = min(known), max(known)
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    d, pen = [], "M"
    for t, v in zip(times, column):
        if v is None:
            pen = "M"
            continue
        d.append("%s%.1f %.1f" % (pen, W * (t - start) / (end - start), H * (hi - v) / (hi - lo)))
        pen = "L"
    return ('<svg viewBox="0 0 %d %d" preserveAspectRatio="none" role="img" aria-label="%d '
            'values in 24 h"><path d="%s"/></svg>' % (W, H, len(known), "".join(d)))
