"""Values that survive a reboot (device/saved_state.py), under the
MicroPython unix port: each app runs in a temporary directory that plays
the board's flash, and a restart is a new process in the same directory."""

import json
import os
import random
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import MICROPYTHON, MICROPYPATH, free_port, parse_answer, raw_exchange
from test_device_http import wait_for

APP = """
import asyncio
import os
import sys

from dashboard import Dashboard
from saved_state import SavedState
from dashschema.kinds import Button, Label, Slider, Toggle
%(prelude)s
SavedState.delay_s = %(delay_s)r

dash = Dashboard("Saved", static_dir=None%(options)s)
dash.add(Toggle("pump", "Pump"))
dash.add(Slider("speed", "Speed", min=0, max=%(speed_max)d, step=2))
dash.add(Toggle("fan", "Fan", persist=False))
dash.add(Button("bump", "Bump"))
dash.add(Label("relay", "Relay"))
dash.add(Label("echo", "Echo"))

calls = 0


@dash.on_write("pump")
def pump(on):
    global calls
    calls += 1
    dash.set("relay", "%%s, call %%d" %% ("on" if on else "off", calls))


@dash.on_write("speed")
async def speed(value):
    await asyncio.sleep_ms(1)
    dash.set("echo", "speed %%d" %% value)


@dash.on_write("bump")
def bump(_):
    dash.set("speed", 4)  # the board's own change


@dash.app.get("/writes")
async def writes(request):
    return {"writes": dash.saved.writes if dash.saved else None}


@dash.app.get("/shutdown")
async def shutdown(request):
    request.app.shutdown()
    return {}


dash.run("127.0.0.1", int(sys.argv[1]))
"""

# A flash formatted FAT, kept in an image file beside the app, so that the
# state goes through MicroPython's own FAT driver and survives the process.
FAT_PRELUDE = """
import vfs


class ImageFlash:
    def __init__(self, path, blocks=128):
        self.blocks = blocks
        try:
            self.f = open(path, "r+b")
            fresh = False
        except OSError:
            self.f = open(path, "w+b")
            self.f.write(bytearray(blocks * 512))
            fresh = True
        if fresh:
            vfs.VfsFat.mkfs(self)

    def readblocks(self, n, buf, offset=0):
        self.f.seek(n * 512 + offset)
        self.f.readinto(buf)

    def writeblocks(self, n, buf, offset=0):
        self.f.seek(n * 512 + offset)
        self.f.write(buf)
        self.f.flush()

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return 512
        return 0


vfs.mount(vfs.VfsFat(ImageFlash("flash.img")), "/flash")
"""

DEFAULTS = {"pump": False, "speed": 0, "fan": False, "relay": "", "echo": ""}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def start_app(start_device, tmp_path):
    """start_app(...) runs APP in tmp_path; called again, it is the same
    board after a restart."""
    def start(options="", delay_s=0.05, speed_max=10, prelude=""):
        (tmp_path / "app.py").write_text(APP % {
            "options": options, "delay_s": delay_s, "speed_max": speed_max,
            "prelude": prelude})
        return start_device(script="app.py", cwd=str(tmp_path))
    return start


def values(dev):
    status, _, body = dev.request("/data")
    assert status == 200
    return body["values"]


def write(dev, changes):
    status, _, body = dev.request("/data", body=changes, headers=JSON)
    assert status == 200, body


def flash_writes(dev):
    return dev.request("/writes")[2]["writes"]


def saved(folder):
    """The state file's values, or None while there is none (or a damaged one)."""
    try:
        with open(os.path.join(str(folder), "state.json")) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


def state_lines(dev):
    """What the board said about its saved state."""
    return [line for line in dev.output().splitlines()
            if "saved state" in line or "saved value" in line or "save state" in line]


def restart(start_app, dev, **kwargs):
    dev.stop()
    return start_app(**kwargs)


def test_values_survive_a_restart_and_outputs_follow_them(start_app, tmp_path):
    dev = start_app()
    assert values(dev) == DEFAULTS
    write(dev, {"pump": True, "speed": 6, "fan": True})
    write(dev, {"bump": True})  # the board sets speed 4 itself
    assert values(dev)["speed"] == 4
    # Only the writable widgets that keep a value: not the fan (persist=False),
    # not the button, not the labels.
    wait_for(lambda: saved(tmp_path) == {"pump": True, "speed": 4}, "the state saved")
    # A first boot, with no file, says nothing about it.
    assert state_lines(dev) == []
    fan = [w for w in dev.request("/schema")[2]["widgets"] if w["id"] == "fan"][0]
    assert "persist" not in fan  # a board-side choice the page has no use for

    dev = restart(start_app, dev)
    # Restored, and each restored widget's callback called once as serving
    # starts (a coroutine callback too), so outputs follow the saved state.
    wait_for(lambda: values(dev)["echo"], "the speed callback")
    assert values(dev) == {"pump": True, "speed": 4, "fan": False,
                           "relay": "on, call 1", "echo": "speed 4"}
    assert state_lines(dev) == []
    # Restoring is no change: nothing is written again.
    assert flash_writes(dev) == 0


def test_a_dragged_slider_costs_one_flash_write(start_app, tmp_path):
    delay_s = 1
    dev = start_app(delay_s=delay_s)
    drag = [2, 4, 6, 8, 10, 8, 6, 4, 2, 0] * 5 + [6]
    started = time.time()
    for value in drag:
        write(dev, {"speed": value})
    took = time.time() - started
    wait_for(lambda: saved(tmp_path) == {"pump": False, "speed": 6}, "the state saved")
    # Writes are one per delay_s at most, however many changes came: a drag
    # shorter than delay_s (the usual case here) costs exactly one.
    writes = flash_writes(dev)
    assert 1 <= writes <= 1 + int(took / delay_s), (writes, took)

    # The next change is one more write.
    write(dev, {"speed": 8})
    wait_for(lambda: saved(tmp_path) == {"pump": False, "speed": 8}, "the state saved")
    assert flash_writes(dev) == writes + 1


def test_a_shutdown_writes_what_was_waiting(start_app, tmp_path):
    dev = start_app(delay_s=3600)
    write(dev, {"speed": 8})
    assert flash_writes(dev) == 0
    dev.request("/shutdown")
    assert dev.proc.wait(10) == 0
    assert saved(tmp_path) == {"pump": False, "speed": 8}


def test_persistence_can_be_turned_off(start_app, tmp_path):
    dev = start_app(options=", state_file=None", delay_s=0)
    write(dev, {"pump": True, "speed": 6})
    assert flash_writes(dev) is None
    dev = restart(start_app, dev, options=", state_file=None", delay_s=0)
    assert values(dev) == DEFAULTS
    assert not [name for name in os.listdir(str(tmp_path)) if "state" in name]


@pytest.mark.parametrize("content", [
    b"",
    b"  \n",
    b'{"pump": true, "spe',  # truncated
    b'{"pump": true, "speed": 6}}',
    b"\x00\x9f\xff\xfe garbage",
    b'[true, 6]',
    b"null",
], ids=["empty", "blank", "truncated", "trailing", "binary", "list", "null"])
def test_a_damaged_file_is_reported_and_the_widgets_start_from_their_defaults(
        start_app, tmp_path, content):
    (tmp_path / "state.json").write_bytes(content)
    dev = start_app()
    assert values(dev) == DEFAULTS
    lines = state_lines(dev)
    assert len(lines) == 1, dev.output()
    assert "state.json" in lines[0] and "defaults" in lines[0]
    assert "Traceback" not in dev.output()
    # The next change replaces it with a good one.
    write(dev, {"speed": 2})
    wait_for(lambda: saved(tmp_path) == {"pump": False, "speed": 2}, "the state saved")


def test_a_saved_value_the_widget_now_refuses_is_dropped(start_app, tmp_path):
    dev = start_app(speed_max=20)
    write(dev, {"pump": True, "speed": 14})
    wait_for(lambda: saved(tmp_path) == {"pump": True, "speed": 14}, "the state saved")
    # A new firmware narrows the slider, and knows no "gone" widget any more.
    state = saved(tmp_path)
    state["gone"] = 3
    state["fan"] = True  # persist=False now: not restored either
    (tmp_path / "state.json").write_text(json.dumps(state))

    dev = restart(start_app, dev, speed_max=10)
    assert values(dev) == dict(DEFAULTS, pump=True, relay="on, call 1")
    lines = state_lines(dev)
    assert len(lines) == 1, dev.output()
    assert "'speed'" in lines[0] and "14" in lines[0] and "0..10" in lines[0]
    assert "gone" not in dev.output()


def test_the_temporary_file_stands_in_when_the_renamed_one_is_missing(start_app, tmp_path):
    # A cut between removing the old file and renaming the new one over it
    # (filesystems that cannot rename over a file) leaves only the new one.
    (tmp_path / "state.json.tmp").write_text('{"pump": true, "speed": 8}')
    dev = start_app()
    assert values(dev)["speed"] == 8 and values(dev)["pump"] is True
    assert state_lines(dev) == []
    write(dev, {"speed": 2})
    wait_for(lambda: saved(tmp_path) == {"pump": True, "speed": 2}, "the state saved")
    assert not (tmp_path / "state.json.tmp").exists()


def test_a_first_save_cut_short_is_no_damage(start_app, tmp_path):
    # Killed while writing its very first state: nothing had been saved, so
    # nothing is lost and there is nothing to report.
    (tmp_path / "state.json.tmp").write_text('{"pump": tr')
    dev = start_app()
    assert values(dev) == DEFAULTS
    assert state_lines(dev) == []


def test_state_kept_on_a_fat_flash(start_app, tmp_path):
    options = dict(options=', state_file="/flash/state.json"', prelude=FAT_PRELUDE)
    dev = start_app(**options)
    assert values(dev) == DEFAULTS
    write(dev, {"pump": True})
    wait_for(lambda: flash_writes(dev) == 1, "the first write")
    write(dev, {"speed": 10})  # renamed over the first file
    wait_for(lambda: flash_writes(dev) == 2, "the second write")
    assert saved(tmp_path) is None  # on the FAT image, not beside it

    dev = restart(start_app, dev, **options)
    assert values(dev) == dict(DEFAULTS, pump=True, speed=10, relay="on, call 1",
                               echo="speed 10")
    assert state_lines(dev) == []


# ---- the crash test -----------------------------------------------------------

CRASH_APP = """
import sys

from dashboard import Dashboard
from saved_state import SavedState
from dashschema.kinds import Slider

SavedState.delay_s = 0  # a flash write after every change
dash = Dashboard("Crash", static_dir=None, live=False)
for i in range(%(count)d):
    dash.add(Slider("s%%02d" %% i, min=0, max=10000000))
dash.run("127.0.0.1", int(sys.argv[1]))
"""
CRASH_IDS = ["s%02d" % i for i in range(12)]
KILLS = 200


def _post(port, body):
    """One write over a raw connection; its status line."""
    body = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /data HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        answer = b""
        while True:
            data = s.recv(4096)
            if not data:
                return answer.split(b"\r\n", 1)[0]
            answer += data


class _Writes(threading.Thread):
    """Writes n, n+1, ... to every widget at once until the board is gone."""

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.port, self.sent, self.refused = port, n, None

    def run(self):
        while True:
            n = self.sent + 1
            self.sent = n  # sent, maybe applied, before any answer
            try:
                status = _post(self.port, {wid: n for wid in CRASH_IDS})
            except OSError:
                return
            if status and b" 200 " not in status:
                self.refused = status
                return


def _boot(folder, port, log):
    proc = subprocess.Popen([MICROPYTHON, "-X", "heapsize=128K", "app.py", str(port)],
                            cwd=folder, env=dict(os.environ, MICROPYPATH=MICROPYPATH),
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 15
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.005)
    proc.kill()
    proc.wait()
    return None


def _file_state(folder):
    """(name, text) of what a boot reads: the file, or the temporary one in
    its place; (None, None) when there is neither."""
    for name in ("state.json", "state.json.tmp"):
        try:
            with open(os.path.join(folder, name)) as f:
                return name, f.read()
        except FileNotFoundError:
            pass
    return None, None


def _first_save_cut_short(name, text):
    # Only a temporary file, and not a whole one: the very first save was
    # killed while writing it. The old state is then "nothing saved".
    if name != "state.json.tmp":
        return False
    try:
        json.loads(text)
        return False
    except ValueError:
        return True


def test_killed_at_any_moment_it_keeps_the_old_or_the_new_state(tmp_path):
    folder = str(tmp_path)
    (tmp_path / "app.py").write_text(CRASH_APP % {"count": len(CRASH_IDS)})
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    port = free_port()
    log_path = tmp_path / "console.log"
    state = 0  # what every widget held at the last boot
    mid_rename = 0
    for kill in range(KILLS):
        where = "seed %d, kill %d" % (seed, kill)
        with open(log_path, "wb") as log:
            proc = _boot(folder, port, log)
        output = log_path.read_text(errors="replace")
        assert proc, "the board did not boot (%s):\n%s" % (where, output)
        try:
            # It booted on the state the file held.
            status, _, body = _get_data(port)
            assert status == 200, where
            assert body["values"] == {wid: state for wid in CRASH_IDS}, where
            writes = _Writes(port, state)
            writes.start()
            time.sleep(rng.uniform(0, 0.06))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        writes.join(10)
        assert not writes.refused, (where, writes.refused)
        output = log_path.read_text(errors="replace")
        assert "unusable" not in output and "Traceback" not in output, (where, output)

        name, text = _file_state(folder)
        if state:
            assert text is not None, "the state file is gone (%s)" % where
        if text is None or not state and _first_save_cut_short(name, text):
            continue
        mid_rename += name != "state.json" or os.path.exists(os.path.join(folder, "state.json.tmp"))
        try:
            saved_values = json.loads(text)
        except ValueError:
            raise AssertionError("%s is not JSON after a kill (%s): %r" % (name, where, text))
        # One whole state: every widget, all from the same write.
        assert sorted(saved_values) == CRASH_IDS, (where, text)
        assert len(set(saved_values.values())) == 1, "a mix of two states (%s): %r" % (where, text)
        n = saved_values[CRASH_IDS[0]]
        assert state <= n <= writes.sent, (where, state, n, writes.sent)
        state = n
    assert state > KILLS, "too few writes reached the flash to tell anything: %d" % state
    print("%d kills, %d writes kept, %d left a temporary file behind (seed %d)"
          % (KILLS, state, mid_rename, seed))


def _get_data(port):
    status, headers, body = parse_answer(
        raw_exchange(port, b"GET /data HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", timeout=5))
    return status, headers, json.loads(body)
