"""The demo as built (lib/app_main.mpy, imported unchanged) with its
charts' rings already full, as on a board that has run for longer than a
ring holds: every page that opens gets whole rings. Run in the board's
folder:

    micropython -m full_charts_app PORT
"""

import app_main as demo

for i in range(240):
    demo.dash.set("temperature_history", {"inside": 21 + i % 7 / 10, "outside": 9.0})
    demo.dash.set("humidity_history", {"inside": 45 + i % 5, "outside": 70})
for chart in ("temperature_history", "humidity_history"):
    ring = demo.dash.get(chart)
    for i in range(ring.size):
        ring.gaps[i] = 1000  # a point a second, as the demo's sensors give them
demo.asyncio.run(demo.main(int(demo.sys.argv[1])))
