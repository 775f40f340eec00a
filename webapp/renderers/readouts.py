"""Renderers of the kinds in dashschema/readouts.py: a dial with its zones,
and a status light. Each says in words what its colour shows."""

from pyscript import web

from renderers.builtin import ReadingCard
from renderers.card import Card
from renderers.registry import register

# The dial: an upper half circle, its length 100 (pathLength) so that a
# share of the range is a share of the stroke.
ARC = 'd="M -40 0 A 40 40 0 0 1 40 0" pathLength="100"'
DIAL = """<svg viewBox="-50 -48 100 54" role="img">
<path class="track" %(arc)s/>%(zones)s<path class="value" %(arc)s stroke-dasharray="0 100"/>
</svg>"""
ZONE = '<path class="zone %s" %s stroke-dasharray="0 %.2f %.2f 100" transform="scale(1.2)"/>'


@register
class GaugeCard(ReadingCard):
    kind = "gauge"
    css = """.kind-gauge svg { display: block; width: 100%; max-width: 220px; margin: 0 auto; }
.kind-gauge path { fill: none; }
.kind-gauge .track { stroke: var(--track); stroke-width: 9; }
.kind-gauge .value { stroke: var(--accent); stroke-width: 9; transition: stroke-dasharray .4s; }
.kind-gauge .zone { stroke-width: 2.5; }
.kind-gauge .zone.warning, .kind-gauge .zone-warning .value { stroke: #d97706; }
.kind-gauge .zone.critical, .kind-gauge .zone-critical .value { stroke: #dc2626; }
.kind-gauge .reading { text-align: center; margin-top: -1.6rem; }
.kind-gauge .zone-name { display: block; font-size: .85rem; font-weight: 600; color: var(--warn); }"""

    def build(self):
        self.dial = web.div(DIAL % {"arc": ARC, "zones": self.zones()})
        self.svg = self.dial.find("svg")[0]
        self.arc = self.dial.find(".value")[0]
        self.zone_name = web.span(classes=["zone-name"])
        self.box = web.div(self.dial)
        self.box.append(ReadingCard.build(self), self.zone_name)
        return self.box

    def share(self, value):
        w = self.widget
        return min(1, max(0, (value - w.min) / (w.max - w.min)))

    def zones(self):
        w = self.widget
        bands = []
        low = w.warning is not None and w.critical is not None and w.warning > w.critical
        ends = (w.min, w.critical, w.warning) if low else (w.warning, w.critical, w.max)
        names = ("critical", "warning") if low else ("warning", "critical")
        for name, start, end in zip(names, ends, ends[1:]):
            if start is None:
                continue
            end = w.max if end is None else end
            a, b = 100 * self.share(start), 100 * self.share(end)
            bands.append(ZONE % (name, ARC, a, b - a))
        return "".join(bands)

    def show(self, value):
        ReadingCard.show(self, value)
        zone = self.widget.zone(value)
        for name in ("warning", "critical"):
            if zone == name:
                self.box.classes.add("zone-" + name)
            else:
                self.box.classes.discard("zone-" + name)
        self.zone_name.textContent = zone if zone in ("warning", "critical") else ""
        if value is None:
            self.arc.setAttribute("stroke-dasharray", "0 100")
            self.svg.setAttribute("aria-label", "%s: no reading" % self.widget.label)
            return
        self.arc.setAttribute("stroke-dasharray", "%.2f 100" % (100 * self.share(value)))
        self.svg.setAttribute("aria-label", "%s: %s %s of %s to %s%s" % (
            self.widget.label, self.value.textContent, self.widget.unit, self.widget.min,
            self.widget.max, ", " + zone if zone != "ok" else ""))


@register
class IndicatorCard(Card):
    kind = "indicator"
    css = """.kind-indicator .light { display: flex; align-items: center; gap: .6rem; font-size: 1.2rem; }
.kind-indicator .dot { width: 1.1rem; height: 1.1rem; border-radius: 50%; flex: none;
  background: var(--track); box-shadow: 0 0 0 3px var(--card), 0 0 0 4px var(--track); }
.kind-indicator .state { font-weight: 650; text-transform: uppercase; font-size: .95rem; }
.kind-indicator .state-ok .dot { background: #16a34a; }
.kind-indicator .state-warn .dot { background: #d97706; }
.kind-indicator .state-error .dot { background: #dc2626; }
.kind-indicator .state-off .dot { background: var(--muted); }"""
    WORDS = {"ok": "OK", "warn": "Warning", "error": "Error", "off": "Off"}

    def build(self):
        self.state = web.span(classes=["state"])
        self.text = web.span(classes=["text"])
        self.light = web.div(web.span(classes=["dot"], ariaHidden="true"), self.state, self.text,
                             classes=["light"])
        self.show(None)
        return self.light

    def show(self, value):
        for state in self.WORDS:
            self.light.classes.discard("state-" + state)
        if value is None:
            self.state.textContent, self.text.textContent = "—", "no reading"
            return
        state, text = value
        self.light.classes.add("state-" + state)
        self.state.textContent = self.WORDS.get(state, state)
        self.text.textContent = text
