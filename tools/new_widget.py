"""Adds a custom widget kind to an app folder, from a template that works
as it is:

    python tools/new_widget.py [--app FOLDER] NAME        (make widget NAME=... APP=...)

writes FOLDER/widgets/NAME.py (the kind's class, shared by board and page),
FOLDER/renderers/NAME.py (its card on the page, with its css) and
FOLDER/tests/test_NAME.py (its checks on CPython, on MicroPython and in
Chromium: `make test APP=FOLDER`). In a folder with no main.py yet it writes
one too, declaring a widget of the kind, so `make demo APP=FOLDER` shows it.

The template is a writable number the page steps up and down within its
``min``..``max``: the board checks every value it is given (``validate``),
and the page checks a step with the same class before it sends it.
"""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import app_kinds  # noqa: E402

WIDGET = '''"""The {name} widget kind: a number a page steps within ``min``..``max``.
Shared by the board (which checks every value with it) and the page (which
rebuilds it from the board's schema). Drawn by renderers/{name}.py."""

from dashschema.registry import register
from dashschema.widget import Widget, is_number


@register
class {cls}(Widget):
    kind = "{name}"
    writable = True
    params = (("min", 0), ("max", 10), ("step", 1), ("unit", ""))

    def check_params(self):
        if not (is_number(self.min) and is_number(self.max) and self.min < self.max):
            return "min and max must be numbers, min below max"
        if not is_number(self.step) or self.step <= 0:
            return "step must be a positive number"
        return None

    @property
    def initial(self):
        return self.min

    def validate(self, value):
        # The board's check, of its own set() and (through validate_write,
        # which defaults to this) of a page's write.
        if not is_number(value):
            raise ValueError("expected a number")
        if value < self.min or value > self.max:
            raise ValueError("%s is outside %s..%s" % (value, self.min, self.max))
        return value
'''

RENDERER = '''"""The {name} card: its value, stepped down and up. A step the shared
class refuses never leaves the page; one the board refuses puts the board's
value back, with the reason on the card."""

from pyscript import web, when

from renderers.card import Card
from renderers.registry import register


@register
class {cls}Card(Card):
    kind = "{name}"
    # Added to the page with the first card of the kind.
    css = """.kind-{name} .row {{ display: flex; align-items: center; gap: .6rem; }}
.kind-{name} .value {{ font-size: 1.6rem; font-weight: 650; min-width: 3ch; text-align: center;
  font-variant-numeric: tabular-nums; }}
.kind-{name} button {{ font: inherit; width: 2.4rem; height: 2.4rem; border-radius: 50%;
  border: 1px solid var(--accent); background: var(--bg); color: inherit; }}"""

    def build(self):
        self.last = self.widget.initial
        self.value = web.span(classes=["value"])
        down = self.named(web.button(textContent="\\u2212", type="button", classes=["down"]))
        up = self.named(web.button(textContent="+", type="button", classes=["up"]))

        @when("click", down)
        async def step_down(event):
            await self.step(-self.widget.step)

        @when("click", up)
        async def step_up(event):
            await self.step(self.widget.step)

        self.show(self.last)
        return web.div(down, self.value, up, classes=["row"])

    async def step(self, by):
        try:
            # The browser's check: the very class the board checks with.
            value = self.widget.validate_write(self.last + by, self.last)
        except ValueError as exc:
            self.show_error(str(exc))
            return
        before = self.last
        self.show(value)
        if await self.write(value):
            self.show(before)  # refused: the board's value back, the reason on the card

    def show(self, value):
        self.last = value
        self.value.textContent = "%s%s" % (value, self.widget.unit)
'''

TEST = '''"""The {name} kind's checks: its class on CPython and on MicroPython, and
a card of it in Chromium writing to the board. Run by `make test APP=<this
app folder>`, with splitdash's test fixtures (its tests/conftest.py)."""

import os
import sys
import time

import pytest

from conftest import MICROPYTHON, ROOT

APP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDGETS = os.path.join(APP, "widgets")
SHARED = os.path.join(ROOT, "shared")
sys.path[:0] = [WIDGETS, SHARED]

from {name} import {cls}  # noqa: E402

CHECKS = """
from {name} import {cls}
w = {cls}("w", min=0, max=10)
assert w.validate(3) == 3
for bad in (11, -1, "3", True):
    try:
        w.validate(bad)
    except ValueError:
        pass
    else:
        raise AssertionError("took %r" % (bad,))
print("ok")
"""


def test_the_class_on_cpython():
    exec(CHECKS, {{}})


def test_the_class_on_micropython():
    import subprocess
    env = dict(os.environ, MICROPYPATH=".frozen:%s:%s" % (SHARED, WIDGETS))
    result = subprocess.run([MICROPYTHON, "-c", CHECKS], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr


def test_refusals_keep_the_value():
    w = {cls}("w", min=0, max=10)
    with pytest.raises(ValueError, match="outside"):
        w.validate_write(11, 10)


def board_value(device, wid):
    return device.request("/data")[2]["values"][wid]


def test_a_step_on_the_page_reaches_the_board(start_device, open_page):
    # The app as `make test APP=...` built it into build/board.
    device = start_device()
    widgets = device.request("/schema")[2]["widgets"]
    mine = [w for w in widgets if w["kind"] == "{name}"]
    if not mine:
        pytest.fail("main.py declares no {name} widget: add one with dash.add({cls}(...))")
    wid = mine[0]["id"]
    before = board_value(device, wid)
    page = open_page(device).wait_ready()
    card = page.widget(wid)
    button = card.locator("button.up" if before < mine[0]["max"] else "button.down")
    button.click()
    deadline = time.time() + 10
    while board_value(device, wid) == before and time.time() < deadline:
        time.sleep(0.05)
    assert board_value(device, wid) != before
    assert not page.errors
'''

MAIN = '''"""A dashboard of one {name} widget; add your sensors and widgets here.

The board imports this module at boot and calls ``run()``; on the unix port
`make demo APP=<this folder>` does the same. Settings (title, port, tokens,
WiFi) come from config.json (splitdash's device/config.example.json).
"""

import sys

from dashboard import Dashboard
from {name} import {cls}


def settings():
    import board_config  # needed only at boot: dropped then, it frees its heap
    config = board_config.load()
    config["address"] = board_config.start_network(config)
    del sys.modules["board_config"]
    return config


config = settings()
dash = Dashboard(config["title"] or "My dashboard", token=config["token"],
                 read_token=config["read_token"], cors_origins=config["cors_origins"])
dash.add({cls}("{name}", "{label}", min=0, max=10))


@dash.on_write("{name}")
def {name}_written(value):
    print("{name} set to", value)


def run():
    dash.run(port=int(sys.argv[1]) if len(sys.argv) > 1 else config["port"])
'''

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


def refusal(name, app):
    """Why ``name`` cannot be a new kind in ``app``, or None."""
    if not NAME.match(name):
        return ("%r is not a kind's name: a Python identifier in lowercase letters, digits "
                "and _, starting with a letter (like thermostat)" % name)
    if name in app_kinds.loader.MODULES:
        return "%r is a built-in kind's name; choose another" % name
    if name in app_kinds.TAKEN or name == "main":
        return "%r is the name of a splitdash module; choose another" % name
    there = [p for p in files(name, app) if os.path.exists(p)]
    if there:
        return "%s already there; nothing written" % ", ".join(there)
    return None


def files(name, app):
    return [os.path.join(app, "widgets", name + ".py"),
            os.path.join(app, "renderers", name + ".py"),
            os.path.join(app, "tests", "test_%s.py" % name)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", default="", metavar="NAME")
    parser.add_argument("--app", default=os.path.join(ROOT, "examples", "greenhouse"))
    args = parser.parse_args()
    app = os.path.abspath(args.app)
    why = refusal(args.name, app)
    if why:
        sys.exit("widget: " + why)
    cls = "".join(part.capitalize() for part in args.name.split("_") if part)
    words = dict(name=args.name, cls=cls, label=args.name.replace("_", " ").capitalize())
    written = []
    for path, template in zip(files(args.name, app), (WIDGET, RENDERER, TEST)):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(template.format(**words))
        written.append(path)
    main_py = os.path.join(app, "main.py")
    if not os.path.exists(main_py):
        with open(main_py, "w") as f:
            f.write(MAIN.format(**words))
        written.append(main_py)
        print("widget: wrote %s" % ", ".join(written))
    else:
        print("widget: wrote %s\nwidget: to show it, add to main.py:\n"
              "    from %s import %s\n    dash.add(%s(\"%s\", \"%s\"))"
              % (", ".join(written), args.name, cls, cls, args.name, words["label"]))


if __name__ == "__main__":
    main()
