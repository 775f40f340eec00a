"""Where the heap goes, once serving: the demo and the six-widget app on the
32-bit build, their libraries as ``.mpy`` from the filesystem and from a
ROMFS image, step by step (bench/devices/heap_steps.py): each module
imported in turn, the dashboard and its widgets, serving started, then
each live stream a page opens.

    python bench/heap_breakdown.py [--app six|demo ...] [--micropython BINARY]

For each step, the heap it added once collected, and of it the text of the
names it interned (qstrs: ``micropython.qstr_info()``); the rest is a
module's code, constants, functions and classes, or the objects made. MicroPython interns every
name a module's code uses when it loads: from the filesystem, each name's
text and its entry in the qstr pools go to the heap; from ROMFS the text
stays in flash and only the entry does. The pools grow by doubling, so one
name more can take a whole new pool at once: they have a row of their own.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time

from runtime import BOARD_LIB, MICROPYTHON32, ROOT, compile_libraries, fresh_board, free_port

FOLDER = os.path.join(ROOT, "build", "heap-breakdown")
#: Streams opened to measure what one costs the board.
STREAMS = 4
QSTR = re.compile(r"n_qstr=(\d+), n_str_data_bytes=(\d+), n_total_bytes=(\d+)")


def steps(app, romfs, micropython):
    """[(step, bytes in use, qstrs, qstr text bytes, qstr pool bytes)], the
    last ones "serving" and "+N streams"."""
    cwd = fresh_board(FOLDER)
    lib = os.path.join(FOLDER, "lib")
    env = dict(os.environ, MICROPYPATH=".frozen:%s:%s" % (lib, BOARD_LIB))
    if romfs:
        env.update(MICROPYPATH=".frozen:" + lib, MICROPY_ROMFS=os.path.join(FOLDER, "lib.romfs"))
    port = free_port()
    log_path = os.path.join(FOLDER, "%s-%s.log" % (app, "romfs" if romfs else "fs"))
    with open(log_path, "w") as log:
        proc = subprocess.Popen([micropython, "-X", "heapsize=256K", "-m", "heap_steps", app,
                                 str(port)], cwd=cwd, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        streams, after = [], []
        try:
            _wait_serving(log_path, proc)
            _in_use(port)  # what the first request makes once
            after.append(_in_use(port))
            for n in range(STREAMS):
                sock = socket.create_connection(("127.0.0.1", port), 10)
                sock.sendall(b"GET /events HTTP/1.1\r\nHost: board.test\r\n\r\n")
                sock.recv(4096)  # its head, and its first message begun
                streams.append(sock)
                if n in (0, STREAMS - 1):
                    time.sleep(1)  # its first message out
                    after.append(_in_use(port))
        finally:
            for sock in streams:
                sock.close()
            proc.kill()
            proc.wait()
    with open(log_path) as f:
        lines = f.read().splitlines()
    rows = []
    for i, line in enumerate(lines):
        if line.startswith("STEP "):
            _, name, used = line.split()
            qstrs, text, total = (int(n) for n in QSTR.search(lines[i + 1]).groups())
            rows.append((name, int(used), qstrs, text, total - text))
    last = rows[-1]
    rows.append(("its first requests served (what is made once)", after[0]) + last[2:])
    rows.append(("a page's stream", after[1]) + last[2:])
    rows.append(("%d more streams" % (STREAMS - 1), after[2]) + last[2:])
    return rows


def _in_use(port):
    """The probe's heap in use, once collected (its ``GET /heap``)."""
    with socket.create_connection(("127.0.0.1", port), 10) as sock:
        sock.sendall(b"GET /heap HTTP/1.1\r\nHost: board.test\r\n\r\n")
        answer = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(re.search(rb'"alloc": *(\d+)', answer).group(1))


def _wait_serving(log_path, proc):
    for _ in range(200):
        with open(log_path) as f:
            if "STEP serving" in f.read():
                return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(log_path) as f:
        raise RuntimeError("the probe did not serve:\n" + f.read()[-2000:])


def mpy_size(step):
    """Bytes of the step's .mpy files in build/board/lib, or None."""
    names = {"microdot": ["microdot/__init__.mpy", "microdot/microdot.mpy"],
             "demo": ["app_main.mpy"]}.get(step, [step.replace(".", "/") + ".mpy"])
    paths = [os.path.join(BOARD_LIB, n) for n in names]
    if not all(os.path.exists(p) for p in paths):
        return None
    return sum(os.path.getsize(p) for p in paths)


def table(app, fs, rom):
    """Markdown: the heap each step added, from the filesystem and from
    ROMFS, the qstr pools' growth apart."""
    lines = ["| %s: step | `.mpy` bytes | names added | filesystem (of which names' text) "
             "| ROMFS | in use after it, filesystem / ROMFS |" % app,
             "|---|---|---|---|---|---|"]
    pools = [0, 0]
    base = 0  # the step the next one adds to: parts and transients are let go
    for i in range(1, len(fs)):
        (name, used, q, text, pool), prev = fs[i], fs[base]
        (_, rused, _, _, rpool), rprev = rom[i], rom[base]
        if name == "let_go":
            base = i
            continue
        pools[0] += pool - prev[4]
        pools[1] += rpool - rprev[4]
        size = mpy_size(name)
        if name.startswith("of_which:"):
            name = "of `Dashboard()` below: a `%s` alone" % name.split(":", 1)[1]
        elif name.startswith("transient:"):
            name = "while an answer is on its way: %s" % name.split(":", 1)[1].replace("_", " ")
        else:
            base = i
        lines.append("| %s | %s | %s | %d (%d) | %d | %d / %d |" % (
            name, size or "", q - prev[2] or "", used - prev[1] - (pool - prev[4]),
            text - prev[3], rused - rprev[1] - (rpool - rprev[4]), used, rused))
    lines.append("| the qstr pools grown over all steps (their %d names' entries: %d / %d "
                 "bytes in all) | | | %d | %d | |" % (fs[-1][2], fs[-1][4], rom[-1][4],
                                                     pools[0], pools[1]))
    lines.append("| at start (the interpreter, this probe) | | | | | %d / %d |" % (
        fs[0][1], rom[0][1]))
    return "\n".join(lines)


def report(apps=("six", "demo"), micropython=MICROPYTHON32):
    """The tables, once build/board is built."""
    compile_libraries(FOLDER)
    return "\n\n".join(table(app, steps(app, False, micropython), steps(app, True, micropython))
                       for app in apps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", action="append", choices=("six", "demo"))
    parser.add_argument("--micropython", default=MICROPYTHON32)
    args = parser.parse_args()
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build.py"), "--quiet"],
                   check=True)
    print(report(args.app or ("six", "demo"), args.micropython))


if __name__ == "__main__":
    main()
