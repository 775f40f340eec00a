"""The chart workload (bench/devices/workload.py: two charts of two series,
240 points each, already full, a point a second) served with the bundle,
as the board's page: for the row of 8 pages open with two 240-point
charts. Run in the board's folder:

    micropython -m charts_page_app PORT
"""

import asyncio
import sys

from dashboard import Dashboard
from dashschema.chart import Chart
from dashschema.kinds import Label
import workload

dash = Dashboard("Charts", state_file=None)
dash.add(Label("l0", "Time stamp"))
for name, series in workload.CHARTS:
    dash.add(Chart(name, name, series=series, points=240))
workload.start_charts(dash.set, dash.set, 240)
asyncio.run(dash.serve("127.0.0.1", int(sys.argv[1])))
