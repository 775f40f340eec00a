"""The token a board asks for: asked once, kept in this browser, forgettable.

A board with a token answers 401 to what needs it. The page then asks for
the token in a small dialog, keeps it in localStorage under a key of the
board's own (its host, and its path on a hub), so a reload or another tab does not ask again, and
sends it with every request. "Forget token" drops it from this browser.
"""

import asyncio

from pyscript import web, window
from pyscript.ffi import create_proxy


class BoardToken:
    def __init__(self, on_forget, board=""):
        # A hub serves several boards from one host: each its own token.
        self.key = "splitdash.token." + str(window.location.host) + board
        self.on_forget = on_forget  # on_forget(): the token is gone
        self.value = None
        self._dialog = None  # built the first time it is needed
        self._answered = None  # an asyncio.Event while a question is open
        self._answer = None
        self.forget_button = web.button(textContent="Forget token", type="button",
                                        classes=["forget"], hidden=True)
        self.forget_button.on_click.add_listener(self.forget)
        web.page["status"]._dom_element.after(self.forget_button._dom_element)
        try:
            # Private browsing or a full store must not keep the page from working.
            self.value = window.localStorage.getItem(self.key) or None
        except Exception:
            pass
        self._shown()

    def take_from_address(self):
        """Keep a token given as ``#token=...`` and take it out of the
        address bar, where it would be bookmarked, shared or shoulder-read."""
        fragment = str(window.location.hash)
        if fragment.startswith("#token="):
            self.keep(str(window.decodeURIComponent(fragment[len("#token="):])))
            location = window.location
            window.history.replaceState(None, "", location.pathname + location.search)

    def keep(self, token):
        self.value = token or None
        try:
            window.localStorage.setItem(self.key, token)
        except Exception:
            pass
        self._shown()

    def forget(self, event=None):
        self.value = None
        try:
            window.localStorage.removeItem(self.key)
        except Exception:
            pass
        self._shown()
        self.on_forget()

    async def ask(self, reason, can_cancel=True):
        """Ask for the token; returns it (kept), or None if the user would
        rather not. Requests refused together share the one question."""
        if self._answered is None:
            self._answered = asyncio.Event()
            dialog = self._dialog or self._build()
            self._why.textContent = reason
            self._cancel.hidden = not can_cancel
            self._can_cancel = can_cancel
            self._field.value = ""
            dialog.returnValue = ""
            dialog.showModal()
        answered = self._answered
        await answered.wait()
        return self._answer

    def _closed(self, event):
        token = str(self._field.value).strip()
        self._answer = token if token and self._dialog.returnValue == "use" else None
        if self._answer:
            self.keep(self._answer)
        answered, self._answered = self._answered, None
        if answered is not None:
            answered.set()

    def _build(self):
        self._field = web.input_(type="password", name="token", autocomplete="off",
                                 required=True, spellcheck=False)
        self._why = web.p(id="token-why")
        self._cancel = web.button(textContent="Cancel", type="button")
        self._dialog = web.dialog(
            web.form(
                web.h2(textContent="Token", id="token-title"),
                self._why,
                web.label(web.span(textContent="Token for this board"), self._field),
                web.div(web.button(textContent="Use token", type="submit", value="use"),
                        self._cancel, classes=["token-buttons"]),
                method="dialog"),
            classes=["token-dialog"])
        self._dialog.setAttribute("aria-labelledby", "token-title")
        self._dialog.setAttribute("aria-describedby", "token-why")
        listen = self._dialog._dom_element.addEventListener
        listen("close", create_proxy(self._closed))
        listen("cancel", create_proxy(self._escaped))
        self._cancel.on_click.add_listener(lambda event: self._dialog.close())
        web.page.body.append(self._dialog)
        return self._dialog

    def _escaped(self, event):
        # Without its read token the page has nothing to show: keep asking.
        if not self._can_cancel:
            event.preventDefault()

    def _shown(self):
        self.forget_button.hidden = not self.value
