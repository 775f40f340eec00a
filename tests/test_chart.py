"""The chart kind's cases (chart_cases.py) on every runtime that imports
dashschema: CPython, MicroPython from source, and MicroPython from the .mpy
files the build puts on the board."""

import os

import pytest

from conftest import BOARD, ROOT
from test_schema import SHARED, run_cases

import chart_cases  # noqa: E402  (test_schema put shared/ on sys.path)

SCRIPT = os.path.join(ROOT, "tests", "chart_cases.py")
CASES = chart_cases.cases()


@pytest.fixture(scope="module")
def micropython_results():
    return {"source": run_cases(SHARED, SCRIPT, CASES),
            "mpy": run_cases(os.path.join(BOARD, "lib"), SCRIPT, CASES)}


@pytest.mark.parametrize("name", CASES)
def test_cpython(name):
    getattr(chart_cases, name)()


@pytest.mark.parametrize("lib", ["source", "mpy"])
@pytest.mark.parametrize("name", CASES)
def test_micropython(name, lib, micropython_results):
    assert micropython_results[lib][name] == "ok"
