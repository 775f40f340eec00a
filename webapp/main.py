"""The dashboard page: fetch the schema, draw every widget, keep them live.

Widgets are drawn in the schema's order (the device's declaration order),
under their group's heading; groups are in the order of their first widget,
as tabs when the board asks for them or has many. A widget whose renderer
fails costs its own card: the rest of the page stays live.
"""

import asyncio
import sys

from pyscript import fetch, web, when, window

from dashschema import loader, wire
from renderers.card import Placeholder, broken
from renderers.registry import renderer_for
from board_token import BoardToken
from device_link import DeviceLink, LIVE, LOCKED, OFFLINE, POLLING
from theme import ThemeSwitch, set_accent

STATUS_TEXT = {LIVE: "live", POLLING: "live (polling)", OFFLINE: "device unreachable, retrying…",
               LOCKED: "token needed"}
STATE = {OFFLINE: "offline", LOCKED: "locked"}
#: Seconds between attempts to reach a device that has not answered yet.
RETRY_S = 2
#: From this many groups up, a board that does not say shows them as tabs.
TABS_FROM = 5


def report(what, exc):
    """Print what failed, with its traceback, to the browser's console."""
    print("splitdash: %s" % what)
    sys.print_exception(exc)


class Page:
    def __init__(self, link):
        self.link = link
        self.cards = {}
        self.boot = None
        self.styled = set()  # kinds whose css is on the page
        self.history = None  # a hub's history route for this board, if it keeps one

    async def load(self):
        while True:
            try:
                schema = await self.link.schema()
                break
            except Exception:
                self.set_status(OFFLINE)
                await asyncio.sleep(RETRY_S)
        self.draw(schema)

    def draw(self, schema):
        self.boot = schema["boot"]
        if schema.get("history"):
            self.history = self.link.base + "/" + schema["history"]
        web.page.title = schema["title"]
        web.page["title"].textContent = schema["title"]
        set_accent(schema.get("accent"))
        grid = web.page["grid"]
        grid.innerHTML = ""
        self.cards = {}
        sections, order = {}, []
        for spec in schema["widgets"]:
            group = spec.get("group")
            if group not in sections:
                sections[group] = web.div(classes=["grid"])
                order.append(group)
            card = self.card_for(spec)
            self.cards[spec["id"]] = card
            sections[group].append(card.root)
        if self.history:
            asyncio.create_task(offer_history(list(self.cards.values()), self.link.base,
                                              self.history))
        named = [g for g in order if g is not None]
        tabs = schema.get("tabs")
        if tabs is None:
            tabs = len(named) >= TABS_FROM
        if None in sections:
            grid.append(web.section(sections[None], classes=["group"]))
        if tabs and named:
            grid.append(Tabs(named, sections).root)
            return
        for n, group in enumerate(named):
            heading = web.h2(textContent=group, id="group-%d" % n)
            section = web.section(heading, sections[group], classes=["group"])
            section.setAttribute("aria-labelledby", "group-%d" % n)
            grid.append(section)

    def card_for(self, spec):
        wid, kind = spec.get("id"), spec.get("kind")
        try:
            widget = loader.from_dict(spec)
        except KeyError as exc:
            print("splitdash: cannot draw %r: %s" % (wid, exc.args[0]))
            return Placeholder(spec, exc.args[0])
        except Exception as exc:
            report("cannot draw %r: its kind %r failed" % (wid, kind), exc)
            return Placeholder(spec, "%s: %s" % (type(exc).__name__, exc))
        cls, why = renderer_for(kind)
        if cls is None:
            print("splitdash: cannot draw %r: %s" % (wid, why))
            return Placeholder(spec, why)
        if kind not in self.styled:
            self.styled.add(kind)
            if cls.css:
                window.document.head.append(web.style(textContent=cls.css)._dom_element)
        try:
            return cls(widget, self.sender(widget))
        except Exception as exc:
            report("renderer of %r failed to draw it" % wid, exc)
            return Placeholder(spec, "its renderer failed: %s: %s" % (type(exc).__name__, exc))

    def sender(self, widget):
        async def send(value):
            # The board's own validator, run here first: a refusal needs no round trip.
            try:
                wire.check_writes({widget.id: value}, lambda wid: widget)
            except wire.WriteError as exc:
                return exc.reason
            return await self.link.write({widget.id: value})
        return send

    def show(self, message):
        if message["boot"] != self.boot:
            # The device restarted, maybe with other widgets: draw it anew.
            asyncio.create_task(self.redraw(message))
            return
        values = message["values"]
        for wid in values:
            card = self.cards.get(wid)
            if card is None:
                continue
            try:
                card.show(values[wid])
            except Exception as exc:
                # Once: the card no longer gets values.
                report("renderer of %r failed to show %r" % (wid, values[wid]), exc)
                del self.cards[wid]
                broken(card, "%s: %s" % (type(exc).__name__, exc))

    async def redraw(self, message):
        await self.load()
        if message["boot"] == self.boot:
            self.show(message)

    def set_status(self, status):
        body = window.document.body
        body.setAttribute("data-state", STATE.get(status, "live"))
        web.page["status"].textContent = STATUS_TEXT[status]


async def offer_history(cards, base, url):
    """What a hub keeps of each card's widget. Its code comes from the hub
    that keeps it (``base``): a board's own bundle never carries it."""
    if "hub_history" not in sys.modules:
        try:
            source = await (await fetch(base + "/hub_history.py")).text()
            with open("hub_history.py", "w") as f:
                f.write(source)
        except Exception as exc:
            report("the hub's history view did not load", exc)
            return
    import hub_history
    for card in cards:
        try:
            hub_history.offer(card, url)
        except Exception as exc:
            report("history of %r failed" % card.root.getAttribute("data-widget"), exc)


class Tabs:
    """Groups as tabs, one shown at a time: a tab list the arrow keys move
    along (the ARIA tabs pattern)."""

    def __init__(self, groups, sections):
        self.tabs, self.panels = [], []
        for n, group in enumerate(groups):
            tab = web.button(textContent=group, type="button", role="tab", id="tab-%d" % n)
            tab.setAttribute("aria-controls", "panel-%d" % n)
            panel = web.section(sections[group], classes=["group"], role="tabpanel",
                                id="panel-%d" % n)
            panel.setAttribute("aria-labelledby", "tab-%d" % n)
            self.bind(tab, n)
            self.tabs.append(tab)
            self.panels.append(panel)
        tablist = web.div(*self.tabs, classes=["tabs"], role="tablist")
        self.root = web.div(tablist, *self.panels)
        self.select(0)

    def bind(self, tab, n):
        @when("click", tab)
        def clicked(event):
            self.select(n)

        @when("keydown", tab)
        def key(event):
            step = {"ArrowRight": 1, "ArrowLeft": -1}.get(event.key)
            if step:
                event.preventDefault()
                to = (n + step) % len(self.tabs)
                self.select(to)
                self.tabs[to].focus()

    def select(self, chosen):
        for n, (tab, panel) in enumerate(zip(self.tabs, self.panels)):
            tab.setAttribute("aria-selected", "true" if n == chosen else "false")
            tab.tabIndex = 0 if n == chosen else -1
            panel.hidden = n != chosen


def board_path():
    """Where the page's board answers: "" when the board serves the page,
    "/b/<name>" on a hub serving several boards."""
    path = str(window.location.pathname)
    return path[:path.rfind("/")]


async def start():
    ThemeSwitch()
    base = board_path()
    link = DeviceLink(base, None, None)
    page = Page(link)
    link.on_state = page.show
    link.on_status = page.set_status

    async def start_again_if_locked():
        # What the page shows was read with the token: start again, asking.
        if await link.locked():
            window.location.reload()

    def forgotten():
        link.token = None
        asyncio.create_task(start_again_if_locked())

    token = BoardToken(forgotten, base)
    token.take_from_address()
    link.token = token.value
    link.ask_token = token.ask
    await page.load()
    await link.run()


asyncio.create_task(start())
