"""The widget schema cases (schema_cases.py) on every runtime that imports
dashschema: CPython, MicroPython from source, and MicroPython from the .mpy
files the build puts on the board."""

import json
import os
import subprocess
import sys

import pytest

from conftest import BOARD, EXAMPLE_WIDGETS, MICROPYTHON, ROOT, run_micropython

SHARED = os.path.join(ROOT, "shared")
#: Where the cases import from as sources: splitdash's shared/, and the
#: example app's widgets/ for its custom kind (the compass).
SOURCE = SHARED + ":" + EXAMPLE_WIDGETS
CASES_SCRIPT = os.path.join(ROOT, "tests", "schema_cases.py")

for _path in (EXAMPLE_WIDGETS, SHARED):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import schema_cases  # noqa: E402  (needs shared/ on sys.path)

CASES = schema_cases.cases()


def run_cases(lib, script=CASES_SCRIPT, names=CASES):
    """{case name: "ok" or the failure} from one MicroPython run of a
    cases script."""
    # ".frozen" holds the unix port's built-in modules; lib is where
    # dashschema and compass come from.
    env = dict(os.environ, MICROPYPATH=".frozen:" + lib)
    proc = subprocess.run([MICROPYTHON, script], env=env, capture_output=True,
                          text=True, timeout=60, cwd=os.path.dirname(script))
    results = {}
    for line in proc.stdout.splitlines():
        results.update(json.loads(line))
    if proc.returncode or set(results) != set(names):
        pytest.fail("micropython %s with %s:\n%s%s" % (
            os.path.basename(script), lib, proc.stdout, proc.stderr))
    return results


def cases_tests(module, source=SOURCE):
    """The tests of another cases module (``<name>_cases.py``), as
    (fixture, test_cpython, test_micropython) for its test file to take:
    each case on CPython, and on MicroPython from source (``source``: the
    folders it imports from, joined by ":") and from .mpy."""
    script = os.path.join(ROOT, "tests", module.__name__ + ".py")
    names = module.cases()

    @pytest.fixture(scope="module")
    def micropython_results():
        return {"source": run_cases(source, script, names),
                "mpy": run_cases(os.path.join(BOARD, "lib"), script, names)}

    @pytest.mark.parametrize("name", names)
    def test_cpython(name):
        getattr(module, name)()

    @pytest.mark.parametrize("lib", ["source", "mpy"])
    @pytest.mark.parametrize("name", names)
    def test_micropython(name, lib, micropython_results):
        assert micropython_results[lib][name] == "ok"

    return micropython_results, test_cpython, test_micropython


@pytest.fixture(scope="session")
def micropython_source_results():
    return run_cases(SOURCE)


@pytest.fixture(scope="session")
def micropython_mpy_results():
    lib = os.path.join(BOARD, "lib")
    if not os.path.isfile(os.path.join(lib, "dashschema", "kinds.mpy")):
        pytest.fail("no compiled board lib in %s: run tools/build.py first" % lib)
    return run_cases(lib)


def test_there_are_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", CASES)
def test_cpython(name):
    getattr(schema_cases, name)()


@pytest.mark.parametrize("name", CASES)
def test_micropython_source(name, micropython_source_results):
    assert micropython_source_results[name] == "ok"


@pytest.mark.parametrize("name", CASES)
def test_micropython_mpy(name, micropython_mpy_results):
    assert micropython_mpy_results[name] == "ok"


SIX_WIDGETS = """
import sys
from dashboard import Dashboard
from dashschema.kinds import Button, Label, Level, Number, Slider, Toggle
dash = Dashboard("six", static_dir=None, state_file=None)
for widget in (Label("l"), Number("n", unit="°C"), Level("v"), Toggle("t"), Slider("s"),
               Button("b")):
    dash.add(widget)
print(sorted(m for m in sys.modules if "mqtt" in m or "ha_" in m or "extra" in m))
Number("t", unit="°C", device_class="temperature", entity_category="diagnostic")
print("dashschema.extra_params" in sys.modules)
"""


def test_a_dashboard_without_mqtt_loads_no_home_assistant_code():
    # What a kind says on MQTT is in the board's mqtt_bridge.py, imported
    # with the bridge alone; device_class= and entity_category= are checked by
    # a module loaded only for a widget given one.
    out = run_micropython(["-c", SIX_WIDGETS])
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "True"]
