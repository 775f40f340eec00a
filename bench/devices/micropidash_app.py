"""micropidash (from PyPI) serving the benchmark workload, polled by its
own page's schedule: /data and /graph-data every 1.2 s."""

import asyncio
import sys

from micropidash import Dashboard
import workload

dash = Dashboard("bench")
for name in workload.TOGGLES:
    dash.add_toggle(name, name)
for name in workload.LABELS:
    dash.add_label(name, name)
workload.start(dash.update_value)
# Dashboard.run() without its 0.0.0.0 bind: the benchmark stays on loopback.
loop = asyncio.get_event_loop()
loop.create_task(asyncio.start_server(dash._handle_request, "127.0.0.1", int(sys.argv[1])))
loop.run_forever()
