"""30 widgets (10 readings, 10 switches, 10 levels) bridged to MQTT, served
with the bundle and saving their writable values as a board does, for
bench/board_load.py's MQTT row. Run in the board's folder:

    micropython -m thirty_app PORT BROKER_PORT
"""

import asyncio
import sys

from dashboard import Dashboard
from dashschema.kinds import Number, Slider, Toggle
from mqtt_bridge import MqttBridge

dash = Dashboard("Thirty")
for i in range(10):
    dash.add(Number("n%d" % i, "Reading %d" % i, unit="°C"))
    dash.add(Toggle("t%d" % i, "Switch %d" % i))
    dash.add(Slider("s%d" % i, "Level %d" % i, min=0, max=100, step=1, unit="%"))
bridge = MqttBridge(dash, "127.0.0.1", int(sys.argv[2]), node="bench")


async def readings():
    n = 0
    while True:
        n += 1
        for i in range(10):
            dash.set("n%d" % i, 20 + (n + i) % 50 / 10)
        await asyncio.sleep(1)


import load_probe  # noqa: E402  after the app's own modules

load_probe.add(dash)
asyncio.create_task(readings())
asyncio.create_task(bridge.run())
asyncio.run(dash.serve("127.0.0.1", int(sys.argv[1])))
