"""The dashboard page: fetch the schema, draw every widget, keep them live.

Widgets are drawn in the schema's order (the device's declaration order).
"""

import asyncio

from pyscript import web, window

from dashschema import registry, wire
import dashschema.kinds  # noqa: F401  registers the built-in kinds
import renderers.builtin  # noqa: F401  registers their renderers
from renderers.card import UnknownKind
from renderers.registry import renderer_for
from board_token import BoardToken
from device_link import DeviceLink, LIVE, LOCKED, OFFLINE, POLLING

STATUS_TEXT = {LIVE: "live", POLLING: "live (polling)", OFFLINE: "device unreachable, retrying…",
               LOCKED: "token needed"}
STATE = {OFFLINE: "offline", LOCKED: "locked"}
#: Seconds between attempts to reach a device that has not answered yet.
RETRY_S = 2


class Page:
    def __init__(self, link):
        self.link = link
        self.cards = {}
        self.boot = None

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
        web.page.title = schema["title"]
        web.page["title"].textContent = schema["title"]
        grid = web.page["grid"]
        grid.innerHTML = ""
        self.cards = {}
        for spec in schema["widgets"]:
            card = self.card_for(spec)
            self.cards[spec["id"]] = card
            grid.append(card.root)

    def card_for(self, spec):
        cls = renderer_for(spec.get("kind"))
        if cls is None:
            return UnknownKind(spec)
        try:
            widget = registry.from_dict(spec)
        except (KeyError, ValueError) as exc:
            print("cannot draw widget %r: %r" % (spec.get("id"), exc))
            return UnknownKind(spec)
        return cls(widget, self.sender(widget))

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
            if card is not None:
                card.show(values[wid])

    async def redraw(self, message):
        await self.load()
        if message["boot"] == self.boot:
            self.show(message)

    def set_status(self, status):
        body = window.document.body
        body.setAttribute("data-state", STATE.get(status, "live"))
        web.page["status"].textContent = STATUS_TEXT[status]


async def start():
    link = DeviceLink("", None, None)
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

    token = BoardToken(forgotten)
    token.take_from_address()
    link.token = token.value
    link.ask_token = token.ask
    await page.load()
    await link.run()


asyncio.create_task(start())
