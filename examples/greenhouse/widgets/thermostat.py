"""A custom writable kind: a thermostat. The board sets the temperature it
reads and the set point; a browser may write the set point alone, within
``min``..``max`` on ``step``. Drawn by renderers/thermostat.py.

Its value: ``{"current": temperature or None, "target": set point}``.
"""

from dashschema.registry import register
from dashschema.widget import Widget, finite_or_none, is_number


def _number(value, what):
    if not is_number(value):
        raise ValueError("%s must be a number" % what)
    return value


@register
class Thermostat(Widget):
    kind = "thermostat"
    writable = True
    params = (("min", 5), ("max", 30), ("step", 0.5), ("unit", "°C"))

    def check_params(self):
        if not (is_number(self.min) and is_number(self.max) and self.min < self.max):
            return "min and max must be numbers, min below max"
        if not is_number(self.step) or self.step <= 0:
            return "step must be a positive number"
        return None

    @property
    def initial(self):
        return {"current": None, "target": self.min}

    def target(self, value):
        """The set point ``value``, checked against the range and step."""
        _number(value, "the set point")
        if value < self.min or value > self.max:
            raise ValueError("set point %s is outside %s..%s" % (value, self.min, self.max))
        steps = (value - self.min) / self.step
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError("set point %s is not on a step of %s" % (value, self.step))
        return value

    def validate(self, value):
        # The board's set(): both parts.
        if not isinstance(value, dict) or "target" not in value:
            raise ValueError('expected {"current": temperature, "target": set point}')
        current = finite_or_none(value.get("current"))
        if current is not None:
            # A tenth of a degree is what a page shows; the rest is noise on the wire.
            current = round(_number(current, "the temperature"), 1)
        return {"current": current, "target": self.target(value["target"])}

    def validate_write(self, value, current):
        # A browser's write: the set point alone; the reading stays the board's.
        if not isinstance(value, dict) or len(value) != 1 or "target" not in value:
            raise ValueError('only the set point can be written: send {"target": number}')
        return {"current": current["current"] if current else None,
                "target": self.target(value["target"])}
