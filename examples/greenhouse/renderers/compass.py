"""The demo's custom kind on the browser side: a compass rose in SVG.

Its schema class is widgets/compass.py, which the page imports by itself the
first time the board's schema names the kind, as it imports this module:
a custom kind is these two files and nothing else to edit.
"""

from pyscript import web

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
    # Its own style, added to the page with the first compass card.
    css = """.kind-compass .compass svg { display: block; width: 120px; height: 120px; margin: 0 auto; }
.kind-compass .needle { transition: transform .5s; }"""

    def build(self):
        self.rose = web.div(ROSE)
        self.svg = self.rose.find("svg")[0]
        self.needle = self.rose.find(".needle")[0]
        self.text = web.div(classes=["reading"])
        return web.div(self.rose, self.text, classes=["compass"])

    def show(self, value):
        if value is None:
            self.text.textContent = "—"
            self.svg.setAttribute("aria-label", "%s: no reading" % self.widget.label)
            return
        self.needle.style["transform"] = "rotate(%sdeg)" % value
        self.text.textContent = "%d%s %s" % (round(value), self.widget.unit,
                                             POINTS[int((value + 22.5) // 45) % 8])
        self.svg.setAttribute("aria-label", "%s: %s" % (self.widget.label,
                                                        self.text.textContent))
