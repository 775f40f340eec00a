"""The hub (tools/serve.py) run as a process for the tests, on a free port."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, free_port

SERVE = os.path.join(ROOT, "tools", "serve.py")


class HubProcess:
    def __init__(self, args, port=None):
        self.args = list(args)
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(ROOT, "build", "hub-%d.log" % self.port)
        open(self.log_path, "w").close()
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, SERVE] + self.args + ["--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
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

    def json(self, path):
        status, _, body = self.request(path)
        assert status == 200, (status, body)
        return json.loads(body)

    def board(self, name):
        return next(b for b in self.json("/fleet.json")["boards"] if b["name"] == name)

    def wait_for(self, condition, what, timeout=20):
        """Wait until ``condition()`` is true (a bounded wait for something
        the test made happen)."""
        deadline = time.time() + timeout
        while True:
            value = condition()
            if value:
                return value
            assert time.time() < deadline, "%s did not happen:\n%s" % (what, self.output())
            time.sleep(0.1)

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        with open(self.log_path) as f:
            return f.read()


def read_db(path, query, args=()):
    """Rows of a query on the hub's database, read-only, as a reader beside
    the hub sees it: only what was committed."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


@pytest.fixture
def hubs():
    """Start hubs: hubs(serve.py's arguments..., port=None)."""
    started = []

    def start(*args, port=None):
        hub = HubProcess(list(args), port)
        started.append(hub)
        return hub
    yield start
    for hub in started:
        if hub.proc.poll() is None:
            hub.stop()
