"""The MQTT bridge against a real broker: Debian's mosquitto, started here on
a free port, with the device app under the real ``micropython`` and
paho-mqtt observing from the host."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import jinja2
import paho.mqtt.client as mqtt
import pytest

from conftest import BOARD, ROOT, free_port, run_micropython

MOSQUITTO = "/usr/sbin/mosquitto"
NODE = "testnode"
BASE = "splitdash/%s/" % NODE

APP = """
import asyncio
import sys

from dashboard import Dashboard
from dashschema.kinds import Button, Label, Level, Number, Slider, Toggle
from compass import Compass
from mqtt_bridge import KINDS, MqttBridge

MqttBridge.rediscover_ms = 200
KINDS["compass"] = "sensor"

dash = Dashboard("Bridge test", static_dir=None, state_file=None)
dash.add(Number("temperature", "Temperature", unit="°C", precision=1))
dash.add(Level("tank", "Tank"))
dash.add(Label("status", "Status"))
dash.add(Toggle("fan", "Fan"))
dash.add(Slider("led", "LED", min=0, max=100, step=5, unit="%%"))
dash.add(Button("burst", "Burst"))
dash.add(Button("leave", "Leave MQTT"))
dash.add(Compass("wind", "Wind"))
dash.add(Number("count", "Count", precision=0))
bridge = MqttBridge(dash, "127.0.0.1", %(broker)d, node="%(node)s",
                    url="http://127.0.0.1:%%s/" %% sys.argv[1])


@dash.on_write("burst")
def burst(_):
    for i in range(20):
        dash.set("count", i)
    dash.set("status", "burst done")


@dash.on_write("leave")
def leave(_):
    asyncio.create_task(bridge.stop())


@dash.on_write("fan")
def fan(on):
    dash.set("status", "fan on" if on else "fan off")


async def main(port):
    dash.set("temperature", 21.5)
    dash.set("tank", 40)
    dash.set("wind", 90)
    asyncio.create_task(bridge.run())
    await dash.serve("127.0.0.1", port)

asyncio.run(main(int(sys.argv[1])))
"""

#: component and the keys Home Assistant needs for it, per widget
#: (abbreviated as Home Assistant reads them: "unit_of_meas" is
#: unit_of_measurement, "stat_cla" state_class, "device_class" device_class)
EXPECTED = {
    "temperature": ("sensor", {"unit_of_meas": "°C", "stat_cla": "measurement",
                               "sug_dsp_prc": 1, "device_class": "temperature"}),
    "tank": ("sensor", {"unit_of_meas": "%", "stat_cla": "measurement", "device_class": None}),
    "status": ("sensor", {"val_tpl": "{{'' if value=='\"\"' else value}}"}),
    "fan": ("switch", {}),
    "led": ("number", {"min": 0, "max": 100, "step": 5, "mode": "slider",
                       "unit_of_meas": "%"}),
    "burst": ("button", {}),
    "leave": ("button", {}),
    "wind": ("sensor", {"unit_of_meas": "°", "device_class": "wind_direction", "stat_cla": None}),
    "count": ("sensor", {"sug_dsp_prc": 0}),
}
#: The most bytes a discovery config takes: the board builds and sends one
#: at a time, never the whole device's.
CONFIG_MAX = 400


class Broker:
    """A mosquitto of our own on a free port; restartable on the same port."""

    def __init__(self, folder, login="allow_anonymous true\n"):
        assert os.path.exists(MOSQUITTO), "mosquitto is not installed: tools/setup.sh --with-broker"
        self.port = free_port()
        self.conf = os.path.join(folder, "mosquitto.conf")
        self.log_path = os.path.join(folder, "mosquitto.log")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\npersistence false\n" % self.port + login)
            if os.getuid() == 0:
                f.write("user root\n")  # else it drops to "mosquitto", who cannot read tmp_path
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.log.close()


class Observer:
    """A host-side MQTT client recording every message it sees."""

    def __init__(self, port, topic="#"):
        self.messages = []  # (topic, payload text, retain)
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.messages.append((message.topic, message.payload.decode(), bool(message.retain)))

    def seen(self, topic=None, start=0):
        with self.lock:
            return [m for m in self.messages[start:] if topic is None or m[0] == topic]

    def mark(self):
        with self.lock:
            return len(self.messages)

    def wait(self, what, check, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError("waited %d s for %s; saw %r" % (timeout, what, self.seen()[-30:]))

    def wait_state(self, wid, payload, start=0, timeout=10):
        return self.wait("%s = %r" % (wid, payload), lambda: any(
            m[1] == payload for m in self.seen(BASE + wid + "/state", start)), timeout)

    def publish(self, topic, payload, retain=False):
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def broker(tmp_path):
    b = Broker(str(tmp_path)).start()
    yield b
    b.stop()


@pytest.fixture
def bridged(start_device, broker, tmp_path):
    """(device, observer): the test app bridged to the broker, once it is online."""
    (tmp_path / "app.py").write_text(APP % {"broker": broker.port, "node": NODE})
    observer = Observer(broker.port)
    dev = start_device(script="app.py", cwd=str(tmp_path))
    observer.wait("online", lambda: observer.seen(BASE + "status")
                  and observer.seen(BASE + "status")[-1][1] == "online")
    observer.wait_state("count", "None")  # the last of the states sent on connecting
    yield dev, observer
    observer.close()


def configs(observer):
    found = {}
    for topic, payload, retain in observer.seen():
        parts = topic.split("/")
        if parts[0] == "homeassistant" and parts[-1] == "config":
            found[parts[3]] = (parts[1], parts[2], json.loads(payload), retain)
    return found


def data(dev):
    return dev.request("/data")[2]["values"]


def test_discovery_configs_carry_what_home_assistant_needs(bridged, broker):
    dev, observer = bridged
    observer.wait("every config", lambda: len(configs(observer)) == len(EXPECTED))
    # A client arriving later gets them from the broker: retained.
    late = Observer(broker.port)
    found = late.wait("every config", lambda: len(configs(late)) == len(EXPECTED)
                      and configs(late))
    ids = set()
    for wid, (component, keys) in EXPECTED.items():
        got_component, node, config, retain = found[wid]
        assert (got_component, node, retain) == (component, NODE, True), wid
        for key, value in keys.items():
            assert config.get(key) == value, (wid, key, config)
        assert "object_id" not in config
        assert config["name"]
        # Every config names its device; the device's details (its link in
        # Home Assistant: the board's page) ride on one config, the one with
        # the fewest keys of its own, and Home Assistant keeps them.
        if wid == "fan":
            assert config["dev"] == {"ids": ["splitdash_" + NODE], "name": "Bridge test",
                                     "mdl": "splitdash", "sw": "0.1.0 (MicroPython linux)",
                                     "cu": dev.url + "/"}
            assert config["o"] == {"name": "splitdash", "sw": "0.1.0", "url": dev.url + "/"}
        else:
            assert config["dev"] == {"ids": ["splitdash_" + NODE], "name": "Bridge test"}
            assert config["o"] == {"name": "splitdash", "sw": "0.1.0"}
        # "~" stands for the board's topic at their start.
        assert config["~"] == BASE[:-1]
        assert config["avty_t"] == "~/status"
        assert ("cmd_t" in config) == (wid in ("fan", "led", "burst", "leave"))
        assert config.get("cmd_t", "~/%s/set" % wid) == "~/%s/set" % wid
        # A button has no state to show.
        assert config.get("stat_t", "~/%s/state" % wid) == "~/%s/state" % wid
        assert ("stat_t" in config) == (component != "button")
        ids.add(config["uniq_id"])
    assert len(ids) == len(EXPECTED)
    sizes = [len(m[1].encode()) for m in late.seen() if m[0].endswith("/config")]
    assert len(sizes) == len(EXPECTED) and max(sizes) < CONFIG_MAX, sizes
    # Retained states, as text Home Assistant reads.
    try:
        for wid, text in (("temperature", "21.5"), ("tank", "40"), ("wind", "90"),
                          ("fan", "OFF"), ("led", "0"), ("count", "None")):
            late.wait_state(wid, text)
            assert all(m[2] for m in late.seen(BASE + wid + "/state")), "%s not retained" % wid
        late.wait("status online, retained",
                  lambda: late.seen(BASE + "status") == [(BASE + "status", "online", True)])
    finally:
        late.close()


def as_home_assistant_reads(config, payload):
    """The state Home Assistant makes of a payload: the config's template
    (``val_tpl``) rendered with ``value`` and, for JSON, ``value_json``, as
    its MQTT integration renders it; the payload itself without one."""
    if "val_tpl" not in config:
        return payload
    variables = {"value": payload}
    try:
        variables["value_json"] = json.loads(payload)
    except ValueError:
        pass
    return jinja2.Environment().from_string(config["val_tpl"]).render(variables)


def test_an_empty_text_stays_a_retained_state_home_assistant_reads_as_empty(bridged, broker):
    dev, observer = bridged
    # An empty payload published retained would delete the retained state:
    # Home Assistant restarted would find nothing and show "unknown".
    assert data(dev)["status"] == ""
    observer.wait_state("status", '""')
    late = Observer(broker.port)
    try:
        late.wait_state("status", '""')
        assert late.seen(BASE + "status/state") == [(BASE + "status/state", '""', True)]
        config = late.wait("the config", lambda: configs(late).get("status"))[2]
    finally:
        late.close()
    assert as_home_assistant_reads(config, '""') == ""
    for text in ("fan on", "None", "21.5", "'quoted'", '"'):
        assert as_home_assistant_reads(config, text) == text
    mark = observer.mark()
    observer.publish(BASE + "fan/set", "ON")
    observer.wait_state("status", "fan on", mark)


def test_commands_take_the_same_road_as_a_browser_write(bridged):
    dev, observer = bridged
    start = observer.mark()
    observer.publish(BASE + "fan/set", "ON")
    observer.wait_state("fan", "ON", start)
    observer.wait_state("status", "fan on", start)  # its callback ran
    assert data(dev)["fan"] is True
    observer.publish(BASE + "led/set", "35")
    observer.wait_state("led", "35", start)
    assert data(dev)["led"] == 35

    # Refused: off the step grid, out of range, wrong type, unknown, read-only.
    for topic, payload in (("led/set", "33"), ("led/set", "500"), ("led/set", "bright"),
                           ("fan/set", "maybe")):
        mark = observer.mark()
        observer.publish(BASE + topic, payload)
        wid = topic.split("/")[0]
        # The real value is published again for the sender to see.
        observer.wait_state(wid, "35" if wid == "led" else "ON", mark)
    observer.publish(BASE + "nosuch/set", "1")
    observer.publish(BASE + "temperature/set", "99")
    time.sleep(0.3)
    values = data(dev)
    assert (values["led"], values["fan"], values["temperature"]) == (35, True, 21.5)
    out = dev.output()
    assert "MQTT command for 'led' refused: 'led': 33 is not a multiple of step 5" in out
    assert "refused: no widget 'nosuch' on MQTT" in out
    assert "'temperature' is read-only" in out

    # A browser's write reaches MQTT.
    mark = observer.mark()
    status, _, _ = dev.request("/data", {"fan": False}, headers={"Content-Type": "application/json"})
    assert status == 200
    observer.wait_state("fan", "OFF", mark)

    # A button press reaches its callback.
    mark = observer.mark()
    observer.publish(BASE + "burst/set", "PRESS")
    observer.wait_state("status", "burst done", mark)


def test_a_retained_command_is_ignored(start_device, broker, tmp_path):
    # Left on the broker before the board connects: it arrives flagged as
    # retained when the board subscribes, and every reconnect would repeat it.
    observer = Observer(broker.port)
    observer.publish(BASE + "fan/set", "ON", retain=True)
    (tmp_path / "app.py").write_text(APP % {"broker": broker.port, "node": NODE})
    dev = start_device(script="app.py", cwd=str(tmp_path))
    try:
        observer.wait("the device to report it", lambda: "retained command for 'fan' ignored"
                      in dev.output())
        assert data(dev)["fan"] is False
        assert "fan on" not in dev.output()
    finally:
        observer.publish(BASE + "fan/set", "", retain=True)  # clears it from the broker
        observer.close()


def test_a_burst_of_changes_is_one_publish_per_widget(bridged):
    dev, observer = bridged
    mark = observer.mark()
    dev.request("/data", {"burst": True}, headers={"Content-Type": "application/json"})
    observer.wait_state("status", "burst done", mark)
    time.sleep(0.5)
    assert [m[1] for m in observer.seen(BASE + "count/state", mark)] == ["19"]


def test_home_assistant_coming_online_gets_discovery_and_states_again(bridged):
    dev, observer = bridged
    observer.wait("every config", lambda: len(configs(observer)) == len(EXPECTED))
    mark = observer.mark()
    observer.publish("homeassistant/status", "online")
    observer.wait("discovery again", lambda: len(
        [m for m in observer.seen(start=mark) if m[0].endswith("/config")]) == len(EXPECTED))
    observer.wait_state("temperature", "21.5", mark)
    observer.wait_state("fan", "OFF", mark)


def test_a_killed_board_leaves_its_will_offline(bridged):
    dev, observer = bridged
    dev.proc.kill()
    dev.proc.wait(5)
    observer.wait("the will", lambda: observer.seen(BASE + "status")[-1][1] == "offline")


def test_a_clean_stop_says_offline(bridged):
    dev, observer = bridged
    mark = observer.mark()
    dev.request("/data", {"leave": True}, headers={"Content-Type": "application/json"})
    observer.wait("offline", lambda: [m[1] for m in observer.seen(BASE + "status", mark)]
                  == ["offline"])
    time.sleep(0.5)
    assert dev.proc.poll() is None  # the board itself goes on
    assert dev.request("/data")[0] == 200


def test_broker_restart_reconnects_with_bounded_attempts_and_pages_stay_served(bridged, broker):
    dev, observer = bridged
    observer.close()
    broker.stop()
    down_s = 6
    deadline = time.time() + down_s
    answered = 0
    while time.time() < deadline:
        assert dev.request("/data")[0] == 200  # the page is served the whole time
        answered += 1
        time.sleep(0.2)
    attempts = dev.output().count("unreachable")
    # Backoff from 1 s doubling, drawn from half to all of each step: in
    # 6 s at most 1 + 2 + 4 s of waits, so no more than 5 attempts.
    assert 1 <= attempts <= 5, dev.output()
    broker.start()
    back = Observer(broker.port)
    try:
        back.wait("online again", lambda: back.seen(BASE + "status")
                  and back.seen(BASE + "status")[-1][1] == "online", timeout=20)
        back.wait_state("temperature", "21.5")
        assert dev.request("/data")[0] == 200
    finally:
        back.close()
    assert answered >= down_s * 3


MANY = """
import asyncio
import gc
import sys

from dashboard import Dashboard
from dashschema.kinds import Label, Number, Slider, Toggle
from mqtt_bridge import MqttBridge

dash = Dashboard("Thirty", static_dir=None, state_file=None)
for i in range(10):
    dash.add(Number("n%%d" %% i, "Reading %%d" %% i, unit="°C"))
    dash.add(Toggle("t%%d" %% i, "Switch %%d" %% i))
    dash.add(Slider("s%%d" %% i, "Level %%d" %% i, min=0, max=100, step=1, unit="%%"))
bridge = MqttBridge(dash, "127.0.0.1", %(broker)d, node="%(node)s")


async def readings():
    n = 0
    while True:
        n += 1
        for i in range(10):
            dash.set("n%%d" %% i, n + i / 10)
        await asyncio.sleep_ms(100)


async def main(port):
    asyncio.create_task(readings())
    asyncio.create_task(bridge.run())
    await dash.serve("127.0.0.1", port)

asyncio.run(main(int(sys.argv[1])))
"""


# 30 widgets and the bridge need 112K on this 64-bit unix port, whose
# objects take twice a board's bytes, and 80K on a 32-bit build (make
# bench's MQTT rows, a precompiled device). This app is compiled from
# source as it starts, and is read over HTTP as it runs: at 120K one
# publish in a few runs finds no heap.
BRIDGED_HEAP = "128K"


def test_thirty_widgets_bridged_in_a_small_heap(start_device, broker, tmp_path):
    (tmp_path / "app.py").write_text(MANY % {"broker": broker.port, "node": NODE})
    observer = Observer(broker.port)
    try:
        dev = start_device(script="app.py", cwd=str(tmp_path), heap=BRIDGED_HEAP)
        observer.wait("30 configs", lambda: len(configs(observer)) == 30)
        for i in range(10):
            observer.publish(BASE + "t%d/set" % i, "ON")
            observer.publish(BASE + "s%d/set" % i, str(i * 10))
        observer.wait("every command applied", lambda: all(
            data(dev)["t%d" % i] is True and data(dev)["s%d" % i] == i * 10 for i in range(10)))
        time.sleep(2)  # ten readings a second keep going out
        out = dev.output()
        assert "MemoryError" not in out and "Traceback" not in out, out[-2000:]
        assert dev.proc.poll() is None
    finally:
        observer.close()


CLIENT = """
import asyncio
import sys
sys.path.insert(0, %(device)r)
from mqtt_client import MqttClient

got = []


def on_message(topic, payload, retain):
    got.append([topic, payload.decode(), retain])


def client():
    return MqttClient("127.0.0.1", %(port)d, "cpython", user=%(user)r, password=%(password)r,
                      on_message=on_message)


async def main():
    first = client()
    try:
        await first.connect()
    except OSError as exc:
        print(json.dumps({"refused": str(exc)}))
        return
    await first.disconnect()
    second = client()

    async def connected():
        await second.publish("t/kept", "kept", retain=True, qos=1)
        await second.subscribe("t/#", qos=1)
        await second.publish("t/live", "live", qos=1)
        await second.publish("t/fast", "fast")
        for _ in range(100):
            if len(got) >= 3:
                break
            await asyncio.sleep(0.05)
        await second.disconnect()

    await second.run(connected)
    print(json.dumps({"got": sorted(got)}))

import json
asyncio.run(main())
"""


def run_cpython_client(port, user=None, password=None):
    script = CLIENT % {"device": os.path.join(ROOT, "device"), "port": port,
                       "user": user, "password": password}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_client_runs_unchanged_on_cpython_with_qos1_and_retain(broker):
    assert run_cpython_client(broker.port) == {"got": [
        ["t/fast", "fast", False], ["t/kept", "kept", True], ["t/live", "live", False]]}


def test_the_client_logs_in_and_a_wrong_password_is_refused(tmp_path):
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "board", "s3cret"],
                   check=True, capture_output=True)
    b = Broker(str(tmp_path), "allow_anonymous false\npassword_file %s\n" % passwords)
    b.start()
    try:
        assert "got" in run_cpython_client(b.port, "board", "s3cret")
        refused = run_cpython_client(b.port, "board", "wrong")
        assert "not authorized" in refused["refused"] or "bad user" in refused["refused"]
    finally:
        b.stop()


#: What Home Assistant files the demo's widgets under: (device class,
#: entity category), checked for those of them the example still has; on
#: MQTT are those of a kind in the bridge's KINDS (its charts and log are not).
DEMO = {"temperature": ("temperature", None), "humidity": ("humidity", None),
        "mode": (None, None), "setpoint": ("temperature", "config"), "fan": (None, None),
        "tank": (None, None), "soil": ("moisture", None), "pump": (None, "diagnostic"),
        "led": (None, None), "led_colour": (None, None), "wind": ("wind_direction", None),
        "uptime": ("duration", "diagnostic"), "reset": (None, "diagnostic"),
        "note": (None, None)}


def bridged_kinds():
    """The kinds the demo puts on MQTT: the bridge's, and its compass."""
    sys.path[:0] = [os.path.join(ROOT, "device"), os.path.join(ROOT, "shared")]
    try:
        from mqtt_bridge import KINDS
    finally:
        del sys.path[:2]
    return set(KINDS) | {"compass"}


def test_the_demo_joins_the_broker_named_in_its_config(start_device, broker):
    config = os.path.join(BOARD, "config.json")
    with open(config, "w") as f:
        json.dump({"mqtt_broker": "127.0.0.1", "mqtt_port": broker.port, "mqtt_node": "greenhouse",
                   "mqtt_prefix": "ha"}, f)
    observer = Observer(broker.port)
    try:
        dev = start_device()
        bridged = {w["id"] for w in dev.request("/schema")[2]["widgets"]
                   if w["kind"] in bridged_kinds()}
        found = observer.wait("the demo's configs", lambda: len(
            [m for m in observer.seen() if m[0].endswith("/config")]) == len(bridged)
            and observer.seen())
        observer.wait("its temperature", lambda: observer.seen(
            "splitdash/greenhouse/temperature/state"))
        # The uptime is a number of seconds, which Home Assistant can graph.
        uptime = observer.wait("the uptime", lambda: observer.seen(
            "splitdash/greenhouse/uptime/state"))
        assert uptime[-1][1].isdigit(), uptime
    finally:
        observer.close()
        os.remove(config)
    configs = {}
    for topic, payload, retain in found:
        if topic.endswith("/config"):
            assert len(payload.encode()) < CONFIG_MAX, (topic, len(payload.encode()), payload)
            configs[topic.split("/")[3]] = json.loads(payload)
    assert set(configs) == bridged
    assert {wid: (c.get("device_class"), c.get("entity_category"))
            for wid, c in configs.items() if wid in DEMO} == \
        {wid: filed for wid, filed in DEMO.items() if wid in bridged}
    assert configs["uptime"]["unit_of_meas"] == "s"
    # The device's link in Home Assistant: the page, where the demo serves it.
    links = [c["dev"]["cu"] for c in configs.values() if "cu" in c["dev"]]
    assert links == ["http://localhost:%d/" % dev.port]
    assert all(c["o"]["name"] == "splitdash" and c["o"]["sw"] for c in configs.values())


def test_board_config_checks_the_mqtt_settings():
    script = (
        "import board_config\n"
        "for text in ('{\"mqtt_node\": \"green house\"}', '{\"mqtt_port\": 0}',"
        " '{\"mqtt_broker\": 5}'):\n"
        "    try:\n"
        "        board_config.parse(text)\n"
        "        print('accepted', text)\n"
        "    except board_config.ConfigError as exc:\n"
        "        print(exc)\n"
        "c = board_config.parse('{\"mqtt_broker\": \"10.0.0.2\", \"mqtt_node\": \"shed-2\"}')\n"
        "print(c['mqtt_broker'], c['mqtt_port'], c['mqtt_node'], c['mqtt_prefix'])\n")
    out = run_micropython(["-c", script])
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "config.json: mqtt_node must be letters, digits, _ and - only, or null",
        "config.json: mqtt_port must be a whole number from 1 to 65535",
        "config.json: mqtt_broker must be a host name or address, or null",
        "10.0.0.2 1883 shed-2 homeassistant"]


def test_a_device_class_home_assistant_cannot_take_is_refused_when_bridged():
    script = (
        "from dashboard import Dashboard\n"
        "from dashschema.inputs import Select\n"
        "from dashschema.chart import Chart\n"
        "from mqtt_bridge import MqttBridge\n"
        "dash = Dashboard('T', static_dir=None, state_file=None)\n"
        "dash.add(Chart('history', device_class='temperature'))\n"
        "MqttBridge(dash, '127.0.0.1')\n"
        "print('a chart is not on MQTT: nothing to refuse')\n"
        "dash.add(Select('mode', options=('a', 'b'), device_class='enum'))\n"
        "try:\n"
        "    MqttBridge(dash, '127.0.0.1')\n"
        "except ValueError as exc:\n"
        "    print(exc)\n")
    out = run_micropython(["-c", script])
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "a chart is not on MQTT: nothing to refuse",
        "select 'mode': Home Assistant's select takes no device_class"]
