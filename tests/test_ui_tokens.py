"""Tokens in the page, in a real Chromium against the device app on the
MicroPython unix port: asked for once, kept per board in the browser,
forgotten on request; the read token on fetches and on the stream. And the
page's retries of files a busy board did not send."""

import json
import os
import socket
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

from conftest import BOARD, BOARD_HOST, ROOT, free_port


def token_device(start_device, tmp_path, *args, before=""):
    """A board with a toggle, started where its bundle is (www/);
    ``args`` go to its Dashboard, ``before`` runs first."""
    os.symlink(os.path.join(BOARD, "www"), str(tmp_path / "www"))
    script = tmp_path / "app.py"
    script.write_text(before + textwrap.dedent("""
        import asyncio, sys
        from dashboard import Dashboard
        from dashschema.kinds import Toggle
        dash = Dashboard("T", static_dir="www", %s)
        dash.add(Toggle("pump", "Pump"))
        asyncio.run(dash.serve(port=int(sys.argv[1])))
    """ % ", ".join(args)))
    return start_device(str(script), cwd=str(tmp_path))


def values(device, token=None):
    headers = {"Authorization": "Bearer " + token} if token else {}
    status, _, body = device.request("/data", headers=headers)
    assert status == 200
    return body["values"]


def wait_value(device, page, wid, expected, token=None):
    for _ in range(100):
        if values(device, token)[wid] == expected:
            return
        page.page.wait_for_timeout(100)
    assert values(device, token)[wid] == expected


def dialog(page):
    return page.page.get_by_role("dialog", name="Token")


def stored(page):
    return page.page.evaluate("k => localStorage.getItem(k)",
                              "splitdash.token.%s:%d" % (BOARD_HOST, page.port))


def errors(page):
    """The page's errors, less the browser's report of each 401 answer."""
    return [e for e in page.errors if not ("Failed to load resource" in e and "401" in e)]


def open_at(open_page, device, path="/"):
    page = open_page(device, path)
    page.port = device.port
    return page


def test_a_refused_write_asks_for_the_token_once_and_the_browser_keeps_it(
        start_device, tmp_path, open_page):
    device = token_device(start_device, tmp_path, 'token="s3cret"')
    page = open_at(open_page, device).wait_ready()
    forget = page.page.get_by_role("button", name="Forget token")
    assert not forget.is_visible()
    assert dialog(page).count() == 0

    pump = page.widget("pump").locator("input")
    pump.click()
    dialog(page).wait_for(state="visible", timeout=10000)
    assert "write token" in dialog(page).inner_text()
    # Keyboard only: the labelled field has the focus, Enter sends it.
    field = page.page.get_by_label("Token for this board")
    assert field.evaluate("e => e === document.activeElement")
    page.page.keyboard.type("wrong")
    page.page.keyboard.press("Enter")
    # A wrong token is refused by the board and asked for again.
    page.page.wait_for_function(
        "() => document.querySelector('dialog[open]') && "
        "document.querySelector('dialog').innerText.includes('was refused')", timeout=10000)
    assert values(device)["pump"] is False
    page.page.keyboard.type("s3cret")
    page.page.keyboard.press("Enter")
    wait_value(device, page, "pump", True)
    assert not dialog(page).is_visible()
    assert pump.is_checked()
    assert stored(page) == "s3cret"
    assert forget.is_visible()
    # Later writes carry it: nothing is asked.
    pump.click()
    wait_value(device, page, "pump", False)
    assert not dialog(page).is_visible()

    # Kept across a reload: still not asked.
    page.page.reload()
    page.wait_ready()
    page.widget("pump").locator("input").click()
    wait_value(device, page, "pump", True)
    assert not dialog(page).is_visible()
    assert forget.is_visible()

    # Forgotten: the next write asks again; declined, it stays refused.
    forget.click()
    assert not forget.is_visible()
    assert stored(page) is None
    page.widget("pump").locator("input").click()
    dialog(page).wait_for(state="visible", timeout=10000)
    page.page.keyboard.press("Escape")
    page.page.wait_for_function(
        "() => document.querySelector('[data-widget=pump] .card-error').innerText"
        ".includes('token')", timeout=10000)
    assert not dialog(page).is_visible()
    assert page.widget("pump").locator("input").is_checked()  # the board's value, restored
    assert values(device)["pump"] is True
    assert not errors(page)


def test_a_token_in_the_address_is_kept_and_taken_out_of_it(start_device, tmp_path, open_page):
    device = token_device(start_device, tmp_path, 'token="s3cret"')
    page = open_at(open_page, device, "/#token=s3cret").wait_ready()
    assert page.page.evaluate("location.hash") == ""
    assert page.page.url == "http://%s:%d/" % (BOARD_HOST, device.port)
    assert stored(page) == "s3cret"
    page.widget("pump").locator("input").click()
    wait_value(device, page, "pump", True)
    assert not dialog(page).is_visible()
    assert page.page.get_by_role("button", name="Forget token").is_visible()


def test_a_read_token_board_asks_before_drawing_then_goes_live_on_its_stream(
        start_device, tmp_path, open_page):
    device = token_device(start_device, tmp_path, 'read_token="r34d"')
    page = open_at(open_page, device)
    sent = []  # (path, Authorization header) of every request
    page.page.on("request", lambda r: sent.append((urlparse(r.url).path,
                                                   r.headers.get("authorization"))))
    dialog(page).wait_for(state="visible", timeout=30000)
    assert "read token" in dialog(page).inner_text()
    assert page.page.locator("[data-widget]").count() == 0
    assert page.page.locator("body[data-state=locked]").count() == 1
    # Nothing to show without it: it cannot be waved away.
    assert not dialog(page).get_by_role("button", name="Cancel").is_visible()
    page.page.get_by_label("Token for this board").fill("r34d")
    dialog(page).get_by_role("button", name="Use token").click()
    page.wait_ready()
    # On the stream, not polling: only a stream message says "live".
    page.page.wait_for_function(
        "() => document.querySelector('#status').innerText == 'live'", timeout=10000)
    streams = [url for url in page.requests if "/events" in url]
    assert streams and all("token=r34d" in url for url in streams)
    # First without it (refused), then with it; so are polls.
    assert [a for p, a in sent if p == "/schema"] == [None, "Bearer r34d"]
    assert all(a == "Bearer r34d" for p, a in sent if p == "/data")

    # Pushed: a change made elsewhere arrives on the stream.
    status, _, _ = device.request("/data", {"pump": True}, headers={
        "Authorization": "Bearer r34d", "Content-Type": "application/json"})
    assert status == 200
    page.page.wait_for_function(
        "() => document.querySelector('[data-widget=pump] input').checked", timeout=10000)
    # The same token writes (the board has no write token of its own).
    page.widget("pump").locator("input").click()
    wait_value(device, page, "pump", False, "r34d")
    assert not dialog(page).is_visible()

    # Kept: a reload goes live without asking.
    page.page.reload()
    page.wait_ready()
    assert not dialog(page).is_visible()
    # Forgotten: the page starts again and asks.
    page.page.get_by_role("button", name="Forget token").click()
    dialog(page).wait_for(state="visible", timeout=30000)
    assert page.page.locator("[data-widget]").count() == 0
    assert not errors(page)


# ---- files a busy board did not send ---------------------------------------

FLAKY_SERVER = '''
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
import serve
from microdot import Response
from hub.app import Hub
from hub.boards import BoardConfig
from hub.link import BoardLink

BUSY, DROPPED = json.loads(sys.argv[4]), json.loads(sys.argv[5])
seen = {}
hub = Hub([BoardLink(BoardConfig("board", sys.argv[2]), log=lambda line: None)], serve.WWW)


@hub.app.before_request
async def flaky(request):
    """The hub's bundle, with the first request for some files answered
    503 or closed unanswered, as a busy board does."""
    path = request.path[len("/b/board"):]
    path = "/index.html" if path == "/" else path
    if path in ("/schema", "/data", "/events"):
        return None
    seen[path] = times = seen.get(path, 0) + 1
    print(path, flush=True)
    if times == 1 and path in BUSY:
        return Response(b'{"error": "busy, try again", "widget": null}', 503,
                        {"Retry-After": "1", "Content-Type": "application/json"})
    if times == 1 and path in DROPPED:
        return Response.already_handled
    return None


asyncio.run(hub.serve("127.0.0.1", int(sys.argv[3]), lambda: print("ready", flush=True)))
'''


@pytest.fixture
def flaky(tmp_path, demo):
    """Start a server of the demo's bundle failing the given files once;
    stop() returns the paths it was asked for, in order."""
    script = tmp_path / "flaky.py"
    script.write_text(FLAKY_SERVER)
    servers = []

    def start(busy=(), dropped=()):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, str(script), os.path.join(ROOT, "tools"), demo.url, str(port),
             json.dumps(list(busy)), json.dumps(list(dropped))],
            stdout=subprocess.PIPE, text=True)
        servers.append(proc)
        assert proc.stdout.readline() == "ready\n"

        def stop():
            proc.terminate()
            return [line for line in proc.communicate(timeout=10)[0].splitlines()]
        return SimpleNamespace(port=port, stop=stop)
    yield start
    for proc in servers:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def bundle_path(part):
    """The one path in the built bundle that contains ``part``."""
    with open(os.path.join(BOARD, "www", "manifest.json")) as f:
        return next(path for path in json.load(f) if part in path)


@pytest.mark.parametrize("busy, dropped", [("/py.pack", "/micropython.wasm"),
                                           ("/micropython.wasm", "/py.pack")])
def test_files_refused_or_dropped_once_are_fetched_again(flaky, open_page, busy, dropped):
    busy, dropped = [bundle_path(busy)], [bundle_path(dropped)]
    server = flaky(busy, dropped)
    page = open_page(server, "/b/board/").wait_ready()
    assert page.widget("wind").count() == 1
    asked = server.stop()
    for path in busy + dropped:
        assert asked.count(path) == 2, path
    assert asked.count("/index.html") == 1  # without starting again


@pytest.mark.parametrize("module", ["/pyscript/core-", "/micropython.mjs", "/pyscript/error-"])
def test_a_module_that_fails_to_load_starts_the_page_again(flaky, open_page, module):
    # Modules are imported, not fetched (a static import, a dynamic one, one
    # PyScript reports in the page itself): the page loads itself again.
    server = flaky(dropped=[bundle_path(module)])
    page = open_page(server, "/b/board/").wait_ready()
    assert page.widget("wind").count() == 1
    asked = server.stop()
    assert asked.count(bundle_path(module)) == 2
    assert asked.count("/index.html") == 2


def test_a_busy_boards_503s_are_retried(start_device, tmp_path, open_page):
    # A page polling a board with no stream. As it polls, the test holds
    # idle connections open, one in the board's one slot and the rest
    # waiting, so that the board is busy and answers the poll 503; when the
    # page asks again, the test has them served first, the board's value
    # changed meanwhile: the page shows it once it has retried.
    device = token_device(start_device, tmp_path, "live=False", before=textwrap.dedent("""
        from server import Server
        Server.max_active = 1
        Server.max_waiting = 6  # a page's six connections wait, never refused
        Server.read_timeout_s = 60  # held as long as the test holds them
    """))
    page = open_page(device).wait_ready()
    held, polls = [], []

    def busy_once(route):
        if route.request.method != "GET":
            return route.continue_()
        if not polls:
            # The page has nothing else under way: these fill the slot and
            # the queue, and the poll, sent after them, is refused.
            held.extend(socket.create_connection(("127.0.0.1", device.port))
                        for _ in range(1 + 6))
        elif held:
            # Served in turn: once the last is answered, the board is free.
            for sock in held:
                sock.sendall(b"GET /schema HTTP/1.0\r\n\r\n")
            for sock in held:
                while sock.recv(4096):
                    pass
                sock.close()
            del held[:]
            assert device.request("/data", {"pump": True}, "POST",
                                  {"Content-Type": "application/json"})[0] == 200
        polls.append(route.request.url)
        route.continue_()

    answered = []
    page.page.on("response", lambda r: urlparse(r.url).path == "/data" and
                 r.request.method == "GET" and answered.append(r.status))
    page.page.route(lambda url: urlparse(url).path == "/data", busy_once)
    try:
        pump = page.widget("pump").locator("input")
        page.page.wait_for_function("e => e.checked", arg=pump.element_handle(), timeout=30000)
    finally:
        for sock in held:
            sock.close()
    assert answered[:2] == [503, 200], answered
    pump.click()
    wait_value(device, page, "pump", False)
