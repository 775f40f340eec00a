"""The card every widget is drawn in, and the placeholder for unknown kinds."""

from pyscript import web


class Card:
    """A widget on the page. Subclasses build their body and show values.

    ``send(value)`` is a coroutine function that writes the value to the
    device and returns None, or the reason it was refused.
    """

    kind = None

    def __init__(self, widget, send, spec=None):
        self.widget = widget
        self.send = send
        spec = spec or widget.to_dict()
        self.error = web.p(classes=["card-error"])
        self.root = web.div(
            web.h2(textContent=spec.get("label", spec["id"]), classes=["card-title"]),
            self.build(),
            self.error,
            classes=["card", "kind-" + str(self.kind or spec["kind"])],
        )
        self.root.setAttribute("data-widget", spec["id"])

    def build(self):
        return web.div()

    def show(self, value):
        pass

    def show_error(self, reason):
        self.error.textContent = reason or ""

    async def write(self, value):
        reason = await self.send(value)
        self.show_error(reason)
        return reason


class UnknownKind(Card):
    """What the page shows for a kind it has no renderer or schema class for."""

    kind = "unknown"

    def __init__(self, spec):
        self.spec = spec
        Card.__init__(self, None, None, spec)

    def build(self):
        return web.p(textContent="This page cannot show widgets of kind %r." % self.spec["kind"],
                     classes=["text"])
