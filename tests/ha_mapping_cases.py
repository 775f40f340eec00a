"""Cases of the board's Home Assistant mapping (device/mqtt_bridge.py's
``KINDS`` and ``entity()``), run unchanged on CPython and on MicroPython
the way schema_cases.py runs (tests/test_ha_mapping.py): each kind's
component and config, device classes and categories. States and commands
are taken to a real broker by tests/test_mqtt.py."""

import mqtt_bridge
from dashschema.chart import Chart
from dashschema.inputs import Color, NumberInput, Select, TextInput
from dashschema.kinds import Button, Label, Level, Number, Slider, Toggle
from dashschema.log import Log
from dashschema.readouts import Gauge, Indicator
from compass import Compass
from schema_cases import eq, run

EMPTY_TEMPLATE = "{{'' if value=='\"\"' else value}}"


def config(widget):
    return mqtt_bridge.entity(widget)


def case_each_kind_is_its_component():
    widgets = (Label("l"), Number("n"), Level("v"), Gauge("g"), Indicator("i"), Toggle("t"),
               Slider("s"), NumberInput("ni"), Button("b"), Select("se", options=("a",)),
               TextInput("ti"), Color("c"))
    eq([config(w)[0] for w in widgets],
       ["sensor", "sensor", "sensor", "sensor", "sensor", "switch", "number", "number",
        "button", "select", "text", "text"])


def case_a_chart_a_log_and_a_kind_without_an_entry_are_not_on_mqtt():
    for widget in (Chart("c"), Log("l"), Compass("w")):
        eq(config(widget), None)


def case_readings_say_their_unit_precision_and_class():
    eq(config(Number("t", unit="°C", precision=2)),
       ("sensor", {"unit_of_meas": "°C", "stat_cla": "measurement", "sug_dsp_prc": 2,
                   "device_class": "temperature"}))
    eq(config(Number("c", precision=0)), ("sensor", {"stat_cla": "measurement",
                                                     "sug_dsp_prc": 0}))
    eq(config(Level("h", device_class="humidity")),
       ("sensor", {"unit_of_meas": "%", "stat_cla": "measurement", "sug_dsp_prc": 0,
                   "device_class": "humidity"}))
    eq(config(Gauge("m", unit="%", device_class="moisture"))[1]["device_class"], "moisture")
    eq(config(Number("u", unit="s", precision=0, device_class="duration",
                      entity_category="diagnostic")),
       ("sensor", {"unit_of_meas": "s", "stat_cla": "measurement", "sug_dsp_prc": 0,
                   "device_class": "duration", "entity_category": "diagnostic"}))
    # A total, not a measurement: Home Assistant keeps other statistics of it.
    eq(config(Number("e", unit="kWh", device_class="energy")),
       ("sensor", {"unit_of_meas": "kWh", "sug_dsp_prc": 1, "device_class": "energy"}))


def case_a_unit_suggests_a_class_only_beyond_doubt():
    for unit in ("°C", "°F"):
        eq(config(Number("n", unit=unit))[1].get("device_class"), "temperature")
    # "%" is humidity or moisture or a battery; the rest is said by the widget.
    for unit in ("%", "kWh", "W", "s", "ppm", "", "m"):
        eq(config(Number("n", unit=unit))[1].get("device_class"), None)
    # A set point in °C is a temperature too; a slider in % is nothing more.
    eq(config(NumberInput("sp", min=10, max=30, unit="°C"))[1]["device_class"], "temperature")
    eq(config(Slider("led", unit="%"))[1].get("device_class"), None)
    # What the widget says wins.
    eq(config(Number("n", unit="°C", device_class="dew_point"))[1]["device_class"], "dew_point")


def case_settings_and_diagnostics_are_filed():
    eq(config(NumberInput("sp", min=10, max=30, step=0.5, unit="°C")),
       ("number", {"min": 10, "max": 30, "step": 0.5, "mode": "box", "unit_of_meas": "°C",
                   "device_class": "temperature", "entity_category": "config"}))
    eq(config(NumberInput("sp", entity_category=None))[1].get("entity_category"), None)
    eq(config(Slider("s", min=-5, max=5, step=0.5, unit="mm")),
       ("number", {"min": -5, "max": 5, "step": 0.5, "mode": "slider", "unit_of_meas": "mm"}))
    eq(config(Button("reset", entity_category="diagnostic")),
       ("button", {"entity_category": "diagnostic"}))
    eq(config(Indicator("pump", entity_category="diagnostic")),
       ("sensor", {"entity_category": "diagnostic"}))
    eq(config(Toggle("t")), ("switch", {}))
    eq(config(Toggle("t", device_class="outlet")), ("switch", {"device_class": "outlet"}))


def case_texts_and_choices():
    eq(config(Select("s", options=("a", "b"))), ("select", {"options": ["a", "b"]}))
    eq(config(TextInput("t", max_length=9)), ("text", {"max": 9, "val_tpl": EMPTY_TEMPLATE}))
    eq(config(Color("c")), ("text", {"pattern": "^#[0-9a-fA-F]{6}$"}))
    eq(config(Label("l")), ("sensor", {"val_tpl": EMPTY_TEMPLATE}))


def case_a_custom_kind_joins_by_its_entry():
    kinds = mqtt_bridge.KINDS
    kinds["compass"] = "sensor"
    try:
        # The compass's own class, wind_direction: an angle, no measurement.
        eq(config(Compass("wind")), ("sensor", {"unit_of_meas": "°",
                                                "device_class": "wind_direction"}))
    finally:
        del kinds["compass"]


def cases():
    return sorted(name for name in globals() if name.startswith("case_"))


if __name__ == "__main__":
    run(globals())
