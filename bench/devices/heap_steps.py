"""Where an app's heap goes, step by step, for bench/heap_breakdown.py: each
module it loads, imported one at a time in the order of its dependencies,
then its dashboard and widgets, then serving started. Run in the board's
folder:

    micropython -m heap_steps six|demo PORT

After each step, once collected, it prints ``STEP <name> <bytes in use>``
and ``micropython.qstr_info()`` (the interned names); serving, the
schema's length (``SCHEMA <bytes>``). Then ``GET /heap`` answers with the
heap in use, as the harness opens streams.
"""

import gc
import sys

import micropython


def step(name):
    gc.collect()
    print("STEP", name, gc.mem_alloc())
    micropython.qstr_info()


APP = sys.argv[1]
PORT = int(sys.argv[2])
#: Loaded one at a time, each after those it needs; one the tree no longer
#: has is left out.
MODULES = ("asyncio", "asyncio.stream", "microdot.microdot", "dashschema.wire",
           "dashschema.widget", "dashschema.registry", "server", "live", "saved_state",
           "static_files", "dashboard", "dashschema.kinds")
#: What Dashboard() makes, taken apart: (module, class, arguments), each
#: made, counted, and let go.
PARTS = (("server", "Server", ()), ("saved_state", "SavedState", ("state.json",)))

step("start")
for name in MODULES:
    try:
        __import__(name)
    except ImportError:
        continue
    # asyncio is frozen: its code is in the firmware, from either storage.
    step("microdot" if name == "microdot.microdot" else name)
for module, cls, args in PARTS:
    try:
        part = getattr(sys.modules[module], cls)(*args)
    except Exception:  # not in this tree, or made otherwise
        continue
    step("of_which:%s()" % cls)
    part = None
    step("let_go")
import asyncio  # noqa: E402
import dashboard  # noqa: E402

if APP == "six":
    from dashschema.kinds import Button, Label, Level, Number, Slider, Toggle
    dash = dashboard.Dashboard("Six widgets")
    step("Dashboard()")
    dash.add(Number("temperature", "Temperature", unit="°C", precision=1))
    dash.add(Label("status", "Status"))
    dash.add(Level("tank", "Water tank", min=0, max=100, unit="%"))
    dash.add(Toggle("fan", "Fan"))
    dash.add(Slider("led", "LED brightness", min=0, max=100, step=5, unit="%"))
    dash.add(Button("reset", "Reset"))
    step("widgets")
else:
    for name in ("dashschema.chart", "dashschema.inputs", "dashschema.readouts",
                 "dashschema.log", "compass", "thermostat", "chart_ring", "log_ring",
                 "sensors_sim"):
        __import__(name)
        step(name)
    import app_main as demo  # its Dashboard, its widgets, their rings
    step("demo")
    dash = demo.dash


async def main():
    async def serving():
        await asyncio.sleep_ms(500)
        step("serving")
        print("SCHEMA", len(dash._schema()))
        # What a full-state answer (GET /data, no since) holds while it is
        # on its way: the state it sends in parts is built whole first.
        state = dash.state(0)
        step("transient:a_full_state")
        del state
        step("let_go")

    @dash.app.get("/heap")
    async def heap(request):
        gc.collect()
        return {"free": gc.mem_free(), "alloc": gc.mem_alloc(),
                "streams": len(dash.live.streams)}

    asyncio.create_task(serving())
    await dash.serve("127.0.0.1", PORT)

asyncio.run(main())
