"""The page served from a laptop (tools/serve.py) for a board elsewhere: the
device app on one port, the laptop server on another, Chromium on the laptop
server only."""

import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

from conftest import BOARD, BOARD_HOST, ROOT, free_port

SERVE = os.path.join(ROOT, "tools", "serve.py")


class Laptop:
    """tools/serve.py, serving the bundle and proxying to ``device_url``."""

    def __init__(self, device_url):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([sys.executable, SERVE, device_url, "--port", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 10
        while time.time() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("serve.py did not start:\n" + self.stop())

    def request(self, path, headers=None, method="GET", body=None):
        req = urllib.request.Request(self.url + path, headers=headers or {}, method=method,
                                     data=body)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def stop(self):
        self.proc.terminate()
        return self.proc.communicate(timeout=10)[0]


@pytest.fixture
def laptop():
    started = []

    def start(device_url):
        server = Laptop(device_url)
        started.append(server)
        return server
    yield start
    for server in started:
        if server.proc.poll() is None:
            server.stop()


def stream_once(url):
    """Open /events, read its first event (or its refusal) and leave as a
    page does: with nothing left unread, so the close is a plain one.
    Returns the status code."""
    parts = urlparse(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        received = b""
        while received.count(b"\r\n\r\n") + received.count(b"\n\n") < 2:
            data = s.recv(4096)
            if not data:
                break
            received += data
    return int(received.split()[1])


def test_the_page_works_through_the_laptop_and_shows_the_board_going_away(
        start_device, laptop, open_page):
    device = start_device()
    server = laptop(device.url)
    page = open_page(SimpleNamespace(port=server.port)).wait_ready()
    assert page.page.title() == "Greenhouse"
    assert page.widget("wind").count() == 1
    # Every request went to the laptop server, none to the board or elsewhere.
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

    status, headers, body = server.request("/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["ETag"] == '"%s"' % manifest["/index.html"][0]
    assert len(body) == manifest["/index.html"][1]
    html = gzip.decompress(body)
    # Without gzip the laptop decompresses.
    status, headers, body = server.request("/", {"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in headers and body == html
    status, _, body = server.request("/", {"If-None-Match": '"%s"' % manifest["/index.html"][0]})
    assert status == 304 and body == b""
    status, headers, _ = server.request(runtime, {"Accept-Encoding": "gzip"})
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert headers["Content-Type"] == demo.request(runtime)[1]["Content-Type"]
    status, _, body = server.request("/nothing-here.js")
    assert status == 404 and json.loads(body)["error"] == "not found"


def test_the_json_api_passes_through(start_device, laptop, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(
        "import asyncio, sys\n"
        "import live\n"
        "live.LiveStreams.heartbeat_s = 3600  # a stream hears nothing unless asked\n"
        "from dashboard import Dashboard\n"
        "from dashschema.kinds import Toggle\n"
        "dash = Dashboard('Locked', static_dir=None, token='s3cret')\n"
        "dash.add(Toggle('fan', 'Fan'))\n"
        "asyncio.run(dash.serve(port=int(sys.argv[1])))\n")
    device = start_device(str(script), cwd=str(tmp_path))
    server = laptop(device.url)

    status, _, body = server.request("/schema")
    assert status == 200 and json.loads(body)["title"] == "Locked"
    state = json.loads(server.request("/data")[2])
    status, _, _ = server.request("/data?boot=%s&since=%d" % (state["boot"], state["version"]))
    assert status == 204
    write = json.dumps({"fan": True}).encode()
    as_json = {"Content-Type": "application/json"}
    assert server.request("/data", as_json, "POST", write)[0] == 401
    status, _, body = server.request("/data", dict(as_json, Authorization="Bearer s3cret"),
                                     "POST", write)
    assert status == 200 and device.request("/data")[2]["values"]["fan"] is True

    # A page leaving its stream frees the board's slot: more streams come and
    # go through the laptop than the board takes at once.
    for _ in range(6):
        deadline = time.time() + 10
        while stream_once(server.url) != 200:
            assert time.time() < deadline, "the board's stream slots stay taken"
            time.sleep(0.2)

    device.stop()
    status, headers, body = server.request("/data")
    assert status == 502 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"].startswith("device unreachable")
    assert server.request("/events")[0] == 502
    assert server.request("/", {"Accept-Encoding": "gzip"})[0] == 200


def test_the_laptop_refuses_foreign_origins_and_relays_its_own_pages_writes(
        start_device, laptop, tmp_path):
    # The board refuses an Origin other than its own Host, and the laptop
    # gives it the board's Host: the laptop checks the Origin itself.
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
    write = json.dumps({"fan": True}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer s3cret"}

    status, _, body = server.request("/data", dict(headers, Origin="http://evil.example"),
                                     "POST", write)
    assert status == 403 and "evil.example" in json.loads(body)["error"]
    status, _, _ = server.request("/schema", {"Origin": "http://evil.example",
                                              "Authorization": "Bearer r34d"})
    assert status == 403
    read = {"Authorization": "Bearer r34d"}
    assert device.request("/data", headers=read)[2]["values"]["fan"] is False

    # What the laptop's own page sends (its Origin is the laptop's address).
    status, _, body = server.request("/data", dict(headers, Origin=server.url), "POST", write)
    assert status == 200, body
    assert device.request("/data", headers=read)[2]["values"]["fan"] is True
    # The query string goes through as it comes: the stream's ?token=.
    assert server.request("/data")[0] == 401
    status, _, body = server.request("/data?token=r34d", {"Origin": server.url})
    assert status == 200 and json.loads(body)["values"]["fan"] is True
