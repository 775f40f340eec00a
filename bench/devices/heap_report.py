"""A task reporting the heap of the app it runs beside, for bench/soak.py.

Prints ``HEAPBLOCK <bytes>`` once, then every REPORT_S seconds
``HEAP <least free> <free after a collection>`` followed by
``micropython.mem_info()`` (its "max free sz" is the largest free run of
blocks): the least free heap seen, sampled every SAMPLE_MS, and what stays
in use once the garbage is gone.
"""

import asyncio
import gc
import sys

import micropython

SAMPLE_MS = 20
REPORT_S = 10


async def watch_heap():
    while True:
        low = gc.mem_free()
        for _ in range(REPORT_S * 1000 // SAMPLE_MS):
            await asyncio.sleep_ms(SAMPLE_MS)
            free = gc.mem_free()
            if free < low:
                low = free
        gc.collect()
        print("HEAP", low, gc.mem_free())
        micropython.mem_info()


async def _run(app, port):
    asyncio.create_task(watch_heap())
    await app.main(port)


def serve(app):
    """Run ``app.main(port)`` (the demo's), port from the command line,
    with the report beside it."""
    # A heap block is four machine words.
    print("HEAPBLOCK", 16 if sys.maxsize < 1 << 32 else 32)
    asyncio.run(_run(app, int(sys.argv[1])))
