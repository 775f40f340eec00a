"""Renderers of the kinds in dashschema/inputs.py: a dropdown, a number box,
a text box and a colour picker, each the browser's own control. A value the
board refuses puts the control back to the board's value, with the reason
on the card; a value from the board never overwrites what the user is
typing."""

from pyscript import web, when, window

from renderers.builtin import as_number
from renderers.card import Card
from renderers.registry import register


class InputCard(Card):
    """A card around one native control, its value written as a whole:
    on the control's "change" unless ``on_change`` is False."""

    on_change = True

    def build(self):
        self.last = self.widget.initial
        self.control = self.named(self.make_control())
        if self.on_change:
            @when("change", self.control)
            async def changed(event):
                await self.commit()

        return self.body()

    def body(self):
        return self.control

    def make_control(self):
        raise NotImplementedError

    def value(self):
        """The control's value as the kind takes it, or raises ValueError."""
        return self.control.value

    async def commit(self):
        try:
            value = self.value()
        except ValueError as exc:
            self.show_error(str(exc))
            self.restore()
            return
        if value == self.last:
            self.show_error(None)
            return
        if await self.write(value):
            self.restore()

    def restore(self):
        """Put the board's value back in the control, refused text and all."""
        self.control.value = self.as_text(self.last)

    def as_text(self, value):
        return value

    def editing(self):
        return window.document.activeElement == self.control._dom_element

    def show(self, value):
        self.last = value
        if not self.editing():
            self.restore()


@register
class SelectCard(InputCard):
    kind = "select"

    def make_control(self):
        control = web.select()
        for option in self.widget.options:
            control.append(web.option(textContent=option, value=option))
        return control

    def editing(self):
        return False  # a dropdown is never mid-edit: its value is chosen whole


@register
class NumberInputCard(InputCard):
    """Sent on Enter or on leaving the box (the browser's "change")."""
    kind = "number_input"
    css = """.kind-number_input .entry { display: flex; align-items: baseline; gap: .4rem; }
.kind-number_input input { font: inherit; font-size: 1.6rem; font-weight: 650; width: 100%;
  min-width: 0; padding: .2rem .4rem; border: 1px solid var(--muted); border-radius: 8px;
  background: var(--bg); color: inherit; font-variant-numeric: tabular-nums; }"""

    def make_control(self):
        w = self.widget
        return web.input_(type="number", min=w.min, max=w.max, step=w.step, inputMode="decimal")

    def body(self):
        return web.div(self.control, web.span(textContent=self.widget.unit, classes=["unit"]),
                       classes=["entry", "reading"])

    def value(self):
        try:
            return as_number(self.control.value.strip())
        except ValueError:
            raise ValueError("enter a number from %s to %s" % (self.widget.min, self.widget.max))

    def as_text(self, value):
        return "" if value is None else str(value)


@register
class TextInputCard(InputCard):
    """Sent on Enter; Escape puts back the board's text. Leaving the box
    keeps the text there, unsent."""
    kind = "text_input"
    on_change = False
    css = """.kind-text_input input { font: inherit; width: 100%; padding: .5rem;
  border: 1px solid var(--muted); border-radius: 8px; background: var(--bg); color: inherit; }"""

    def make_control(self):
        control = web.input_(type="text", maxLength=self.widget.max_length,
                             enterKeyHint="send")

        @when("keydown", control)
        async def key(event):
            if event.key == "Enter":
                event.preventDefault()
                await self.commit()
            elif event.key == "Escape":
                self.restore()
                self.show_error(None)

        return control


@register
class ColorCard(InputCard):
    """The browser's colour picker; sent when it closes on a colour."""
    kind = "color"
    css = """.kind-color .entry { display: flex; align-items: center; gap: .7rem; }
.kind-color input { width: 3.2rem; height: 2.4rem; padding: 0; border: 1px solid var(--muted);
  border-radius: 8px; background: none; cursor: pointer; }
.kind-color code { font-size: 1.1rem; }"""

    def make_control(self):
        control = web.input_(type="color")

        @when("input", control)
        def picking(event):
            self.code.textContent = control.value

        return control

    def body(self):
        self.code = web.code()
        return web.div(self.control, self.code, classes=["entry"])

    def show(self, value):
        InputCard.show(self, value)
        self.code.textContent = value
