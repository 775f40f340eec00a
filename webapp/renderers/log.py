"""The log kind's renderer: the board's last lines, newest at the bottom.
A message adds the lines it brings; ``all`` (a page that opens, a board
that restarted) replaces them. It follows new lines while scrolled to the
bottom, and stays put while the user reads back."""

from pyscript import web

from renderers.card import Card
from renderers.registry import register


@register
class LogCard(Card):
    kind = "log"
    css = """.kind-log { grid-column: 1 / -1; }
.kind-log ol { margin: 0; padding: .4rem .6rem; list-style: none; max-height: 12rem; overflow-y: auto;
  background: var(--bg); border-radius: 8px; font: .85rem/1.5 ui-monospace, Menlo, Consolas, monospace; }
.kind-log li { word-break: break-word; }
.kind-log .empty { color: var(--muted); }"""

    def build(self):
        self.lines = web.ol(tabIndex=0)
        self.named(self.lines)
        self.count = 0
        self.empty = web.li(textContent="no lines yet", classes=["empty"])
        self.lines.append(self.empty)
        return self.lines

    def show(self, value):
        box = self.lines
        at_end = box.scrollTop + box.clientHeight >= box.scrollHeight - 4
        if value.get("all"):
            box.innerHTML = ""
            self.count = 0
        for line in value["lines"]:
            box.append(web.li(textContent=line))
            self.count += 1
        while self.count > self.widget.lines:
            box.firstElementChild.remove()
            self.count -= 1
        if not self.count:
            box.append(self.empty)
        elif self.empty.parentElement:
            self.empty.remove()
        if at_end:
            box.scrollTop = box.scrollHeight
