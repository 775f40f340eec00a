"""What the hub holds of one board: its schema, every widget's value at the
version that brought it, and each chart's and log's ring, so that any number
of pages on the hub are served from one stream of the board's.

Every message is checked against the board's schema (the widgets rebuilt
with ``dashschema`` on CPython, as the page does) before anything of it is
kept: a message with one bad value is dropped whole.

A chart's points are kept with their time on the hub's clock (ms since the
epoch, the message's arrival less each point's age) and the version of the
message that brought them; a page is sent their ages again, from now.
"""

import json

from dashschema import loader
from dashschema.widget import is_number

CHART, LOG = "chart_ring", "log_ring"


class BadMessage(ValueError):
    """A message that does not fit the board's schema."""


def load_schema(schema):
    """{id: widget or None (a kind this hub does not know)} of a board's
    schema, checked; raises BadMessage."""
    if not isinstance(schema, dict) or not isinstance(schema.get("boot"), str) or \
            not isinstance(schema.get("widgets"), list):
        raise BadMessage("a schema needs a boot id and a list of widgets")
    widgets = {}
    for spec in schema["widgets"]:
        if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
            raise BadMessage("a widget without an id: %r" % (spec,))
        try:
            widgets[spec["id"]] = loader.from_dict(spec)
        except KeyError:
            widgets[spec["id"]] = None  # its kind's module is not on this hub
        except Exception as exc:
            raise BadMessage("widget %r: %s" % (spec["id"], exc))
    return widgets


def check_value(widget, value):
    """Raise BadMessage unless ``value`` is what ``widget`` sends."""
    if widget is None:
        return
    history = widget.history
    if history == CHART:
        check_points(widget, value)
    elif history == LOG:
        lines = value.get("lines") if isinstance(value, dict) else None
        if not isinstance(lines, list) or set(value) - {"lines", "all"}:
            raise BadMessage("%s: expected {lines: [...]}" % widget.id)
        for line in lines:
            try:
                widget.validate(line)
            except ValueError as exc:
                raise BadMessage("%s: %s" % (widget.id, exc))
            if not isinstance(line, str):
                raise BadMessage("%s: a line must be text" % widget.id)
    elif history is None:
        if widget.momentary:
            raise BadMessage("%s: a button has no value" % widget.id)
        try:
            widget.validate(value)
        except ValueError as exc:
            raise BadMessage("%s: %s" % (widget.id, exc))


def check_points(widget, value):
    if not isinstance(value, dict) or set(value) - {"t", "v", "all"}:
        raise BadMessage("%s: expected {t: [...], v: [[...], ...]}" % widget.id)
    ages, columns = value.get("t"), value.get("v")
    if not isinstance(ages, list) or not all(is_number(a) and 0 <= a for a in ages):
        raise BadMessage("%s: t must be a list of ages in ms" % widget.id)
    if not isinstance(columns, list) or len(columns) != len(widget.series):
        raise BadMessage("%s: v must have a list for each of %d series"
                         % (widget.id, len(widget.series)))
    for column in columns:
        if not isinstance(column, list) or len(column) != len(ages):
            raise BadMessage("%s: each series needs a value for each point" % widget.id)
        for v in column:
            if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and
                                      -widget.LIMIT < v < widget.LIMIT):
                raise BadMessage("%s: %r is not a chart value" % (widget.id, v))


class Mirror:
    def __init__(self):
        self.schema = None  # as the board sent it
        self.widgets = {}
        self.boot = None
        self.version = 0
        self.values = {}  # id -> value; a chart's and a log's: their ring
        self.changed_at = {}  # id -> the version of its last change

    def set_schema(self, schema):
        """Take a (re)booted board's schema; returns whether its boot is new."""
        widgets = load_schema(schema)
        new = schema["boot"] != self.boot
        self.schema, self.widgets = schema, widgets
        if new:
            self.boot, self.version = schema["boot"], 0
            self.values, self.changed_at = {}, {}
        return new

    def check(self, message):
        """Raise BadMessage unless ``message`` fits the schema."""
        if not isinstance(message, dict) or not isinstance(message.get("values"), dict):
            raise BadMessage("expected {boot, version, values}")
        version = message.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise BadMessage("version must be a whole number")
        if message.get("boot") != self.boot:
            raise BadMessage("boot %r is not the schema's" % (message.get("boot"),))
        for wid, value in message["values"].items():
            if wid not in self.widgets:
                raise BadMessage("no widget %r in the board's schema" % wid)
            check_value(self.widgets[wid], value)

    def apply(self, message, now_ms, fill=False):
        """Keep a checked message; returns its values as {id: value}, a
        chart's as [(t_ms, [value per series]), ...]. ``fill``: a full state
        taken to fill a mirror started from a stream that resumed: what came
        since is kept."""
        version = message["version"]
        kept = {}
        for wid, value in message["values"].items():
            widget = self.widgets[wid]
            history = widget.history if widget is not None else None
            if fill and wid in self.changed_at and history not in (CHART, LOG):
                continue
            if history == CHART:
                points = [(now_ms - age, [column[j] for column in value["v"]])
                          for j, age in enumerate(value["t"])]
                kept[wid] = points
                self._extend(wid, [(version, t, p) for t, p in points], value.get("all"),
                             widget.points, fill)
            elif history == LOG:
                kept[wid] = value["lines"]
                self._extend(wid, [(version, line) for line in value["lines"]],
                             value.get("all"), widget.lines, fill)
            else:
                self.values[wid] = kept[wid] = value
            self.changed_at[wid] = max(version, self.changed_at.get(wid, 0))
        if not fill:
            self.version = max(self.version, version)
        return kept

    def _extend(self, wid, entries, whole, size, fill):
        ring = self.values.get(wid)
        if fill:
            ring = entries + [e for e in ring or () if e[0] > entries[0][0]] if entries else ring
        elif whole or ring is None:
            ring = entries
        else:
            ring = ring + entries
        self.values[wid] = (ring or [])[-size:]

    def message(self, since, now_ms):
        """The state message for a page holding ``since`` (0: everything)."""
        values = {}
        for wid, widget in self.widgets.items():
            if widget is not None and widget.momentary:
                continue
            changed = self.changed_at.get(wid)
            if since and (changed is None or changed <= since):
                continue
            value = self.values.get(wid)
            history = widget.history if widget is not None else None
            if history == CHART:
                ring = [e for e in value or () if e[0] > since] if since else value or []
                value = {"t": [max(0, int(now_ms - e[1])) for e in ring],
                         "v": [[e[2][s] for e in ring] for s in range(len(widget.series))]}
                if not since:
                    value["all"] = True
            elif history == LOG:
                ring = [e for e in value or () if e[0] > since] if since else value or []
                value = {"lines": [e[1] for e in ring]}
                if not since:
                    value["all"] = True
            values[wid] = value
        return {"boot": self.boot, "version": self.version, "values": values}

    def resume(self, request_args):
        """The version a page asking ``?boot=B&since=V`` holds, or None:
        it holds nothing of this boot."""
        if request_args.get("boot") != self.boot:
            return None
        try:
            since = int(request_args.get("since"))
        except (TypeError, ValueError):
            return None
        return since if 0 <= since <= self.version else None


def parse(data):
    """A board's JSON; NaN or infinity, which a board's json may write, is
    refused: a page could not read it."""
    def refuse(name):
        raise BadMessage("%s is not JSON" % name)
    try:
        return json.loads(data, parse_constant=refuse)
    except BadMessage:
        raise
    except ValueError as exc:
        raise BadMessage("not JSON: %s" % exc)


def encode(message):
    return json.dumps(message, separators=(",", ":"))

