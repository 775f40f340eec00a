"""Raw Microdot serving the benchmark workload: the full state at /data."""

import asyncio
import sys

from microdot import Microdot
import workload

state = {}
for name in workload.TOGGLES:
    state[name] = False
for name in workload.LABELS:
    state[name] = ""
app = Microdot()


@app.get("/data")
async def data(request):
    return state


def set_label(name, value):
    state[name] = value


workload.start(set_label)
asyncio.run(app.start_server("127.0.0.1", int(sys.argv[1])))
