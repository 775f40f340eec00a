"""The device-cost benchmark: splitdash against micropidash and raw Microdot,
all on the MicroPython unix port with every library compiled to .mpy, one
workload for all (bench/devices/workload.py), measured in the same run.

    python bench/run.py [--seconds 15] [--clients 1,8,16] [--no-count] [--no-cpu]
                        [--no-heap] [--no-board-load] [--micropython BINARY ...]
                        [--no-browser] [--no-docs]

Then the smallest heaps at which each serves the load a board sees, on the
32-bit build, libraries from the filesystem and from ROMFS, against the
targets (bench/board_load.py); and at which each serves other loads
(bench/heap_rows.py), on the PyPI unix port and on each other micropython
binary given. Prints the tables and writes them into docs/benchmark.md
(`make bench`).
"""

import argparse
import math
import os
import subprocess
import sys
import threading
import time

from clients import Client
import board_load
import heap_breakdown
import heap_rows
import mqtt_rows
from runtime import (BOARD_LIB, DEVICE_CPUS, HEAP, MICROPYTHON, MICROPYTHON32, ROOT, Device,
                     build, describe)

CONTENDERS = ("splitdash", "micropidash", "microdot")
# The smallest heap serving this many clients, each try running this long (s).
HEAP_CLIENTS, HEAP_SECONDS = 8, 5
# Clients start evenly spread over this many seconds.
START_SPREAD_S = 1.0
# Seconds of each window (idle before, load, idle after) under callgrind.
COUNT_SECONDS = 10
# Longest a client may go without a new label value and still count as in sync.
SYNC_GAP_S = 3
#: The chart rows (bench/devices/*_charts_app.py): (row, contender, device
#: script arguments), each with CHART_CLIENTS clients. micropidash draws a
#: line a graph: four graphs stand for two charts of two series.
CHART_CLIENTS = 8
SPLITDASH_CHARTS = "charts: splitdash, 2 charts of 2 series, 240 points"
MICROPIDASH_CHARTS = "charts: micropidash, 4 graphs of %d points"
CHART_ROWS = [(SPLITDASH_CHARTS, "splitdash_charts", ()),
              (MICROPIDASH_CHARTS % 20 + " (its default)", "micropidash_charts", ("20",)),
              (MICROPIDASH_CHARTS % 240, "micropidash_charts", ("240",))]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else None


def histogram_percentile(counts, p):
    total, seen = sum(counts.values()), 0
    for ms in sorted(counts):
        seen += counts[ms]
        if seen >= p / 100 * total:
            return ms
    return None


def out_of_sync(client, t0, t1):
    """Why a client did not keep up over the window [t0, t1], or None."""
    if client.errors:
        return client.errors[0]
    times = [t0] + client.seen_at + [t1]
    gap = max(b - a for a, b in zip(times, times[1:]))
    return "no new value for %.1f s" % gap if gap > SYNC_GAP_S else None


def cpu_rates(device, seconds):
    """The device's CPU (seconds or instructions) per second, for each
    ``device.sample_s`` of ``seconds``."""
    rates = []
    cpu, t = device.cpu(), time.time()
    for _ in range(max(2, int(round(seconds / device.sample_s)))):
        time.sleep(device.sample_s)
        cpu1, t1 = device.cpu(), time.time()
        rates.append((cpu1 - cpu) / (t1 - t))
        cpu, t = cpu1, t1
    return rates


def busy_per_s(load, idle):
    """The CPU the clients cost per second, as (estimate, noise): the mean
    of the loaded seconds less that of the idle ones, and twice the
    standard error of that difference."""
    def mean_var(xs):
        m = sum(xs) / len(xs)
        return m, sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
    (ml, vl), (mi, vi) = mean_var(load), mean_var(idle)
    return ml - mi, 2 * (vl / len(load) + vi / len(idle)) ** 0.5


def measure(contender, n_clients, seconds, heap=HEAP, idle_s=0, args=(), counted=False,
            micropython=None):
    """Run ``n_clients`` against a fresh device for ``seconds``. With
    ``idle_s``, the device's own cost with no client is measured for that
    long before and after, and taken off its CPU (seconds, or instructions
    when ``counted``)."""
    try:
        device = Device(contender, heap, args, counted, micropython)
    except RuntimeError as exc:
        return {"ok": False, "why": str(exc)}
    stop = threading.Event()
    clients = [Client(device.port, contender, stop) for _ in range(n_clients)]
    try:
        idle = []
        if idle_s:
            time.sleep(1)
            idle += cpu_rates(device, idle_s)
        # Pages opened at independent times: spread over a second, so that
        # they do not all connect in the same instant.
        for c in clients:
            c.start()
            time.sleep(START_SPREAD_S / n_clients)
        time.sleep(1)  # every client connected and in step
        late0 = device.lateness()
        for c in clients:
            c.measuring = True
        t0 = time.time()
        load = cpu_rates(device, seconds)
        t1 = time.time()
        for c in clients:
            c.measuring = False
        late1 = device.lateness()
        why = device.failed()
        stop.set()
        for c in clients:
            c.join(3)
        why = why or next((w for w in (out_of_sync(c, t0, t1) for c in clients) if w), None)
        cpu = {}
        if idle_s:
            time.sleep(1)
            idle += cpu_rates(device, idle_s)
            busy, noise = busy_per_s(load, idle)
            cpu = {"idle_cpu_per_s": sum(idle) / len(idle),
                   "cpu_per_client_s": busy / n_clients, "cpu_noise": noise / n_clients}
        latencies = [ms for c in clients for ms in c.latencies_ms]
        return dict(cpu, **{
            "ok": why is None, "why": why,
            "bytes_per_client_s": sum(c.bytes for c in clients) / n_clients / (t1 - t0),
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "late_p99_ms": histogram_percentile(
                {ms: late1.get(ms, 0) - late0.get(ms, 0) for ms in late1}, 99),
            "streams": sum(c.streamed for c in clients),
        })
    finally:
        stop.set()
        device.stop()


def followed(contender, kb, micropython=None):
    """None if HEAP_CLIENTS clients were served for HEAP_SECONDS at ``kb``:
    no MemoryError, no failed request, every client in sync; else why not."""
    r = measure(contender, HEAP_CLIENTS, HEAP_SECONDS, "%dK" % kb, micropython=micropython)
    return None if r["ok"] else r["why"]


#: The heap rows: (row, serves(kb, micropython, loads) -> None or why not),
#: ``loads`` a heap_rows.ColdLoads.
HEAP_ROWS = [
    ("splitdash: %d clients on its live stream for the whole run" % HEAP_CLIENTS,
     lambda kb, mp, loads: followed("splitdash", kb, mp)),
    ("micropidash: %d clients polling as its page does, for the whole run" % HEAP_CLIENTS,
     lambda kb, mp, loads: followed("micropidash", kb, mp)),
    ("microdot: %d clients polling the full state once a second, for the whole run"
     % HEAP_CLIENTS, lambda kb, mp, loads: followed("microdot", kb, mp)),
    ("splitdash demo (bundle included): %d cold page loads in a row" % heap_rows.LOADS,
     lambda kb, mp, loads: loads.serves("demo", kb, mp)),
    ("splitdash demo (bundle included): %d cold page loads in a row, %d pages open on "
     "their streams" % (heap_rows.LOADS, heap_rows.OPEN_PAGES),
     lambda kb, mp, loads: loads.serves("demo", kb, mp, open_pages=True)),
    ("micropidash: its own page, %d cold loads in a row" % heap_rows.LOADS,
     lambda kb, mp, loads: loads.serves("micropidash", kb, mp)),
    ("micropidash: its own page, %d cold loads in a row, %d pages open polling"
     % (heap_rows.LOADS, heap_rows.OPEN_PAGES),
     lambda kb, mp, loads: loads.serves("micropidash", kb, mp, open_pages=True)),
    ("splitdash demo, its two charts' rings full (240 points each): %d cold page loads in a "
     "row, %d pages open on their streams" % (heap_rows.LOADS, heap_rows.OPEN_PAGES),
     lambda kb, mp, loads: loads.serves("full_charts", kb, mp, open_pages=True)),
    ("splitdash, the chart workload's two charts alone (bundle included, rings full): %d cold "
     "page loads in a row, %d pages open on their streams" % (heap_rows.LOADS, heap_rows.OPEN_PAGES),
     lambda kb, mp, loads: loads.serves("charts_page", kb, mp, open_pages=True)),
    ("splitdash: %d clients polling `/data` back to back, no failed request"
     % heap_rows.POLLERS, lambda kb, mp, loads: heap_rows.polls_served("splitdash", kb, mp)),
    ("micropidash: the same",
     lambda kb, mp, loads: heap_rows.polls_served("micropidash", kb, mp)),
    ("microdot: the same", lambda kb, mp, loads: heap_rows.polls_served("microdot", kb, mp)),
]


def heap_figures(binaries, log):
    """{(row, binary): smallest heap in KB or None}, for every heap row on
    every binary."""
    loads = heap_rows.ColdLoads()
    heaps = {}
    try:
        for binary in binaries:
            for row, serves in HEAP_ROWS:
                log("%s, %s:" % (row, describe(binary)))
                started = time.time()
                heaps[row, binary] = heap_rows.smallest_heap_kb(
                    lambda kb: serves(kb, None if binary == MICROPYTHON else binary, loads), log)
                log("  %s in %.0f s" % (heap_cell(heaps[row, binary]), time.time() - started))
    finally:
        loads.close()
    return heaps


def heap_cell(kb):
    return "%dK" % kb if kb else "over %dK" % heap_rows.HIGH


def heap_table(binaries, heaps):
    lines = ["| smallest `-X heapsize` at which | %s |" % " | ".join(
                 describe(b) for b in binaries),
             "|---|%s" % ("---|" * len(binaries))]
    for row, _ in HEAP_ROWS:
        lines.append("| %s | %s |" % (row, " | ".join(heap_cell(heaps[row, b])
                                                     for b in binaries)))
    return "\n".join(lines)


#: The board-load table's columns: (heading, contender, from ROMFS).
BOARD_COLUMNS = [("splitdash, `.mpy` from the filesystem", "splitdash", False),
                 ("splitdash, ROMFS", "splitdash", True),
                 ("micropidash, filesystem", "micropidash", False),
                 ("micropidash, ROMFS", "micropidash", True),
                 ("raw Microdot, filesystem", "microdot", False),
                 ("raw Microdot, ROMFS", "microdot", True)]


def board_figures(log):
    """{(row name, contender, romfs): smallest heap in KB, or None}: every
    row of bench/board_load.py on the 32-bit build, splitdash and the peers
    the row has."""
    heaps = {}
    for row in board_load.ROWS:
        for _, contender, romfs in BOARD_COLUMNS:
            if contender != "splitdash" and contender not in dict(row.peers):
                continue
            log("%s: %s, %s:" % (row.title, contender, "ROMFS" if romfs else "filesystem"))
            started = time.time()
            kb = heaps[row.name, contender, romfs] = board_load.smallest(
                row, romfs, contender, log=log)
            log("  %s in %.0f s" % (heap_cell(kb), time.time() - started))
    return heaps


def board_table(heaps):
    lines = ["| dashboard | target, filesystem / ROMFS | %s |" % " | ".join(
                 heading for heading, _, _ in BOARD_COLUMNS),
             "|---|---|%s" % ("---|" * len(BOARD_COLUMNS))]
    for row in board_load.ROWS:
        target = " / ".join("%dK" % row.targets[s] if row.targets[s] else "—"
                            for s in ("fs", "romfs"))
        cells = []
        for _, contender, romfs in BOARD_COLUMNS:
            key = (row.name, contender, romfs)
            cells.append(heap_cell(heaps[key]) if key in heaps else "—")
        lines.append("| %s | %s | %s |" % (row.title, target, " | ".join(cells)))
    return "\n".join(lines)


def browser_figures():
    """Chromium: cold load to a fully rendered dashboard, and bytes on the
    wire for a cold load and a reload, splitdash's demo against the page
    micropidash serves (raw Microdot has no page)."""
    sys.path[:0] = [os.path.join(ROOT, "tests")]
    from playwright.sync_api import sync_playwright
    import bundle_budget
    from conftest import BOARD_HOST, CHROMIUM, CHROMIUM_ARGS

    rendered = {
        # splitdash: live values drawn; micropidash: its first poll drawn.
        "splitdash": "() => document.body.dataset.state == 'live'",
        "micropidash": "() => document.getElementById('l0').innerText != '---'",
    }
    rows = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in rendered:
            device = Device("demo" if name == "splitdash" else name)
            url = "http://%s:%d/" % (BOARD_HOST, device.port)
            try:
                context = browser.new_context()
                page = context.new_page()
                started = time.time()
                page.goto(url)
                page.wait_for_function(rendered[name], timeout=60000)
                load_s = time.time() - started
                context.close()
                if name == "splitdash":
                    wire = bundle_budget.measure(browser, url)
                    cold, reload = (sum(r[0] for r in wire[k]) for k in ("cold load", "reload"))
                else:
                    cold = reload = _page_bytes(browser, url, rendered[name])
                rows[name] = (load_s, cold, reload)
            finally:
                device.stop()
        browser.close()
    lines = ["| page | cold load to rendered, s | cold load bytes | reload bytes |",
             "|---|---|---|---|"]
    for name, (load_s, cold, reload) in rows.items():
        lines.append("| %s | %.2f | %d | %d |" % (name, load_s, cold, reload))
    lines.append("| splitdash / micropidash | %s | %s | %s |" % tuple(
        ratio(a, b) for a, b in zip(rows["splitdash"], rows["micropidash"])))
    return "\n".join(lines)


def _page_bytes(browser, url, rendered):
    """Bytes received for one load of a page that sets no caching headers
    (a reload moves the same again)."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received = {}
    cdp.on("Network.loadingFinished",
           lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url)
    page.wait_for_function(rendered, timeout=60000)
    page.wait_for_timeout(300)
    context.close()
    return sum(received.values())


# CPU figures: (result key, unit shown, scale from the measured unit).
TIME, INSTRUCTIONS = ("cpu", "ms", 1e3), ("instr", "k instructions", 1e-3)


def cpu_value(r, figure):
    """A CPU figure per client-second, scaled, as (value, whether it is only
    an upper bound: the cost did not rise above the noise), or None."""
    if r is None or "cpu_per_client_s" not in r:
        return None
    scale = figure[2]
    busy, noise = r["cpu_per_client_s"] * scale, r["cpu_noise"] * scale
    return (busy, False) if busy > noise else (max(busy, 0) + noise, True)


def cpu_cell(r, figure):
    value = cpu_value(r, figure)
    if value is None:
        return "n/a"
    if value[1]:
        return "< %s (below noise)" % figures(value[0])
    return "%s ± %s" % (figures(value[0]), figures(r["cpu_noise"] * figure[2], 1))


def figures(value, digits=2):
    """``value`` to ``digits`` significant figures, without exponent."""
    if not value:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    return "%.*f" % (max(0, decimals), round(value, decimals))


def cpu_ratio(ours, theirs, figure):
    a, b = cpu_value(ours, figure), cpu_value(theirs, figure)
    if a is None or b is None or b[1]:
        return "n/a"
    return ("< %.2f" if a[1] else "%.2f") % (a[0] / b[0])


def fmt(value, spec="%.3g"):
    return "n/a" if value is None else spec % value


def ratio(ours, theirs):
    if ours is None or not theirs:
        return "n/a"
    return "%.2f" % (ours / theirs)


def esp32_stream_cap():
    # Asked of the device code on the unix port: it imports MicroPython's own modules.
    out = subprocess.run([MICROPYTHON, "-c", "from live import BOARD_MAX_STREAMS; "
                          "print(BOARD_MAX_STREAMS['esp32'])"], capture_output=True, text=True,
                         check=True, env=dict(os.environ, MICROPYPATH=".frozen:" + BOARD_LIB))
    return int(out.stdout)


def plan(clients):
    """(row name, contender, clients, device script arguments) to measure:
    every contender at every client count, and splitdash with an ESP32's
    stream cap wherever there are more clients than that."""
    points = [(name, name, n, ()) for n in clients for name in CONTENDERS]
    cap = esp32_stream_cap()
    points += [("splitdash, max_streams=%d as on an ESP32" % cap, "splitdash", n, (str(cap),))
               for n in clients if n > cap]
    points += [(name, contender, CHART_CLIENTS, args) for name, contender, args in CHART_ROWS]
    return points


def how(name, n, r):
    if "splitdash" not in name:
        return "polls"
    if r["streams"] == n:
        return "%d streams" % n
    return "%d streams, %d poll" % (r["streams"], n - r["streams"])


def tables(points, results, counts):
    """``results`` from the plain runs, ``counts`` from the runs under
    callgrind (empty when skipped), both keyed by (row name, clients)."""
    lines = ["| contender | clients | how | device k instructions per client-s "
             "| device CPU ms per client-s | bytes per client-s "
             "| update latency p50 / p95 ms | control loop p99 late ms |",
             "|---|---|---|---|---|---|---|---|"]
    for name, _, n, _ in points:
        r = results[name, n]
        lines.append("| %s | %d | %s | %s | %s | %s | %s / %s | %s |" % (
            name, n, how(name, n, r),
            cpu_cell(counts.get((name, n)), INSTRUCTIONS), cpu_cell(r, TIME),
            fmt(r["bytes_per_client_s"], "%.0f"),
            fmt(r["p50_ms"], "%.0f"), fmt(r["p95_ms"], "%.0f"), fmt(r["late_p99_ms"], "%d")))
    lines += ["", "Ratios, splitdash / peer at the same number of clients (below 1 is better "
              "for splitdash; the issue's targets: CPU at most 0.2 and bytes at most 0.25 of "
              "micropidash's):", "",
              "| splitdash | clients | instructions / micropidash | instructions / microdot "
              "| CPU time / micropidash | bytes / micropidash | bytes / microdot "
              "| p95 latency / micropidash | p99 lateness / micropidash |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, _, n, _ in points:
        if not name.startswith("splitdash"):
            continue
        ours, pd, md = results[name, n], results["micropidash", n], results["microdot", n]
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            name, n,
            cpu_ratio(counts.get((name, n)), counts.get(("micropidash", n)), INSTRUCTIONS),
            cpu_ratio(counts.get((name, n)), counts.get(("microdot", n)), INSTRUCTIONS),
            cpu_ratio(ours, pd, TIME),
            ratio(ours["bytes_per_client_s"], pd["bytes_per_client_s"]),
            ratio(ours["bytes_per_client_s"], md["bytes_per_client_s"]),
            ratio(ours["p95_ms"], pd["p95_ms"]),
            ratio(ours["late_p99_ms"], pd["late_p99_ms"])))
    lines += ["", "Charts, splitdash / micropidash at %d clients (two charts of two series, a "
              "point a second each; bytes and device instructions per client-second):" %
              CHART_CLIENTS, "", "| micropidash | bytes | instructions |", "|---|---|---|"]
    ours = results[SPLITDASH_CHARTS, CHART_CLIENTS]
    for name, _, _ in CHART_ROWS[1:]:
        lines.append("| %s | %s | %s |" % (
            name.split(", ", 1)[1], ratio(ours["bytes_per_client_s"],
                                          results[name, CHART_CLIENTS]["bytes_per_client_s"]),
            cpu_ratio(counts.get((SPLITDASH_CHARTS, CHART_CLIENTS)),
                      counts.get((name, CHART_CLIENTS)), INSTRUCTIONS)))
    lines += ["", "The device's own cost with no client (measured before and after each run, "
              "in the same process, and taken off above): " + "; ".join(
                  "%s %s" % (contender, idle_cost(points, results, counts, contender))
                  for contender in CONTENDERS)]
    return "\n".join(lines)


def idle_cost(points, results, counts, contender):
    def mean(runs):
        idle = [runs[name, n]["idle_cpu_per_s"] for name, c, n, _ in points
                if c == contender and "idle_cpu_per_s" in runs.get((name, n), {})]
        return sum(idle) / len(idle) if idle else None
    cost = "%.1f ms of CPU per s" % (1e3 * mean(results))
    if mean(counts) is not None:
        cost += ", %.0f k instructions per s" % (1e-3 * mean(counts))
    return cost


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="measured window per point")
    parser.add_argument("--clients", default="1,8,16")
    parser.add_argument("--no-count", action="store_true",
                        help="skip the instruction counts under callgrind")
    parser.add_argument("--no-cpu", action="store_true",
                        help="skip the CPU, bytes and latency rows")
    parser.add_argument("--no-heap", action="store_true", help="skip the heap searches")
    parser.add_argument("--no-board-load", action="store_true",
                        help="skip the board load's heap searches on the 32-bit build")
    parser.add_argument("--micropython", metavar="BINARY", action="append", default=[],
                        help="another micropython (such as a 32-bit build, whose objects "
                             "have a board's sizes, or one with splitdash frozen in): its "
                             "heap rows beside the PyPI port's; may be given again")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmark.md")
    args = parser.parse_args()
    build()
    started = time.time()

    every_cpu = os.sched_getaffinity(0)
    if DEVICE_CPUS:
        os.sched_setaffinity(0, every_cpu - DEVICE_CPUS)
    points = plan([int(n) for n in args.clients.split(",")])
    results = {}
    for name, contender, n, device_args in ([] if args.no_cpu else points):
        r = results[name, n] = measure(contender, n, args.seconds, idle_s=args.seconds / 2,
                                       args=device_args)
        print("%s, %d clients: %s" % (name, n, r), flush=True)
    counts = {}
    if not args.no_count and not args.no_cpu:
        for name, contender, n, device_args in points:
            r = measure(contender, n, COUNT_SECONDS, idle_s=COUNT_SECONDS, args=device_args,
                        counted=True)
            print("%s, %d clients, counted: %s" % (name, n, r), flush=True)
            if r["ok"]:
                counts[name, n] = r
    report = [] if args.no_cpu else [tables(points, results, counts)]
    if not args.no_heap and not args.no_board_load:
        report.append(board_load_note() + "\n\n" + board_table(
            board_figures(lambda s: print(s, flush=True))))
        report.append(BREAKDOWN_NOTE + "\n\n" + heap_breakdown.report())
    if not args.no_heap:
        binaries = [MICROPYTHON] + [os.path.abspath(b) for b in args.micropython]
        heaps = heap_figures(binaries, lambda s: print(s, flush=True))
        report.append(HEAP_NOTE + "\n\n" + heap_table(binaries, heaps))
        report.append(mqtt_rows.__doc__.split("\n\nRuns")[0] + "\n\n" + mqtt_rows.mqtt_table(
            binaries, mqtt_rows.mqtt_figures(binaries, lambda s: print(s, flush=True),
                                             count=not args.no_count)))
    os.sched_setaffinity(0, every_cpu)
    if not args.no_browser:
        report.append("In Chromium:\n\n" + browser_figures())
    report = "\n\n".join(report)
    print(report)
    minutes = (time.time() - started) / 60
    print("make bench took %.0f minutes" % minutes)
    if not args.no_docs:
        write_docs(report, " ".join(sys.argv[1:]), minutes)


#: docs/benchmark.md's last section, written by bench/soak.py: kept as it is.
SOAK_HEADING = "\n## Endurance"


def write_docs(report, argv, minutes):
    path = os.path.join(ROOT, "docs", "benchmark.md")
    argv = argv.split()
    command = "make bench"
    others = 0
    while "--micropython" in argv:
        # Where those binaries live is this machine's business.
        at = argv.index("--micropython")
        del argv[at:at + 2]
        others += 1
    if others == 1:
        command += " MICROPYTHON32=<a 32-bit micropython>"
    elif others:
        command += ' MICROPYTHON32="<%d other micropython builds>"' % others
    if argv:
        command += " BENCH_ARGS=%r" % " ".join(argv)
    soak = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if SOAK_HEADING in old:
            soak = old[old.index(SOAK_HEADING):]
    with open(path, "w") as f:
        f.write(DOC % {"command": command, "report": report, "minutes": minutes,
                       "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count()} + soak)


HEAP_NOTE = """Smallest heaps. Each figure is the smallest `-X heapsize` at which a
fresh device served the load, searched by halving in %(step)dK steps from
%(low)dK to %(high)dK (each try a fresh device, a few seconds to half a minute)
and confirmed by a second run: a heap that only just fits may fail on another
run, as the heap fragments differently. A try fails at the first MemoryError or
unretrieved task exception in the device's log, or the first failed request.

- %(clients)d clients for the whole run: the clients above, for %(seconds)d s;
  none may go without a new value for more than %(gap)d s;
- cold page loads: %(loads)d loads in a row, each in a fresh Chromium context
  (an empty cache, as a new visitor), of the demo as `make demo` builds it
  (build/board, its bundle included), of the chart workload's two charts
  served with the same bundle (bench/devices/charts_page_app.py), or of the
  page micropidash serves for the workload. A load counts once every widget is
  drawn with its value (splitdash: the page live, a card for each of the schema's widgets;
  micropidash: every label past its "---"), within %(timeout)d s. "Pages open":
  %(pages)d clients already following the device as their page does when the
  loads start (splitdash: on their streams), and still served when they end;
- back to back: %(pollers)d clients requesting `/data` (the full state) with no
  pause between requests, for %(poll_s)d s, as pages do when a board comes back
  after a restart; every request must be answered 200.

The PyPI unix port is 64-bit: its objects take about twice the heap they take on
a 32-bit board. `make bench MICROPYTHON32=<binary>` adds a column for another
build of the unix port, such as one built for 32-bit x86 (`gcc -m32`, asyncio
frozen, no other change), whose objects have an ESP32's or an RP2040's sizes;
it runs the same `.mpy` files (bytecode only). Several can be given,
space-separated; a build with splitdash frozen in (`device/manifest.py`) is
marked so, and runs its frozen modules instead. No target is held here: the
targets are the board load's, above, on the 32-bit build.""" % {
    "step": heap_rows.STEP, "low": heap_rows.LOW, "high": heap_rows.HIGH,
    "clients": HEAP_CLIENTS, "seconds": HEAP_SECONDS, "gap": SYNC_GAP_S,
    "loads": heap_rows.LOADS, "timeout": heap_rows.LOAD_TIMEOUT_S,
    "pages": heap_rows.OPEN_PAGES, "pollers": heap_rows.POLLERS,
    "poll_s": heap_rows.POLL_SECONDS}


BREAKDOWN_NOTE = """Where the heap goes once serving (bench/heap_breakdown.py), the six-widget
app and the demo on the same 32-bit build at `-X heapsize=256K`, step by step
(bench/devices/heap_steps.py): each module imported in turn, each figure the
heap in use after it less before it, both once collected. From the
filesystem a module's code and constants, and the text of every name it
interns (qstrs), are copied into the heap; from ROMFS they stay in flash,
and what is left is its functions, classes and dictionaries, and each name's
entry in the qstr pools. The pools grow by doubling: their growth has a row
of its own. The demo's rows from `dashschema.chart` on are what its other
kinds, rings and simulated sensors add; its `demo` row holds its dashboard,
its 17 widgets and their rings (two of 240 points, empty here: 7.5 KB once
allocated, full or not). The first requests served make some things once
(of them, 0.5 KB for the six routes' patterns, which Microdot compiles the
first time a request is matched against them). Streams: a page's `/events`
with its first message sent."""


def board_load_note():
    load = board_load.BENCH_LOAD
    return """The load a board sees (bench/board_load.py), on the %(binary)s (a board's
object sizes), the libraries (build/board/lib: the device code, `dashschema`
and Microdot; micropidash) loaded as `.mpy` from the filesystem or from a
ROMFS image (`mpremote romfs build`), where their bytecode stays out of the
heap. The smallest `-X heapsize` that serves it, searched by halving in
%(step)dK steps from %(low)dK ("%(low)dK" is that floor), each try a fresh device, and
confirmed by a second try; beside the heap each row is held to in `make test`
(tests/test_heap_targets.py, a shorter load: %(test)s). Every device
runs with an ESP32's caps: at most %(streams)d live streams.

- %(pages)d pages open throughout, the first %(streams)d on their streams, the others
  polling `/data` every `poll_s` and trying the stream again every 10 s, as
  the page does past the cap; %(loads)d cold loads from a fresh browser, one after
  another, each every file of the bundle over %(conns)d connections at once, as
  Chromium fetches them, then the schema and the state; two writers, a write
  each every %(pause)s s, valid and invalid (%(writes)d each); in %(rounds)d rounds;
- every request retried as the page retries it (503 or dropped: again after
  0.2, 0.4, 0.8, 1.6 and 3.2 s); a try fails at a request still not answered,
  a write answered wrongly (a valid one not 200, an invalid one not 400
  naming its widget), a page not holding the last values written within
  %(catch)d s of a round's end or ever seeing a value its widget refuses, a task ended
  by an exception (the device's console), or more than %(drift)d bytes of free
  heap (after a collection, asked at each round's end) lost from the first
  round to the last;
- the 20-widget row: %(pages)d clients requesting the full state (`/data`) back to
  back, %(polls)d requests each, retried as the page does; no page, so no writes;
- the peers where they apply: micropidash serving six widgets (two toggles, two
  labels, two levels: the nearest it has), its own page and polls (its
  writes, a toggle flipped, have nothing to refuse); raw Microdot has no page,
  and takes the back-to-back row only;
- the devices: bench/devices/six_app.py, demo_load_app.py (the demo, its rings
  and log full), thirty_app.py (bridged to a local mosquitto, every config and
  state out before the load; after each round the broker must hold the
  writes), each with bench/devices/load_probe.py (the stream cap, and
  `GET /heap`); splitdash_app.py (the benchmark's 20 widgets, no bundle).""" % {
        "binary": describe(MICROPYTHON32), "step": heap_rows.STEP, "low": heap_rows.LOW,
        "test": "%d cold loads, %d writes a writer, %d requests a client back to back" % (
            board_load.TEST_LOAD.loads * board_load.TEST_LOAD.rounds,
            board_load.TEST_LOAD.writes * board_load.TEST_LOAD.rounds,
            board_load.TEST_LOAD.polls),
        "streams": board_load.ESP32_STREAMS, "pages": board_load.PAGES, "loads": load.loads
        * load.rounds, "conns": board_load.BROWSER_CONNECTIONS,
        "pause": board_load.WRITE_PAUSE_S, "writes": load.writes * load.rounds,
        "rounds": load.rounds, "catch": board_load.CATCH_UP_S,
        "drift": board_load.DRIFT_LIMIT, "polls": load.polls}


DOC = """# Benchmark: splitdash against micropidash and raw Microdot

Reproduce with `%(command)s` (this run took %(minutes).0f minutes on %(cpus)s
cores; the heap rows take about 10 minutes of it for each binary). Measured on
%(date)s, every contender on the MicroPython unix port (64-bit unless a column
says otherwise) with its libraries compiled to `.mpy`.

Workload (bench/devices/workload.py), the same for all: 20 widgets, 10 toggles
that stay put and 10 labels whose values all change once a second, and a 10 ms
periodic task standing in for the board's control loop. Each client follows
the dashboard as its own page does (bench/clients.py), sending a browser's
request headers: splitdash through its live stream (`/events`), micropidash by
fetching `/data` and `/graph-data` every 1.2 s, raw Microdot by polling the
full state at `/data` once a second. The chart rows run another workload
(the same files): two charts of two series (splitdash) or four graphs
(micropidash draws a line a graph) getting a point a second, and one label
for the time stamp. Clients start spread over a second, and
each page's timer starts at a random moment and runs on its own clock (its
period varies by 5%%), so that polls fall at every phase of the updates.

- device instructions: what the device executes per client-second, counted
  by Valgrind's callgrind in a second run of each row (the device runs some
  50 times slower under it, so only this figure is taken from that run):
  the count under load less the count with no client, before and after, in
  the same process. Instructions in the operating system's network stack
  are not counted, which favours the contenders that open a connection per
  poll. This is the steady CPU figure: it does not depend on the machine's
  other work or clock speed;
- device CPU time: the device process's CPU time (it runs alone on one core)
  per second under load, less its own cost with no client, second by second,
  with twice the standard error. At this scale (a few ms per second) it
  moves with the machine's other work: where the cost does not rise above
  that noise, the table gives the bound it stays under;
- bytes: HTTP bytes both ways at the client, headers included (TCP/IP
  overhead not counted; every poll is also a new TCP connection);
- latency: from the device's `set()` to the client holding the value
  (splitdash collects a burst of changes for `LiveStreams.coalesce_ms`, 50 ms);
- control loop lateness: how late the 10 ms task wakes, 99th percentile.

splitdash's live path is one stream per page, up to `LiveStreams.max_streams`:
16 on the unix port, where every row but the last ones runs. A board has few TCP
connections, so its cap is lower: 4 on an ESP32, 2 on a Pico W. Pages past the
cap poll `/data` for what changed every 2 s (the schema's `poll_s`,
`Dashboard.poll_s`) and try the stream again every 10 s, as its page does (the
"how" column). The rows "as on an ESP32" run with the ESP32's cap, to show what
the pages past it cost.

%(report)s
"""


if __name__ == "__main__":
    main()
