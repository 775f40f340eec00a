"""Widget schema cases that run unchanged on CPython and on MicroPython.

Each ``case_*`` function raises on failure. tests/test_schema.py runs them
under both runtimes; run as a script (``micropython schema_cases.py`` with
``shared/`` or the board's lib on the path) it prints one JSON line per case:
``{"case_name": "ok"}`` or ``{"case_name": "<what went wrong>"}``.
"""

import json

from dashschema import loader, registry, wire
from dashschema.kinds import Button, Label, Level, Number, Slider, Toggle
from dashschema.widget import Widget
from compass import Compass

NAN = float("nan")
INF = float("inf")


def eq(got, want):
    if got != want:
        raise AssertionError("got %r, want %r" % (got, want))


def same(got, want):
    """Equal and of the same type: 5 is not 5.0 on the wire."""
    eq(got, want)
    if type(got) is not type(want):
        raise AssertionError("%r is a %s, want a %s" % (
            got, type(got).__name__, type(want).__name__))


def raises(exc_type, f, *args, **kwargs):
    """Call f, expecting exc_type; returns the exception's message."""
    try:
        f(*args, **kwargs)
    except exc_type as exc:
        return str(exc)
    raise AssertionError("%r accepted, want %s" % (args, exc_type.__name__))


def rejects(widget, value, reason):
    """The widget refuses value, saying (part of) reason."""
    try:
        widget.validate(value)
    except ValueError as exc:
        if reason not in str(exc):
            raise AssertionError("%r rejected %r with %r, want %r" % (
                widget.id, value, str(exc), reason))
        return
    raise AssertionError("%r accepted %r" % (widget.id, value))


def bad_params(cls, reason, *args, **params):
    message = raises(ValueError, cls, "w", *args, **params)
    if reason not in message:
        raise AssertionError("%s%r: %r, want %r" % (cls.kind, params, message, reason))


# ---- validators -----------------------------------------------------------

def case_toggle_accepts_only_bools():
    t = Toggle("fan")
    same(t.validate(True), True)
    same(t.validate(False), False)
    rejects(t, 1, "expected true or false, got int")
    rejects(t, 0, "got int")
    rejects(t, "true", "got text")
    rejects(t, None, "got null")
    rejects(t, 1.0, "got float")
    rejects(t, [True], "got list")
    same(t.initial, False)


def case_slider_accepts_values_on_steps():
    s = Slider("led", min=0, max=100, step=5)
    same(s.validate(0), 0)
    same(s.validate(100), 100)
    same(s.validate(35), 35)
    # A browser's 35.0 is stored as the int the schema promises.
    same(s.validate(35.0), 35)
    same(s.initial, 0)
    half = Slider("x", min=-1, max=1, step=0.5)
    same(half.validate(-0.5), -0.5)
    same(half.initial, -1)
    # Decimal steps survive binary floating point: 0.3 is three 0.1 steps.
    tenth = Slider("y", min=0, max=1, step=0.1)
    same(tenth.validate(0.3), 0.3)
    same(tenth.validate(1.0), 1.0)


def case_slider_rejects_out_of_range_without_clamping():
    s = Slider("led", min=0, max=100, step=5)
    rejects(s, 105, "105 is outside 0..100")
    rejects(s, -5, "-5 is outside 0..100")
    rejects(s, 100.5, "outside 0..100")


def case_slider_rejects_off_step():
    s = Slider("led", min=0, max=100, step=5)
    rejects(s, 7, "7 is not a multiple of step 5 from 0")
    rejects(s, 35.5, "not a multiple of step 5")
    shifted = Slider("z", min=1, max=9, step=2)
    same(shifted.validate(5), 5)
    rejects(shifted, 4, "not a multiple of step 2 from 1")


def case_slider_rejects_non_numbers():
    s = Slider("led", min=0, max=100, step=5)
    rejects(s, True, "expected a number, got true")
    rejects(s, "50", "expected a number, got text")
    rejects(s, None, "expected a number, got null")
    rejects(s, [50], "got list")
    rejects(s, NAN, "expected a number")
    rejects(s, INF, "expected a number")
    rejects(s, -INF, "expected a number")


def case_number_turns_nan_and_inf_into_none():
    n = Number("t", precision=1)
    same(n.validate(NAN), None)
    same(n.validate(INF), None)
    same(n.validate(-INF), None)
    same(n.validate(None), None)
    same(n.initial, None)


def case_number_rounds_to_precision():
    same(Number("t", precision=1).validate(21.04999), 21.0)
    same(Number("t", precision=2).validate(3.14159), 3.14)
    # No decimals shown: an int goes on the wire, 42 not 42.0.
    same(Number("t", precision=0).validate(41.7), 42)
    same(Number("t").validate(-7.25001), -7.3)
    same(Number("t", precision=3).validate(12), 12)


def case_number_rejects_non_numbers():
    n = Number("t")
    rejects(n, "12", "expected a number, got text")
    rejects(n, True, "expected a number, got true")
    rejects(n, [1], "expected a number, got list")


def case_label_holds_text():
    lab = Label("msg")
    same(lab.initial, "")
    same(lab.validate("hello °C"), "hello °C")
    same(lab.validate(""), "")
    same(lab.validate(42), "42")
    # A failed reading shows as an empty label, not "nan".
    same(lab.validate(NAN), "")
    same(lab.validate(None), "")


def case_level_keeps_overshoot_and_drops_nan():
    lvl = Level("tank", min=0, max=100)
    same(lvl.validate(50), 50)
    same(lvl.validate(62.4), 62)
    # A sensor may read past the ends; the value is kept, the bar is clamped.
    same(lvl.validate(104), 104)
    same(Level("t", min=0, max=1, precision=2).validate(-0.123), -0.12)
    same(lvl.validate(NAN), None)
    same(lvl.validate(INF), None)
    rejects(lvl, "50", "expected a number, got text")
    rejects(lvl, False, "expected a number, got false")


def case_button_accepts_only_true():
    b = Button("reset")
    same(b.validate(True), True)
    rejects(b, False, "send true to press, got false")
    rejects(b, 1, "got int")
    rejects(b, "true", "got text")
    rejects(b, None, "got null")
    eq(b.momentary, True)
    eq(b.writable, True)


def case_compass_wraps_and_rounds():
    c = Compass("wind")
    same(c.validate(370), 10)
    same(c.validate(-10), 350)
    same(c.validate(359.96), 0.0)
    same(c.validate(-0.04), 0.0)
    same(c.validate(359.94), 359.9)
    same(c.validate(123.456), 123.5)
    same(c.validate(NAN), None)
    rejects(c, "north", "expected a bearing in degrees")
    rejects(c, True, "expected a bearing in degrees")


def case_writable_flags():
    for cls in (Toggle, Slider, Button):
        eq((cls.kind, cls.writable), (cls.kind, True))
    for cls in (Label, Number, Level, Compass):
        eq((cls.kind, cls.writable), (cls.kind, False))


# ---- parameters -----------------------------------------------------------

def case_bad_parameters_are_rejected_at_construction():
    bad_params(Slider, "min must be below max", min=10, max=10)
    bad_params(Slider, "min must be below max", min=10, max=5)
    bad_params(Level, "min must be below max", min=1, max=0)
    bad_params(Slider, "min must be a number", min="0")
    bad_params(Level, "max must be a number", max=None)
    bad_params(Slider, "step must be a positive number", step=0)
    bad_params(Slider, "step must be a positive number", step=-5)
    bad_params(Number, "precision must be a whole number from 0 to 6", precision=-1)
    bad_params(Number, "precision must be a whole number", precision=7)
    bad_params(Number, "precision must be a whole number", precision=1.5)
    bad_params(Number, "precision must be a whole number", precision=True)
    bad_params(Toggle, "unknown parameter 'unit'", unit="%")
    bad_params(Slider, "unknown parameter 'maximum'", maximum=5)
    bad_params(Compass, "unknown parameter 'precision'", precision=1)
    # The message says which widget is at fault.
    eq(raises(ValueError, Slider, "led", min=5, max=1), "slider 'led': min must be below max")


def case_bad_ids_are_rejected():
    raises(ValueError, Toggle, "")
    raises(ValueError, Toggle, None)
    raises(ValueError, Toggle, 7)


def case_label_defaults_to_id():
    eq(Toggle("fan").label, "fan")
    eq(Toggle("fan", "Fan").label, "Fan")


# ---- registry -------------------------------------------------------------

# Non-default parameters for every kind, so a lost parameter shows.
SAMPLES = {
    "label": {},
    "number": {"unit": "°C", "precision": 2},
    "level": {"min": -20, "max": 50.5, "unit": "l", "precision": 1},
    "toggle": {},
    "slider": {"min": 10, "max": 20, "step": 0.5, "unit": "%"},
    "button": {},
    "compass": {"unit": "deg"},
}


def case_registry_knows_every_kind():
    for kind in SAMPLES:
        if kind not in registry.KINDS:
            raise AssertionError("kind %r not registered" % kind)
    eq(registry.KINDS["compass"], Compass)


def case_from_dict_round_trips_to_dict():
    for kind in sorted(SAMPLES):
        cls = registry.KINDS[kind]
        widget = cls("w_" + kind, "Widget " + kind, **SAMPLES.get(kind, {}))
        spec = widget.to_dict()
        # Through JSON, as on the wire.
        again = loader.from_dict(json.loads(json.dumps(spec)))
        eq(type(again), cls)
        eq(again.to_dict(), spec)
        eq(spec["kind"], kind)
        eq(spec["id"], "w_" + kind)
        eq(spec["label"], "Widget " + kind)
        for name, value in SAMPLES.get(kind, {}).items():
            eq(spec[name], value)
        eq(again.writable, widget.writable)


def case_from_dict_fills_defaults_and_ignores_unknown_keys():
    w = loader.from_dict({"id": "led", "kind": "slider", "max": 50, "color": "red"})
    eq(w.to_dict(), {"id": "led", "kind": "slider", "label": "led",
                     "min": 0, "max": 50, "step": 1, "unit": ""})


def case_from_dict_unknown_kind_raises_keyerror():
    raises(KeyError, loader.from_dict, {"id": "x", "kind": "thermometer"})


def case_from_dict_bad_params_raise_valueerror():
    raises(ValueError, loader.from_dict, {"id": "x", "kind": "slider", "min": 5, "max": 5})
    raises(ValueError, loader.from_dict, {"id": "x", "kind": "number", "precision": 9})


# ---- writes ---------------------------------------------------------------

def _widgets():
    ws = [Toggle("fan"), Slider("led", min=0, max=100, step=5), Number("temp"),
          Label("status"), Button("reset"), Compass("wind")]
    index = {}
    for w in ws:
        index[w.id] = w
    return index.get


def _write_error(changes):
    try:
        result = wire.check_writes(changes, _widgets())
    except wire.WriteError as exc:
        return exc
    raise AssertionError("write %r accepted: %r" % (changes, result))


def case_check_writes_returns_validated_values():
    accepted = wire.check_writes({"fan": True, "led": 35.0, "reset": True}, _widgets())
    got = {}
    for widget, value in accepted:
        got[widget.id] = value
    eq(got, {"fan": True, "led": 35, "reset": True})
    same(got["led"], 35)


def case_check_writes_is_all_or_nothing():
    # One bad value spoils the lot, whichever order the dict iterates in.
    exc = _write_error({"fan": True, "led": 7, "reset": True})
    eq(exc.widget, "led")
    eq(exc.reason, "'led': 7 is not a multiple of step 5 from 0")
    exc = _write_error({"led": 50, "fan": "on"})
    eq(exc.widget, "fan")
    if "expected true or false" not in exc.reason:
        raise AssertionError(exc.reason)


def case_check_writes_names_the_widget():
    exc = _write_error({"pump": True})
    eq(exc.to_dict(), {"error": "no widget 'pump'", "widget": "pump"})
    exc = _write_error({"led": 500})
    eq(exc.to_dict(), {"error": "'led': 500 is outside 0..100", "widget": "led"})
    eq(str(exc), "'led': 500 is outside 0..100")
    if not isinstance(exc, ValueError):
        raise AssertionError("WriteError is not a ValueError")


def case_check_writes_rejects_read_only():
    for wid, value in (("temp", 20.5), ("status", "hi"), ("wind", 90)):
        exc = _write_error({wid: value})
        eq(exc.to_dict(), {"error": "%r is read-only" % wid, "widget": wid})


def case_check_writes_rejects_non_objects():
    for changes in ({}, [], ["fan"], None, "fan", 1, True):
        exc = _write_error(changes)
        eq(exc.to_dict(), {"error": "expected a JSON object of {widget id: value}",
                           "widget": None})


def case_messages_keep_declaration_order():
    ws = [Toggle("b"), Number("a"), Label("c")]
    msg = wire.schema_message("T", "0123abcd", ws, 2)
    eq([w["id"] for w in msg["widgets"]], ["b", "a", "c"])
    eq(msg["title"], "T")
    eq(msg["poll_s"], 2)
    eq(msg["boot"], "0123abcd")
    eq(wire.state_message("0123abcd", 3, {"a": 1}),
       {"boot": "0123abcd", "version": 3, "values": {"a": 1}})


# ---- Home Assistant's words: device_class, entity_category -----------------------


def case_no_kind_carries_home_assistant_code():
    # MQTT lives on the board's side (mqtt_bridge.py): a page, or a board
    # without MQTT, loads none of it.
    for cls in (Widget, Label, Number, Level, Toggle, Slider, Button, Compass):
        for name in ("ha_component", "ha_config", "to_text", "from_text"):
            if hasattr(cls, name):
                raise AssertionError("%s has %s" % (cls.__name__, name))


def case_device_class_and_entity_category_are_checked_when_declared():
    n = Number("t", unit="°C", device_class="temperature", entity_category="diagnostic")
    eq((n.device_class, n.entity_category), ("temperature", "diagnostic"))
    eq(Number("p", device_class="pm25").device_class, "pm25")
    eq(Toggle("t", entity_category="config").entity_category, "config")
    eq(Button("b", entity_category=None).entity_category, None)
    for bad in (5, "", "Temperature", "wind direction", "2nd", ["temperature"], True):
        bad_params(Number, 'device_class must be a name such as "temperature"', device_class=bad)
    for bad in ("Config", "system", "", 1, True):
        bad_params(Toggle, 'entity_category must be "diagnostic", None, or "config" on a widget '
                   'a user sets', entity_category=bad)
    # A setting is something a user sets: Home Assistant refuses a sensor as one.
    for cls in (Number, Label, Level):
        bad_params(cls, 'entity_category must be "diagnostic", None, or "config" on a widget '
                   'a user sets', entity_category="config")
    bad_params(Number, "unknown parameter 'device_clas'", device_clas="temperature")
    eq(raises(ValueError, Number, "t", device_class=5),
       "number 't': device_class must be a name such as \"temperature\"")


def case_a_widget_saying_nothing_keeps_no_slot_for_them():
    # Class defaults: what is not given costs a widget nothing.
    n = Number("n")
    eq((n.device_class, n.entity_category), (None, None))
    for name in ("device_class", "entity_category"):
        if name in n.__dict__:
            raise AssertionError("%s set on a widget that did not give it" % name)
    eq(Compass("c").device_class, "wind_direction")  # a kind's own


def case_home_assistant_words_stay_out_of_the_schema():
    spec = Number("t", "T", unit="s", device_class="duration",
                  entity_category="diagnostic").to_dict()
    eq(spec, {"id": "t", "kind": "number", "label": "T", "unit": "s", "precision": 1})


def cases():
    return sorted(name for name in globals() if name.startswith("case_"))


def run(namespace=None):
    """Print each case's outcome; ``namespace``: another module's globals,
    to run its cases."""
    namespace = namespace or globals()
    for name in namespace["cases"]():
        try:
            namespace[name]()
            result = "ok"
        except Exception as exc:
            result = "%s: %s" % (type(exc).__name__, exc)
        print(json.dumps({name: result}))


if __name__ == "__main__":
    run()
