"""splitdash serving the benchmark workload (its default live path: /events)."""

import asyncio
import sys

from dashboard import Dashboard
from dashschema.kinds import Label, Toggle
import workload

dash = Dashboard("bench", static_dir=None)
for name in workload.TOGGLES:
    dash.add(Toggle(name, name))
for name in workload.LABELS:
    dash.add(Label(name, name))
workload.start(dash.set)
asyncio.run(dash.serve("127.0.0.1", int(sys.argv[1])))
