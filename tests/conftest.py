"""Fixtures that run the real runtimes: the MicroPython unix port as the
board, and Chromium for the page. `make test` builds build/board first."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARD = os.path.join(ROOT, "build", "board")
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")
MICROPYPATH = ".frozen:" + os.path.join(BOARD, "lib")
#: The example app's custom kinds (the compass), which some tests use as a
#: custom kind of their own; `make test` builds the example into BOARD.
EXAMPLE = os.path.join(ROOT, "examples", "greenhouse")
EXAMPLE_WIDGETS = os.path.join(EXAMPLE, "widgets")


def declared_ids(main_py=os.path.join(EXAMPLE, "main.py")):
    """The widget ids an app's main.py declares, in order (``dash.add(Kind("id"``):
    what the example shows, read from it rather than pinned by the tests."""
    import re
    with open(main_py) as f:
        return re.findall(r'dash\.add\(\w+\(\s*"(\w+)"', f.read())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_micropython(args, cwd=BOARD, heap="256K", **kwargs):
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    return subprocess.run([MICROPYTHON, "-X", "heapsize=" + heap] + args, cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=60, **kwargs)


class Device:
    """A device app running under the MicroPython unix port."""

    def __init__(self, script, port, cwd=BOARD, heap="256K"):
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.log_path = os.path.join(ROOT, "build", "device-%d.log" % port)
        env = dict(os.environ, MICROPYPATH=MICROPYPATH)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [MICROPYTHON, "-X", "heapsize=" + heap, script, str(port)],
            cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("device exited:\n" + self.output())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("device did not start:\n" + self.output())

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def request(self, path, body=None, method=None, headers=None):
        """(status, headers, parsed JSON or raw bytes) of one HTTP request."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        if "json" in (hdrs.get("Content-Type") or ""):
            return status, hdrs, json.loads(raw)
        return status, hdrs, raw

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def raw_exchange(port, data, timeout=10):
    """Send ``data`` exactly as given on a new connection (no client
    normalises it) and read until the device closes the connection: the
    bytes it answered, b"" when it dropped the connection unanswered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # answered and closed before it read everything
        got = b""
        while True:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:  # closed with our bytes unread
                return got
            if not chunk:
                return got
            got += chunk


def parse_answer(raw):
    """(status, {lowercase header: value}, body) of a raw HTTP answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.fixture
def start_device():
    """Start device apps: start_device(script=..., cwd=..., heap=...)."""
    started = []

    def start(script="main.py", cwd=BOARD, heap="256K", port=None):
        for name in ("state.json", "state.json.tmp"):
            # The build tree plays a fresh board for every test: no values
            # saved by an earlier test's device.
            if cwd == BOARD and os.path.exists(os.path.join(BOARD, name)):
                os.remove(os.path.join(BOARD, name))
        dev = Device(script, port or free_port(), cwd=cwd, heap=heap)
        started.append(dev)
        return dev
    yield start
    for dev in started:
        dev.stop()


@pytest.fixture
def demo(start_device):
    """The example app (examples/greenhouse) as built into build/board."""
    return start_device()


CHROMIUM = "/usr/bin/chromium"
# The page is opened at a name, not localhost, so that like a board's LAN
# address it is not a secure context.
BOARD_HOST = "board.test"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP %s 127.0.0.1" % BOARD_HOST,
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Page:
    """A dashboard page in Chromium with every request it made recorded."""

    def __init__(self, context, device, path="/"):
        self.page = context.new_page()
        self.requests = []
        self.errors = []
        self.console = []  # every console message's text
        self.page.on("console", lambda m: self.console.append(m.text))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.url = "http://%s:%d%s" % (BOARD_HOST, device.port, path)
        self.page.goto(self.url)

    def wait_ready(self, timeout=30000):
        self.page.wait_for_selector("body[data-state=live]", timeout=timeout)
        return self

    def widget(self, wid):
        return self.page.locator('[data-widget="%s"]' % wid)


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_(device, path="/"):
        ctx = browser.new_context()
        contexts.append(ctx)
        return Page(ctx, device, path)
    yield open_
    for ctx in contexts:
        ctx.close()
