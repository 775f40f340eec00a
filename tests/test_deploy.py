"""Deploying to a board. The MicroPython unix port's REPL, behind a pair of
pseudo-terminals, plays the board: its filesystem is a temporary directory
and mpremote reaches it through a device path, as it would a USB serial port.
The unix port cannot soft-reset, so mpremote always `resume`s.

The 64-bit port from PyPI has no ROMFS support, as most boards' stock
firmware; the 32-bit build in ../shared/micropython32 plays a board with a
ROMFS partition, kept in a file (MICROPY_ROMFS) that outlives its process as
flash outlives a power cycle."""

import gzip
import hashlib
import json
import os
import re
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tty
import urllib.error
import urllib.request
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import serial

from conftest import BOARD, BOARD_HOST, MICROPYTHON, ROOT, free_port

MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")
DEPLOY = os.path.join(ROOT, "tools", "deploy.py")
MICROPYTHON32 = os.path.join(os.path.dirname(ROOT), "shared", "micropython32", "micropython")
#: The image deploy builds from build/board/lib.
IMAGE = os.path.join(ROOT, "build", "rom.romfs")


class PtyBoard:
    """The unix port's REPL on one pseudo-terminal, its bytes pumped to and
    from a second one whose device path (``port``) mpremote opens."""

    def __init__(self, root, micropython=MICROPYTHON, **env):
        self.root, self.micropython, self.env = root, micropython, env
        os.makedirs(root, exist_ok=True)
        self._start()

    def _start(self):
        self._board, board_tty = pty.openpty()
        self._host, self._host_tty = pty.openpty()
        # Raw both ends: no newline translation or echo between REPL and mpremote.
        tty.setraw(board_tty)
        tty.setraw(self._host_tty)
        self.port = os.ttyname(self._host_tty)
        self.output = bytearray()  # what the board printed, for failure reports
        self.proc = subprocess.Popen(
            [self.micropython, "-X", "heapsize=512K"], stdin=board_tty, stdout=board_tty,
            stderr=board_tty, cwd=self.root,
            env=dict(os.environ, MICROPYPATH=".frozen:lib", **self.env), start_new_session=True)
        os.close(board_tty)
        # self._host_tty stays open: a master reads EIO while its slave has no opener.
        self._stopped = False
        self._pump = threading.Thread(target=self._run, daemon=True)
        self._pump.start()

    def _run(self):
        other = {self._board: self._host, self._host: self._board}
        while not self._stopped:
            for fd in select.select(list(other), [], [], 0.1)[0]:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return  # the REPL's process ended
                if fd == self._board:
                    self.output += data
                while data:
                    data = data[os.write(other[fd], data):]

    def mpremote(self, *args, check=True):
        result = subprocess.run([MPREMOTE, "connect", self.port, "resume"] + list(args),
                                capture_output=True, text=True, timeout=60)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def files(self):
        return tree_hashes(self.root)

    def mtimes(self):
        return {p: os.stat(os.path.join(self.root, p)).st_mtime_ns for p in self.files()}

    def run_app(self, port, script="exec(open('main.py').read())"):
        """Run a program on the board's REPL as __main__, as a board runs
        main.py at boot, and wait for it to take HTTP connections."""
        self.mpremote("exec", "--no-follow", script)
        wait_for_port(port, self.proc, lambda: self.output.decode(errors="replace"))
        return SimpleNamespace(port=port, url="http://127.0.0.1:%d" % port)

    def restart(self, **env):
        """A power cycle: a new process on the same files and ROMFS
        partition, on a new port; ``env`` changes its environment."""
        self.stop()
        self.env.update(env)
        self._start()

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self._stopped = True
        self._pump.join()
        for fd in (self._board, self._host, self._host_tty):
            os.close(fd)


def wait_for_port(port, proc, output):
    """Wait for a server on ``port`` while ``proc`` runs; ``output()`` tells why not."""
    deadline = time.time() + 30
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("nothing came up on port %d:\n%s" % (port, output()))


@pytest.fixture
def board(tmp_path):
    b = PtyBoard(str(tmp_path / "board"))
    yield b
    b.stop()


@pytest.fixture
def rom_board(tmp_path):
    """A board with a 1 MiB ROMFS partition, erased, kept in ``partition``."""
    partition = str(tmp_path / "partition.romfs")
    b = PtyBoard(str(tmp_path / "board"), MICROPYTHON32, MICROPY_ROMFS=partition)
    b.partition = partition
    yield b
    b.stop()


def deploy(*args):
    return subprocess.run([sys.executable, DEPLOY] + list(args), capture_output=True,
                          text=True, timeout=120)


def tree_hashes(root):
    """{path: sha256} of every file below root."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return found


def style_sheet():
    """The URL path of the page's style sheet, in its versioned folder."""
    with open(os.path.join(BOARD, "www", "manifest.json")) as f:
        return next(path for path in json.load(f) if path.endswith("/style.css"))


def get(url, headers=None, method="GET", body=None):
    req = urllib.request.Request(url, headers=headers or {}, method=method, data=body)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def write_config(path, **settings):
    path.write_text(json.dumps(settings))
    return str(path)


def test_mpremote_reaches_the_emulated_board(board):
    with open(os.path.join(board.root, "hello.txt"), "w") as f:
        f.write("hi")
    assert "hello.txt" in board.mpremote("fs", "ls").stdout


def test_deploy_copies_what_differs_and_the_board_serves_the_dashboard(board, tmp_path, open_page):
    port = free_port()
    origin = "http://laptop.test:8000"
    config = write_config(tmp_path / "config.json", title="Deployed greenhouse", port=port,
                          token="s3cret", cors_origins=[origin])
    result = subprocess.run(["make", "-s", "deploy", "DEVICE=" + board.port, "CONFIG=" + config,
                             "DEPLOY_ARGS=--no-reset"], cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    # Its firmware has no ROMFS (vfs.rom_ioctl), as most boards' stock firmware.
    assert "no ROMFS partition on this board" in result.stdout
    expected = tree_hashes(BOARD)
    with open(config, "rb") as f:
        expected["config.json"] = hashlib.sha256(f.read()).hexdigest()
    assert board.files() == expected
    assert any(p.startswith("lib/") and p.endswith(".mpy") for p in expected)
    assert "www/manifest.json" in expected and "main.py" in expected

    # A second deploy copies nothing: not one file on the board is rewritten.
    before = board.mtimes()
    result = deploy("--config", config, "--no-reset", board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "copying 0 " in result.stdout
    assert board.mtimes() == before

    # A damaged file and a changed config are copied again; what the build no
    # longer has goes from lib/ and www/; the board's other files stay.
    style = "www" + style_sheet() + ".gz"
    with open(os.path.join(board.root, style), "wb") as f:
        f.write(b"damaged")
    stale = os.path.join(board.root, "www", "rt-0000000000", "pyscript")
    os.makedirs(stale)
    with open(os.path.join(stale, "core.js.gz"), "wb") as f:
        f.write(b"old runtime")
    with open(os.path.join(board.root, "lib", "gone.mpy"), "wb") as f:
        f.write(b"old module")
    with open(os.path.join(board.root, "data.csv"), "w") as f:
        f.write("the app's own file\n")
    config = write_config(tmp_path / "config.json", title="Deployed greenhouse", port=port,
                          token="s3cret", cors_origins=[origin], ap_ssid="greenhouse")
    with open(config, "rb") as f:
        expected["config.json"] = hashlib.sha256(f.read()).hexdigest()
    before = board.mtimes()
    result = deploy("--config", config, "--no-reset", board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    after = board.mtimes()
    rewritten = sorted(p for p in after if after[p] != before.get(p))
    assert rewritten == ["config.json", style]
    files = board.files()
    assert files.pop("data.csv") and files == expected

    # The board runs main.py as it would at boot: settings from config.json.
    device = board.run_app(port)
    status, _, body = get(device.url + "/schema")
    assert status == 200 and json.loads(body)["title"] == "Deployed greenhouse"
    status, headers, body = get(device.url + "/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert b"py/main.py" in gzip.decompress(body)
    status, headers, _ = get(device.url + "/data", {"Origin": origin})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == origin
    status, headers, _ = get(device.url + "/data", {"Origin": "http://elsewhere.test"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    write = json.dumps({"fan": True}).encode()
    json_type = {"Content-Type": "application/json"}
    assert get(device.url + "/data", json_type, "POST", write)[0] == 401
    assert get(device.url + "/data", dict(json_type, Authorization="Bearer s3cret"),
               "POST", write)[0] == 200

    page = open_page(device).wait_ready()
    assert page.page.title() == "Deployed greenhouse"
    assert page.widget("temperature").count() == 1
    assert {urlparse(url).hostname for url in page.requests} == {BOARD_HOST}
    assert not page.errors


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def build_image(tmp_path, files):
    """A ROMFS image (mpremote romfs build) of ``files``: {path: text}."""
    source = tmp_path / "image"
    for path, text in files.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(text)
    out = str(tmp_path / "image.romfs")
    subprocess.run([MPREMOTE, "romfs", "--no-mpy", "-o", out, "build", str(source)],
                   check=True, capture_output=True)
    return read_bytes(out)


#: Run on a board: where its dashboard's modules are loaded from.
MODULE_FILES = ("import json, dashboard, server, static_files, microdot, dashschema.kinds\n"
                "print(json.dumps([m.__file__ for m in (dashboard, server, static_files, "
                "microdot, dashschema.kinds)]))")


def test_deploy_puts_the_code_in_romfs_and_the_board_runs_it_from_there(rom_board, tmp_path):
    board = rom_board
    # A board deployed before: its code as .mpy in lib/, an older image in
    # its partition.
    with open(board.partition, "wb") as f:
        f.write(build_image(tmp_path, {"lib/dashboard.py": "raise ImportError('old')\n"}))
    shutil.copytree(os.path.join(BOARD, "lib"), os.path.join(board.root, "lib"))
    board.restart()
    port = free_port()
    config = write_config(tmp_path / "config.json", title="From flash", port=port)
    result = deploy("--config", config, "--no-reset", board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "writing the ROMFS image" in result.stdout
    # The partition holds the image of build/board/lib; the filesystem holds
    # the rest, and no module that would shadow /rom/lib.
    image = read_bytes(IMAGE)
    assert read_bytes(board.partition).startswith(image)
    expected = dict((p, h) for p, h in tree_hashes(BOARD).items() if not p.startswith("lib"))
    expected["config.json"] = hashlib.sha256(read_bytes(config)).hexdigest()
    assert board.files() == expected
    assert not os.path.exists(os.path.join(board.root, "lib"))

    # Restarted, the board mounts the image at /rom and imports from it.
    board.restart()
    files = json.loads(board.mpremote("exec", MODULE_FILES).stdout)
    assert all(f.startswith("/rom/lib/") and f.endswith(".mpy") for f in files), files

    # Nothing changed: nothing is written, to the partition or the filesystem.
    partition_mtime = os.stat(board.partition).st_mtime_ns
    before = board.mtimes()
    result = deploy("--config", config, "--no-reset", board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ROMFS image (%.1f KB) up to date" % (len(image) / 1024) in result.stdout
    assert "copying 0 " in result.stdout and "removing 0" in result.stdout
    assert os.stat(board.partition).st_mtime_ns == partition_mtime
    assert read_bytes(board.partition).startswith(image)
    assert board.mtimes() == before

    # main.py starts the dashboard from the image: page, schema and bundle.
    device = board.run_app(port)
    status, headers, body = get(device.url + "/", {"Accept-Encoding": "gzip"})
    assert status == 200 and b"py/main.py" in gzip.decompress(body)
    status, _, body = get(device.url + "/schema")
    assert status == 200 and json.loads(body)["title"] == "From flash"
    status, headers, body = get(device.url + style_sheet(), {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert body == read_bytes(os.path.join(BOARD, "www" + style_sheet() + ".gz"))


def test_deploy_leaves_romfs_alone_when_told_or_when_the_image_does_not_fit(rom_board,
                                                                           tmp_path):
    board = rom_board
    # The partition holds the application's own image.
    own = build_image(tmp_path, {"fonts/big.txt": "the application's own data\n"})
    with open(board.partition, "wb") as f:
        f.write(own)
    board.restart()
    config = write_config(tmp_path / "config.json", port=free_port())
    result = deploy("--config", config, "--no-reset", "--no-romfs", board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ROMFS" not in result.stdout
    assert read_bytes(board.partition) == own
    files = board.files()
    assert "lib/dashboard.mpy" in files and "lib/microdot/microdot.mpy" in files

    # A partition smaller than the image: the code stays in lib/.
    board.restart(MICROPY_ROMFS_SIZE="16384")
    partition_mtime = os.stat(board.partition).st_mtime_ns
    result = deploy("--config", config, "--no-reset", board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "larger than the board's partition (16.0 KB): it goes to lib/" in result.stdout
    assert "copying 0 " in result.stdout and "removing 0" in result.stdout
    assert read_bytes(board.partition) == own
    assert os.stat(board.partition).st_mtime_ns == partition_mtime
    assert board.files() == files


def test_deploy_keeps_the_values_the_board_saved(board, tmp_path):
    # A board that ran the dashboard before: its saved values, the temporary
    # file a power cut can leave beside them, and a module the build lacks.
    saved = {"state.json": b'{"fan": true, "led": 35}',
             "state.json.tmp": b'{"fan": true, "led": 40}',
             "lib/old_driver.mpy": b"old module"}
    for path, data in saved.items():
        os.makedirs(os.path.dirname(os.path.join(board.root, path)), exist_ok=True)
        with open(os.path.join(board.root, path), "wb") as f:
            f.write(data)
    before = board.mtimes()
    port = free_port()
    config = write_config(tmp_path / "config.json", port=port)
    result = deploy("--config", config, "--no-reset", board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "removing 1" in result.stdout
    files = board.files()
    assert "lib/old_driver.mpy" not in files and "lib/dashboard.mpy" in files
    after = board.mtimes()
    for path in ("state.json", "state.json.tmp"):
        with open(os.path.join(board.root, path), "rb") as f:
            assert f.read() == saved[path]
        assert after[path] == before[path]

    # The deployed dashboard starts from them.
    device = board.run_app(port)
    status, _, body = get(device.url + "/data")
    values = json.loads(body)["values"]
    assert status == 200 and values["fan"] is True and values["led"] == 35


def test_deploy_says_when_the_port_is_absent_or_busy(board, tmp_path):
    result = deploy(os.path.join(str(tmp_path), "ttyUSB9"))
    assert result.returncode != 0
    assert "no serial port" in result.stderr and "plugged in" in result.stderr

    config = write_config(tmp_path / "config.json", port=free_port())
    with serial.Serial(board.port, exclusive=True):
        result = deploy("--config", config, "--no-reset", board.port)
    assert result.returncode != 0
    assert "is busy" in result.stderr
    assert board.files() == {}


def test_deploy_refuses_a_bad_config(board, tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text('{"port": 80,}')
    result = deploy("--config", str(bad), "--no-reset", board.port)
    assert result.returncode != 0 and "not valid JSON" in result.stderr
    bad.write_text('{"wifi_pasword": "x"}')
    result = deploy("--config", str(bad), "--no-reset", board.port)
    assert result.returncode != 0 and "unknown setting 'wifi_pasword'" in result.stderr
    assert board.files() == {}


def test_dev_runs_the_app_from_the_laptop_over_mount(board, tmp_path):
    port = free_port()
    config = write_config(tmp_path / "config.json", title="On the laptop's disk", port=port)
    log = tmp_path / "dev.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, DEPLOY, "--dev", "--resume", "--config", config,
                                 board.port], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_for_port(port, proc, log.read_text)
        url = "http://127.0.0.1:%d" % port
        status, _, body = get(url + "/schema")
        assert status == 200 and json.loads(body)["title"] == "On the laptop's disk"
        status, headers, body = get(url + "/", {"Accept-Encoding": "gzip"})
        assert status == 200 and b"py/main.py" in gzip.decompress(body)
    finally:
        # The unix port takes no Ctrl-C over the pty while it runs a program,
        # so mpremote could not stop the app tidily: end it all.
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    # Nothing was written to the board.
    assert board.files() == {}


def test_mip_installs_the_library_offline_from_a_local_path(board, tmp_path):
    import microdot
    with open(os.path.join(ROOT, "device", "package.json")) as f:
        urls = json.load(f)["urls"]
    # Microdot comes pinned to the release requirements.txt names. With no
    # network here, the same release's files are taken from the host's copy.
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        pin = re.search(r"^microdot==(\S+)", f.read(), re.M).group(1)
    local = []
    for target, url in urls:
        if target.startswith("microdot/"):
            assert "/microdot/v%s/src/%s" % (pin, target) in url, url
            url = os.path.join(os.path.dirname(microdot.__file__), target[len("microdot/"):])
        else:
            url = os.path.join(ROOT, "device", url)
        local.append([target, os.path.relpath(url, str(tmp_path))])
    package = tmp_path / "package.json"
    package.write_text(json.dumps({"urls": local, "version": "0"}))
    result = board.mpremote("mip", "install", "--target", "lib", str(package))
    assert "Done" in result.stdout
    listed = {target for target, _ in urls}
    shared = {os.path.relpath(os.path.join(d, n), os.path.join(ROOT, "shared"))
              for d, _, names in os.walk(os.path.join(ROOT, "shared", "dashschema"))
              for n in names if n.endswith(".py")}
    device = {n for n in os.listdir(os.path.join(ROOT, "device"))
              if n.endswith(".py") and n not in ("main.py", "manifest.py")}
    assert shared | device <= listed
    installed = {p[len("lib/"):] for p in board.files()}
    assert installed == listed

    port = free_port()
    app = ("from dashboard import Dashboard\n"
           "from dashschema.kinds import Number\n"
           "import dashboard\n"
           "assert dashboard.__file__ == 'lib/dashboard.py', dashboard.__file__\n"
           "dash = Dashboard('From mip')\n"
           "dash.add(Number('t', 'Temperature'))\n"
           "dash.set('t', 21.5)\n"
           "dash.run(port=%d)\n" % port)
    device = board.run_app(port, app)
    status, _, body = get(device.url + "/data")
    assert status == 200 and json.loads(body)["values"] == {"t": 21.5}
    status, _, body = get(device.url + "/schema")
    assert json.loads(body)["title"] == "From mip"


def test_an_app_folder_from_make_widget_deploys_and_its_kind_takes_writes(board, tmp_path,
                                                                          open_page):
    app = tmp_path / "my-dash"
    new_widget = os.path.join(ROOT, "tools", "new_widget.py")
    subprocess.run([sys.executable, new_widget, "--app", str(app), "dial"], check=True,
                   capture_output=True)
    port = free_port()
    # The app folder's own settings go to the board, no CONFIG= given.
    write_config(app / "config.json", title="My dash", port=port)
    try:
        result = subprocess.run(["make", "-s", "deploy", "APP=" + str(app),
                                 "DEVICE=" + board.port, "DEPLOY_ARGS=--no-reset"], cwd=ROOT,
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
        device = board.run_app(port)
        page = open_page(device).wait_ready()
        assert page.page.title() == "My dash"
        page.widget("dial").locator("button.up").click()
        for _ in range(100):
            if json.loads(get(device.url + "/data")[2])["values"]["dial"] == 1:
                break
            page.page.wait_for_timeout(100)
        assert json.loads(get(device.url + "/data")[2])["values"]["dial"] == 1
        assert not page.errors
    finally:
        # The example back in build/board, for the tests that follow.
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build.py"), "--quiet"],
                       check=True)
