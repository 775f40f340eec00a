"""Six widgets, one of each of the first six kinds (dashschema/kinds.py),
served with the bundle and saving its writable values as a board does, for
bench/board_load.py's first row. Run in the board's folder:

    micropython -m six_app PORT
"""

import asyncio
import sys

from dashboard import Dashboard
from dashschema.kinds import Button, Label, Level, Number, Slider, Toggle

dash = Dashboard("Six widgets")
dash.add(Number("temperature", "Temperature", unit="°C", precision=1))
dash.add(Label("status", "Status"))
dash.add(Level("tank", "Water tank", min=0, max=100, unit="%"))
dash.add(Toggle("fan", "Fan"))
dash.add(Slider("led", "LED brightness", min=0, max=100, step=5, unit="%"))
dash.add(Button("reset", "Reset"))


async def sensors():
    n = 0
    while True:
        n += 1
        dash.set("temperature", 20 + n % 50 / 10)
        dash.set("status", "up %d s" % n)
        dash.set("tank", n % 101)
        await asyncio.sleep(1)


import load_probe  # noqa: E402  after the app's own modules

load_probe.add(dash)
asyncio.create_task(sensors())
asyncio.run(dash.serve("127.0.0.1", int(sys.argv[1])))
