"""The widget set on the board, under the MicroPython unix port: groups in
the schema's order, the board's accent, a start value kept only until one is
saved, writes of the new writable kinds (refused ones change nothing, the
reason names the widget), and a log that sends a page only its new lines, on
the stream and on the delta poll."""

import json

import pytest

from test_device_http import EventStream, wait_for, write

APP = """
import sys
from dashboard import Dashboard
from dashschema.kinds import Button, Label, Toggle
from dashschema.inputs import Color, NumberInput, Select, TextInput
from dashschema.readouts import Gauge, Indicator
from dashschema.log import Log
import log_ring

log_ring.Ring.max_send = 3  # a log of 4 lines goes to a page that opens in two parts
from saved_state import SavedState
SavedState.delay_s = 0.05
dash = Dashboard("Set", static_dir=None, accent="#1F6FEB", tabs=True)
dash.add(Label("top", "Top"))
with dash.group("Climate"):
    dash.add(Select("mode", "Mode", options=("auto", "on", "off")))
    dash.add(NumberInput("setpoint", "Set point", min=10, max=30, step=0.5, unit="°C"), 21.5)
    dash.add(Gauge("soil", "Soil", warning=35, critical=20, unit="%%"))
with dash.group("Lights"):
    dash.add(Color("colour", "Colour"), "#FFB000")
    dash.add(TextInput("note", "Note", max_length=8))
    dash.add(Indicator("pump", "Pump", group="Water"))
dash.add(Log("events", "Events", lines=4))
dash.add(Button("more", "More"))
count = 0


@dash.on_write("more")
def more(_):
    global count
    for _ in range(%(lines)d):
        count += 1
        dash.log("events", "line %%d" %% count)


@dash.on_write("mode")
def mode(value):
    dash.log("events", "mode " + value)


dash.run("127.0.0.1", int(sys.argv[1]))
"""


@pytest.fixture
def widget_set(start_device, tmp_path):
    def start(lines=1, port=None):
        (tmp_path / "app.py").write_text(APP % {"lines": lines})
        return start_device(script="app.py", cwd=str(tmp_path), port=port)
    return start


def state(dev, path="/data"):
    status, _, body = dev.request(path)
    assert status == 200, body
    return body


def test_groups_keep_declaration_order_and_the_board_sets_accent_and_tabs(widget_set):
    status, _, schema = widget_set().request("/schema")
    assert status == 200
    widgets = schema["widgets"]
    assert [(w["id"], w.get("group")) for w in widgets] == [
        ("top", None), ("mode", "Climate"), ("setpoint", "Climate"), ("soil", "Climate"),
        ("colour", "Lights"), ("note", "Lights"), ("pump", "Water"), ("events", None),
        ("more", None)]
    assert (schema["accent"], schema["tabs"]) == ("#1f6feb", True)
    by_id = {w["id"]: w for w in widgets}
    assert by_id["mode"]["options"] == ["auto", "on", "off"]
    assert by_id["soil"]["warning"] == 35 and by_id["soil"]["critical"] == 20
    assert by_id["note"]["max_length"] == 8
    assert by_id["events"]["lines"] == 4


def test_start_values_and_writes_of_the_new_kinds(widget_set):
    dev = widget_set()
    values = state(dev)["values"]
    assert (values["mode"], values["setpoint"], values["colour"], values["note"]) == (
        "auto", 21.5, "#ffb000", "")
    assert values["pump"] is None and values["soil"] is None
    status, _, body = write(dev, {"mode": "off", "setpoint": 24, "colour": "#00FF00",
                                  "note": "hi"})
    assert status == 200, body
    values = state(dev)["values"]
    assert (values["mode"], values["setpoint"], values["colour"], values["note"]) == (
        "off", 24, "#00ff00", "hi")
    refused = [({"mode": "turbo"}, "mode", "'turbo' is not one of auto, on, off"),
               ({"setpoint": 24.2}, "setpoint", "not a multiple of step 0.5"),
               ({"colour": "green"}, "colour", "expected a colour as #rrggbb"),
               ({"note": "much too long"}, "note", "13 characters, more than 8"),
               ({"soil": 50}, "soil", "read-only"), ({"pump": "ok"}, "pump", "read-only"),
               ({"events": "forged"}, "events", "read-only"),
               ({"note": "ok", "mode": "turbo"}, "mode", "not one of")]
    for body, widget, reason in refused:
        status, _, answer = write(dev, body)
        assert status == 400 and answer["widget"] == widget and reason in answer["error"], answer
    assert state(dev)["values"] == values


def test_the_new_writable_kinds_survive_a_restart_over_their_start_values(widget_set, tmp_path):
    dev = widget_set()
    written = {"mode": "off", "setpoint": 27.5, "colour": "#00ff00", "note": "kept"}
    assert write(dev, written)[0] == 200
    wait_for(lambda: (tmp_path / "state.json").exists() and all(
        ('"%s"' % wid) in (tmp_path / "state.json").read_text() for wid in written),
        "the state file")
    dev.stop()
    again = widget_set(port=dev.port)
    values = state(again)["values"]
    assert {wid: values[wid] for wid in written} == written
    assert values["events"] == {"all": True, "lines": ["mode off"]}  # its callback ran again


def test_a_page_holding_the_log_gets_only_new_lines_on_stream_and_poll(widget_set):
    dev = widget_set()
    first = state(dev)
    assert first["values"]["events"] == {"all": True, "lines": []}
    assert write(dev, {"mode": "on"})[0] == 200
    assert write(dev, {"more": True})[0] == 200
    now = state(dev)
    assert now["values"]["events"] == {"all": True, "lines": ["mode on", "line 1"]}
    since = "?boot=%s&since=%d" % (now["boot"], now["version"])
    with EventStream(dev, "/events" + since) as stream:
        assert write(dev, {"more": True})[0] == 200
        assert stream.next_state()["values"]["events"] == {"lines": ["line 2"]}
        # The delta poll from the same version: that line alone.
        assert state(dev, "/data" + since)["values"]["events"] == {"lines": ["line 2"]}
        assert write(dev, {"more": True})[0] == 200
        assert write(dev, {"more": True})[0] == 200
        got = []
        while len(got) < 2:
            got += stream.next_state()["values"]["events"]["lines"]
        assert got == ["line 3", "line 4"]
    # Four lines kept (the first gave way); a page that opens gets them in
    # parts of three, oldest first.
    opened = state(dev)
    assert opened["values"]["events"] == {"all": True, "lines": ["line 1", "line 2", "line 3"]}
    rest = state(dev, "/data?boot=%s&since=%d" % (opened["boot"], opened["version"]))
    assert rest["values"]["events"] == {"lines": ["line 4"]}


def test_a_burst_of_lines_wraps_the_log_in_order(widget_set):
    dev = widget_set(lines=9)
    assert write(dev, {"more": True})[0] == 200
    opened = state(dev)
    lines = opened["values"]["events"]["lines"]
    rest = state(dev, "/data?boot=%s&since=%d" % (opened["boot"], opened["version"]))
    assert lines + rest["values"]["events"]["lines"] == ["line 6", "line 7", "line 8", "line 9"]


BAD_ACCENT = """
from dashboard import Dashboard
try:
    Dashboard("x", static_dir=None, accent="teal")
except ValueError as exc:
    print("refused:", exc)
"""


def test_a_bad_accent_is_refused_at_start(tmp_path):
    from conftest import run_micropython
    (tmp_path / "app.py").write_text(BAD_ACCENT)
    proc = run_micropython(["app.py"], cwd=str(tmp_path))
    assert "refused: accent: expected a colour as #rrggbb, got 'teal'" in proc.stdout, proc.stdout + proc.stderr
