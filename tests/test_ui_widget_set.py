"""The widget set, groups, themes and custom widgets in a real Chromium at an
insecure origin, against the device app on the MicroPython unix port."""

import importlib.util
import os
import textwrap

import pytest

from conftest import ROOT
from test_ui import custom_device, device_values, wait_device_value


def text(page, wid, selector=""):
    return page.widget(wid).locator(selector or ":scope").first.inner_text()


def wait_text(page, wid, wanted, timeout=10000):
    page.page.wait_for_function(
        "([wid, t]) => document.querySelector(`[data-widget=\"${wid}\"]`).innerText.includes(t)",
        arg=[wid, wanted], timeout=timeout)


# ---- the new kinds, on the demo -------------------------------------------

def test_select_number_text_and_colour_reach_the_device(demo, open_page):
    page = open_page(demo).wait_ready()
    page.widget("mode").locator("select").select_option("off")
    wait_device_value(demo, page, "mode", "off")
    setpoint = page.widget("setpoint").locator("input")
    assert setpoint.input_value() == "25"
    setpoint.fill("27.5")
    setpoint.press("Enter")
    wait_device_value(demo, page, "setpoint", 27.5)
    note = page.widget("note").locator("input")
    note.fill("seedlings in")
    note.press("Enter")
    wait_device_value(demo, page, "note", "seedlings in")
    colour = page.widget("led_colour").locator("input[type=color]")
    assert colour.input_value() == "#ffb000"
    colour.fill("#00ff00")
    wait_device_value(demo, page, "led_colour", "#00ff00")
    wait_text(page, "led_colour", "#00ff00")
    # The device's callbacks log what happened; the page gets the new lines.
    wait_text(page, "events", "fan mode off")
    wait_text(page, "events", "note: seedlings in")
    assert not page.errors


def test_refused_values_roll_back_with_the_reason_on_the_card(demo, open_page):
    page = open_page(demo).wait_ready()
    setpoint = page.widget("setpoint").locator("input")
    for typed, reason in (("27.3", "27.3 is not a multiple of step 0.5 from 10"),
                          ("40", "40 is outside 10..35"),
                          ("", "enter a number from 10 to 35")):
        setpoint.fill(typed)
        setpoint.press("Enter")
        wait_text(page, "setpoint", reason)
        setpoint.evaluate("e => e.blur()")
        page.page.wait_for_function(
            "() => document.querySelector('[data-widget=setpoint] input').value == '25'")
    assert device_values(demo)["setpoint"] == 25
    # A good value clears the reason.
    setpoint.fill("26")
    setpoint.press("Enter")
    wait_device_value(demo, page, "setpoint", 26)
    page.page.wait_for_function(
        "() => !document.querySelector('[data-widget=setpoint] .card-error').innerText")
    # Escape puts back the board's text, unsent.
    note = page.widget("note").locator("input")
    note.fill("draft")
    note.press("Escape")
    assert note.input_value() == ""
    assert device_values(demo)["note"] == ""


READOUTS = """
from dashschema.readouts import Gauge, Indicator
from dashschema.log import Log
from dashschema.inputs import Select
dash.add(Gauge("g", "Pressure", unit="bar", min=0, max=10, warning=6, critical=8, precision=1))
dash.add(Indicator("i", "Pump"))
dash.add(Log("l", "Events", lines=3))
dash.add(Select("cmd", "Command", options=("none", "warn", "critical", "log")))


@dash.on_write("cmd")
def cmd(value):
    if value == "warn":
        dash.set("g", 6.5)
        dash.set("i", ("warn", "low water"))
    elif value == "critical":
        dash.set("g", 9.2)
        dash.set("i", ("error", "jammed"))
    elif value == "log":
        for n in range(1, 5):
            dash.log("l", "line %d" % n)
"""


def test_gauge_indicator_and_log_show_what_the_board_sets(start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, READOUTS)
    page = open_page(device).wait_ready()
    gauge = page.widget("g")
    assert "—" in gauge.inner_text()
    assert gauge.locator("svg").get_attribute("aria-label") == "Pressure: no reading"
    assert "no reading" in text(page, "i")
    assert "no lines yet" in text(page, "l")
    page.widget("cmd").locator("select").select_option("warn")
    wait_text(page, "g", "6.5")
    assert "warning" in gauge.inner_text()
    assert gauge.locator("svg").get_attribute("aria-label") == \
        "Pressure: 6.5 bar of 0 to 10, warning"
    assert gauge.locator(".zone-warning").count() == 1
    # The value's arc is its share of the dial.
    assert gauge.locator(".value").get_attribute("stroke-dasharray") == "65.00 100"
    wait_text(page, "i", "low water")
    assert "WARNING" in text(page, "i").upper()
    assert page.widget("i").locator(".state-warn").count() == 1
    page.widget("cmd").locator("select").select_option("critical")
    wait_text(page, "g", "9.2")
    assert "critical" in gauge.inner_text() and gauge.locator(".zone-critical").count() == 1
    wait_text(page, "i", "jammed")
    page.widget("cmd").locator("select").select_option("log")
    wait_text(page, "l", "line 4")
    lines = page.widget("l").locator("li").all_inner_texts()
    assert lines == ["line 2", "line 3", "line 4"]  # the log keeps 3
    # A page that opens gets the lines the board kept.
    again = open_page(device).wait_ready()
    wait_text(again, "l", "line 4")
    assert again.widget("l").locator("li").all_inner_texts() == ["line 2", "line 3", "line 4"]
    assert not page.errors and not again.errors


# ---- layout -----------------------------------------------------------------

def test_groups_are_headed_sections_in_declaration_order(demo, open_page):
    page = open_page(demo).wait_ready()
    assert page.page.locator("section.group > h2").all_inner_texts() == [
        "Climate", "Water", "Lights", "System"]
    for wid, group in (("temperature", "Climate"), ("soil", "Water"), ("led_colour", "Lights"),
                       ("events", "System")):
        heading = page.widget(wid).evaluate("e => e.closest('section').querySelector('h2').innerText")
        assert heading == group
    assert page.page.locator("[role=tablist]").count() == 0


MANY_GROUPS = """
dash.add(Label("top", "Always shown"))
for n in range(5):
    with dash.group("Room %d" % n):
        dash.add(Toggle("light%d" % n, "Light %d" % n))
"""


def test_many_groups_become_tabs_the_arrow_keys_move_along(start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, MANY_GROUPS)
    page = open_page(device).wait_ready()
    tabs = page.page.get_by_role("tab")
    assert tabs.all_inner_texts() == ["Room %d" % n for n in range(5)]
    assert page.widget("top").is_visible()  # ungrouped: above the tabs

    def shown():
        return [n for n in range(5) if page.widget("light%d" % n).is_visible()]

    assert shown() == [0]
    assert tabs.nth(0).get_attribute("aria-selected") == "true"
    tabs.nth(0).focus()
    page.page.keyboard.press("ArrowRight")
    assert shown() == [1] and tabs.nth(1).get_attribute("aria-selected") == "true"
    assert page.page.evaluate("document.activeElement.textContent") == "Room 1"
    page.page.keyboard.press("ArrowLeft")
    page.page.keyboard.press("ArrowLeft")
    assert shown() == [4]
    tabs.nth(2).click()
    assert shown() == [2]
    page.widget("light2").locator("input").click()
    wait_device_value(device, page, "light2", True)


def test_a_phone_gets_one_column_and_no_horizontal_scrolling(demo, browser):
    from conftest import Page
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                              has_touch=True)
    try:
        page = Page(ctx, demo).wait_ready()
        page.page.wait_for_timeout(1500)  # charts and log filled
        assert page.page.evaluate("document.scrollingElement.scrollWidth") <= 360
        lefts = page.page.eval_on_selector_all(
            "[data-widget]", "els => els.map(e => Math.round(e.getBoundingClientRect().left))")
        assert len(set(lefts)) == 1, lefts
        rights = page.page.eval_on_selector_all(
            "[data-widget]", "els => els.map(e => e.getBoundingClientRect().right)")
        assert max(rights) <= 360
    finally:
        ctx.close()


# ---- themes and contrast ------------------------------------------------------

BACKGROUND = "getComputedStyle(document.body).backgroundColor"


def test_the_theme_follows_the_system_until_switched_and_is_remembered(demo, browser):
    from conftest import Page
    ctx = browser.new_context(color_scheme="dark")
    try:
        page = Page(ctx, demo).wait_ready()
        switch = page.page.get_by_role("button", name="Dark theme")
        assert page.page.evaluate(BACKGROUND) == "rgb(18, 22, 28)"
        assert switch.get_attribute("aria-pressed") == "true"
        switch.click()
        assert page.page.evaluate(BACKGROUND) == "rgb(243, 245, 247)"
        assert switch.get_attribute("aria-pressed") == "false"
        page.page.reload()
        page.wait_ready()
        assert page.page.evaluate(BACKGROUND) == "rgb(243, 245, 247)"
        assert page.page.get_by_role("button", name="Dark theme").get_attribute(
            "aria-pressed") == "false"
    finally:
        ctx.close()
    ctx = browser.new_context(color_scheme="light")  # another browser: nothing remembered
    try:
        page = Page(ctx, demo).wait_ready()
        assert page.page.evaluate(BACKGROUND) == "rgb(243, 245, 247)"
        page.page.get_by_role("button", name="Dark theme").click()
        assert page.page.evaluate(BACKGROUND) == "rgb(18, 22, 28)"
    finally:
        ctx.close()


# Every visible text's contrast with what is behind it (WCAG's formula).
LOW_CONTRAST = """min => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const behind = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const low = [], seen = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!walk.currentNode.textContent.trim() || seen.has(el) || !el.getClientRects().length ||
        el.closest(".sr, [hidden], script, style, py-config")) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const fg = rgb(el instanceof SVGElement ? style.fill : style.color);
    const a = lum(fg), b = lum(behind(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < min) low.push([el.tagName, el.className.baseVal ?? el.className,
                               walk.currentNode.textContent.trim().slice(0, 20), ratio.toFixed(2)]);
  }
  return low;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_wcag_aa_contrast_in_both_themes(demo, browser, scheme):
    from conftest import Page
    ctx = browser.new_context(color_scheme=scheme)
    try:
        page = Page(ctx, demo).wait_ready()
        wait_text(page, "events", "")  # every card drawn
        page.page.wait_for_timeout(1500)
        assert page.page.evaluate(LOW_CONTRAST, 4.5) == []
    finally:
        ctx.close()


def test_the_boards_accent_colours_the_page_with_readable_text_on_it(
        start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, """
        dash.add(Toggle("t", "T"))
        from dashschema.kinds import Button
        dash.add(Button("b", "Press"))
    """, options=', accent="#ffd000"')
    page = open_page(device).wait_ready()
    style = page.page.evaluate("""() => {
        const b = getComputedStyle(document.querySelector('[data-widget=b] button'));
        const s = getComputedStyle(document.getElementById('status'));
        return [b.backgroundColor, b.color, s.backgroundColor, s.color]; }""")
    # A light accent gets black text: white on it would read 1.4:1.
    assert style == ["rgb(255, 208, 0)", "rgb(0, 0, 0)"] * 2
    assert page.page.evaluate(LOW_CONTRAST, 4.5) == []


# ---- accessibility ---------------------------------------------------------

def test_every_control_and_drawing_has_an_accessible_name(demo, open_page):
    page = open_page(demo).wait_ready()
    page.page.wait_for_timeout(1500)  # drawings carry their values
    cdp = page.page.context.new_cdp_session(page.page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]

    def prop(node, name):
        for p in node.get("properties", []):
            if p["name"] == name:
                return p["value"].get("value")

    unnamed, images = [], {}
    for node in nodes:
        role = node.get("role", {}).get("value")
        name = node.get("name", {}).get("value", "")
        if node.get("ignored"):
            continue
        if prop(node, "focusable") and role not in ("RootWebArea", "generic") and not name.strip():
            unnamed.append(role)
        if role == "image":
            images[name.split(":")[0]] = name
    assert unnamed == []
    for role, name in (("slider", "LED brightness"), ("switch", "Fan"), ("combobox", "Fan mode"),
                       ("spinbutton", "Fan above"), ("textbox", "Note"),
                       ("button", "Reset uptime")):
        assert page.page.get_by_role(role, name=name, exact=True).count() == 1, (role, name)
    # Drawings say what they show.
    assert "°" in images["Wind direction"]
    assert " %" in images["Soil moisture"]
    assert "inside" in images["Temperature, latest"] and "°C" in images["Temperature, latest"]


def test_the_live_region_announces_the_connection_not_every_reading(demo, open_page):
    page = open_page(demo).wait_ready()
    regions = page.page.eval_on_selector_all(
        "[aria-live], [role=status], [role=log], [role=alert], [role=marquee], [role=timer]",
        "els => els.map(e => e.id || e.className)")
    assert regions == ["status"]


def test_keyboard_alone_reaches_and_operates_every_writable_widget(demo, open_page):
    page = open_page(demo).wait_ready()
    keys = page.page.keyboard
    reached = set()
    page.page.locator("body").focus()
    for _ in range(40):
        keys.press("Tab")
        wid = page.page.evaluate(
            "(document.activeElement.closest('[data-widget]') || {dataset: {}}).dataset.widget")
        if wid:
            reached.add(wid)
    assert {"mode", "setpoint", "fan", "led", "led_colour", "reset", "note"} <= reached
    page.widget("mode").locator("select").focus()
    keys.press("ArrowDown")  # auto -> on
    wait_device_value(demo, page, "mode", "on")
    page.widget("setpoint").locator("input").focus()
    keys.press("ArrowUp")
    keys.press("Enter")
    wait_device_value(demo, page, "setpoint", 25.5)
    # Mode "on" switched the fan on; once the page shows it, Space turns it off.
    page.page.wait_for_function("() => document.querySelector('[data-widget=fan] input').checked")
    page.widget("fan").locator("input").focus()
    keys.press("Space")
    wait_device_value(demo, page, "fan", False)
    page.widget("led").locator("input").focus()
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    wait_device_value(demo, page, "led", 10)
    page.widget("note").locator("input").focus()
    keys.type("typed")
    keys.press("Enter")
    wait_device_value(demo, page, "note", "typed")
    page.widget("reset").locator("button").focus()
    keys.press("Enter")
    wait_text(page, "events", "uptime reset")


# ---- custom widgets ----------------------------------------------------------

CUSTOM = {
    # A custom kind: its shared class and its renderer, nothing else edited.
    "thermo.py": """
        from dashschema.registry import register
        from dashschema.widget import Widget, finite_or_none

        @register
        class Thermo(Widget):
            kind = "thermo"

            def validate(self, value):
                return finite_or_none(value)
    """,
    "renderers/thermo.py": """
        from pyscript import web
        from renderers.card import Card
        from renderers.registry import register

        @register
        class ThermoCard(Card):
            kind = "thermo"
            css = ".kind-thermo .bulb { color: rgb(1, 2, 3); }"

            def build(self):
                self.bulb = web.span(classes=["bulb"])
                return self.bulb

            def show(self, value):
                self.bulb.textContent = "%s degrees" % value
    """,
    "renderers/broken_build.py": """
        from renderers.card import Card
        from renderers.registry import register

        @register
        class BrokenBuild(Card):
            kind = "broken_build"

            def build(self):
                raise RuntimeError("no bulb")
    """,
    "renderers/broken_show.py": """
        from pyscript import web
        from renderers.card import Card
        from renderers.registry import register

        @register
        class BrokenShow(Card):
            kind = "broken_show"

            def show(self, value):
                raise ValueError("bad value %r" % value)
    """,
    "renderers/import_typo.py": """
        from pyscript import wbe
    """,
    "renderers/misnamed.py": """
        from renderers.card import Card
        from renderers.registry import register

        @register
        class Other(Card):
            kind = "misnamed_other"
    """,
}
# Kinds with a shared class and no more than the renderer above, if any.
PLAIN_KINDS = ("broken_build", "broken_show", "no_renderer", "import_typo", "misnamed")
PLAIN_KIND = """
from dashschema.registry import register
from dashschema.widget import Widget

@register
class Plain(Widget):
    kind = %r
"""


@pytest.fixture(scope="module")
def custom_www(tmp_path_factory):
    """The bundle with the custom widgets' files added, as a user's own."""
    top = tmp_path_factory.mktemp("custom")
    files = dict((name, textwrap.dedent(source)) for name, source in CUSTOM.items())
    for kind in PLAIN_KINDS:
        files[kind + ".py"] = PLAIN_KIND % kind
    extra = []
    for name, source in files.items():
        path = top / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        extra.append((name, str(path)))
    spec = importlib.util.spec_from_file_location("build", os.path.join(ROOT, "tools", "build.py"))
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.build_www(str(top / "www"), extra)
    return top


def test_custom_kinds_load_by_themselves_and_a_broken_one_costs_its_own_card(
        start_device, tmp_path, open_page, custom_www):
    for name in ["thermo.py"] + [kind + ".py" for kind in PLAIN_KINDS]:
        (tmp_path / name).write_text((custom_www / "src" / name).read_text())
    device = custom_device(start_device, tmp_path, """
        from thermo import Thermo
        from broken_build import Plain as BrokenBuild
        from broken_show import Plain as BrokenShow
        from no_renderer import Plain as NoRenderer
        from import_typo import Plain as ImportTypo
        from misnamed import Plain as Misnamed
        from dashschema.registry import register
        from dashschema.widget import Widget

        @register
        class Nowhere(Widget):
            kind = "nowhere"  # no shared module the page can load

        dash.add(Label("first", "First"))
        dash.add(Thermo("t1", "Inside"))
        dash.add(BrokenBuild("bb", "Broken build"))
        dash.add(Thermo("t2", "Outside"))
        dash.add(BrokenShow("bs", "Broken show"))
        dash.add(NoRenderer("nr", "No renderer"))
        dash.add(ImportTypo("it", "Import typo"))
        dash.add(Misnamed("mn", "Misnamed"))
        dash.add(Nowhere("nw", "Nowhere"))
        dash.add(Toggle("last", "Last"))
        dash.set("first", "hello")
        dash.set("t1", 21)
        dash.set("t2", 9)
        dash.set("bs", 5)
    """, www=str(custom_www / "www"))
    page = open_page(device).wait_ready()
    ids = page.page.eval_on_selector_all("[data-widget]", "els => els.map(e => e.dataset.widget)")
    assert ids == ["first", "t1", "bb", "t2", "bs", "nr", "it", "mn", "nw", "last"]
    # The custom kind: found by itself on both ends; its CSS added once.
    wait_text(page, "t1", "21 degrees")
    wait_text(page, "t2", "9 degrees")
    assert page.widget("t1").locator(".bulb").evaluate("e => getComputedStyle(e).color") == \
        "rgb(1, 2, 3)"
    assert page.page.evaluate(
        "[...document.querySelectorAll('style')].filter(s => s.textContent.includes('.kind-thermo')).length") == 1
    reasons = {
        "bb": "its renderer failed: RuntimeError: no bulb",
        "bs": "This widget failed: ValueError: bad value 5",
        "nr": "no renderers/no_renderer.py",
        "it": "renderers/import_typo.py cannot import what it needs",
        "mn": "renderers/misnamed.py registered 'misnamed_other', not 'misnamed'",
        "nw": "no widget kind 'nowhere': no nowhere.py",
    }
    for wid, reason in reasons.items():
        wait_text(page, wid, reason)
    assert page.widget("first").inner_text().endswith("hello")
    page.widget("last").locator("input").click()
    wait_device_value(device, page, "last", True)
    page.page.wait_for_timeout(3000)  # the board sends a value every now and then: none reach bs
    console = "\n".join(page.console)
    for wid in ("nr", "it", "mn", "nw"):
        assert "cannot draw %r" % wid in console
    assert console.count("renderer of 'bs' failed to show") == 1
    assert console.count("renderer of 'bb' failed to draw it") == 1
    assert page.page.locator("#status").inner_text() == "live"
