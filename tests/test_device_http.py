"""The device server over real HTTP, running under the MicroPython unix port:
the JSON routes, callbacks, the static bundle and the SSE stream."""

import gzip
import http.client
import json
import os
import socket
import time

import pytest

from conftest import BOARD, declared_ids

WWW = os.path.join(BOARD, "www")

# A device with no sensor task: nothing changes unless a test writes, so
# versions are exact. Callbacks make their effect visible over HTTP.
APP = """
import asyncio
import sys

from dashboard import Dashboard
from live import LiveStreams
from dashschema.kinds import Button, Label, Level, Number, Slider, Toggle
from compass import Compass

LiveStreams.max_streams = %(max_streams)d
LiveStreams.heartbeat_s = %(heartbeat_s)d

dash = Dashboard("Test app", static_dir=None%(options)s)
dash.add(Toggle("pump", "Pump"))
dash.add(Label("status", "Status"))
dash.add(Slider("speed", "Speed", min=0, max=10, step=2))
dash.add(Number("echo", "Echo", precision=0))
dash.add(Number("reading", "Reading", unit="V", precision=2))
dash.add(Level("tank", "Tank"))
dash.add(Compass("wind", "Wind"))
dash.add(Button("fail", "Fail"))
dash.add(Button("glitch", "Glitch"))
dash.add(Button("noop", "No-op"))


@dash.on_write("pump")
def pump(on):
    dash.set("status", "pumping" if on else "idle")


@dash.on_write("speed")
async def speed(value):
    await asyncio.sleep_ms(20)
    dash.set("echo", value * 10)


@dash.on_write("fail")
def fail(_):
    raise RuntimeError("callback failed on purpose")


@dash.on_write("glitch")
def glitch(_):
    # What a broken sensor reports.
    dash.set("reading", float("nan"))
    dash.set("tank", float("inf"))
    dash.set("wind", float("-inf"))


@dash.app.get("/headers")
async def headers(request):
    # What an app's own route sees of a request.
    names = ("User-Agent", "Accept", "Accept-Encoding", "X-Probe")
    return {name: request.headers.get(name) for name in names}


dash.set("reading", 3.14159)
dash.set("tank", 40)
dash.set("wind", 370)
dash.run("127.0.0.1", int(sys.argv[1]))
"""
APP_IDS = ["pump", "status", "speed", "echo", "reading", "tank", "wind",
             "fail", "glitch", "noop"]
APP_INITIAL = {"pump": False, "status": "", "speed": 0, "echo": None,
                 "reading": 3.14, "tank": 40, "wind": 10}


def strict_json(raw):
    """Parse JSON as a browser does: NaN and Infinity are not JSON."""
    def refuse(name):
        raise ValueError("not JSON: %s" % name)
    return json.loads(raw, parse_constant=refuse)


@pytest.fixture
def start_app(start_device, tmp_path):
    def start(options="", max_streams=8, heartbeat_s=1):
        with open(tmp_path / "app.py", "w") as f:
            f.write(APP % {"options": options, "max_streams": max_streams,
                           "heartbeat_s": heartbeat_s})
        return start_device(script="app.py", cwd=str(tmp_path))
    return start


@pytest.fixture
def app(start_app):
    return start_app()


def write(dev, body):
    return dev.request("/data", body=body, headers={"Content-Type": "application/json"})


def wait_for(f, what, timeout=10):
    """Poll f() until it returns something true; generous, not a timing test."""
    deadline = time.time() + timeout
    while True:
        result = f()
        if result:
            return result
        if time.time() > deadline:
            raise AssertionError("%s did not happen within %d s" % (what, timeout))
        time.sleep(0.05)


def raw_get(dev, path, headers=None):
    """A GET with the path sent exactly as given (no client normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


# ---- schema and state -------------------------------------------------------

def test_schema_lists_widgets_in_declaration_order_with_params(app):
    status, headers, schema = app.request("/schema")
    assert status == 200
    assert schema["title"] == "Test app"
    assert [(w["id"], w["kind"]) for w in schema["widgets"]] == [
        ("pump", "toggle"), ("status", "label"), ("speed", "slider"), ("echo", "number"),
        ("reading", "number"), ("tank", "level"), ("wind", "compass"), ("fail", "button"),
        ("glitch", "button"), ("noop", "button")]
    widgets = {w["id"]: w for w in schema["widgets"]}
    assert widgets["speed"] == {"id": "speed", "kind": "slider", "label": "Speed",
                                "min": 0, "max": 10, "step": 2, "unit": ""}
    assert widgets["reading"]["unit"] == "V"
    assert widgets["reading"]["precision"] == 2
    assert widgets["pump"] == {"id": "pump", "kind": "toggle", "label": "Pump"}
    assert widgets["wind"]["unit"] == "°"
    assert schema["boot"] == app.request("/data")[2]["boot"]


def test_the_example_serves_what_its_main_declares(demo):
    status, headers, schema = demo.request("/schema")
    assert status == 200
    ids = declared_ids()
    assert ids and [w["id"] for w in schema["widgets"]] == ids
    status, headers, state = demo.request("/data")
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    # Every widget but the momentary ones (buttons) has a value.
    kinds = {w["id"]: w["kind"] for w in schema["widgets"]}
    assert set(state["values"]) == {i for i in ids if kinds[i] != "button"}
    assert isinstance(state["version"], int) and state["version"] > 0
    assert len(state["boot"]) == 8


def test_bench_schema_and_initial_state(app):
    schema = app.request("/schema")[2]
    assert [w["id"] for w in schema["widgets"]] == APP_IDS
    state = app.request("/data")[2]
    assert state["values"] == APP_INITIAL
    assert state["version"] == 3


GROWING_APP = """
import sys
from dashboard import Dashboard
from dashschema.kinds import Button, Label

dash = Dashboard("Growing", static_dir=None)
dash.add(Button("more", "More"))


@dash.on_write("more")
def more(_):
    dash.add(Label("extra%d" % len(dash.widgets), "Extra"))


dash.run("127.0.0.1", int(sys.argv[1]))
"""


def test_the_schema_follows_widgets_added_while_serving(start_device, tmp_path):
    (tmp_path / "growing.py").write_text(GROWING_APP)
    dev = start_device(script="growing.py", cwd=str(tmp_path))

    def ids():
        return [w["id"] for w in dev.request("/schema")[2]["widgets"]]
    assert ids() == ["more"]
    assert ids() == ["more"]  # the second answer from the encoded schema
    assert write(dev, {"more": True})[0] == 200
    assert ids() == ["more", "extra1"]


def test_since_returns_only_changes(app):
    state = app.request("/data")[2]
    boot, v0 = state["boot"], state["version"]
    status, _, raw = app.request("/data?since=%d&boot=%s" % (v0, boot))
    assert (status, raw) == (204, b"")
    assert write(app, {"speed": 4})[0] == 200
    wait_for(lambda: app.request("/data")[2]["values"]["echo"] == 40, "the speed callback")
    status, _, changes = app.request("/data?since=%d&boot=%s" % (v0, boot))
    assert status == 200
    assert changes["values"] == {"speed": 4, "echo": 40}
    assert changes["version"] == v0 + 2
    # From the middle: only what changed after it.
    changes = app.request("/data?since=%d&boot=%s" % (v0 + 1, boot))[2]
    assert changes["values"] == {"echo": 40}
    status, _, raw = app.request("/data?since=%d&boot=%s" % (v0 + 2, boot))
    assert status == 204


def test_since_with_another_boot_gets_everything(app):
    state = app.request("/data")[2]
    for query in ("?since=%d&boot=0badb007" % state["version"],
                  "?since=%d" % state["version"],
                  "?since=999&boot=%s" % state["boot"]):
        status, _, again = app.request("/data" + query)
        assert status == 200, query
        assert again == state, query


def test_since_must_be_a_number(app):
    boot = app.request("/data")[2]["boot"]
    status, _, body = app.request("/data?since=x&boot=" + boot)
    assert status == 400
    assert body == {"error": "since must be a whole number", "widget": None}


# ---- writes -----------------------------------------------------------------

def test_valid_writes_change_state_and_version(app):
    before = app.request("/data")[2]
    status, _, reply = write(app, {"pump": True})
    assert status == 200
    # The pump and the status its callback set.
    assert reply == {"boot": before["boot"], "version": before["version"] + 2}
    values = app.request("/data")[2]["values"]
    assert values["pump"] is True
    assert values["status"] == "pumping"
    status, _, reply = write(app, {"pump": False, "speed": 10.0})
    assert status == 200
    wait_for(lambda: app.request("/data")[2]["values"]["echo"] == 100, "the speed callback")
    values = app.request("/data")[2]["values"]
    assert values["pump"] is False and values["status"] == "idle"
    assert values["speed"] == 10 and isinstance(values["speed"], int)


def test_writing_the_same_value_changes_nothing(app):
    write(app, {"pump": True})
    v = app.request("/data")[2]["version"]
    assert write(app, {"pump": True})[2]["version"] == v


BAD_WRITES = [
    ("wrong type", {"pump": 1}, 400, "pump", "expected true or false"),
    ("text for a number", {"speed": "4"}, 400, "speed", "expected a number"),
    ("out of range", {"speed": 12}, 400, "speed", "outside 0..10"),
    ("below range", {"speed": -2}, 400, "speed", "outside 0..10"),
    ("off step", {"speed": 3}, 400, "speed", "not a multiple of step 2"),
    ("unknown id", {"valve": True}, 400, "valve", "no widget"),
    ("read-only label", {"status": "hacked"}, 400, "status", "read-only"),
    ("read-only number", {"reading": 1.0}, 400, "reading", "read-only"),
    ("button not pressed", {"noop": False}, 400, "noop", "send true"),
    ("good and bad together", {"pump": True, "speed": 3}, 400, "speed", "multiple of step"),
    ("not JSON", b"{pump: true}", 400, None, "not valid JSON"),
    ("empty body", b"", 400, None, "not valid JSON"),
    ("a list", [{"pump": True}], 400, None, "JSON object"),
    ("null", b"null", 400, None, "JSON object"),
    ("a string", b'"pump"', 400, None, "JSON object"),
    ("no changes", {}, 400, None, "JSON object"),
    ("too large", {"pump": True, "pad": "x" * 2000}, 413, None, "too large"),
    ("past the server's limit", {"pad": "x" * 20000}, 413, None, "too large"),
]


@pytest.mark.parametrize("body, status, widget, reason",
                         [case[1:] for case in BAD_WRITES], ids=[c[0] for c in BAD_WRITES])
def test_invalid_writes_are_rejected_and_change_nothing(app, body, status, widget, reason):
    before = app.request("/data")[2]
    got_status, headers, reply = write(app, body)
    assert got_status == status
    assert "json" in headers["Content-Type"]
    assert set(reply) == {"error", "widget"}
    assert reply["widget"] == widget
    assert reason in reply["error"]
    # No callback ran either: the pump's would have changed the status.
    assert app.request("/data")[2] == before


def test_other_methods_get_json_405(app):
    status, _, reply = app.request("/data", method="PUT", body=b"{}")
    assert status == 405
    assert reply == {"error": "method not allowed", "widget": None}


def test_writes_need_the_token_when_set(start_app):
    dev = start_app(', token="s3cret"')
    status, _, reply = write(dev, {"pump": True})
    assert status == 401
    assert reply["widget"] is None
    status, _, reply = dev.request("/data", body={"pump": True},
                                   headers={"Authorization": "Bearer wrong",
                                            "Content-Type": "application/json"})
    assert status == 401
    assert dev.request("/data")[2]["values"]["pump"] is False
    status, _, reply = dev.request("/data", body={"pump": True},
                                   headers={"Authorization": "Bearer s3cret",
                                            "Content-Type": "application/json"})
    assert status == 200
    assert dev.request("/data")[2]["values"]["pump"] is True


# ---- callbacks ----------------------------------------------------------------

def test_callback_effect_is_visible(app):
    write(app, {"pump": True})
    assert app.request("/data")[2]["values"]["status"] == "pumping"
    write(app, {"pump": False})
    assert app.request("/data")[2]["values"]["status"] == "idle"


def test_coroutine_callback_runs(app):
    assert write(app, {"speed": 6})[0] == 200
    wait_for(lambda: app.request("/data")[2]["values"]["echo"] == 60,
             "the coroutine callback")


def test_failing_callback_leaves_the_server_working(app):
    before = app.request("/data")[2]
    status, _, reply = write(app, {"fail": True})
    # The write was valid; the callback's bug is the device program's.
    assert status == 200
    assert reply["version"] == before["version"]
    wait_for(lambda: "callback failed on purpose" in app.output(), "the traceback in the log")
    assert "callback for 'fail' failed" in app.output()
    assert write(app, {"pump": True})[0] == 200
    assert app.request("/data")[2]["values"]["status"] == "pumping"


def test_button_press_stores_nothing(app):
    before = app.request("/data")[2]
    assert write(app, {"noop": True})[0] == 200
    assert app.request("/data")[2] == before


# ---- reads are side-effect free, failed readings are null -----------------------

def test_gets_never_change_state(app):
    write(app, {"pump": True})
    before = app.request("/data")[2]
    for path in ("/schema", "/data", "/data?since=1&boot=" + before["boot"],
                 "/data?since=0", "/", "/nowhere", "/events?x=1"):
        if path.startswith("/events"):
            with EventStream(app, path) as stream:
                stream.next_state()
        else:
            app.request(path)
    assert app.request("/data")[2] == before


def test_nan_and_inf_readings_are_null_in_valid_json(app):
    assert write(app, {"glitch": True})[0] == 200
    status, _, raw = raw_get(app, "/data")
    assert status == 200
    values = strict_json(raw)["values"]
    assert values["reading"] is None
    assert values["tank"] is None
    assert values["wind"] is None
    with EventStream(app, "/events") as stream:
        assert stream.next_state()["values"]["reading"] is None


def test_unknown_paths_give_json_404(app, demo):
    for dev in (app, demo):
        for path in ("/nowhere", "/data/extra", "/schema.json"):
            status, headers, reply = dev.request(path)
            assert status == 404, (dev.url, path)
            assert reply == {"error": "not found", "widget": None}


# ---- the static bundle --------------------------------------------------------

@pytest.fixture(scope="module")
def manifest():
    with open(os.path.join(WWW, "manifest.json")) as f:
        return json.load(f)


def bundled(path):
    with open(WWW + path + ".gz", "rb") as f:
        return f.read()


def runtime_file(manifest, suffix):
    paths = [p for p in manifest if p.startswith("/rt-") and p.endswith(suffix)]
    assert paths, "no %s runtime file in the bundle" % suffix
    return paths[0]


def test_index_is_served_gzipped_with_etag(demo, manifest):
    assert "/index.html" in manifest
    status, headers, body = raw_get(demo, "/", {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("text/html")
    assert headers["ETag"] == '"%s"' % manifest["/index.html"][0]
    assert headers["Cache-Control"] == "no-cache"
    assert int(headers["Content-Length"]) == manifest["/index.html"][1] == len(body)
    assert body == bundled("/index.html")
    assert b"<html" in gzip.decompress(body).lower()


def test_if_none_match_gives_304(demo, manifest):
    etag = '"%s"' % manifest["/index.html"][0]
    status, headers, body = raw_get(demo, "/", {"Accept-Encoding": "gzip",
                                                "If-None-Match": etag})
    assert status == 304
    assert body == b""
    assert headers["ETag"] == etag
    status, _, _ = raw_get(demo, "/index.html", {"Accept-Encoding": "gzip",
                                                 "If-None-Match": '"0000"'})
    assert status == 200


def test_if_modified_since_gives_304(demo, manifest):
    modified = manifest["/index.html"][2]
    status, headers, body = raw_get(demo, "/index.html", {"If-Modified-Since": modified})
    assert status == 304 and body == b""
    assert headers["Last-Modified"] == modified
    # Any other date is another version of the file.
    status, _, _ = raw_get(demo, "/index.html",
                           {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert status == 200


def test_runtime_files_are_immutable_with_their_types(demo, manifest):
    for suffix, mime in ((".mjs", "text/javascript"), (".wasm", "application/wasm"),
                         ("/core.js", "text/javascript")):
        path = runtime_file(manifest, suffix)
        status, headers, body = raw_get(demo, path, {"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["Content-Type"] == mime
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["ETag"] == '"%s"' % manifest[path][0]
        assert body == bundled(path)


def test_the_page_alone_is_revalidated(demo, manifest):
    # Its own files are versioned too (rt-<hash>/): a reload asks for the page alone.
    assert [path for path in manifest if not path.startswith("/rt-")] == ["/index.html"]
    for suffix, mime in (("/style.css", "text/css"), ("/py.pack", "application/octet-stream")):
        path = runtime_file(manifest, suffix)
        status, headers, body = raw_get(demo, path, {"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["Content-Type"] == mime
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert body == bundled(path)


@pytest.mark.parametrize("path", [
    "/../main.py", "/main.py", "/lib/dashboard.mpy", "/lib/../main.py",
    "/manifest.json", "/index.html.gz", "/www/index.html", "/%2e%2e/main.py",
])
def test_paths_outside_the_manifest_are_404(demo, path):
    status, headers, body = raw_get(demo, path, {"Accept-Encoding": "gzip"})
    assert status == 404
    assert json.loads(body) == {"error": "not found", "widget": None}


def test_clients_without_gzip_get_the_plain_file(demo, manifest):
    for path in (runtime_file(manifest, "/style.css"), "/index.html", runtime_file(manifest, ".mjs")):
        status, headers, body = raw_get(demo, path)
        assert status == 200, path
        assert "Content-Encoding" not in headers
        assert body == gzip.decompress(bundled(path))


# ---- reading requests ---------------------------------------------------------

def exchange(dev, *parts, pause=0.2):
    """Send a request in ``parts``, pausing between them, as a slow network
    would deliver it; returns (status, body) of the answer."""
    with socket.create_connection(("127.0.0.1", dev.port), timeout=10) as sock:
        for part in parts:
            sock.sendall(part)
            time.sleep(pause)
        raw = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


BROWSER_LINES = (b"Host: 192.168.4.1\r\nConnection: keep-alive\r\n"
                 b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0\r\n"
                 b"Accept: */*\r\nReferer: http://192.168.4.1/\r\n"
                 b"Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n")


def test_headers_nothing_reads_are_dropped_and_the_rest_kept(app):
    status, body = exchange(app, b"GET /headers HTTP/1.1\r\n" + BROWSER_LINES +
                            b"X-Probe: kept\r\n\r\n")
    assert status == 200
    assert json.loads(body) == {"User-Agent": None, "Accept": None,
                                "Accept-Encoding": "gzip, deflate", "X-Probe": "kept"}


def test_a_request_arriving_in_pieces_is_read_whole(app):
    body = b'{"pump": true}'
    status, reply = exchange(
        app, b"POST /da", b"ta HTTP/1.1\r\n" + BROWSER_LINES[:40], BROWSER_LINES[40:] +
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body),
        body[:5], body[5:])
    assert status == 200, reply
    assert app.request("/data")[2]["values"]["status"] == "pumping"


def test_a_header_line_too_long_gets_400_and_the_device_carries_on(app):
    # A line must fit in the connection's buffer (Server.buffer_size, 512):
    # a full buffer with no line end is refused. (Exactly that much is sent:
    # bytes left unread behind the answer would reach the client as a reset.)
    assert len(b"X-Long: " + b"x" * 504) == 512
    status, _ = exchange(app, b"GET /data HTTP/1.1\r\nX-Long: " + b"x" * 504)
    assert status == 400
    # A line that never ends is cut off without holding more than a line.
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
        try:
            sock.sendall(b"GET /data HTTP/1.1\r\nX-Long: " + b"x" * 20000)
            sock.recv(4096)
        except OSError:
            pass  # refused, with our unread bytes behind the answer: a reset
    assert app.request("/data")[0] == 200


def test_a_client_leaving_mid_request_leaves_the_device_serving(app):
    for partial in (b"GET /data HTT", b"GET /data HTTP/1.1\r\nHost: x", b"POST /data HTTP/1.1\r\n"
                    b"Content-Length: 20\r\n\r\n{\"pu"):
        with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
            sock.sendall(partial)
    assert app.request("/data")[2]["values"] == APP_INITIAL


# ---- server-sent events -------------------------------------------------------

class EventStream:
    """One GET /events over a raw socket, read event by event."""

    def __init__(self, dev, path="/events", headers=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", dev.port), timeout=timeout)
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1"]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        head = self._read_until(b"\r\n\r\n").decode()
        status_line, *header_lines = head.split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {k.lower(): v for k, v in
                        (line.split(": ", 1) for line in header_lines)}

    def _read_until(self, sep):
        while sep not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError("stream closed; got %r" % self.buf)
            self.buf += chunk
        part, self.buf = self.buf.split(sep, 1)
        return part

    def body(self):
        """The rest of a non-stream response."""
        while True:
            chunk = self.sock.recv(4096)
            if not chunk:
                return self.buf
            self.buf += chunk

    def next_event(self):
        """{"comment": ...} or {"event": ..., "data": parsed JSON}."""
        event = {}
        for line in self._read_until(b"\n\n").decode().split("\n"):
            field, _, value = line.partition(": ")
            if field == "":
                event["comment"] = value
            elif field == "data":
                event["data"] = strict_json(value)
            else:
                event[field] = value
        return event

    def next_state(self):
        """The next state message, skipping pings."""
        while True:
            event = self.next_event()
            if "data" in event and event.get("event") != "ping":
                return event["data"]

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_events_send_full_state_then_only_changes(app):
    with EventStream(app) as stream:
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/event-stream"
        first = stream.next_state()
        assert first["values"] == APP_INITIAL
        assert write(app, {"pump": True})[0] == 200
        # The pump and the status its callback set, in one message.
        change = stream.next_state()
        assert change["values"] == {"pump": True, "status": "pumping"}
        assert change["version"] == first["version"] + 2
        assert write(app, {"speed": 8})[0] == 200
        seen = {}
        while seen != {"speed": 8, "echo": 80}:
            values = stream.next_state()["values"]
            assert set(values) <= {"speed", "echo"}
            seen.update(values)


def test_events_resume_from_query(app):
    state = app.request("/data")[2]
    boot, v0 = state["boot"], state["version"]
    write(app, {"pump": True})
    # A page that saw v0 gets only what changed since.
    with EventStream(app, "/events?boot=%s&since=%d" % (boot, v0)) as stream:
        assert stream.next_state()["values"] == {"pump": True, "status": "pumping"}
    # A page that is up to date gets nothing until something changes.
    with EventStream(app, "/events?boot=%s&since=%d" % (boot, v0 + 2)) as stream:
        write(app, {"speed": 2})
        values = stream.next_state()["values"]
        assert set(values) <= {"speed", "echo"} and values["speed"] == 2


def test_events_after_a_reboot_send_everything(app):
    write(app, {"pump": True})
    state = app.request("/data")[2]
    for path in ("/events", "/events?boot=0badb007&since=1",
                 "/events?boot=%s&since=999" % state["boot"],
                 "/events?boot=%s&since=garbage" % state["boot"]):
        with EventStream(app, path) as stream:
            assert stream.next_state() == state, path


def test_quiet_streams_get_pings(app):
    with EventStream(app) as stream:
        stream.next_state()
        event = stream.next_event()
        assert event["event"] == "ping" and event["data"] == {}


# Serving with every free block of the heap held but a few KB: enough for a
# request, too few for the report's 20 KB in one piece.
SHORT_OF_HEAP_APP = """
import asyncio
import gc
import sys

from dashboard import Dashboard
from dashschema.kinds import Label

dash = Dashboard("Test app", static_dir=None, state_file=None)
dash.add(Label("report", "Report"), "x" * 20000)


async def serve():
    held = []
    gc.collect()
    while gc.mem_free() > 16000:
        held.append(bytearray(200))
    await dash.serve("127.0.0.1", int(sys.argv[1]))

asyncio.run(serve())
"""


def test_a_stream_with_no_heap_for_its_message_is_closed_at_once(start_device, tmp_path):
    # Left open, the page would wait on a stream that sends nothing (40 s,
    # its silence limit) where a closed one sends it to poll at once.
    with open(tmp_path / "app.py", "w") as f:
        f.write(SHORT_OF_HEAP_APP)
    dev = start_device(script="app.py", cwd=str(tmp_path))
    with EventStream(dev, timeout=5) as stream:
        assert stream.status == 200
        with pytest.raises(EOFError):
            stream.next_event()
    assert "Traceback" not in dev.output()


# Serving on a heap in pieces: every other 600-byte block held, so that it
# has plenty free but no block as large as the whole state (some 12 KB).
SCATTERED_HEAP_APP = """
import asyncio
import gc
import sys

from dashboard import Dashboard
from dashschema.kinds import Label

dash = Dashboard("Test app", static_dir=None, state_file=None)
for i in range(24):
    dash.add(Label("l%d" % i, "L"), "%02d" % i * 240)


async def scatter():
    await asyncio.sleep_ms(200)  # serving has begun, its schema encoded
    held, gaps = [], []
    gc.collect()
    while gc.mem_free() > 2000:
        held.append(bytearray(600))
        gaps.append(bytearray(600))
    gaps = None
    gc.collect()
    print("scattered")
    await asyncio.sleep(3600)


asyncio.create_task(scatter())
dash.run("127.0.0.1", int(sys.argv[1]))
"""


def test_a_page_opening_on_a_heap_in_pieces_gets_the_whole_state(start_device, tmp_path):
    with open(tmp_path / "app.py", "w") as f:
        f.write(SCATTERED_HEAP_APP)
    dev = start_device(script="app.py", cwd=str(tmp_path))
    wait_for(lambda: "scattered" in dev.output(), "the heap scattered")
    with EventStream(dev, timeout=5) as stream:
        values = stream.next_state()["values"]
    assert values == {"l%d" % i: "%02d" % i * 240 for i in range(24)}
    assert "Traceback" not in dev.output()


def test_streams_past_the_cap_get_503_and_slots_free_up(start_app):
    # No heartbeat during the test: a closed stream must free its slot by itself.
    app = start_app(max_streams=2, heartbeat_s=600)
    first, second = EventStream(app), EventStream(app)
    try:
        first.next_state()
        second.next_state()
        with EventStream(app) as third:
            assert third.status == 503
            reply = json.loads(third.body())
            assert reply["widget"] is None
            assert "too many live streams" in reply["error"]
        # The polling fallback still answers.
        assert app.request("/data")[0] == 200
        first.close()

        # The device sees the socket close and frees the slot.
        def reconnect():
            stream = EventStream(app)
            if stream.status == 200:
                return stream
            stream.close()
            time.sleep(0.2)
        with wait_for(reconnect, "a freed stream slot") as again:
            assert again.next_state()["values"] == APP_INITIAL
    finally:
        first.close()
        second.close()


def test_a_broken_config_leaves_the_board_booting_on_defaults(start_device, tmp_path):
    with open(os.path.join(BOARD, "main.py")) as f:
        (tmp_path / "main.py").write_text(f.read())
    (tmp_path / "config.json").write_text('{"title": "Shed", "port": "eighty"')
    dev = start_device(script="main.py", cwd=str(tmp_path))
    status, _, schema = dev.request("/schema")
    assert status == 200 and schema["title"] == "Greenhouse"
    assert "config.json is not valid JSON" in dev.output()
    assert "using the defaults" in dev.output()
