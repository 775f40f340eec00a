"""Endurance: the demo as built (bundle included, its values saved to its
state file as on a board) at a board-sized heap, for minutes, with
OPEN_PAGES pages open on their streams and two clients writing valid and
invalid values to it.

    python bench/soak.py [--minutes 10] [--heap 96K] [--micropython BINARY] [--no-docs]

Reports, and writes into docs/benchmark.md (`make soak`): any MemoryError,
the free heap minute by minute (whether it drifts), every write applied or
refused as it should be, the values the pages and the state file hold at the
end.
"""

import argparse
import json
import os
import random
import re
import socket
import statistics
import sys
import threading
import time

from clients import Client
from runtime import BOARD_COPY, FAILURES, ROOT, Device, build, describe, MICROPYTHON

OPEN_PAGES = 8
#: Seconds each writer waits between one write (and its check) and the next.
WRITE_PAUSE_S = 0.2
#: Free heap (bytes) the later minutes may lose against the first ones and
#: still count as not drifting: a leak of one heap block every few hundred
#: requests would show.
DRIFT_LIMIT = 1024
#: Seconds after the last write by which the state file must hold it (the
#: dashboard's write delay, SavedState.delay_s, is 2 s).
SAVE_WAIT_S = 4

#: What the demo's writable widgets take, and what they must refuse.
WRITES = {
    # The slider: 0..100 in steps of 5.
    "led": ([v for v in range(0, 101, 5)],
            [37, 2, 99, 105, -5, 1000000, "50", None, [50]]),
    # The toggle: true or false, never a number or a string.
    "fan": ([True, False], [1, 0, 0.5, "true", "on", None]),
}


class Page(Client):
    """An open page following the stream, holding every value it is sent."""

    def __init__(self, port, stop):
        Client.__init__(self, port, "splitdash", stop)
        self.values = {}
        self.messages = 0

    def receive(self, state, message):
        Client.receive(self, state, message)
        self.values.update(message["values"])
        self.messages += 1


class Writer(threading.Thread):
    """Writes one widget, valid and invalid values at random, checking each
    against the device: a valid one answered 200 and then read back, an
    invalid one answered 400 naming the widget, and the value unchanged."""

    def __init__(self, port, wid, stop):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.wid, self.stop = port, wid, stop
        self.valid, self.invalid = WRITES[wid]
        self.applied = self.refused = self.busy = 0
        #: What went otherwise: ("valid" | "invalid" | "no answer", text).
        self.wrong = []
        self.value = None  # the value the device should hold

    def request(self, method, path, body=None):
        """(status, parsed JSON or None); a busy answer (503) is retried a
        second later, as the page does."""
        host = "board.test:%d" % self.port
        while True:
            head = "%s %s HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\n" % (
                method, path, host, host)
            data = b""
            if body is not None:
                data = json.dumps(body).encode()
                head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
            with socket.create_connection(("127.0.0.1", self.port), 10) as sock:
                sock.sendall(head.encode() + b"\r\n" + data)
                raw = b""
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    raw += chunk
            head, _, body_raw = raw.partition(b"\r\n\r\n")
            if not head:
                raise OSError("no answer to %s %s" % (method, path))
            status = int(head.split(b" ", 2)[1])
            if status == 503:
                self.busy += 1
                time.sleep(1)
                continue
            try:
                return status, json.loads(body_raw) if body_raw else None
            except ValueError:
                if status == 200:
                    # Its head went out, then the connection closed: no answer.
                    raise OSError("200 for %s %s, its body cut short" % (method, path))
                return status, body_raw

    def held(self):
        status, body = self.request("GET", "/data")
        if status != 200 or body is None:
            raise OSError("%d for GET /data%s" % (status, "" if body else ", with no body"))
        return body["values"][self.wid]

    def run(self):
        try:
            self.value = self.held()
        except OSError as exc:
            self.wrong.append(("no answer", "first read: %r" % exc))
        while not self.stop.wait(WRITE_PAUSE_S):
            try:
                self.write_once()
            except OSError as exc:
                self.wrong.append(("no answer", repr(exc)))

    def write_once(self):
        if random.random() < 0.5:
            value = random.choice([v for v in self.valid if v != self.value])
            status, body = self.request("POST", "/data", {self.wid: value})
            if status != 200:
                self.wrong.append(("valid", "%r refused: %d %r" % (value, status, body)))
                return
            held = self.held()
            if held != value or type(held) is not type(value):
                self.wrong.append(("valid", "%r answered 200, device holds %r" % (value, held)))
                return
            self.value = value
            self.applied += 1
        else:
            value = random.choice(self.invalid)
            status, body = self.request("POST", "/data", {self.wid: value})
            if status != 400 or not isinstance(body, dict) or body.get("widget") != self.wid \
                    or not body.get("error"):
                self.wrong.append(("invalid", "%r answered %d %r" % (value, status, body)))
                return
            held = self.held()
            if held != self.value:
                self.wrong.append(("invalid", "%r refused, but the device went from %r to %r"
                                   % (value, self.value, held)))
                self.value = held
                return
            self.refused += 1


#: soak_app's report period, s.
REPORT_S = 10


def heap_windows(output):
    """The device's heap reports, one per REPORT_S: [(least free, free
    after a collection, largest free block)], in bytes."""
    block = int(re.search(r"^HEAPBLOCK (\d+)", output, re.M).group(1))
    return [(int(m.group(1)), int(m.group(2)), int(m.group(3)) * block) for m in re.finditer(
        r"^HEAP (\d+) (\d+)$(?:.*\n)*?.*max free sz: (\d+)", output, re.M)]


def by_minute(windows):
    """[(minute, least free, free after a collection, largest free block)],
    each the lowest of that minute's reports."""
    per_minute = 60 // REPORT_S
    return [(i // per_minute + 1,) + tuple(min(w[k] for w in windows[i:i + per_minute])
                                           for k in range(3))
            for i in range(0, len(windows), per_minute)]


def drift(windows, column):
    """How much the figure fell from the first third of the run to the last
    (positive: less free heap at the end), each third's median report: a
    leak lowers every report after it, while one taken as a message or an
    answer is on its way is low once and the next is not. The first minute
    (a fifth of a shorter run), while the pages open, is left out: not the
    steady state."""
    steady = windows[min(60 // REPORT_S, len(windows) // 5):]
    if len(steady) < 3:
        return None
    third = len(steady) // 3
    return int(statistics.median(w[column] for w in steady[:third])
               - statistics.median(w[column] for w in steady[-third:]))


def soak(minutes, heap, micropython, log):
    device = Device("soak", heap, micropython=micropython)
    stop, stop_writers = threading.Event(), threading.Event()
    pages = [Page(device.port, stop) for _ in range(OPEN_PAGES)]
    writers = [Writer(device.port, wid, stop_writers) for wid in WRITES]
    started = time.time()
    try:
        for page in pages:
            page.start()
            time.sleep(0.2)
        for writer in writers:
            writer.start()
        end = started + minutes * 60
        while time.time() < end:
            time.sleep(min(30, max(0, end - time.time())))
            log("  %.1f min: %s writes applied, %s refused, %d wrong; %d stream messages; %s" % (
                (time.time() - started) / 60, sum(w.applied for w in writers),
                sum(w.refused for w in writers), sum(len(w.wrong) for w in writers),
                sum(p.messages for p in pages), device.failed() or "no failure"))
        stop_writers.set()
        for writer in writers:
            writer.join(15)
        time.sleep(SAVE_WAIT_S)  # the pages catch up, the state file is written
        output = device.output()
        result = {
            "minutes": minutes, "heapsize": heap, "binary": describe(micropython or MICROPYTHON),
            "failures": [f for f in FAILURES + ("request dropped", "Traceback") if f in output],
            "exited": device.proc.poll() is not None,
            "heap": heap_windows(output),
            "writers": [(w.wid, w.applied, w.refused, w.busy, w.wrong) for w in writers],
            "pages": [(p.messages, p.streamed, p.errors) for p in pages],
        }
        final = dict((w.wid, w.value) for w in writers)
        result["final"] = final
        result["pages_behind"] = sum(
            1 for p in pages if any(p.values.get(wid) != value for wid, value in final.items()))
        try:
            with open(os.path.join(BOARD_COPY, "state.json")) as f:
                saved = json.load(f)
            result["saved"] = dict((wid, saved.get(wid)) for wid in final)
        except (OSError, ValueError) as exc:
            result["saved"] = "unreadable: %r" % exc
        return result
    finally:
        stop.set()
        stop_writers.set()
        device.stop()


def _otherwise(wrong):
    """How many went otherwise, and the first of them, or nothing."""
    return "; otherwise: %d (first: %s)" % (len(wrong), wrong[0]) if wrong else ""


def verdicts(r):
    """[(what, passed, detail)] for the soak's result."""
    writes = r["writers"]
    wrong = dict((kind, [text for _, _, _, _, ws in writes for k, text in ws if k == kind])
                 for kind in ("valid", "invalid", "no answer"))
    stream_errors = [e for _, _, errors in r["pages"] for e in errors]
    d_after = drift(r["heap"], 1)
    d_low = drift(r["heap"], 0)
    return [
        ("no MemoryError, unretrieved task exception, dropped request or traceback on the "
         "console, the device up", not r["failures"] and not r["exited"],
         ", ".join(r["failures"]) or ("exited" if r["exited"] else "none")),
        ("every valid write applied (answered 200, then read back)", not wrong["valid"],
         ", ".join("%s: %d" % (wid, applied) for wid, applied, _, _, _ in writes)
         + _otherwise(wrong["valid"])),
        ("every invalid write refused (400 naming the widget, value unchanged)",
         not wrong["invalid"],
         ", ".join("%s: %d" % (wid, refused) for wid, _, refused, _, _ in writes)
         + _otherwise(wrong["invalid"])),
        ("every request answered", not wrong["no answer"],
         "%d without one%s" % (len(wrong["no answer"]), " (first: %s)" % wrong["no answer"][0]
                               if wrong["no answer"] else "")),
        ("writes told busy (503) and retried", True,
         "%d" % sum(busy for _, _, _, busy, _ in writes)),
        ("pages on their streams throughout", not stream_errors and all(
            streamed for _, streamed, _ in r["pages"]),
         "%d of %d streamed, %d reconnections%s; %d stream messages in all" % (
             sum(1 for _, streamed, _ in r["pages"] if streamed), len(r["pages"]),
             len(stream_errors), " (first: %s)" % stream_errors[0] if stream_errors else "",
             sum(m for m, _, _ in r["pages"]))),
        ("every page holds the last values written", r["pages_behind"] == 0,
         "%d behind" % r["pages_behind"]),
        ("the state file holds them", r["saved"] == r["final"],
         "%s, written %s" % (json.dumps(r["saved"]), json.dumps(r["final"]))),
        ("free heap after a collection does not drift (less than %d bytes lost from the "
         "first third of the run to the last, each third's median report, its first minute "
         "left out)" % DRIFT_LIMIT, d_after is not None and d_after < DRIFT_LIMIT,
         "%s bytes" % d_after),
        ("least free heap does not drift (the same)", d_low is not None and d_low < DRIFT_LIMIT,
         "%s bytes" % d_low),
    ]


def report(r):
    lines = ["| check | | figures |", "|---|---|---|"]
    for what, passed, detail in verdicts(r):
        lines.append("| %s | %s | %s |" % (what, "yes" if passed else "**no**", detail))
    lines += ["", "Heap, minute by minute (each figure the lowest of the minute's 10 s reports):",
              "", "| minute | least free heap, bytes | free after a collection, bytes "
              "| largest free block after a collection, bytes |", "|---|---|---|---|"]
    for minute, low, after, block in by_minute(r["heap"]):
        lines.append("| %d | %d | %d | %d |" % (minute, low, after, block))
    return "\n".join(lines)


SOAK_DOC = """
## Endurance

Reproduce with `%(command)s` (%(minutes)s minutes). Measured on %(date)s: the
demo as `make demo` builds it (bundle included, its values saved to
`state.json` as on a board) at `-X heapsize=%(heap)s` on the %(binary)s, with
%(pages)d pages open on their streams (clients reading `/events` as the page
does) and two clients writing to it, one the slider (`led`, 0 to 100 in steps
of 5), one the toggle (`fan`), each a write every %(pause)s s plus a read of
`/data` to check it, half of them invalid: the slider off its step, out of its
range, a string, null or a list; the toggle a number, a string or null. The
device is bench/devices/soak_app.py: the demo imported unchanged, then one task
(bench/devices/heap_report.py) sampling `gc.mem_free()` every 20 ms and
reporting every 10 s the least it saw, then the free heap and the largest free
block after a collection.

A report counts what the requests under way hold at that moment. The
writers' read-backs are full states (`GET /data`, no `since`), and one on
its way holds about 3.5 KB until it is sent (the whole state, the two
charts' first 16 points and the log's 20 lines among it, is built before
its first part goes; with Microdot's request and the answer); a write holds
about 2.5 KB. So a report taken while both writers' reads are under way is
some 7 KB low, once, and the next is not: the single low reading a run may
show (on 2026-12-01: 23 KB free once, 30 KB before and after). Found by collecting
every 0.5 s at 128K on the 32-bit build, under this load, and printing the
server's requests under way whenever a figure fell 3 KB below the last
twenty: after the first minute, 15 of some 1,060 readings did (3.3 to 7.7 KB
below), each with one or two requests under way, 9 of them both writers'
full states; no low reading had none under way. Drift is judged on each
third's median report for that reason.

%(report)s
"""


def write_docs(r, command, text):
    """Replace docs/benchmark.md's last section (``make bench`` keeps it)."""
    from run import SOAK_HEADING
    path = os.path.join(ROOT, "docs", "benchmark.md")
    with open(path) as f:
        doc = f.read()
    if SOAK_HEADING in doc:
        doc = doc[:doc.index(SOAK_HEADING)]
    with open(path, "w") as f:
        f.write(doc.rstrip("\n") + "\n" + SOAK_DOC % {
            "command": command, "minutes": "%g" % r["minutes"], "date": time.strftime("%Y-%m-%d"),
            "heap": r["heapsize"], "binary": r["binary"], "pages": OPEN_PAGES,
            "pause": WRITE_PAUSE_S, "report": text})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--heap", default="96K", help="the device's -X heapsize")
    parser.add_argument("--micropython", metavar="BINARY",
                        help="another micropython to run the device on")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmark.md")
    args = parser.parse_args()
    build()
    micropython = os.path.abspath(args.micropython) if args.micropython else None
    argv = sys.argv[1:]
    if "--micropython" in argv:
        argv[argv.index("--micropython") + 1] = "<binary>"
    command = "make soak" + (" SOAK_ARGS=%r" % " ".join(argv) if argv else "")
    try:
        r = soak(args.minutes, args.heap, micropython, lambda s: print(s, flush=True))
    except RuntimeError as exc:  # the device did not boot
        print(exc)
        if not args.no_docs:
            write_docs({"minutes": args.minutes, "heapsize": args.heap,
                        "binary": describe(micropython or MICROPYTHON)}, command,
                       "The device did not start: %s." % exc)
        print("soak: FAILED")
        sys.exit(1)
    text = report(r)
    print(text)
    if not args.no_docs:
        write_docs(r, command, text)
    failed = [what for what, passed, _ in verdicts(r) if not passed]
    if failed:
        print("soak: FAILED: " + "; ".join(failed))
        sys.exit(1)
    print("soak: passed")


if __name__ == "__main__":
    main()
