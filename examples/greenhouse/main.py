"""The splitdash example app: a greenhouse with simulated sensors.

Run on the unix port: ``micropython main.py [port [mqtt-host[:port]]]``; on a
board ``main.py`` starts it at boot. Swap ``sensors_sim`` for real drivers
and nothing else changes. Settings (title, port, tokens, WiFi, MQTT) come
from ``config.json``, see ``board_config.py``; the command line wins.
"""

import asyncio
import sys

from dashboard import Dashboard
from dashschema.kinds import Button, Level, Number, Slider, Toggle
from dashschema.chart import Chart
from dashschema.inputs import Color, NumberInput, Select, TextInput
from dashschema.readouts import Gauge, Indicator
from dashschema.log import Log
from compass import Compass
from thermostat import Thermostat
import sensors_sim as sensors


def settings():
    """The board's config.json, once WiFi is up, with the board's address
    (None on the unix port). Its module is needed only at boot: dropped
    then, it leaves its heap to the pages."""
    import board_config
    config = board_config.load()
    config["address"] = board_config.start_network(config)
    del sys.modules["board_config"]
    return config


config = settings()
dash = Dashboard(config["title"] or "Greenhouse", token=config["token"],
                 read_token=config["read_token"], cors_origins=config["cors_origins"])
with dash.group("Climate"):
    dash.add(Number("temperature", "Temperature", unit="°C", precision=1))
    dash.add(Number("humidity", "Humidity", unit="%", precision=0, device_class="humidity"))
    dash.add(Select("mode", "Fan mode", options=("auto", "on", "off")))
    dash.add(NumberInput("setpoint", "Fan above", min=10, max=35, step=0.5, unit="°C"), 25)
    dash.add(Toggle("fan", "Fan"))
    # The board reads the temperature into it; a page may change its set point alone.
    dash.add(Thermostat("heating", "Heating", min=5, max=30, step=0.5),
             {"current": None, "target": 18})
    dash.add(Chart("temperature_history", "Temperature", series=("inside", "outside"),
                   unit="°C", points=240))
    dash.add(Chart("humidity_history", "Humidity", series=("inside", "outside"), unit="%",
                   precision=0, points=240))
with dash.group("Water"):
    dash.add(Level("tank", "Water tank", min=0, max=100, unit="%"))
    dash.add(Gauge("soil", "Soil moisture", unit="%", warning=35, critical=20,
                   device_class="moisture"))
    dash.add(Indicator("pump", "Pump", entity_category="diagnostic"))
with dash.group("Lights"):
    dash.add(Slider("led", "LED brightness", min=0, max=100, step=5, unit="%"))
    dash.add(Color("led_colour", "LED colour"), "#ffb000")
with dash.group("System"):
    dash.add(Compass("wind", "Wind direction"))
    # In seconds, a number Home Assistant can graph; the page shows "1 min 19 s".
    dash.add(Number("uptime", "Uptime", unit="s", precision=0, device_class="duration",
                    entity_category="diagnostic"))
    dash.add(Button("reset", "Reset uptime", entity_category="diagnostic"))
    dash.add(TextInput("note", "Note", max_length=40))
    dash.add(Log("events", "Events", lines=20))

_uptime_offset = 0


def _fan(on, why):
    if on != sensors.fan_on:
        dash.log("events", "fan %s (%s)" % ("on" if on else "off", why))
    sensors.set_fan(on)
    dash.set("fan", on)


@dash.on_write("fan")
def fan_changed(on):
    # Switched by hand: the set point no longer drives it.
    dash.set("mode", "on" if on else "off")
    _fan(on, "switched")


@dash.on_write("mode")
def mode_changed(mode):
    dash.log("events", "fan mode " + mode)
    if mode != "auto":
        _fan(mode == "on", "mode " + mode)


@dash.on_write("heating")
def heating_changed(value):
    dash.log("events", "heating set to %s °C" % value["target"])


@dash.on_write("led")
def led_changed(brightness):
    sensors.set_led(brightness)


@dash.on_write("led_colour")
def led_colour_changed(colour):
    sensors.set_led_colour(colour)


@dash.on_write("note")
def note_changed(text):
    dash.log("events", "note: " + text if text else "note cleared")


@dash.on_write("reset")
def reset_pressed(_):
    global _uptime_offset
    _uptime_offset = sensors.uptime_s()
    dash.set("uptime", 0)
    dash.log("events", "uptime reset")


async def read_sensors():
    while True:
        temperature, humidity = sensors.temperature(), sensors.humidity()
        dash.set("temperature", temperature)
        dash.set("humidity", humidity)
        dash.set("heating", {"current": temperature, "target": dash.get("heating")["target"]})
        dash.set("temperature_history", {"inside": temperature,
                                         "outside": sensors.outside_temperature()})
        dash.set("humidity_history", {"inside": humidity, "outside": sensors.outside_humidity()})
        tank, last_tank = sensors.tank_level(), dash.get("tank")
        if last_tank is not None and tank > last_tank + 50:
            dash.log("events", "tank refilled")
        dash.set("tank", tank)
        dash.set("pump", ("warn", "tank low") if tank < 15 else ("ok", "watering"))
        dash.set("soil", sensors.soil_moisture())
        if dash.get("mode") == "auto":
            _fan(temperature > dash.get("setpoint"), "auto")
        dash.set("wind", sensors.wind_direction())
        dash.set("uptime", sensors.uptime_s() - _uptime_offset)
        await asyncio.sleep(1)


def start_mqtt(broker, port):
    """Every widget on MQTT and in Home Assistant, beside the page served
    on ``port``."""
    from mqtt_bridge import KINDS, MqttBridge  # only then: it costs heap
    # The compass is a reading in degrees to Home Assistant.
    KINDS["compass"] = "sensor"
    host, _, broker_port = broker.partition(":")
    page = "http://%s%s/" % (config["address"] or "localhost", "" if port == 80 else ":%d" % port)
    bridge = MqttBridge(dash, host, int(broker_port) if broker_port else config["mqtt_port"],
                        config["mqtt_user"], config["mqtt_password"],
                        config["mqtt_node"], config["mqtt_prefix"], url=page)
    asyncio.create_task(bridge.run())


async def main(port, broker=None):
    # The log tells from the start: a page opened after boot sees why it
    # holds what it holds, not "no lines yet".
    dash.log("events", "started, fan mode %s, fan above %s °C" % (dash.get("mode"),
                                                                    dash.get("setpoint")))
    asyncio.create_task(read_sensors())
    if broker:
        start_mqtt(broker, port)
    await dash.serve(port=port)


def run():
    """Serve until stopped, on the command line's port and broker if given."""
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else config["port"],
                     sys.argv[2] if len(sys.argv) > 2 else config["mqtt_broker"]))
