"""The benchmark's device-side workload, the same for every contender:
10 labels that all change once a second (each value is the time it was set,
in ms modulo STAMP_MOD, so clients can measure latency; the clocks are the
same host's) and a 10 ms control loop
whose lateness is recorded. Runs on MicroPython."""

import asyncio
import time

TOGGLES = ["t%d" % i for i in range(10)]
LABELS = ["l%d" % i for i in range(10)]
STAMP_MOD = 10000000
# Lateness histogram in whole ms; the last bucket holds everything later.
_late = [0] * 201


def stamp():
    return time.time_ns() // 1000000 % STAMP_MOD


async def control_loop():
    while True:
        start = time.ticks_ms()
        await asyncio.sleep_ms(10)
        late = time.ticks_diff(time.ticks_ms(), start) - 10
        _late[min(max(late, 0), 200)] += 1


async def update_labels(set_label):
    while True:
        value = str(stamp())
        for name in LABELS:
            set_label(name, value)
        await asyncio.sleep(1)


async def report():
    # The harness reads the last line; MemoryError anywhere shows in the log.
    while True:
        await asyncio.sleep(1)
        print("STATS", " ".join(str(n) for n in _late))


def start(set_label):
    asyncio.create_task(control_loop())
    asyncio.create_task(update_labels(set_label))
    asyncio.create_task(report())
