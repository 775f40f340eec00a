"""A board's page served from a laptop (tools/serve.py, the hub) for a board
elsewhere: the device app on one port, the hub on another, Chromium on the
hub only. The board's page is at /b/<name>/."""

import gzip
import json
import os
import socket
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

from conftest import BOARD, BOARD_HOST
from hub_process import hubs  # noqa: F401 (a fixture)


@pytest.fixture
def laptop(hubs):
    """The hub for one board, named "board", keeping no history."""
    return lambda device_url: hubs("board=" + device_url, "--no-history")


def stream_once(url):
    """Open the board's stream on the hub, read its first event (or its
    refusal) and leave as a page does. Returns the status code and the socket,
    still open."""
    parts = urlparse(url)
    s = socket.create_connection((parts.hostname, parts.port), timeout=10)
    s.sendall(b"GET /b/board/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    received = b""
    while received.count(b"\r\n\r\n") + received.count(b"\n\n") < 2:
        data = s.recv(4096)
        if not data:
            break
        received += data
    return int(received.split()[1]), s


def test_the_page_works_through_the_laptop_and_shows_the_board_going_away(
        start_device, laptop, open_page):
    device = start_device()
    server = laptop(device.url)
    page = open_page(SimpleNamespace(port=server.port), "/b/board/").wait_ready()
    assert page.page.title() == "Greenhouse"
    assert page.widget("wind").count() == 1
    assert page.page.locator(".history").count() == 0  # this hub keeps none
    assert not [url for url in page.requests if "hub_history" in url]
    # Every request went to the hub, none to the board or elsewhere.
    assert {urlparse(url).netloc for url in page.requests} == \
        {"%s:%d" % (BOARD_HOST, server.port)}
    assert not page.errors

    # A write goes through to the board.
    page.widget("fan").locator("input[type=checkbox]").click()
    for _ in range(100):
        if device.request("/data")[2]["values"]["fan"] is True:
            break
        page.page.wait_for_timeout(100)
    assert device.request("/data")[2]["values"]["fan"] is True

    device.stop()
    page.page.wait_for_selector("body[data-state=offline]", timeout=20000)
    start_device(port=device.port)
    page.page.wait_for_selector("body[data-state=live]", timeout=30000)
    assert "unreachable" in server.stop()


def test_bundle_headers_match_the_boards(demo, laptop):
    server = laptop(demo.url)
    with open(os.path.join(BOARD, "www", "manifest.json")) as f:
        manifest = json.load(f)
    runtime = next(p for p in manifest if p.startswith("/rt-"))

    status, headers, body = server.request("/b/board/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["ETag"] == '"%s"' % manifest["/index.html"][0]
    assert len(body) == manifest["/index.html"][1]
    html = gzip.decompress(body)
    # Without gzip the hub decompresses.
    status, headers, body = server.request("/b/board/", {"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in headers and body == html
    status, _, body = server.request("/b/board/",
                                     {"If-None-Match": '"%s"' % manifest["/index.html"][0]})
    assert status == 304 and body == b""
    status, _, body = server.request("/b/board/",
                                     {"If-Modified-Since": manifest["/index.html"][2]})
    assert status == 304 and body == b""
    status, headers, _ = server.request("/b/board" + runtime, {"Accept-Encoding": "gzip"})
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert headers["Content-Type"] == demo.request(runtime)[1]["Content-Type"]
    status, _, body = server.request("/b/board/nothing-here.js")
    assert status == 404 and json.loads(body)["error"] == "not found"
    status, _, body = server.request("/b/nosuchboard/")
    assert status == 404 and "nosuchboard" in json.loads(body)["error"]


def test_the_json_api_passes_through_and_pages_share_one_stream(start_device, laptop, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(
        "import asyncio, sys\n"
        "import live\n"
        "live.LiveStreams.heartbeat_s = 3600  # a stream hears nothing unless asked\n"
        "live.LiveStreams.max_streams = 1  # the hub's own: pages on the hub share it\n"
        "from dashboard import Dashboard\n"
        "from dashschema.kinds import Toggle\n"
        "dash = Dashboard('Locked', static_dir=None, token='s3cret')\n"
        "dash.add(Toggle('fan', 'Fan'))\n"
        "asyncio.run(dash.serve(port=int(sys.argv[1])))\n")
    device = start_device(str(script), cwd=str(tmp_path))
    server = laptop(device.url)
    server.wait_for(lambda: server.board("board")["state"] == "online", "the board answering")

    status, _, body = server.request("/b/board/schema")
    assert status == 200 and json.loads(body)["title"] == "Locked"
    state = json.loads(server.request("/b/board/data")[2])
    status, _, _ = server.request("/b/board/data?boot=%s&since=%d"
                                  % (state["boot"], state["version"]))
    assert status == 204
    write = json.dumps({"fan": True}).encode()
    as_json = {"Content-Type": "application/json"}
    assert server.request("/b/board/data", as_json, "POST", write)[0] == 401
    status, _, body = server.request("/b/board/data", dict(as_json, Authorization="Bearer s3cret"),
                                     "POST", write)
    assert status == 200 and device.request("/data")[2]["values"]["fan"] is True

    # Six pages' streams at once on the hub, on the board's one.
    streams = [stream_once(server.url) for _ in range(6)]
    try:
        assert [status for status, _ in streams] == [200] * 6
        assert server.board("board")["pages"] == 6
    finally:
        for _, s in streams:
            s.close()

    device.stop()
    server.wait_for(lambda: server.request("/b/board/data")[0] == 502, "the board offline")
    status, headers, body = server.request("/b/board/data")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"].startswith("device unreachable")
    assert server.request("/b/board/events")[0] == 502
    assert server.request("/b/board/", {"Accept-Encoding": "gzip"})[0] == 200


def test_the_laptop_refuses_foreign_origins_and_relays_its_own_pages_writes(
        start_device, laptop, tmp_path):
    # The board refuses an Origin other than its own Host, and the hub gives
    # it the board's Host: the hub checks the Origin itself. The hub has no
    # read token for this board: everything is relayed as it comes.
    script = tmp_path / "app.py"
    script.write_text(
        "import asyncio, sys\n"
        "from dashboard import Dashboard\n"
        "from dashschema.kinds import Toggle\n"
        "dash = Dashboard('Locked', static_dir=None, token='s3cret', read_token='r34d')\n"
        "dash.add(Toggle('fan', 'Fan'))\n"
        "asyncio.run(dash.serve(port=int(sys.argv[1])))\n")
    device = start_device(str(script), cwd=str(tmp_path))
    server = laptop(device.url)
    server.wait_for(lambda: server.board("board")["state"] == "locked", "the board locked")
    write = json.dumps({"fan": True}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer s3cret"}

    status, _, body = server.request("/b/board/data", dict(headers, Origin="http://evil.example"),
                                     "POST", write)
    assert status == 403 and "evil.example" in json.loads(body)["error"]
    status, _, _ = server.request("/b/board/schema", {"Origin": "http://evil.example",
                                                      "Authorization": "Bearer r34d"})
    assert status == 403
    read = {"Authorization": "Bearer r34d"}
    assert device.request("/data", headers=read)[2]["values"]["fan"] is False

    # What the hub's own page sends (its Origin is the hub's address).
    status, _, body = server.request("/b/board/data", dict(headers, Origin=server.url), "POST",
                                     write)
    assert status == 200, body
    assert device.request("/data", headers=read)[2]["values"]["fan"] is True
    # The query string goes through as it comes: the stream's ?token=.
    assert server.request("/b/board/data")[0] == 401
    status, _, body = server.request("/b/board/data?token=r34d", {"Origin": server.url})
    assert status == 200 and json.loads(body)["values"]["fan"] is True
    status, _, body = server.request("/b/board/events?token=nope")
    assert status == 401


def test_a_boards_bundle_carries_none_of_the_hubs_page_code():
    with open(os.path.join(BOARD, "www", "manifest.json")) as f:
        pack = [path for path in json.load(f) if path.endswith("/py.pack")]
    assert len(pack) == 1
    with gzip.open(os.path.join(BOARD, "www", pack[0][1:] + ".gz")) as f:
        index = json.loads(f.readline())
    assert "renderers/chart.mpy" in index
    assert not [name for name in index if "hub" in name]
