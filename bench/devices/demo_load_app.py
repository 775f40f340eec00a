"""The demo as built (lib/app_main.mpy, imported unchanged) in the state of a
board that has run for a while: its two charts' rings full (240 points
each), its log's 20 lines written. For bench/board_load.py's demo row. Run
in the board's folder:

    micropython -m demo_load_app PORT
"""

import app_main as demo

import load_probe

for i in range(240):
    demo.dash.set("temperature_history", {"inside": 21 + i % 7 / 10, "outside": 9.0})
    demo.dash.set("humidity_history", {"inside": 45 + i % 5, "outside": 70})
for chart in ("temperature_history", "humidity_history"):
    ring = demo.dash.get(chart)
    for i in range(ring.size):
        ring.gaps[i] = 1000  # a point a second, as the demo's sensors give them
for i in range(20):
    demo.dash.log("events", "fan on (auto) %d" % i)
load_probe.add(demo.dash)
demo.asyncio.run(demo.main(int(demo.sys.argv[1])))
