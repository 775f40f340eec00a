"""Cases of the widget set beyond the first six kinds, run unchanged on
CPython and on MicroPython the way schema_cases.py runs
(tests/test_widget_set.py): select, number_input, text_input, color, gauge,
indicator and log; groups in the schema; the loader finding a kind's
module by itself."""

import json

from dashschema import loader, registry, wire
from dashschema.inputs import Color, NumberInput, Select, TextInput
from dashschema.kinds import Toggle
from dashschema.log import Log
from dashschema.readouts import Gauge, Indicator
from schema_cases import INF, NAN, bad_params, eq, raises, rejects, run, same


def case_select_takes_only_its_options():
    s = Select("mode", options=("auto", "on", "off"))
    eq((s.writable, s.initial, s.options), (True, "auto", ("auto", "on", "off")))
    same(s.validate("on"), "on")
    rejects(s, "ON", "'ON' is not one of auto, on, off")
    rejects(s, "", "is not one of")
    rejects(s, 1, "expected text, got int")
    rejects(s, None, "expected text, got null")
    rejects(s, ["on"], "expected text, got list")
    eq(Select("m", options=["a", "b"]).options, ("a", "b"))  # a schema's list
    for options in ((), "abc", ("a", "a"), ("a", ""), ("a", 2), None):
        bad_params(Select, "options must be a tuple of distinct, non-empty texts", options=options)


def case_number_input_is_a_slider_value_typed():
    n = NumberInput("sp", min=10, max=35, step=0.5, unit="°C")
    eq((n.kind, n.writable, n.initial), ("number_input", True, 10))
    same(n.validate(21.5), 21.5)
    same(n.validate(21), 21)
    rejects(n, 21.3, "21.3 is not a multiple of step 0.5 from 10")
    rejects(n, 36, "36 is outside 10..35")
    rejects(n, "21", "expected a number, got text")
    rejects(n, NAN, "expected a number")
    rejects(n, INF, "expected a number")
    rejects(n, True, "got true")
    bad_params(NumberInput, "min must be below max", min=5, max=5)
    bad_params(NumberInput, "step must be a positive number", step=0)


def case_text_input_is_one_line_up_to_max_length():
    t = TextInput("note", max_length=5)
    eq((t.writable, t.initial), (True, ""))
    same(t.validate("hello"), "hello")
    same(t.validate(""), "")
    same(t.validate("°C ok"), "°C ok")
    rejects(t, "hello!", "6 characters, more than 5")
    rejects(t, "a\nb", "control characters")
    rejects(t, "a\tb", "control characters")
    rejects(t, 5, "expected text, got int")
    rejects(t, None, "expected text, got null")
    for n in (0, 256, 2.5, True, "5"):
        bad_params(TextInput, "max_length must be a whole number from 1 to 255", max_length=n)


def case_color_is_rrggbb():
    c = Color("c")
    eq((c.writable, c.initial), (True, "#000000"))
    same(c.validate("#1f8a70"), "#1f8a70")
    same(c.validate("#1F8A70"), "#1f8a70")  # the picker's own spelling
    for bad in ("1f8a70", "#1f8a7", "#1f8a700", "#1g8a70", "#0x8a70", "#+f8a70", "#1f_a70",
                "red", ""):
        rejects(c, bad, "expected a colour as #rrggbb")
    rejects(c, 0x1f8a70, "expected text, got int")
    rejects(c, None, "expected text, got null")


def case_gauge_reads_like_a_level_with_zones():
    g = Gauge("soil", unit="%", warning=35, critical=20)
    eq((g.writable, g.initial, g.min, g.max), (False, None, 0, 100))
    same(g.validate(41.6), 42)
    same(g.validate(NAN), None)
    same(g.validate(140), 140)  # kept as read; the dial is drawn full
    rejects(g, "40", "expected a number, got text")
    # warning above critical: low is bad.
    eq([g.zone(v) for v in (10, 20, 30, 35, 60, None)],
       ["critical", "critical", "warning", "warning", "ok", None])
    hot = Gauge("t", max=120, warning=80, critical=100)
    eq([hot.zone(v) for v in (20, 80, 99, 100)], ["ok", "warning", "warning", "critical"])
    eq([Gauge("w", warning=50).zone(v) for v in (49, 50)], ["ok", "warning"])
    eq(Gauge("n").zone(99), "ok")
    bad_params(Gauge, "warning must be a number from min to max", warning=101)
    bad_params(Gauge, "critical must be a number from min to max", critical="90")
    bad_params(Gauge, "warning and critical must differ", warning=50, critical=50)
    bad_params(Gauge, "min must be below max", min=10, max=0)


def case_indicator_is_a_state_and_a_short_text():
    i = Indicator("pump")
    eq((i.writable, i.initial), (False, None))
    same(i.validate("ok"), ("ok", ""))
    same(i.validate(("warn", "tank low")), ("warn", "tank low"))
    same(i.validate(["error", "jammed"]), ("error", "jammed"))
    same(i.validate({"state": "off"}), ("off", ""))
    same(i.validate({"state": "ok", "text": "running"}), ("ok", "running"))
    same(i.validate(None), None)
    rejects(i, "fine", "state 'fine' is not one of ok, warn, error, off")
    rejects(i, 1, "state int is not one of")
    rejects(i, ("ok",), "expected [state, text]")
    rejects(i, ("ok", 5), "text: expected text, got int")
    rejects(i, ("ok", "x" * 41), "text: 41 characters, more than 40")
    rejects(i, {"state": "ok", "colour": "red"}, "unknown key 'colour'")
    eq(json.loads(wire.encode(i.validate(("warn", "tank low")))), ["warn", "tank low"])


def case_log_takes_lines():
    log = Log("events", lines=5)
    eq((log.writable, log.history, log.lines), (False, "log_ring", 5))
    same(log.validate("pump on"), "pump on")
    same(log.validate(12), "12")
    same(log.validate(True), "True")
    rejects(log, "a\nb", "no line breaks")
    rejects(log, "x" * 201, "201 characters, more than 200")
    rejects(log, None, "expected a line of text, got null")
    rejects(log, NAN, "expected a line of text, got null")
    rejects(log, ["a"], "expected a line of text, got list")
    for n in (0, 101, 2.5, True):
        bad_params(Log, "lines must be a whole number from 1 to 100", lines=n)


def case_the_new_writable_kinds_are_written_all_or_nothing():
    ws = {"mode": Select("mode", options=("a", "b")), "note": TextInput("note"),
          "c": Color("c"), "g": Gauge("g"), "i": Indicator("i"), "log": Log("log")}
    accepted = wire.check_writes({"mode": "b", "note": "hi", "c": "#FFFFFF"}, ws.get)
    eq(sorted((w.id, v) for w, v in accepted), [("c", "#ffffff"), ("mode", "b"), ("note", "hi")])
    for wid in ("g", "i", "log"):
        exc = raises(wire.WriteError, wire.check_writes, {wid: "x"}, ws.get)
        eq(exc, "%r is read-only" % wid)
    exc = raises(wire.WriteError, wire.check_writes, {"note": "ok", "mode": "c"}, ws.get)
    eq(exc, "'mode': 'c' is not one of a, b")


def case_groups_travel_in_the_schema():
    t = Toggle("fan", "Fan", group="Climate")
    eq(t.to_dict(), {"id": "fan", "kind": "toggle", "label": "Fan", "group": "Climate"})
    eq("group" in Toggle("x").to_dict(), False)
    back = loader.from_dict(json.loads(wire.encode(t.to_dict())))
    eq((back.kind, back.group), ("toggle", "Climate"))


def case_every_new_kind_round_trips_through_the_schema():
    widgets = [Select("s", "S", options=("a", "b")), NumberInput("n", min=0, max=2, step=0.5),
               TextInput("t", max_length=9), Color("c"), Gauge("g", warning=70, critical=90),
               Indicator("i"), Log("l", lines=7)]
    for w in widgets:
        back = loader.from_dict(json.loads(wire.encode(w.to_dict())))
        eq(type(back), type(w))
        eq(back.to_dict(), w.to_dict())


def case_the_loader_imports_a_kind_it_has_not_met():
    for kind in loader.MODULES:
        eq(loader.kind_class(kind).kind, kind)
    # Any other kind is found as <kind>.py: tests/lazy_kind.py is imported
    # by nothing else.
    if "lazy_kind" in registry.KINDS:
        raise AssertionError("lazy_kind was imported before")
    eq(loader.from_dict({"id": "z", "kind": "lazy_kind"}).kind, "lazy_kind")


def _says(exc_type, reason, *args):
    message = raises(exc_type, *args)
    if reason not in message:
        raise AssertionError("%r, want %r" % (message, reason))


def case_the_loader_says_why_a_kind_is_missing():
    _says(KeyError, "no widget kind 'no_such_kind': no no_such_kind.py",
          loader.kind_class, "no_such_kind")
    _says(KeyError, "misnamed_kind.py registered no kind 'misnamed_kind'",
          loader.kind_class, "misnamed_kind")
    # An import failing inside the kind's own module is not "no module".
    _says(ImportError, "no_such_driver", loader.kind_class, "broken_import_kind")
    for kind in ("../etc", "os.path", "", None, 5):
        _says(KeyError, "no widget kind", loader.kind_class, kind)


def case_a_set_point_is_a_setting_unless_said_otherwise():
    eq(NumberInput("sp", min=10, max=30).entity_category, "config")
    eq(NumberInput("sp", min=10, max=30, entity_category=None).entity_category, None)
    eq(NumberInput("sp", min=10, max=30, entity_category="diagnostic").entity_category,
       "diagnostic")
    eq(Indicator("i", entity_category="diagnostic").entity_category, "diagnostic")
    bad_params(Indicator, "\"config\" on a widget a user sets", entity_category="config")
    eq(Gauge("g", device_class="moisture").device_class, "moisture")
    for cls in (Select, NumberInput, TextInput, Color, Gauge, Indicator, Log):
        for name in ("ha_component", "ha_config", "to_text", "from_text"):
            if hasattr(cls, name):
                raise AssertionError("%s has %s" % (cls.__name__, name))


def cases():
    return sorted(name for name in globals() if name.startswith("case_"))


if __name__ == "__main__":
    run(globals())
