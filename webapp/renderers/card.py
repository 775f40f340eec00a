"""The card every widget is drawn in, the placeholder for a kind this page
cannot draw, and what a card becomes when its renderer fails."""

from pyscript import web


class Card:
    """A widget on the page. Subclasses build their body and show values.

    ``send(value)`` is a coroutine function that writes the value to the
    device and returns None, or the reason it was refused.

    ``css``: the kind's own style sheet, added to the page once, with the
    first card of the kind. Its rules should start with ``.kind-<kind>``.
    """

    kind = None
    css = ""

    def __init__(self, widget, send, spec=None):
        self.widget = widget
        self.send = send
        spec = spec or widget.to_dict()
        #: The id of the card's title: controls are named by it
        #: (``aria-labelledby``), so a screen reader says what each one sets.
        self.label_id = "label-" + spec["id"]
        self.error = web.p(classes=["card-error"])
        self.root = web.div(
            # Under a group's h2, or the page's h1.
            (web.h3 if spec.get("group") else web.h2)(
                textContent=spec.get("label", spec["id"]), classes=["card-title"],
                id=self.label_id),
            self.build(),
            self.error,
            classes=["card", "kind-" + str(self.kind or spec["kind"])],
        )
        self.root.setAttribute("data-widget", spec["id"])

    def build(self):
        return web.div()

    def show(self, value):
        pass

    def named(self, control):
        """``control``, named for screen readers by the card's title."""
        control.setAttribute("aria-labelledby", self.label_id)
        return control

    def show_error(self, reason):
        self.error.textContent = reason or ""

    async def write(self, value):
        reason = await self.send(value)
        self.show_error(reason)
        return reason


class Placeholder(Card):
    """A card with a message in place of a widget: a kind this page cannot
    draw, or one whose renderer failed."""

    kind = "unknown"

    def __init__(self, spec, reason):
        self.spec = spec
        self.reason = reason
        Card.__init__(self, None, None, spec)

    def build(self):
        return web.p(textContent="This page cannot show widgets of kind %r: %s." % (
            self.spec.get("kind"), self.reason), classes=["text"])


def broken(card, reason):
    """Turn a drawn card into an error card: its renderer failed on a value."""
    card.root.classes.add("kind-broken")
    card.root.replaceChildren(card.root.firstChild)
    card.root.append(web.p(textContent="This widget failed: %s" % reason, classes=["card-error"]))
