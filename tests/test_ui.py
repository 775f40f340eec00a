"""The dashboard page in a real Chromium, against the device app running on
the MicroPython unix port. The page is opened at board.test (mapped to
127.0.0.1): like a board's LAN address, not a secure context."""

import json
import os
import textwrap
from urllib.parse import urlparse

import pytest

from conftest import BOARD, BOARD_HOST, Page, declared_ids

#: The example's widgets, in the order its main.py declares them.
DEMO_ORDER = declared_ids()


def device_values(device):
    status, _, body = device.request("/data")
    assert status == 200
    return body["values"]


def wait_device_value(device, page, wid, expected):
    """Wait (up to 10 s) for the device to hold ``expected`` for ``wid``."""
    for _ in range(100):
        if device_values(device)[wid] == expected:
            return
        page.page.wait_for_timeout(100)
    assert device_values(device)[wid] == expected


def custom_device(start_device, tmp_path, body, www=os.path.join(BOARD, "www"), options="",
                  **kwargs):
    """Run a device script written for one test, with the built bundle (or
    the one in ``www``); ``options``: more arguments of its Dashboard."""
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent("""
        import asyncio, sys
        from dashboard import Dashboard
        from dashschema.kinds import Label, Number, Toggle, Slider
        dash = Dashboard("Test", static_dir=%r%s)
    """ % (www, options)) + textwrap.dedent(body) + textwrap.dedent("""
        asyncio.run(dash.serve(port=int(sys.argv[1])))
    """))
    return start_device(str(script), cwd=str(tmp_path), **kwargs)


def test_renders_every_widget_in_declared_order_offline(demo, open_page):
    page = open_page(demo).wait_ready()
    ids = page.page.eval_on_selector_all("[data-widget]", "els => els.map(e => e.dataset.widget)")
    assert ids == DEMO_ORDER
    assert page.page.title() == "Greenhouse"
    # Writable widgets use native controls.
    assert page.widget("fan").locator("input[type=checkbox]").count() == 1
    assert page.widget("led").locator("input[type=range]").count() == 1
    assert page.widget("reset").locator("button").count() == 1
    hosts = {urlparse(url).hostname for url in page.requests}
    assert hosts == {BOARD_HOST}, "requests left the device: %s" % sorted(hosts)
    assert not page.errors


def test_toggle_and_slider_reach_the_device(demo, open_page):
    page = open_page(demo).wait_ready()
    page.widget("fan").locator("input[type=checkbox]").click()
    page.widget("led").locator("input[type=range]").fill("35")
    wait_device_value(demo, page, "fan", True)
    wait_device_value(demo, page, "led", 35)
    assert "35" in page.widget("led").inner_text()


def test_device_side_changes_appear_in_the_page(demo, open_page):
    page = open_page(demo).wait_ready()
    # The demo's sensor task sets a new temperature every second.
    first = page.widget("temperature").locator(".reading").inner_text()
    page.page.wait_for_function(
        "t => document.querySelector('[data-widget=temperature] .reading').innerText != t",
        arg=first, timeout=10000)
    # A device-side callback (reset) sets the uptime label to "0 s".
    page.widget("reset").locator("button").click()
    page.page.wait_for_function(
        "() => document.querySelector('[data-widget=uptime]').innerText.includes('0 s')",
        timeout=10000)


def test_two_pages_stay_in_sync(demo, open_page):
    a = open_page(demo).wait_ready()
    b = open_page(demo).wait_ready()
    a.widget("fan").locator("input[type=checkbox]").click()
    b.page.wait_for_function(
        "() => document.querySelector('[data-widget=fan] input').checked", timeout=10000)
    b.widget("led").locator("input[type=range]").fill("70")
    a.page.wait_for_function(
        "() => document.querySelector('[data-widget=led] input').value == '70'", timeout=10000)
    assert device_values(demo)["led"] == 70


def test_custom_compass_widget_renders_and_updates(demo, open_page):
    page = open_page(demo).wait_ready()
    card = page.widget("wind")
    assert card.locator("svg").count() == 1
    # Its text follows the device's readings (one per second).
    first = card.locator(".reading").inner_text()
    page.page.wait_for_function(
        "t => document.querySelector('[data-widget=wind] .reading').innerText != t",
        arg=first, timeout=10000)
    shown = card.locator(".reading").inner_text()
    assert shown.split("°")[0].isdigit()
    transform = card.locator(".needle").evaluate("e => e.style.transform")
    assert transform.startswith("rotate(")


def test_unknown_kind_shows_a_placeholder_and_the_rest_works(start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, """
        from dashschema.registry import register
        from dashschema.widget import Widget

        @register
        class Mystery(Widget):
            kind = "mystery_kind"

        dash.add(Label("before", "Before"))
        dash.add(Mystery("mystery", "Mystery"))
        dash.add(Toggle("after", "After"))
        dash.set("before", "hello")
        dash.set("mystery", 5)
    """)
    page = open_page(device).wait_ready()
    assert "cannot show" in page.widget("mystery").inner_text()
    assert "mystery_kind" in page.widget("mystery").inner_text()
    assert page.widget("before").inner_text().endswith("hello")
    page.widget("after").locator("input").click()
    wait_device_value(device, page, "after", True)


def test_refused_write_shows_the_reason_and_restores_the_control(start_device, tmp_path, open_page):
    # The device asks for a write token the page was not given.
    device = custom_device(start_device, tmp_path, """
        dash.token = "s3cret"
        dash.add(Toggle("pump", "Pump"))
    """)
    page = open_page(device).wait_ready()
    page.widget("pump").locator("input").click()
    # The page asks for the token (tests/test_ui_tokens.py); declined here.
    page.page.get_by_role("dialog").wait_for(timeout=10000)
    page.page.keyboard.press("Escape")
    page.page.wait_for_function(
        "() => document.querySelector('[data-widget=pump] .card-error').innerText.includes('token')",
        timeout=10000)
    assert not page.widget("pump").locator("input").is_checked()
    assert device_values(device)["pump"] is False
    # With the token in the page's address, the same write goes through.
    page2 = open_page(device, "/#token=s3cret").wait_ready()
    page2.widget("pump").locator("input").click()
    wait_device_value(device, page2, "pump", True)


def test_page_shows_offline_and_recovers_after_a_restart(start_device, tmp_path, open_page):
    body = """
        dash.add(Label("msg", "Message"))
        dash.set("msg", sys.argv[2] if len(sys.argv) > 2 else "first boot")
    """
    device = custom_device(start_device, tmp_path, body)
    page = open_page(device).wait_ready()
    assert "first boot" in page.widget("msg").inner_text()
    device.stop()
    page.page.wait_for_selector("body[data-state=offline]", timeout=15000)
    start_device(str(tmp_path / "app.py"), cwd=str(tmp_path), port=device.port)  # new boot id
    page.page.wait_for_selector("body[data-state=live]", timeout=20000)
    page.page.wait_for_function(
        "() => document.querySelector('[data-widget=msg]').innerText.includes('first boot')",
        timeout=10000)


def test_falls_back_to_polling_when_streams_are_refused_then_returns_to_push(start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, """
        from live import LiveStreams
        from dashschema.kinds import Button
        LiveStreams.max_streams = 0
        dash.poll_s = 0.25
        dash.add(Toggle("lamp", "Lamp"))
        dash.add(Button("open", "Open streams"))

        @dash.on_write("open")
        def open_streams(_):
            LiveStreams.max_streams = 4

        async def flip():
            while True:
                await asyncio.sleep(1)
                dash.set("lamp", not dash.get("lamp"))
        asyncio.create_task(flip())
    """)
    page = open_page(device).wait_ready()
    assert "polling" in page.page.inner_text("#status")
    state = page.widget("lamp").locator("input").is_checked()
    page.page.wait_for_function(
        "s => document.querySelector('[data-widget=lamp] input').checked != s",
        arg=state, timeout=10000)
    # At the pace the device's schema asks for (the page's own default is 2 s).
    polls = sum("/data?boot=" in url for url in page.requests)
    page.page.wait_for_timeout(2000)
    assert sum("/data?boot=" in url for url in page.requests) - polls >= 4
    # Once the device takes streams again, the page goes back to push.
    page.widget("open").locator("button").click()
    page.page.wait_for_function(
        "() => document.querySelector('#status').innerText == 'live'", timeout=30000)


def test_push_reaches_a_second_page_within_a_fraction_of_a_second(demo, open_page):
    a = open_page(demo).wait_ready()
    b = open_page(demo).wait_ready()
    assert b.page.inner_text("#status") == "live"  # on the stream, not polling
    polls_before = sum("/data" in url for url in b.requests)
    a.widget("fan").locator("input[type=checkbox]").click()
    b.page.wait_for_function(
        "() => document.querySelector('[data-widget=fan] input').checked", timeout=900)
    assert sum("/data" in url for url in b.requests) == polls_before


def test_a_reload_asks_the_board_for_the_page_alone(demo, open_page):
    page = open_page(demo).wait_ready()
    responses = []
    page.page.on("response", lambda r: responses.append(r))
    cdp = page.page.context.new_cdp_session(page.page)
    cdp.send("Network.enable")
    asked, cached = {}, set()  # request id -> path; request ids the cache answered
    cdp.on("Network.responseReceived", lambda e: e["response"].get("fromDiskCache") or
           asked.__setitem__(e["requestId"], urlparse(e["response"]["url"]).path))
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    page.page.reload()
    page.wait_ready()
    api = ("/schema", "/events", "/data")
    files = [r for r in responses if urlparse(r.url).path not in api]
    assert len(files) >= 5, "the reload loaded almost nothing"
    # Every file but the page itself is versioned and comes from the cache
    # unasked; the page is revalidated (304): no file body crosses again.
    assert [path for rid, path in asked.items() if rid not in cached and path not in api] == ["/"]
    resent = [r.url for r in files if r.request.sizes()["responseBodySize"] > 0]
    assert not resent, resent


#: Each card's height, and the height it would have on its own (not
#: stretched to its row): [widget, height, own height].
CARD_HEIGHTS = """() => [...document.querySelectorAll('.card')].map(card => {
    const height = card.getBoundingClientRect().height;
    card.style.alignSelf = 'start';
    const own = card.getBoundingClientRect().height;
    card.style.alignSelf = '';
    return [card.dataset.widget, height, own];
})"""


def test_cards_keep_their_own_height_beside_a_taller_one(start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, """
        from dashschema.chart import Chart
        with dash.group("Climate"):
            dash.add(Toggle("fan", "Fan"))
            dash.add(Chart("history", "Temperature", series=("inside",)))
            dash.add(Label("note", "Note"), "ok")
    """)
    page = open_page(device).wait_ready()
    tops = set(page.widget(wid).bounding_box()["y"] for wid in ("fan", "history", "note"))
    assert len(tops) == 1  # one row: the chart spans two columns
    heights = dict((wid, (height, own)) for wid, height, own in page.page.evaluate(CARD_HEIGHTS))
    assert heights["history"][1] > 1.5 * heights["fan"][1]
    stretched = [(wid, height, own) for wid, (height, own) in heights.items() if height > own + 0.5]
    assert not stretched, stretched


def test_a_poll_answered_with_its_body_cut_short_is_polled_again(demo, browser):
    # A board short of heap may end an answer sent in parts before its end.
    ctx = browser.new_context()
    cut = []

    def data(route):
        if not cut:
            cut.append(route.request.url)
            return route.fulfill(status=200, content_type="application/json",
                                 body='{"boot": "0", "version": 3, "valu')
        return route.continue_()
    ctx.route("**/events*", lambda route: route.fulfill(status=503, body="busy"))
    ctx.route("**/data*", data)
    try:
        page = Page(ctx, demo).wait_ready()
        assert cut
        assert page.page.get_attribute("body", "data-state") == "live"
        assert page.page.locator("#status").inner_text() == "live (polling)"
        # The browser's own report of each refused stream, and nothing else.
        assert not [e for e in page.errors if "503 (Service Unavailable)" not in e]
    finally:
        ctx.close()
