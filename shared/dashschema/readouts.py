"""Read-only kinds drawn as more than a number: a dial with warning and
critical zones, and a status light. Their own module: a dashboard without
them never loads it."""

from dashschema.kinds import Level, _type_name
from dashschema.registry import register
from dashschema.widget import Widget, is_number


@register
class Gauge(Level):
    """A reading on a dial between ``min`` and ``max``. ``warning`` and
    ``critical`` (optional) start its zones: above them when ``warning <
    critical`` (a temperature running high), below them when ``warning >
    critical`` (a tank running dry); one alone: above it."""
    kind = "gauge"
    params = (("min", 0), ("max", 100), ("unit", ""), ("precision", 0), ("warning", None),
              ("critical", None))

    def check_params(self):
        reason = Level.check_params(self)
        if reason:
            return reason
        for name in ("warning", "critical"):
            limit = getattr(self, name)
            if limit is not None and (not is_number(limit) or not self.min <= limit <= self.max):
                return "%s must be a number from min to max, or None" % name
        if self.warning is not None and self.warning == self.critical:
            return "warning and critical must differ"
        return None

    def zone(self, value):
        """"ok", "warning" or "critical" for a reading (None: no reading)."""
        if value is None:
            return None
        low = self.warning is not None and self.critical is not None and \
            self.warning > self.critical
        for name in ("critical", "warning"):
            limit = getattr(self, name)
            if limit is not None and (value <= limit if low else value >= limit):
                return name
        return "ok"


@register
class Indicator(Widget):
    """A status light: ``ok``, ``warn``, ``error`` or ``off``, with a short
    text. Set as ``"ok"``, ``("warn", "low water")`` or ``{"state": ...,
    "text": ...}``; kept and sent as ``[state, text]``."""
    kind = "indicator"
    STATES = ("ok", "warn", "error", "off")
    #: The longest text, in characters: it fits the card.
    max_text = 40

    def validate(self, value):
        if value is None:
            return None
        text = ""
        if isinstance(value, dict):
            for key in value:
                if key not in ("state", "text"):
                    raise ValueError("unknown key %r (expected state, text)" % key)
            state, text = value.get("state"), value.get("text", "")
        elif isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise ValueError("expected [state, text]")
            state, text = value
        else:
            state = value
        if state not in self.STATES:
            raise ValueError("state %s is not one of %s" % (
                repr(state) if isinstance(state, str) else _type_name(state), ", ".join(self.STATES)))
        if not isinstance(text, str):
            raise ValueError("text: expected text, got %s" % _type_name(text))
        if len(text) > self.max_text:
            raise ValueError("text: %d characters, more than %d" % (len(text), self.max_text))
        return (state, text)
