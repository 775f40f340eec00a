"""Reconnecting to a real broker (mosquitto) without leaking a socket or
storming it: two clients with one id, each taken over by the other, and a
broker stopped and started again. The bridged device app runs under the
real ``micropython``; the client alone runs unchanged under CPython."""

import os
import re
import subprocess
import sys
import time

import pytest

from conftest import BOARD, ROOT, Device, run_micropython
from test_mqtt import Observer, broker  # noqa: F401  (fixture)

#: Backoff of these tests: short, so that several waits pass in seconds.
BACKOFF_S = 0.2

APP = """
import asyncio
import sys

from dashboard import Dashboard
from dashschema.kinds import Number
from mqtt_bridge import MqttBridge
from mqtt_client import MqttClient

MqttClient.backoff_s = %(backoff_s)r
MqttClient.stable_s = %(stable_s)r

dash = Dashboard("Reconnect test", static_dir=None, state_file=None)
dash.add(Number("temperature", "Temperature", unit="°C", precision=1))
bridge = MqttBridge(dash, "127.0.0.1", %(broker)d, node="%(node)s")


async def main(port):
    dash.set("temperature", 21.5)
    asyncio.create_task(bridge.run())
    await dash.serve("127.0.0.1", port)

asyncio.run(main(int(sys.argv[1])))
"""

# The client alone, as the bridge uses it: the same id, will and status topic.
HOST_CLIENT = """
import asyncio
import sys
sys.path.insert(0, %(device)r)
from mqtt_client import MqttClient

MqttClient.backoff_s = %(backoff_s)r
MqttClient.stable_s = %(stable_s)r
status = "splitdash/%(node)s/status"
client = MqttClient("127.0.0.1", %(broker)d, "splitdash-%(node)s",
                    will=(status, "offline", True))


async def connected():
    await client.publish(status, "online", retain=True, qos=1)

asyncio.run(client.run(connected))
"""

RUNTIMES = ("micropython", "cpython")


class HostClient(Device):
    """The client under CPython, its console kept in a file: a device app's
    output() and stop(), with no port to wait for."""

    def __init__(self, script, folder):
        self.log_path = script + ".log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-u", script], cwd=folder,
                                     stdout=self.log, stderr=subprocess.STDOUT)


@pytest.fixture
def start_client(start_device, tmp_path):
    """start_client(runtime, broker_port, node, stable_s): the bridged device
    app (micropython) or the client alone (cpython), connecting at once."""
    started = []

    def start(runtime, port, node, stable_s):
        params = {"backoff_s": BACKOFF_S, "stable_s": stable_s, "broker": port, "node": node,
                  "device": os.path.join(ROOT, "device")}
        if runtime == "micropython":
            (tmp_path / "app.py").write_text(APP % params)
            return start_device(script="app.py", cwd=str(tmp_path))
        script = tmp_path / ("client%d.py" % len(started))
        script.write_text(HOST_CLIENT % params)
        client = HostClient(str(script), str(tmp_path))
        started.append(client)
        return client
    yield start
    for client in started:
        client.stop()


def open_files(proc):
    return len(os.listdir("/proc/%d/fd" % proc.pid))


def broker_sockets(proc, port):
    """The process's sockets connected to the broker's port, in any state: a
    socket the broker closed and the process did not stays as CLOSE_WAIT."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % proc.pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (proc.pid, fd))
        except OSError:  # closed meanwhile
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                    n += 1
    return n


def watch(clients, port, until, what, timeout=30):
    """Count each client's open files and broker sockets every 50 ms until
    ``until()``: ([(files, sockets), ...] per client)."""
    samples = [[] for _ in clients]
    deadline = time.time() + timeout
    while True:
        for client, seen in zip(clients, samples):
            seen.append((open_files(client.proc), broker_sockets(client.proc, port)))
        if until():
            return samples
        assert time.time() < deadline, "waited %d s for %s:\n%s" % (
            timeout, what, "\n---\n".join(c.output()[-1500:] for c in clients))
        time.sleep(0.05)


def waits(output):
    """The waits the client announced, in seconds, in order."""
    return [float(w) for w in re.findall(r"retrying in ([0-9.]+) s", output)]


def assert_backoff(announced, first):
    """Each wait drawn from half to all of its step, the step doubling from
    ``first``: no connection in between lasted long enough to reset it."""
    step = first
    for wait in announced:
        # Printed to 0.1 s.
        assert step / 2 - 0.05 <= wait <= step + 0.05, (announced, step)
        step *= 2


def ends_allowed(elapsed):
    """Connection attempts that can have ended (each announcing its wait) in
    ``elapsed`` seconds, the backoff never reset: the first, then one after
    each wait of at least half its step."""
    n, step, spent = 1, BACKOFF_S, 0
    while spent + step / 2 <= elapsed:
        spent += step / 2
        step *= 2
        n += 1
    return n


TAKEOVER = "another client took over splitdash-twice; is the node id set twice?"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_two_clients_with_one_id_back_off_and_leak_nothing(runtime, start_client, broker):
    # Each connect takes the id from the other one, which the broker drops.
    # stable_s is longer than the test: no connection resets the backoff.
    began = time.time()
    clients = [start_client(runtime, broker.port, "twice", 60) for _ in range(2)]
    samples = watch(clients, broker.port, lambda: all(
        TAKEOVER in c.output() and len(waits(c.output())) >= 4 for c in clients),
        "both clients taken over and four waits each")
    outs = [c.output() for c in clients]
    elapsed = time.time() - began
    for out, seen in zip(outs, samples):
        assert out.count(TAKEOVER) == 1, out  # at most once a minute
        assert_backoff(waits(out), BACKOFF_S)
        ended = len(waits(out))
        assert ended <= ends_allowed(elapsed), (ended, elapsed, out)
        # One broker socket at a time, closed before the next; and from the
        # first connection on (the event loop and its files are up),
        # nothing else grows.
        assert max(s for _, s in seen) <= 1, seen
        files = [f for f, s in seen[[s for _, s in seen].index(1):]]
        assert max(files) - min(files) <= 2, files
        print(runtime, "open files", min(files), "to", max(files), "connections ended", ended,
              "in %.1f s" % elapsed)
        assert "Traceback" not in out, out


def outage(client, port, broker, before, count):
    """Stop the broker and watch until the client has announced ``count``
    more waits: (the waits, the samples taken)."""
    broker.stop()
    samples = watch([client], port, lambda: len(waits(client.output())) >= before + count,
                    "%d waits with the broker down" % count)[0]
    return waits(client.output())[before:], samples


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_restarted_broker_gets_the_client_back_with_nothing_leaked(runtime, start_client, broker):
    node = "again"
    status = "splitdash/%s/status" % node
    client = start_client(runtime, broker.port, node, 0.5)
    observer = Observer(broker.port)
    try:
        observer.wait("online", lambda: observer.seen(status)
                      and observer.seen(status)[-1][1] == "online")
    finally:
        observer.close()
    watch([client], broker.port, lambda: broker_sockets(client.proc, broker.port) == 1, "connected")
    files = open_files(client.proc)

    # The first connection, dropped, and two failed connects: the backoff
    # doubles from its start.
    announced, samples = outage(client, broker.port, broker, 0, 3)
    assert_backoff(announced, BACKOFF_S)
    assert "connection lost" in client.output() and "unreachable" in client.output()
    assert max(f for f, _ in samples) <= files, samples  # never more open than when connected

    # Back: it publishes again (the broker kept nothing: no persistence),
    # with no more open than before.
    broker.start()
    observer = Observer(broker.port)
    try:
        observer.wait("online again", lambda: observer.seen(status)
                      and observer.seen(status)[-1][1] == "online", timeout=20)
        if runtime == "micropython":
            observer.wait("the state again", lambda: observer.seen(
                "splitdash/%s/temperature/state" % node))
    finally:
        observer.close()
    watch([client], broker.port, lambda: open_files(client.proc) <= files
          and broker_sockets(client.proc, broker.port) == 1, "the files of before")

    # A connection that held past stable_s (0.5 s here) starts the backoff
    # afresh: the next drop waits no more than the first step.
    time.sleep(1)
    announced, _ = outage(client, broker.port, broker, len(waits(client.output())), 1)
    assert announced[0] <= BACKOFF_S + 0.05, announced
    assert "Traceback" not in client.output(), client.output()


# ---- every way a connection ends --------------------------------------------

# What a broker does after reading a CONNECT, one connection each, in order.
# mosquitto does none of the bad ones: a socket of the test plays it.
CONNACK = b"\x20\x02\x00\x00"
ENDINGS = (
    ("refused", b"\x20\x02\x00\x05", "the broker refused: not authorized"),
    ("no CONNACK", b"", "unreachable (TimeoutError)"),
    ("malformed", CONNACK + b"\x30\xff\xff\xff\xff\x01", "malformed packet length"),
    ("oversized", CONNACK + b"\x30\xd0\x0f", "a 2000-byte packet, over max_packet"),
    # As soon as it was accepted: what a client taking over the id causes.
    ("closed by the broker", CONNACK, "another client took over endings"),
    ("pings unanswered", CONNACK, "connection lost (TimeoutError)"),
)

ENDINGS_CLIENT = """
import asyncio
import os
import sys
sys.path.insert(0, %(path)r)
from mqtt_client import MqttClient

MqttClient.timeout_s = 0.3
MqttClient.keepalive_s = 1
MqttClient.backoff_s = 0.05
MqttClient.backoff_max_s = 0.2
client = MqttClient("127.0.0.1", %(port)d, "endings")


def files():
    return len(os.listdir("/proc/self/fd"))


async def main():
    before = files()
    asyncio.create_task(client.run())
    # The endings, then a connection that stays, ended by disconnect().
    for _ in range(400):
        if client.attempts > %(endings)d and client.connected:
            break
        await asyncio.sleep(0.05)
    connected = files()
    await client.disconnect()
    print("FILES", before, connected, files())

asyncio.run(main())
"""


def read_packet(sock):
    """The type of the next packet, None once the client has closed."""
    try:
        first = sock.recv(1)
    except ConnectionResetError:  # closed with bytes of ours unread
        return None
    if not first:
        return None
    length = shift = 0
    while True:
        byte = sock.recv(1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return first[0]


def hostile_broker(listener, done):
    """Answer each connection as ENDINGS says, then keep the last one
    (answering its pings) until the client leaves."""
    for name, answer, _ in ENDINGS + (("stays", CONNACK, None),):
        sock = listener.accept()[0]
        sock.settimeout(10)
        with sock:
            assert read_packet(sock) == 0x10
            sock.sendall(answer)
            if name == "closed by the broker":
                continue
            # Until the client closes it: pings answered only by the last.
            while True:
                kind = read_packet(sock)
                if kind is None or kind == 0xE0:
                    break
                if kind == 0xC0 and name == "stays":
                    sock.sendall(b"\xd0\x00")
    done.append(True)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_every_way_a_connection_ends_closes_its_socket(runtime):
    import socket
    import threading
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    done = []
    server = threading.Thread(target=hostile_broker, args=(listener, done), daemon=True)
    server.start()
    try:
        path = os.path.join(BOARD, "lib") if runtime == "micropython" else os.path.join(ROOT, "device")
        script = ENDINGS_CLIENT % {"path": path, "port": listener.getsockname()[1],
                                   "endings": len(ENDINGS)}
        if runtime == "micropython":
            out = run_micropython(["-c", script])
        else:
            out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                 timeout=60)
        server.join(10)
    finally:
        listener.close()
    assert out.returncode == 0, out.stdout + out.stderr
    assert done, out.stdout
    for name, _, said in ENDINGS:
        assert said in out.stdout, (name, out.stdout)
    before, connected, after = (int(n) for n in out.stdout.split("FILES")[1].split())
    # One socket while connected; none left by the six endings nor by disconnect().
    assert (connected, after) == (before + 1, before), out.stdout
