"""The benchmark's device-side workload, the same for every contender:
10 toggles that stay put, 10 labels that all change once a second (each
value is the time it was set, in ms modulo STAMP_MOD, so that clients on the
same host measure latency against the same clock) and a 10 ms control loop
whose lateness is recorded; or, for the chart rows, two charts of two
series getting a point a second and one label for the time stamp. Runs on
MicroPython, and keeps its own heap use small: it is counted in every
contender's smallest heap."""

import asyncio
import time
from array import array

TOGGLES = ["t%d" % i for i in range(10)]
LABELS = ["l%d" % i for i in range(10)]
STAMP_MOD = 10000000
# Lateness histogram in whole ms; the last bucket holds everything later.
_late = array("I", bytes(4 * 101))


async def control_loop():
    while True:
        start = time.ticks_ms()
        await asyncio.sleep_ms(10)
        late = time.ticks_diff(time.ticks_ms(), start) - 10
        _late[min(max(late, 0), 100)] += 1


async def update_labels(set_label):
    while True:
        value = str(time.time_ns() // 1000000 % STAMP_MOD)
        for name in LABELS:
            set_label(name, value)
        await asyncio.sleep(1)


async def report():
    # "STATS ms:count ..." for the non-empty buckets, counted since start: the
    # harness takes the difference over its window. A MemoryError anywhere
    # shows in the log.
    while True:
        await asyncio.sleep(1)
        print("STATS", end="")
        for ms in range(len(_late)):
            if _late[ms]:
                print(" %d:%d" % (ms, _late[ms]), end="")
        print()


#: The chart workload's charts and their series, a point each a second.
CHARTS = (("temperatures", ("inside", "outside")), ("humidities", ("inside", "outside")))


async def add_points(set_label, add_point):
    """A point a second to each chart, like sensors read once a second, and
    the time stamp in label l0 for the clients' sync check."""
    n = 0
    while True:
        set_label("l0", str(time.time_ns() // 1000000 % STAMP_MOD))
        n += 1
        for i, (chart, series) in enumerate(CHARTS):
            add_point(chart, {series[0]: 20 + i * 30 + n % 37 / 10,
                              series[1]: 9 + i * 60 + n % 23 / 10})
        await asyncio.sleep(1)


def start_charts(set_label, add_point, points):
    """The chart workload, its histories first filled with ``points`` points
    (as after running for that many seconds): the rows measure the steady
    state, not histories filling up."""
    for n in range(points):
        for chart, series in CHARTS:
            add_point(chart, {series[0]: 20 + n % 37 / 10, series[1]: 9 + n % 23 / 10})
    asyncio.create_task(control_loop())
    asyncio.create_task(add_points(set_label, add_point))
    asyncio.create_task(report())


def start(set_label):
    asyncio.create_task(control_loop())
    asyncio.create_task(update_labels(set_label))
    asyncio.create_task(report())
