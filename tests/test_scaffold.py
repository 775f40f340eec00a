"""`make widget` (tools/new_widget.py) and the app folder's build: a kind
scaffolded into a fresh folder builds, and its own tests pass (on CPython,
on micropython, in Chromium) with nothing else edited; bad names and
clashes are refused with the file named."""

import gzip
import json
import os
import subprocess
import sys

import pytest

from conftest import BOARD, ROOT

NEW_WIDGET = os.path.join(ROOT, "tools", "new_widget.py")
BUILD = os.path.join(ROOT, "tools", "build.py")


def run(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable] + list(args), cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def page_modules():
    """The names of the page's Python modules in the built bundle's py.pack
    (a line of JSON, {name: [start, end]}, then the modules)."""
    with open(os.path.join(BOARD, "www", "manifest.json")) as f:
        pack = [p for p in json.load(f) if p.endswith("/py.pack")][0]
    with gzip.open(os.path.join(BOARD, "www", pack.lstrip("/") + ".gz")) as f:
        return set(json.loads(f.readline()))


@pytest.fixture
def built_app(tmp_path):
    """Build the app folder given into build/board; the example is built
    back afterwards, for the tests that follow."""
    def build(app):
        result = run(BUILD, "--quiet", "--app", str(app))
        assert result.returncode == 0, result.stderr
    yield build
    result = run(BUILD, "--quiet")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name, reason", [
    ("2fast", "is not a kind's name"), ("Dial", "is not a kind's name"),
    ("dial-2", "is not a kind's name"), ("", "is not a kind's name"),
    ("number", "'number' is a built-in kind's name"),
    ("dashboard", "'dashboard' is the name of a splitdash module"),
])
def test_bad_names_are_refused_and_nothing_is_written(tmp_path, name, reason):
    result = run(NEW_WIDGET, "--app", str(tmp_path), name)
    assert result.returncode != 0
    assert reason in result.stderr
    assert os.listdir(tmp_path) == []


def test_existing_files_are_not_overwritten(tmp_path):
    assert run(NEW_WIDGET, "--app", str(tmp_path), "dial").returncode == 0
    (tmp_path / "widgets" / "dial.py").write_text("# mine\n")
    result = run(NEW_WIDGET, "--app", str(tmp_path), "dial")
    assert result.returncode != 0 and "already there" in result.stderr
    assert (tmp_path / "widgets" / "dial.py").read_text() == "# mine\n"


def test_a_scaffolded_kind_builds_and_its_own_tests_pass(tmp_path, built_app):
    app = tmp_path / "my-dash"
    result = run(NEW_WIDGET, "--app", str(app), "dial")
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(app).as_posix() for p in app.rglob("*.py")) == [
        "main.py", "renderers/dial.py", "tests/test_dial.py", "widgets/dial.py"]
    built_app(app)
    page = page_modules()
    # The app's kind on both ends; of the built-in kinds' modules, only those it uses.
    assert {"dial.mpy", "renderers/dial.mpy", "renderers/builtin.mpy"} <= page
    for unused in ("renderers/chart.mpy", "dashschema/chart.mpy", "renderers/log.mpy"):
        assert unused not in page
    lib = os.listdir(os.path.join(BOARD, "lib"))
    assert "dial.mpy" in lib and "app_main.mpy" in lib
    assert "chart.mpy" not in os.listdir(os.path.join(BOARD, "lib", "dashschema"))
    # Its own tests, as `make test APP=...` runs them, with the suite's fixtures.
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests"))
    result = run("-m", "pytest", "-q", "-p", "conftest", "--rootdir", str(app),
                 str(app / "tests"), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


@pytest.mark.parametrize("module", ["gauge", "wind_gauge"])
def test_a_custom_kind_named_as_a_built_in_one_fails_the_build(tmp_path, module):
    (tmp_path / "main.py").write_text("from %s import Gauge\n" % module)
    (tmp_path / "widgets").mkdir()
    clash = tmp_path / "widgets" / (module + ".py")
    clash.write_text("from dashschema.registry import register\n"
                     "from dashschema.widget import Widget\n\n\n"
                     "@register\nclass Gauge(Widget):\n    kind = 'gauge'\n")
    result = run(BUILD, "--quiet", "--app", str(tmp_path))
    assert result.returncode != 0
    assert "build: %s: 'gauge' is a built-in kind's name" % clash in result.stderr or \
        "build: %s: kind 'gauge' is a built-in kind's name" % clash in result.stderr


def test_an_app_folder_needs_its_main(tmp_path):
    result = run(BUILD, "--quiet", "--app", str(tmp_path))
    assert result.returncode != 0 and "no main.py" in result.stderr
