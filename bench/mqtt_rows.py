"""The MQTT bridge's rows: what it costs a board in heap and instructions.

- heap at import: the bridge's two modules, once collected;
- heap running: in use with 30 widgets connected and every config and
  state published, with the bridge against without it;
- smallest heap: the smallest ``-X heapsize`` at which the 30 widgets,
  bridged, connect, publish and serve (heap_rows' search);
- instructions per published change (callgrind): the device's instructions
  over CHANGES changes with the bridge, less the same without it, per change.

Runs against Debian's mosquitto on a free port. ``python bench/mqtt_rows.py
[--micropython BINARY ...]`` prints them; ``make bench`` puts them in
docs/benchmark.md.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from heap_rows import smallest_heap_kb
from runtime import MICROPYTHON, Device, build, describe, free_port

CHANGES = 200


class Broker:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="splitdash-broker-")
        self.port = free_port()
        conf = os.path.join(self.folder, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % self.port)
        self.proc = subprocess.Popen(["/usr/sbin/mosquitto", "-c", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def _run(broker, mode, heap="256K", counted=False, micropython=None, changes=CHANGES):
    """(imported bytes, bytes in use when ready, instructions spent on the
    changes or None, why it failed or None)."""
    try:
        dev = Device("mqtt", heap=heap, counted=counted, micropython=micropython,
                     args=(str(broker.port), mode, str(changes)))
    except RuntimeError as exc:  # did not start
        return None, None, None, str(exc)
    try:
        ready = _wait(dev, "READY", 120 if counted else 20)
        if ready is None:
            return None, None, None, dev.failed() or "never ready"
        start = dev.cpu() if counted else None
        if _wait(dev, "DONE", 600 if counted else 60) is None:
            return None, None, None, dev.failed() or "never done"
        spent = dev.cpu() - start if counted else None
        imported = int(_wait(dev, "IMPORTED", 0))
        return imported, int(ready), spent, dev.failed()
    finally:
        dev.stop()


def _wait(dev, word, timeout):
    deadline = time.time() + timeout
    while True:
        for line in dev.output().splitlines():
            if line.startswith(word):
                return line.split()[1] if len(line.split()) > 1 else ""
        if time.time() >= deadline or dev.proc.poll() is not None:
            return None
        time.sleep(0.1)


def mqtt_figures(binaries, log, count=True):
    """Rows of (figure, value per binary)."""
    broker = Broker()
    try:
        rows = [("bridge modules imported", []), ("30 widgets connected: heap in use, "
                 "bridged / not", []), ("30 widgets bridged: smallest heap", [])]
        for binary in binaries:
            imported, bridged, _, why = _run(broker, "bridge", micropython=binary)
            _, plain, _, _ = _run(broker, "plain", micropython=binary)
            rows[0][1].append("%.1f KB" % (imported / 1024) if imported else why)
            rows[1][1].append("%.1f / %.1f KB (+%.1f)" % (bridged / 1024, plain / 1024,
                                                          (bridged - plain) / 1024))

            def serves(kb, binary=binary):
                return _run(broker, "bridge", heap="%dK" % kb, micropython=binary,
                            changes=20)[3]
            kb = smallest_heap_kb(serves, log, low=48, high=192)
            rows[2][1].append("%dK" % kb if kb else "over 192K")
        if count:
            per = []
            for mode in ("bridge", "plain"):
                per.append(_run(broker, mode, counted=True)[2])
                log("  %s: %s instructions over %d changes" % (mode, per[-1], CHANGES))
            rows.append(("instructions per published change (PyPI port)",
                         ["%.0f k" % ((per[0] - per[1]) / CHANGES / 1000)]
                         + [""] * (len(binaries) - 1)))
        return rows
    finally:
        broker.stop()


def mqtt_table(binaries, rows):
    head = "| MQTT bridge | " + " | ".join(describe(b) for b in binaries) + " |"
    lines = [head, "|---" * (len(binaries) + 1) + "|"]
    for name, values in rows:
        lines.append("| %s | %s |" % (name, " | ".join(values)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--micropython", metavar="BINARY", action="append", default=[],
                        help="another micropython too; may be given again")
    parser.add_argument("--no-count", action="store_true", help="skip callgrind")
    args = parser.parse_args()
    build()
    binaries = [MICROPYTHON] + [os.path.abspath(b) for b in args.micropython]
    rows = mqtt_figures(binaries, lambda s: print(s, flush=True), count=not args.no_count)
    print(mqtt_table(binaries, rows))


if __name__ == "__main__":
    sys.exit(main())
