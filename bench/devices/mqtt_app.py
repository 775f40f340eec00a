"""The MQTT rows' device: 30 widgets (10 readings, 10 switches, 10 levels)
bridged to a broker, or not ("plain"), for bench/mqtt_rows.py.

    micropython -m mqtt_app PORT BROKER_PORT bridge|plain CHANGES

Prints ``IMPORTED <bytes>`` (the bridge's modules, once collected),
``READY <bytes>`` once connected and every config and state is out (heap in
use then), then makes CHANGES changes to one reading, each past the
bridge's coalescing window, so each is one publish, and prints ``DONE``.
"""

import asyncio
import gc
import sys

from dashboard import Dashboard
from dashschema.kinds import Number, Slider, Toggle

PORT, BROKER, MODE, CHANGES = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])

gc.collect()
before = gc.mem_alloc()
if MODE == "bridge":
    from mqtt_bridge import MqttBridge
gc.collect()
print("IMPORTED", gc.mem_alloc() - before)

dash = Dashboard("Thirty", static_dir=None, state_file=None)
for i in range(10):
    dash.add(Number("n%d" % i, "Reading %d" % i, unit="°C"))
    dash.add(Toggle("t%d" % i, "Switch %d" % i))
    dash.add(Slider("s%d" % i, "Level %d" % i, min=0, max=100, step=1, unit="%"))
bridge = MqttBridge(dash, "127.0.0.1", BROKER, node="bench") if MODE == "bridge" else None


async def changes():
    if bridge:
        while not bridge.client.connected or bridge._sent is None:
            await asyncio.sleep_ms(50)
    await asyncio.sleep(1)  # the first states out
    gc.collect()
    print("READY", gc.mem_alloc())
    await asyncio.sleep(3)  # for the harness to take its count
    for i in range(CHANGES):
        dash.set("n0", i)
        await asyncio.sleep_ms(100)
    await asyncio.sleep(1)
    print("DONE")


async def main():
    if bridge:
        asyncio.create_task(bridge.run())
    asyncio.create_task(changes())
    await dash.serve("127.0.0.1", PORT)

asyncio.run(main())
