"""Kinds a browser writes besides toggles and sliders: a choice from a list,
a typed number, a line of text, a colour. Their own module: a dashboard
without them never loads it."""

from dashschema.kinds import Slider, _type_name
from dashschema.registry import register
from dashschema.widget import Widget, distinct_names, is_whole


def _text(value):
    if isinstance(value, str):
        return value
    raise ValueError("expected text, got %s" % _type_name(value))


@register
class Select(Widget):
    """One of ``options``, chosen from a dropdown."""
    kind = "select"
    writable = True
    params = (("options", ()),)

    def check_params(self):
        if not distinct_names(self.options):
            return "options must be a tuple of distinct, non-empty texts"
        self.options = tuple(self.options)  # a schema's list, rebuilt on the page
        return None

    @property
    def initial(self):
        return self.options[0]

    def validate(self, value):
        if _text(value) not in self.options:
            raise ValueError("%r is not one of %s" % (value, ", ".join(self.options)))
        return value


@register
class NumberInput(Slider):
    """A number typed in a box, within ``min``/``max`` on ``step``: a
    slider's values without the slider, for a set point to the tenth."""
    kind = "number_input"
    #: A set point: Home Assistant files it among the board's settings.
    entity_category = "config"


@register
class TextInput(Widget):
    """A line of text up to ``max_length`` characters."""
    kind = "text_input"
    writable = True
    params = (("max_length", 64),)
    initial = ""
    #: The longest ``max_length`` a board takes: every page holds the text.
    longest = 255

    def check_params(self):
        if not is_whole(self.max_length, 1, self.longest):
            return "max_length must be a whole number from 1 to %d" % self.longest
        return None

    def validate(self, value):
        if len(_text(value)) > self.max_length:
            raise ValueError("%d characters, more than %d" % (len(value), self.max_length))
        for c in value:
            if c < " ":
                raise ValueError("a line of text cannot hold control characters")
        return value


@register
class Color(Widget):
    """A colour as ``#rrggbb``, from the browser's own colour picker."""
    kind = "color"
    writable = True
    initial = "#000000"

    def validate(self, value):
        value = _text(value).lower()
        if len(value) != 7 or value[0] != "#" or \
                not all(c in "0123456789abcdef" for c in value[1:]):
            raise ValueError("expected a colour as #rrggbb, got %r" % value)
        return value
