"""The widget set on MQTT, against a real broker (mosquitto): each kind with
a Home Assistant mapping is discovered as its component, commands go
through the kind's own validation, and a log or chart beside them (no
mapping) is left out without troubling the bridge."""

import time

from test_mqtt import (BASE, NODE, Observer, as_home_assistant_reads, broker,  # noqa: F401
                       configs, data)

APP = """
import asyncio
import sys

from dashboard import Dashboard
from dashschema.inputs import Color, NumberInput, Select, TextInput
from dashschema.readouts import Gauge, Indicator
from dashschema.log import Log
from dashschema.chart import Chart
from mqtt_bridge import MqttBridge

dash = Dashboard("Set test", static_dir=None, state_file=None)
dash.add(Select("mode", "Mode", options=("auto", "on", "off")))
dash.add(NumberInput("setpoint", "Set point", min=10, max=30, step=0.5, unit="°C"), 21.5)
dash.add(TextInput("note", "Note", max_length=12))
dash.add(Color("colour", "Colour"), "#ffb000")
dash.add(Gauge("soil", "Soil", unit="%%", warning=35, critical=20, device_class="moisture"))
dash.add(Indicator("pump", "Pump", entity_category="diagnostic"))
dash.add(Log("events", "Events"))
dash.add(Chart("history", "History"))
bridge = MqttBridge(dash, "127.0.0.1", %(broker)d, node="%(node)s")


@dash.on_write("mode")
def mode(value):
    dash.log("events", "mode " + value)
    dash.set("history", 1.5)
    dash.set("pump", ("ok", "mode " + value))


async def main(port):
    dash.set("soil", 41)
    dash.set("pump", ("warn", "low water"))
    asyncio.create_task(bridge.run())
    await dash.serve("127.0.0.1", port)

asyncio.run(main(int(sys.argv[1])))
"""

EXPECTED = {
    "mode": ("select", {"options": ["auto", "on", "off"]}),
    # A set point: a setting, and a temperature (°C says so).
    "setpoint": ("number", {"min": 10, "max": 30, "step": 0.5, "mode": "box",
                            "unit_of_meas": "°C", "device_class": "temperature",
                            "entity_category": "config"}),
    "note": ("text", {"max": 12, "val_tpl": "{{'' if value=='\"\"' else value}}"}),
    "colour": ("text", {"pattern": "^#[0-9a-fA-F]{6}$", "val_tpl": None}),
    "soil": ("sensor", {"unit_of_meas": "%", "stat_cla": "measurement",
                        "device_class": "moisture"}),
    "pump": ("sensor", {"entity_category": "diagnostic", "stat_cla": None}),
}


def test_the_widget_set_is_discovered_and_commanded_on_mqtt(start_device, broker, tmp_path):
    (tmp_path / "app.py").write_text(APP % {"broker": broker.port, "node": NODE})
    observer = Observer(broker.port)
    dev = start_device(script="app.py", cwd=str(tmp_path))
    try:
        found = observer.wait("every config", lambda: len(configs(observer)) == len(EXPECTED)
                              and configs(observer))
        for wid, (component, keys) in EXPECTED.items():
            got_component, node, config, _ = found[wid]
            assert (got_component, node) == (component, NODE), wid
            for key, value in keys.items():
                assert config.get(key) == value, (wid, key, config)
            assert ("cmd_t" in config) == (wid in ("mode", "setpoint", "note", "colour"))
        for wid, text in (("mode", "auto"), ("setpoint", "21.5"), ("note", '""'),
                          ("colour", "#ffb000"), ("soil", "41"), ("pump", "warn: low water")):
            observer.wait_state(wid, text)
        mark = observer.mark()
        for wid, command, state in (("mode", "on", "on"), ("setpoint", "22", "22"),
                                    ("note", "hello 42", "hello 42"),
                                    ("colour", "#00FF00", "#00ff00")):
            observer.publish(BASE + wid + "/set", command)
            observer.wait_state(wid, state, mark)
        observer.wait_state("pump", "ok: mode on", mark)
        # Refused: the real value is published again, nothing changes.
        for wid, command, state in (("mode", "turbo", "on"), ("setpoint", "22.2", "22"),
                                    ("note", "far too long a note", "hello 42"),
                                    ("colour", "green", "#00ff00")):
            again = observer.mark()
            observer.publish(BASE + wid + "/set", command)
            observer.wait_state(wid, state, again)
        time.sleep(0.3)
        values = data(dev)
        assert (values["mode"], values["setpoint"], values["note"], values["colour"]) == (
            "on", 22, "hello 42", "#00ff00")
        assert values["events"]["lines"] == ["mode on"]
        # The log and the chart are not on MQTT.
        topics = {m[0] for m in observer.seen()}
        assert not [t for t in topics if "/events/" in t or "/history/" in t]
        out = dev.output()
        assert "MQTT command for 'mode' refused: 'mode': 'turbo' is not one of auto, on, off" in out
        assert "Traceback" not in out

        # Home Assistant clears the note: an empty command. The state stays a
        # retained message, which the note's config reads back as "".
        mark = observer.mark()
        observer.publish(BASE + "note/set", "")
        observer.wait_state("note", '""', mark)
        assert data(dev)["note"] == ""
        late = Observer(broker.port)
        try:
            late.wait_state("note", '""')
            assert late.seen(BASE + "note/state") == [(BASE + "note/state", '""', True)]
        finally:
            late.close()
        assert as_home_assistant_reads(found["note"][2], '""') == ""
        assert as_home_assistant_reads(found["note"][2], "hello 42") == "hello 42"
    finally:
        observer.close()
