"""The chart kind: readings over time, a line per series. Its own module: a
dashboard without charts never loads it. The board keeps the points in a
ring (``chart_ring.py``); ``wire.py`` has their format."""

from dashschema.kinds import _check_precision, _type_name
from dashschema.registry import register
from dashschema.widget import Widget, distinct_names, finite_or_none, is_number


@register
class Chart(Widget):
    """``points``: how many the board keeps; ``min``/``max``: a fixed y
    range (None: the data's own)."""
    kind = "chart"
    history = "chart_ring"
    params = (("series", ("value",)), ("unit", ""), ("points", 120), ("precision", 1),
              ("min", None), ("max", None))
    #: Off unless asked for: the history is written to the board's flash.
    persist = False
    #: Most points a chart may keep: its ring is allocated whole when it is
    #: declared, ``8 + 4 * len(series)`` bytes a point.
    max_points = 1000
    #: Values are kept as whole numbers of their last shown digit, below this.
    LIMIT = 1 << 31

    def __init__(self, id, label=None, persist=False, **params):
        Widget.__init__(self, id, label, **params)
        if persist:
            self.persist = True

    def check_params(self):
        if not distinct_names(self.series):
            return "series must be a tuple of distinct names"
        self.series = tuple(self.series)  # a schema's list, rebuilt on the page
        p = self.points
        if not is_number(p) or p != int(p) or not 2 <= p <= self.max_points:
            return "points must be a whole number from 2 to %d" % self.max_points
        self.points = int(p)
        for name in ("min", "max"):
            if getattr(self, name) is not None and not is_number(getattr(self, name)):
                return "%s must be a number or None" % name
        if self.min is not None and self.max is not None and self.min >= self.max:
            return "min must be below max"
        return _check_precision(self)

    def validate(self, value):
        """A number (one series) or ``{series: number}``; left out, None,
        NaN or infinity: a gap. Returns the values in series order as they
        are kept and sent: whole numbers of the last digit shown (215 for
        21.5 at precision 1), or None."""
        series = self.series
        if not isinstance(value, dict):
            if len(series) > 1:
                raise ValueError("expected {series: number} for series %s, got %s"
                                 % (", ".join(series), _type_name(value)))
            value = {series[0]: value}
        for name in value:
            if name not in series:
                raise ValueError("no series %r (it has %s)" % (name, ", ".join(series)))
        scale = 10 ** self.precision
        point = []
        for name in series:
            reading = finite_or_none(value.get(name))
            if reading is not None:
                if not is_number(reading):
                    raise ValueError("%s: expected a number, got %s" % (name, _type_name(reading)))
                reading = int(round(reading * scale))
                # The board keeps 32 bits a value.
                if not -self.LIMIT < reading < self.LIMIT:
                    raise ValueError("%s: %s is too large for precision %d" % (
                        name, value[name], self.precision))
            point.append(reading)
        return tuple(point)
