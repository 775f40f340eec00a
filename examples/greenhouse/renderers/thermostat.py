"""The thermostat's card: the temperature read, and a box for the set
point, sent on Enter or on leaving it. The shared class checks a set point
before it leaves the page; a set point refused (here or by the board) puts
the box back to the board's, with the reason on the card."""

from pyscript import web, when, window

from renderers.card import Card
from renderers.registry import register


@register
class ThermostatCard(Card):
    kind = "thermostat"
    css = """.kind-thermostat .now { font-size: 2rem; font-weight: 650;
  font-variant-numeric: tabular-nums; }
.kind-thermostat .set { display: flex; align-items: baseline; gap: .4rem; margin-top: .3rem; }
.kind-thermostat input { font: inherit; width: 5.5rem; padding: .2rem .4rem;
  border: 1px solid var(--accent); border-radius: 8px; background: var(--bg); color: inherit; }"""

    def build(self):
        w = self.widget
        self.last = w.initial
        self.now = web.div(textContent="—", classes=["now"])
        self.box = self.named(web.input_(type="number", min=w.min, max=w.max, step=w.step,
                                         inputMode="decimal"))

        @when("change", self.box)
        async def changed(event):
            await self.commit()

        return web.div(self.now, web.label(web.span(textContent="set to"), self.box,
                                           web.span(textContent=w.unit), classes=["set"]))

    async def commit(self):
        try:
            target = float(self.box.value.strip())
            # 22, not 22.0: as typed, in a refusal's words too.
            change = {"target": int(target) if target == int(target) else target}
            value = self.widget.validate_write(change, self.last)
        except (ValueError, OverflowError) as exc:  # "abc", "nan"; "inf"
            self.show_error(str(exc) if "set point" in str(exc) else "enter a set point")
            self.restore()
            return
        if await self.write(change):
            self.restore()
        else:
            self.last = value  # what the board now holds, before its next message says so

    def restore(self):
        """The board's set point back in the box."""
        self.box.value = str(self.last["target"])

    def show(self, value):
        self.last = value or self.widget.initial
        current = self.last["current"]
        self.now.textContent = "—" if current is None else "%.1f%s" % (current, self.widget.unit)
        # The board's reading comes every second: it never overwrites a set
        # point being typed.
        if window.document.activeElement != self.box._dom_element:
            self.restore()
