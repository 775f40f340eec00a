"""How each widget kind appears in Home Assistant over MQTT: the component
it is discovered as, what its discovery config says, its state as text and
what a command's text stands for. Only the MQTT bridge imports it: a
dashboard without MQTT carries none of it.

``KINDS`` maps a kind to ``(component, keys, text)``:

- ``component``: Home Assistant's ("sensor", "switch", "number", ...);
- ``keys(widget)``: a dict of what the kind adds to the config (None: nothing);
- ``text(value)``: the state payload of a value that is not None (None: the
  value as text, the empty text as ``EMPTY``).

A kind with no entry (a chart, a log) is not on MQTT. A custom kind joins by
adding its entry before the bridge is made, as the demo does for its
compass, a reading in degrees:

    import ha_discovery
    ha_discovery.KINDS["compass"] = ("sensor", ha_discovery.reading, None)

Commands are read by component: ``ON``/``OFF`` for a switch, ``PRESS`` for a
button, a JSON number for a number, the text itself for the rest.
"""

import json

#: The state of a widget with no reading: Home Assistant's "unknown".
NONE = "None"
#: The state of an empty text. An empty payload published retained deletes
#: the retained message, so Home Assistant restarted would find nothing and
#: show "unknown"; this is sent instead, and ``EMPTY_TEMPLATE`` in the
#: config of a kind that may be empty reads it back as the empty text.
EMPTY = '""'
EMPTY_TEMPLATE = "{{'' if value=='\"\"' else value}}"

#: Device classes a unit names beyond doubt; "%" (humidity, moisture, a
#: battery...) names none, nor "kWh" (a meter's total or a day's).
UNIT_CLASSES = {"°C": "temperature", "°F": "temperature", "K": "temperature",
                "W": "power", "kW": "power", "V": "voltage", "A": "current",
                "Hz": "frequency", "lx": "illuminance", "hPa": "pressure",
                "s": "duration", "min": "duration", "h": "duration"}
#: Device classes Home Assistant keeps no statistics of as a measurement
#: (totals, texts, angles): a reading of one goes without ``stat_cla``.
UNMEASURED = ("energy", "gas", "water", "volume", "monetary", "wind_direction", "enum",
              "timestamp", "date")
#: The components that take a device class.
CLASSED = ("sensor", "number", "switch", "button", "binary_sensor")


def _unit(widget, keys):
    unit = getattr(widget, "unit", None)
    if unit:
        keys["unit_of_meas"] = unit
    return keys


def reading(widget):
    """A sensor's keys for a number with a unit (and a precision): a
    measurement, so Home Assistant keeps its statistics and draws it."""
    keys = _unit(widget, {"stat_cla": "measurement"})
    precision = getattr(widget, "precision", None)
    if precision is not None:
        keys["sug_dsp_prc"] = precision
    return keys


def text(widget):
    """The keys of a kind whose state may be the empty text."""
    return {"val_tpl": EMPTY_TEMPLATE}


def _range(widget, mode="slider"):
    return _unit(widget, {"min": widget.min, "max": widget.max, "step": widget.step,
                          "mode": mode})


def _on_off(value):
    return "ON" if value else "OFF"


def _indicator(value):
    return "%s: %s" % value if value[1] else value[0]


KINDS = {
    "label": ("sensor", text, None),
    "number": ("sensor", reading, None),
    "level": ("sensor", reading, None),
    "gauge": ("sensor", reading, None),
    "indicator": ("sensor", None, _indicator),
    "toggle": ("switch", None, _on_off),
    "slider": ("number", _range, None),
    "number_input": ("number", lambda w: _range(w, "box"), None),
    "button": ("button", None, None),
    "select": ("select", lambda w: {"ops": list(w.options)}, None),
    "text_input": ("text", lambda w: {"max": w.max_length, "val_tpl": EMPTY_TEMPLATE}, None),
    "color": ("text", lambda w: {"pattern": "^#[0-9a-fA-F]{6}$"}, None),
}


def check(widget):
    """Raise ``ValueError`` for a ``device_class`` its component does not take."""
    entry = KINDS.get(widget.kind)
    if widget.device_class and entry and entry[0] not in CLASSED:
        raise ValueError("%s %r: Home Assistant's %s takes no device_class"
                         % (widget.kind, widget.id, entry[0]))


def config(widget):
    """``(component, keys)``: what the widget's kind and parameters put in
    its discovery config; None: not on MQTT."""
    entry = KINDS.get(widget.kind)
    if entry is None:
        return None
    component, keys, _ = entry
    keys = keys(widget) if keys else {}
    name = widget.device_class
    if name is None and component in ("sensor", "number"):
        name = UNIT_CLASSES.get(getattr(widget, "unit", None))
    if name:
        keys["dev_cla"] = name
        if name in UNMEASURED:
            keys.pop("stat_cla", None)
    if widget.entity_category:
        keys["ent_cat"] = widget.entity_category
    return component, keys


def state(widget, value):
    """A value as its state payload."""
    if value is None:
        return NONE
    show = KINDS[widget.kind][2]
    return show(value) if show else (str(value) or EMPTY)


def command(component, payload):
    """The value a command's text stands for, before the widget validates it."""
    if component == "switch":
        return {"ON": True, "OFF": False}.get(payload, payload)
    if component == "button":
        return True if payload == "PRESS" else payload
    if component == "number":
        try:
            return json.loads(payload)
        except ValueError:
            return payload
    return payload  # an option "1" is the text "1", not the number
