"""The base every widget kind derives from."""

import math


def is_number(value):
    # bool is an int subclass, but True is not a temperature.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_whole(value, low, high):
    """Whether ``value`` is a whole number from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def distinct_names(names):
    """Whether ``names`` is a non-empty tuple or list of distinct, non-empty
    texts (a chart's series, a select's options)."""
    return isinstance(names, (tuple, list)) and bool(names) and \
        all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names)


def finite_or_none(value):
    """A failed sensor read (NaN, infinity) becomes None: "no reading"."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Widget:
    #: The name of the kind on the wire and in the registries.
    kind = None
    #: A browser may write the value (through ``POST /data``).
    writable = False
    #: Writes trigger the device callback but leave no state (a button press).
    momentary = False
    #: Parameter names and defaults, in schema order.
    params = ()
    #: The value a widget holds before the device sets one.
    initial = None
    #: A writable, non-momentary widget's value is kept across reboots
    #: (see the board's ``saved_state``) unless made with ``persist=False``.
    persist = True
    #: What the widget measures in Home Assistant's words ("temperature",
    #: "humidity", "duration"): its icon and unit conversion there. Read by
    #: the board's MQTT bridge alone (``mqtt_bridge``); None: what the
    #: unit says, if it says it beyond doubt ("°C", not "%").
    device_class = None
    #: Where Home Assistant files the widget: "config" (a setting),
    #: "diagnostic" (the board's own health), or None: among the device's
    #: controls and sensors. Read by the bridge alone. Both may be given to
    #: every kind (``extra_params``), and set only when given: the other
    #: widgets keep no slot for them.
    entity_category = None
    #: Each value is a new point of a history (a chart's, a log's line), not
    #: a replacement: the board keeps them in a ring and sends a page only
    #: those it lacks. The name of the board's module with that ``Ring``, or
    #: None: one value, sent whole.
    history = None
    #: The heading the widget's card is shown under (``Dashboard.group``).
    group = None

    def __init__(self, id, label=None, persist=True, group=None, **params):
        if not isinstance(id, str) or not id:
            raise ValueError("widget id must be a non-empty string")
        self.id = id
        self.label = id if label is None else str(label)
        # Class defaults spare every other widget the slot.
        if not persist:
            self.persist = False
        if group is not None:
            self.group = str(group)
        for name, default in self.params:
            setattr(self, name, params.pop(name, default))
        if params:
            # Rare: checked by a module of its own, which a dashboard whose
            # widgets are given none of them never loads.
            from dashschema.extra_params import take
            take(self, params)
        reason = self.check_params()
        if reason:
            raise ValueError("%s %r: %s" % (self.kind, id, reason))

    def check_params(self):
        """Return why the parameters make no sense, or None."""
        return None

    def validate(self, value):
        """Return the value to store, or raise ``ValueError`` with the reason."""
        return value

    def validate_write(self, value, current):
        """A browser's write, given the value held (``current``): the value
        to store, or raise ``ValueError``. The board's own ``set()`` goes
        through ``validate`` alone, so a kind can let the board set more than
        a browser may (a thermostat's reading beside its set point)."""
        return self.validate(value)

    def to_dict(self):
        spec = {"id": self.id, "kind": self.kind, "label": self.label}
        if self.group is not None:
            spec["group"] = self.group
        for name, _ in self.params:
            spec[name] = getattr(self, name)
        return spec
