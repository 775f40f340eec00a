"""Running the benchmark's devices: each contender's script
(bench/devices/<name>_app.py) or the built demo (build/board) on a
MicroPython unix port, by default the one from PyPI in the virtualenv.

Another binary can be given (``micropython=``): a 32-bit build of the unix
port has a board's object sizes, so its heap figures are a board's
(MICROPYTHON32). With ``romfs=True`` the libraries (build/board/lib, and
micropidash) are loaded from a ROMFS image instead of the filesystem, as on
a board whose firmware has a ROMFS partition: their bytecode then stays out
of the heap. Only a build with ROMFS support (MICROPYTHON32's) runs them.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
#: The PyPI unix port (a Python script that runs the binary it installed).
MICROPYTHON = os.path.join(BIN, "micropython")
#: The 32-bit unix port with a ROMFS partition kept in a file (its README
#: says how it is built), beside the checkout, unless the environment's
#: MICROPYTHON32 names another (the first, if it names several).
MICROPYTHON32 = (os.environ.get("MICROPYTHON32", "").split() or [os.path.join(
    os.path.dirname(ROOT), "shared", "micropython32", "micropython")])[0]
BOARD = os.path.join(ROOT, "build", "board")
BOARD_LIB = os.path.join(BOARD, "lib")
BENCH = os.path.join(ROOT, "build", "bench")
DEVICES = os.path.join(ROOT, "bench", "devices")
CALLGRIND = os.path.join(BENCH, "callgrind")
#: Where the built demo runs: the board's files linked, its saved state
#: (state.json) its own, so that build/board stays as the build left it.
BOARD_COPY = os.path.join(BENCH, "board")

HEAP = "256K"
# The device runs alone on the first core, the harness and its clients on
# the others, so that client work does not disturb the device's CPU time.
DEVICE_CPUS = {0} if (os.cpu_count() or 1) > 1 else None
#: What a log holds when the device ran out of heap, or a task died.
FAILURES = ("MemoryError", "Task exception wasn't retrieved")


def compile_libraries(folder=BENCH):
    """The device scripts as .mpy in ``folder``/lib (run with -m: nothing is
    compiled on the device), micropidash (from its pip package) in
    ``folder``/peers, and the ROMFS image; splitdash and Microdot come from
    build/board/lib."""
    import importlib.util
    package = os.path.dirname(importlib.util.find_spec("micropidash").origin)
    sources = [(os.path.join(package, name), os.path.join("peers", "micropidash",
                                                          name[:-3] + ".mpy"))
               for name in ("__init__.py", "micropidash.py")]
    sources += [(os.path.join(DEVICES, name), os.path.join("lib", name[:-3] + ".mpy"))
                for name in sorted(os.listdir(DEVICES)) if name.endswith(".py")]
    for src, rel in sources:
        out = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-o", out, src], check=True)
    romfs_image(folder)


def romfs_image(folder=BENCH):
    """``folder``/lib.romfs: a ROMFS image of the libraries a board would
    keep there (build/board/lib: the device code, ``dashschema`` and
    Microdot; and micropidash, for its rows), built by ``mpremote romfs
    build`` as a deploy builds one. The bench's device scripts stay on the
    filesystem, as a board's ``main.py`` does."""
    staging = os.path.join(folder, "romfs")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(BOARD_LIB, staging)
    shutil.copytree(os.path.join(folder, "peers", "micropidash"),
                    os.path.join(staging, "micropidash"))
    subprocess.run([os.path.join(BIN, "mpremote"), "romfs", "-o",
                    os.path.join(folder, "lib.romfs"), "build", staging],
                   check=True, stdout=subprocess.DEVNULL)


def build(folder=BENCH):
    """build/board from this tree, and the benchmark's own .mpy files."""
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build.py"), "--quiet"],
                   check=True)
    compile_libraries(folder)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A binary's word size, version, and whether splitdash is frozen into it.
_DESCRIBE = """
import sys
print(sys.maxsize > 2**32, ".".join(str(n) for n in sys.implementation.version[:3]))
sys.path[:] = [".frozen"]
try:
    import dashboard
    print("frozen")
except ImportError:
    pass
"""


def describe(micropython):
    """A binary's name for the tables: its word size and version, and
    whether it has splitdash frozen in (device/manifest.py)."""
    out = subprocess.run([micropython, "-c", _DESCRIBE],
                         capture_output=True, text=True, check=True).stdout.split()
    return "%s-bit unix port %s%s" % ("64" if out[0] == "True" else "32", out[1],
                                      ", splitdash frozen" if "frozen" in out else "")


def fresh_board(folder=BENCH):
    """``folder``/board as a board just flashed with the build: the board's
    files linked, no saved state."""
    copy = os.path.join(folder, "board")
    if os.path.isdir(copy):
        for name in os.listdir(copy):
            path = os.path.join(copy, name)
            if os.path.islink(path) or not os.path.isdir(path):
                os.remove(path)
            else:
                shutil.rmtree(path)
    else:
        os.makedirs(copy)
    for name in os.listdir(BOARD):
        if name.startswith("state.json"):
            continue  # left by a device the tests ran there
        os.symlink(os.path.join(BOARD, name), os.path.join(copy, name))
    return copy


class Device:
    """A device on the unix port. ``contender``: "splitdash", "micropidash"
    or "microdot" (bench/devices/<name>_app.py, from build/bench/lib), or
    "demo" (the built demo, build/board/main.py, bundle included), or
    another script of bench/devices run in the demo's folder ("soak").
    ``counted``: under Valgrind's callgrind, which counts the instructions
    it executes (about 50 times slower, so only its CPU figure is kept).
    ``romfs``: the libraries from ``folder``/lib.romfs (``romfs_image``), not
    from the filesystem. ``folder``: where compile_libraries put the
    scripts, and where the device runs and logs."""

    def __init__(self, contender, heap=HEAP, args=(), counted=False, micropython=None,
                 romfs=False, folder=BENCH):
        self.port = free_port()
        lib = os.path.join(folder, "lib")
        env = dict(os.environ, MICROPYPATH=".frozen:%s:%s:%s" % (
            lib, os.path.join(folder, "peers"), BOARD_LIB))
        if romfs:
            # /rom and /rom/lib come last on sys.path, as on a board.
            env.update(MICROPYPATH=".frozen:" + lib,
                       MICROPY_ROMFS=os.path.join(folder, "lib.romfs"))
        path = os.path.join(folder, contender + ".log")
        open(path, "w").close()
        # Appending: the device writes through the same open file, and our
        # reads move its offset (a long log would be written over its start).
        self.log = open(path, "a+")
        if contender in ("splitdash", "micropidash", "microdot"):
            cwd, module = lib, contender + "_app"
        else:
            # Run where the board's files are, from a fresh board's folder.
            cwd = fresh_board(folder)
            module = "main" if contender == "demo" else contender + "_app"
        command = [micropython or MICROPYTHON, "-X", "heapsize=" + heap,
                   "-m", module, str(self.port)] + list(args)
        self.counted = counted
        if counted:
            # The micropython command is a Python script: Valgrind runs its interpreter.
            command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s.%%p" % CALLGRIND,
                       sys.executable] + command
            self._instructions = 0
        self.proc = subprocess.Popen(command, cwd=cwd, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if DEVICE_CPUS:
            os.sched_setaffinity(self.proc.pid, DEVICE_CPUS)
        for _ in range(1200 if counted else 200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        why = self.failed() or "no answer"
        self.stop()
        raise RuntimeError("%s did not start at heap %s (%s)" % (contender, heap, why))

    @property
    def sample_s(self):
        """Seconds between readings of cpu(): a callgrind dump pauses the device."""
        return 5 if self.counted else 1

    def cpu(self):
        """The device's CPU so far: seconds, or instructions if counted."""
        if self.counted:
            self._instructions += self._dump_instructions()
            return self._instructions
        # Nanoseconds of CPU: /proc/<pid>/stat's 10 ms ticks are too coarse.
        with open("/proc/%d/schedstat" % self.proc.pid) as f:
            return int(f.read().split()[0]) / 1e9

    def _dump_instructions(self):
        """Instructions since the last dump (callgrind starts its count
        afresh with each)."""
        before = set(glob.glob("%s.%d.*" % (CALLGRIND, self.proc.pid)))
        subprocess.run(["callgrind_control", "--dump", str(self.proc.pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        for _ in range(200):
            for path in set(glob.glob("%s.%d.*" % (CALLGRIND, self.proc.pid))) - before:
                with open(path) as f:
                    for line in f:
                        if line.startswith("totals:"):
                            os.remove(path)
                            return int(line.split()[1])
            time.sleep(0.05)  # not written yet, or not whole
        raise RuntimeError("callgrind wrote no dump")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def lateness(self):
        """The control loop's lateness histogram so far, {ms: count}, from
        the workload's last STATS line."""
        counts = {}
        for line in self.output().splitlines():
            if line.startswith("STATS"):
                counts = dict(tuple(int(n) for n in pair.split(":")) for pair in line.split()[1:])
        return counts

    def failed(self):
        """Why the device did not serve the whole run, or None."""
        output = self.output()
        for failure in FAILURES:
            if failure in output:
                return failure
        if self.proc.poll() is not None:
            return "exited"
        return None

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        for path in glob.glob("%s.%d*" % (CALLGRIND, self.proc.pid)):
            os.remove(path)
