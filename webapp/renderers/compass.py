"""The demo's custom kind on the browser side: a compass rose in SVG.

Importing ``compass`` (shared/compass.py) registers the schema class, so the
page rebuilds and validates compass widgets with the board's own code.
"""

from pyscript import web

import compass  # noqa: F401  registers the "compass" widget kind
from renderers.card import Card
from renderers.registry import register

ROSE = """<svg viewBox="-50 -50 100 100" role="img">
<circle r="46" fill="none" stroke="currentColor" stroke-opacity=".25" stroke-width="2"/>
<text y="-34" text-anchor="middle" font-size="11" fill="currentColor">N</text>
<text x="37" y="4" text-anchor="middle" font-size="11" fill="currentColor">E</text>
<text y="42" text-anchor="middle" font-size="11" fill="currentColor">S</text>
<text x="-37" y="4" text-anchor="middle" font-size="11" fill="currentColor">W</text>
<g class="needle"><polygon points="0,-30 6,0 -6,0" fill="#c2410c"/>
<polygon points="0,30 6,0 -6,0" fill="currentColor" fill-opacity=".4"/></g>
</svg>"""

POINTS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@register
class CompassCard(Card):
    kind = "compass"

    def build(self):
        self.rose = web.div(ROSE)
        self.needle = self.rose.find(".needle")[0]
        self.text = web.div(classes=["reading"])
        return web.div(self.rose, self.text, classes=["compass"])

    def show(self, value):
        if value is None:
            self.text.textContent = "—"
            return
        self.needle.style["transform"] = "rotate(%sdeg)" % value
        self.text.textContent = "%d%s %s" % (round(value), self.widget.unit,
                                             POINTS[int((value + 22.5) // 45) % 8])
