"""micropidash (from PyPI) serving the chart workload: a graph per series
(it draws one line a graph), ``MAX_POINTS`` points each (its default is
20), polled by its own page's schedule: /data and /graph-data every 1.2 s.

    micropython -m micropidash_charts_app PORT [MAX_POINTS]
"""

import asyncio
import sys

from micropidash import Dashboard
import workload

points = int(sys.argv[2]) if len(sys.argv) > 2 else 20
dash = Dashboard("bench")
dash.add_label("l0", "l0")
for name, series in workload.CHARTS:
    for s in series:
        dash.add_graph(name + "_" + s, name + " " + s, max_points=points)


def add_point(chart, point):
    for s in point:
        dash.update_value(chart + "_" + s, point[s])


workload.start_charts(dash.update_value, add_point, points)
loop = asyncio.get_event_loop()
loop.create_task(asyncio.start_server(dash._handle_request, "127.0.0.1", int(sys.argv[1])))
loop.run_forever()
