"""micropidash (from PyPI) with six widgets, the nearest it has to the first
row's six kinds (two toggles for the toggle and the button, two labels for
the label and the number, two levels for the level and the slider), read
once a second, for bench/board_load.py's first row. Its page is its own.

    micropython -m micropidash_six_app PORT
"""

import asyncio
import sys

from micropidash import Dashboard

dash = Dashboard("Six widgets")
dash.add_label("temperature", "Temperature")
dash.add_label("status", "Status")
dash.add_level("tank", "Water tank")
dash.add_toggle("fan", "Fan")
dash.add_level("led", "LED brightness")
dash.add_toggle("reset", "Reset")


async def sensors():
    n = 0
    while True:
        n += 1
        dash.update_value("temperature", "%.1f" % (20 + n % 50 / 10))
        dash.update_value("status", "up %d s" % n)
        dash.update_value("tank", n % 101)
        await asyncio.sleep(1)


loop = asyncio.get_event_loop()
loop.create_task(sensors())
# Dashboard.run() without its 0.0.0.0 bind: the benchmark stays on loopback.
loop.create_task(asyncio.start_server(dash._handle_request, "127.0.0.1", int(sys.argv[1])))
loop.run_forever()
