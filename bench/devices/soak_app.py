"""The demo as built (lib/app_main.mpy, imported unchanged) with a
report of its heap (heap_report.py), for bench/soak.py. Run in the
board's folder:

    micropython -m soak_app PORT

Kept this small, and the demo imported first, so that the demo boots in
the heap as it would on its own (a few hundred bytes of script ahead of it
are enough to make a boot that only just fits fail); the report is loaded
after it.
"""

import app_main as demo

import heap_report

heap_report.serve(demo)
