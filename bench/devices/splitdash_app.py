"""splitdash serving the benchmark workload (its default live path: /events).

    micropython -m splitdash_app PORT [MAX_STREAMS]
"""

import asyncio
import sys

from dashboard import Dashboard
from dashschema.kinds import Label, Toggle
from live import LiveStreams
import workload

if len(sys.argv) > 2:
    LiveStreams.max_streams = int(sys.argv[2])
dash = Dashboard("bench", static_dir=None)
for name in workload.TOGGLES:
    dash.add(Toggle(name, name))
for name in workload.LABELS:
    dash.add(Label(name, name))
workload.start(dash.set)
asyncio.run(dash.serve("127.0.0.1", int(sys.argv[1])))
