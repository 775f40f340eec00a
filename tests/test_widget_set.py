"""The widget set's cases (widget_set_cases.py) on every runtime that imports
dashschema: CPython, MicroPython from source, and MicroPython from the .mpy
files the build puts on the board."""

from test_schema import cases_tests

import widget_set_cases  # noqa: E402  (test_schema put shared/ on sys.path)

micropython_results, test_cpython, test_micropython = cases_tests(widget_set_cases)
