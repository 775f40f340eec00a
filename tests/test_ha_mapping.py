"""The board's Home Assistant mapping's cases (ha_mapping_cases.py) on
CPython, and on MicroPython from source and from the board's .mpy files.
tests/test_mqtt.py takes the mapping to a real broker."""

import os
import sys

from test_schema import SOURCE, cases_tests
from conftest import ROOT

DEVICE = os.path.join(ROOT, "device")
if DEVICE not in sys.path:
    sys.path.insert(0, DEVICE)

import ha_mapping_cases  # noqa: E402  (needs device/ and shared/ on sys.path)

micropython_results, test_cpython, test_micropython = cases_tests(
    ha_mapping_cases, DEVICE + ":" + SOURCE)
