"""The built-in widget kinds."""

import math

from dashschema.registry import register
from dashschema.widget import Widget, finite_or_none, is_number, is_whole


def _number_or_none(value):
    value = finite_or_none(value)
    if value is None or is_number(value):
        return value
    raise ValueError("expected a number, got %s" % _type_name(value))


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _check_range(widget):
    for name in ("min", "max"):
        if not is_number(getattr(widget, name)):
            return "%s must be a number" % name
    if widget.min >= widget.max:
        return "min must be below max"
    return None


def _check_precision(widget):
    if not is_whole(widget.precision, 0, 6):
        return "precision must be a whole number from 0 to 6"
    return None


def _rounded(widget, value):
    # Boards compute in single precision: send no more digits than shown.
    if value is None:
        return None
    return round(value, widget.precision) if widget.precision else int(round(value))


@register
class Label(Widget):
    """Read-only text."""
    kind = "label"
    initial = ""

    def validate(self, value):
        if isinstance(value, str):
            return value
        value = finite_or_none(value)
        return "" if value is None else str(value)


@register
class Number(Widget):
    """A read-only reading with a unit, shown with ``precision`` decimals."""
    kind = "number"
    params = (("unit", ""), ("precision", 1))
    check_params = _check_precision

    def validate(self, value):
        return _rounded(self, _number_or_none(value))


@register
class Level(Widget):
    """A read-only value drawn as a bar between ``min`` and ``max``.

    Readings outside the range are kept as they are (a sensor may overshoot);
    the bar is drawn full or empty.
    """
    kind = "level"
    params = (("min", 0), ("max", 100), ("unit", "%"), ("precision", 0))

    def check_params(self):
        return _check_range(self) or _check_precision(self)

    def validate(self, value):
        return _rounded(self, _number_or_none(value))


@register
class Toggle(Widget):
    """An on/off switch a browser can flip."""
    kind = "toggle"
    writable = True
    initial = False

    def validate(self, value):
        if isinstance(value, bool):
            return value
        raise ValueError("expected true or false, got %s" % _type_name(value))


@register
class Slider(Widget):
    """A number a browser can set between ``min`` and ``max`` in ``step``s."""
    kind = "slider"
    writable = True
    params = (("min", 0), ("max", 100), ("step", 1), ("unit", ""))

    def check_params(self):
        reason = _check_range(self)
        if reason:
            return reason
        if not is_number(self.step) or self.step <= 0:
            return "step must be a positive number"
        return None

    @property
    def initial(self):
        return self.min

    def validate(self, value):
        if not is_number(value) or not math.isfinite(value):
            raise ValueError("expected a number, got %s" % _type_name(value))
        if value < self.min or value > self.max:
            raise ValueError("%s is outside %s..%s" % (value, self.min, self.max))
        steps = (value - self.min) / self.step
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError("%s is not a multiple of step %s from %s" % (value, self.step, self.min))
        if isinstance(self.min, int) and isinstance(self.step, int):
            return int(round(value))
        return value


@register
class Button(Widget):
    """A momentary action: a press runs the device callback and stores nothing."""
    kind = "button"
    writable = True
    momentary = True

    def validate(self, value):
        if value is True:
            return value
        raise ValueError("send true to press, got %s" % _type_name(value))
