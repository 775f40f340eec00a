"""The log kind: the board's last ``lines`` lines of text, newest last
(``dash.log("events", "pump on")``). Its own module: a dashboard without a
log never loads it. The board keeps the lines in a ring (``log_ring.py``);
like a chart's points, a page gets only the lines it has not seen:

    {"lines": ["pump on", ...]}                 the new lines, oldest first
    {"lines": [...], "all": true}               every line kept, replacing
"""

from dashschema.kinds import _type_name
from dashschema.registry import register
from dashschema.widget import Widget, finite_or_none, is_whole


@register
class Log(Widget):
    kind = "log"
    history = "log_ring"
    params = (("lines", 20),)
    #: The most lines a log may keep: each is a string in the board's heap.
    max_lines = 100
    #: The longest line, in characters.
    max_line = 200

    def check_params(self):
        if not is_whole(self.lines, 1, self.max_lines):
            return "lines must be a whole number from 1 to %d" % self.max_lines
        return None

    def validate(self, value):
        """A line: text, or a number or true/false written out."""
        if not isinstance(value, str):
            value = finite_or_none(value)
            if isinstance(value, (dict, list, tuple)) or value is None:
                raise ValueError("expected a line of text, got %s" % _type_name(value))
            value = str(value)
        if len(value) > self.max_line:
            raise ValueError("%d characters, more than %d" % (len(value), self.max_line))
        if "\n" in value or "\r" in value:
            raise ValueError("one line at a time: no line breaks")
        return value
