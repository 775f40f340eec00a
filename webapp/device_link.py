"""The page's connection to the device: the schema, live state and writes.

Live state comes from the device's event stream; when the stream is refused
(the device's stream cap) or drops, the link polls ``/data`` for deltas and
tries the stream again every ``retry_stream_s``. JS interop stays in here.

A board with a token answers 401: the link then asks for it through
``ask_token`` and sends it with every request after, as ``Authorization:
Bearer`` and, on the stream (an EventSource cannot set headers), as
``?token=``.
"""

import asyncio
import json

from pyscript import fetch, window
from pyscript.ffi import create_proxy

from dashschema import wire

LIVE, POLLING, OFFLINE, LOCKED = "live", "polling", "offline", "locked"


class DeviceLink:
    #: Seconds between delta polls while there is no stream; the device's
    #: schema says how often it wants them.
    poll_s = 2
    #: Seconds of polling before the stream is tried again.
    retry_stream_s = 10
    #: A stream silent this long is taken as dead (the device pings every 15 s).
    stream_timeout_s = 40

    def __init__(self, base, on_state, on_status):
        self.base = base
        self.on_state = on_state  # on_state(message) for every state message
        self.on_status = on_status  # on_status(LIVE | POLLING | OFFLINE | LOCKED)
        self.boot = None
        self.version = 0
        self.status = None
        self._stream = None
        self._heard = 0
        #: The board's token, once it has asked for one.
        self.token = None
        #: ``await ask_token(reason, can_cancel)``: the token the user gives,
        #: or None. None here: refusals are reported, nothing is asked.
        self.ask_token = None
        # Made once: every stream the page opens reuses them.
        self._handlers = (("message", create_proxy(self._on_message)),
                          ("ping", create_proxy(self._on_ping)),
                          ("error", create_proxy(self._on_error)))

    async def schema(self):
        while True:
            response = await self._get(wire.SCHEMA_PATH)
            if response.status != 401:
                break
            reason = await self._ask(response, True)
            if reason and self.ask_token is None:
                raise OSError(reason)
        if not response.ok:
            raise OSError("the device answered %d for its schema" % response.status)
        schema = await response.json()
        poll_s = schema.get("poll_s")
        if isinstance(poll_s, (int, float)) and poll_s > 0:
            self.poll_s = poll_s
        if self.boot is None and self._stream is None:
            # The first time, the stream's connection is made while the page
            # draws, and its first state comes as soon as the cards are
            # there: nothing it brings is handled before the caller's next
            # await. run() then keeps it.
            self._open_stream()
        return schema

    async def write(self, changes):
        """POST a write; returns None, or the reason it was refused."""
        while True:
            headers = self._auth()
            headers["Content-Type"] = "application/json"
            try:
                response = await fetch(self.base + wire.DATA_PATH, method="POST",
                                       headers=headers, body=json.dumps(changes))
            except Exception:
                self._set_status(OFFLINE)
                return "the device is unreachable"
            if response.ok:
                return None
            if response.status != 401:
                return await _reason(response)
            reason = await self._ask(response, False)
            if reason:
                return reason  # not given: the write stays refused

    async def run(self):
        """Keep the page's state current, forever."""
        while True:
            if self._stream is not None or self._open_stream():
                while self._stream is not None:
                    await asyncio.sleep(1)
                    if self._silent_for() > self.stream_timeout_s:
                        self._close_stream()
            await self._poll_for(self.retry_stream_s)

    def receive(self, message):
        self.boot = message["boot"]
        self.version = message["version"]
        self.on_state(message)

    # ---- stream ----------------------------------------------------------

    def _open_stream(self):
        if not hasattr(window, "EventSource"):
            return False
        url = self.base + wire.EVENTS_PATH + self._since()
        if self.token:
            url += ("&" if "?" in url else "?") + "token=" + window.encodeURIComponent(self.token)
        self._stream = window.EventSource.new(url)
        self._heard = window.Date.now()
        for name, handler in self._handlers:
            self._stream.addEventListener(name, handler)
        return True

    def _on_message(self, event):
        self._on_ping(event)
        self.receive(json.loads(event.data))
        self._set_status(LIVE)

    def _on_ping(self, event):
        self._heard = window.Date.now()

    def _on_error(self, event):
        # Refused (503 past the device's cap) or dropped: poll for a while.
        self._close_stream()

    def _close_stream(self):
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _silent_for(self):
        return (window.Date.now() - self._heard) / 1000

    # ---- polling ---------------------------------------------------------

    async def _poll_for(self, seconds):
        for _ in range(max(1, int(seconds / self.poll_s))):
            was_offline = self.status == OFFLINE
            if await self._poll() and was_offline:
                return  # the device is back: try its stream again at once
            await asyncio.sleep(self.poll_s)

    async def _poll(self):
        try:
            response = await self._get(wire.DATA_PATH + self._since())
            message = await response.json() if response.status == 200 else None
        except Exception:  # unreachable, or its answer cut short: the board ran short of heap
            self._set_status(OFFLINE)
            return False
        if response.status == 401:
            await self._ask(response, True)
            return True
        if message is not None:
            self.receive(message)
        elif response.status != 204:
            self._set_status(OFFLINE)
            return False
        self._set_status(POLLING)
        return True

    # ---- the token -------------------------------------------------------

    async def locked(self):
        """Whether the board wants a token to read, and the link has none."""
        try:
            return (await self._get(wire.SCHEMA_PATH)).status == 401
        except Exception:
            return False

    async def _get(self, path):
        return await fetch(self.base + path, cache="no-store", headers=self._auth())

    def _auth(self):
        return {"Authorization": "Bearer " + self.token} if self.token else {}

    async def _ask(self, refusal, read):
        """Ask for the token ``refusal`` (a 401) wants. Returns None once one
        is given, else the board's reason. A read cannot go without it."""
        reason = await _reason(refusal)
        if read:
            self._set_status(LOCKED)
        if self.token:
            reason += " (the one this browser had was refused)"
        if self.ask_token is None:
            return reason
        token = await self.ask_token(reason, not read)
        if not token:
            return reason
        self.token = token
        return None

    def _since(self):
        return "?boot=%s&since=%d" % (self.boot, self.version) if self.boot else ""

    def _set_status(self, status):
        if status != self.status:
            self.status = status
            self.on_status(status)


async def _reason(response):
    """The reason in a refusal's JSON body."""
    try:
        return (await response.json())["error"]
    except Exception:
        return "the device refused (%d)" % response.status
