"""splitdash serving the chart workload: two charts of two series, 240
points each, a point a second; pages follow them on their streams.

    micropython -m splitdash_charts_app PORT
"""

import asyncio
import sys

from dashboard import Dashboard
from dashschema.chart import Chart
from dashschema.kinds import Label
import workload

dash = Dashboard("bench", static_dir=None, state_file=None)
dash.add(Label("l0", "l0"))
for name, series in workload.CHARTS:
    dash.add(Chart(name, name, series=series, points=240))
workload.start_charts(dash.set, dash.set, 240)
asyncio.run(dash.serve("127.0.0.1", int(sys.argv[1])))
