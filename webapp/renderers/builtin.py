"""Renderers for the built-in kinds (see dashschema/kinds.py)."""

from pyscript import web, when

from renderers.card import Card
from renderers.registry import register


def as_number(text):
    """A control's text as the number a kind takes: 35, not 35.0."""
    value = float(text)
    return int(value) if value == int(value) else value


@register
class LabelCard(Card):
    kind = "label"

    def build(self):
        self.text = web.div(classes=["text"])
        return self.text

    def show(self, value):
        self.text.textContent = value


#: Whole seconds are shown in their two largest units, "1 min 19 s": for
#: each, its seconds and name, and the next unit's.
DURATION = ((86400, "d", 3600, "h"), (3600, "h", 60, "min"), (60, "min", 1, "s"))


def duration(seconds):
    """Whole seconds as a person reads them: "45 s", "1 min 19 s", "2 h 5 min"."""
    seconds = int(seconds)
    for size, name, smaller, unit in DURATION:
        if seconds >= size:
            return "%d %s %d %s" % (seconds // size, name, seconds % size // smaller, unit)
    return "%d s" % seconds


class ReadingCard(Card):
    """A big number with its unit; "—" when the device has no reading. A
    reading in whole seconds (an uptime) is shown as "1 min 19 s"."""

    def build(self):
        w = self.widget
        self.seconds = w.unit == "s" and not w.precision
        self.value = web.span()
        # A duration's units are in its text.
        self.body = web.div(self.value, web.span(textContent="" if self.seconds else w.unit,
                                                 classes=["unit"]), classes=["reading"])
        self.show(None)
        return self.body

    def show(self, value):
        if value is None:
            self.value.textContent = "—"
            self.body.title = "no reading"
            self.body.classes.add("none")
        else:
            self.value.textContent = duration(value) if self.seconds else \
                ("%." + str(self.widget.precision) + "f") % value
            self.body.title = ""
            self.body.classes.discard("none")


@register
class NumberCard(ReadingCard):
    kind = "number"


@register
class LevelCard(ReadingCard):
    kind = "level"

    def build(self):
        self.fill = web.div(classes=["fill"])
        body = ReadingCard.build(self)
        return web.div(body, web.div(self.fill, classes=["bar"]))

    def show(self, value):
        ReadingCard.show(self, value)
        w = self.widget
        share = 0 if value is None else (value - w.min) / (w.max - w.min)
        self.fill.style["width"] = "%.1f%%" % (100 * min(1, max(0, share)))


@register
class ToggleCard(Card):
    kind = "toggle"

    def build(self):
        self.box = self.named(web.input_(type="checkbox", role="switch"))
        self.state = web.span(textContent="off")
        self.last = False

        @when("change", self.box)
        async def changed(event):
            on = bool(self.box.checked)
            self.state.textContent = "on" if on else "off"
            if await self.write(on):
                self.show(self.last)

        return web.label(self.box, self.state, classes=["switch"])

    def show(self, value):
        self.last = bool(value)
        self.box.checked = self.last
        self.state.textContent = "on" if self.last else "off"


@register
class SliderCard(Card):
    kind = "slider"

    def build(self):
        w = self.widget
        self.range = self.named(web.input_(type="range", min=w.min, max=w.max, step=w.step,
                                           value=w.min))
        self.value = web.span()
        self.last = w.min
        self.dragging = False

        @when("input", self.range)
        def moving(event):
            self.dragging = True
            self.value.textContent = self.range.value

        @when("change", self.range)
        async def released(event):
            self.dragging = False
            if await self.write(as_number(self.range.value)):
                self.show(self.last)

        return web.div(web.div(self.value, web.span(textContent=w.unit, classes=["unit"]),
                               classes=["reading"]), self.range)

    def show(self, value):
        self.last = value
        self.value.textContent = str(value)
        self.range.setAttribute("aria-valuetext", "%s %s" % (value, self.widget.unit))
        # Never move the thumb under the user's finger.
        if not self.dragging:
            self.range.value = value


@register
class ButtonCard(Card):
    kind = "button"

    def build(self):
        self.button = web.button(textContent=self.widget.label, type="button")

        @when("click", self.button)
        async def pressed(event):
            self.button.disabled = True
            await self.write(True)
            self.button.disabled = False

        return self.button
