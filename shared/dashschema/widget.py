"""The base every widget kind derives from."""

import math


def is_number(value):
    # bool is an int subclass, but True is not a temperature.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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

    def __init__(self, id, label=None, persist=True, **params):
        if not isinstance(id, str) or not id:
            raise ValueError("widget id must be a non-empty string")
        self.id = id
        self.label = id if label is None else str(label)
        if not persist:
            self.persist = False  # the class default spares every other widget the slot
        for name, default in self.params:
            setattr(self, name, params.pop(name, default))
        for name in params:
            raise ValueError("%s %r: unknown parameter %r" % (self.kind, id, name))
        reason = self.check_params()
        if reason:
            raise ValueError("%s %r: %s" % (self.kind, id, reason))

    def check_params(self):
        """Return why the parameters make no sense, or None."""
        return None

    def validate(self, value):
        """Return the value to store, or raise ``ValueError`` with the reason."""
        return value

    def to_dict(self):
        spec = {"id": self.id, "kind": self.kind, "label": self.label}
        for name, _ in self.params:
            spec[name] = getattr(self, name)
        return spec
