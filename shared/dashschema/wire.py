"""The wire protocol between board and browser, in one place.

    GET  /schema        {"title", "boot", "poll_s", "widgets": [{"id", "kind", "label",
                        "group"?, ...params}], "accent"?, "tabs"?}
    GET  /data          {"boot", "version", "values": {id: value}}  every value
    GET  /data?since=V&boot=B
                        only the values changed after version V; 204 when none
                        did. A different boot id answers with every value.
    POST /data          {id: value, ...}: all applied or none.
                        200 {"boot", "version"} or 4xx {"error", "widget"}
    GET  /events?boot=B&since=V
                        text/event-stream of the same state messages as
                        /data, one per burst of changes, and "ping" events
                        while nothing changes (503 past the cap).

Widgets keep their declaration order in the schema's list: MicroPython dicts
do not keep insertion order, so nothing relies on the order of ``values``.

A chart's value (``dashschema/chart.py``) is the points added after the
version the request names, oldest first, never the whole history again:

    {"t": [age, ...], "v": [[value, ...], ...]}          only the new points
    {"t": [...], "v": [[...], ...], "all": true}         the ring from its start
                                                         (since=0, another boot),
                                                         replacing what a page holds

At most ``Ring.max_send`` points of a chart go in one message, the oldest
first; when more are left, the message's version is that of its last point,
so the next message from it (the stream's next, a poll's next) goes on.

``t``: each point's age in ms when the message was made (the board's
``ticks_ms``, no wall clock). ``v``: a list per series, in the schema's
``series`` order, each value a whole number of the chart's last shown digit
(21.5 °C at precision 1 is 215: no single-precision float is printed), or
null for a gap. One new point of two series: ``{"t":[12],"v":[[215],[90]]}``.
"""

import json

SCHEMA_PATH = "/schema"
DATA_PATH = "/data"
EVENTS_PATH = "/events"


class WriteError(ValueError):
    """A rejected write; ``widget`` names the widget at fault, if any."""

    def __init__(self, reason, widget=None):
        super().__init__(reason)
        self.reason = reason
        self.widget = widget

    def to_dict(self):
        return {"error": self.reason, "widget": self.widget}


def check_writes(changes, find, current=None):
    """Validate a write request; ``find(id)`` gives a widget or None,
    ``current(id)`` the value it holds (for ``Widget.validate_write``).

    Returns a list of ``(widget, value)`` pairs to apply, in no particular
    order, or raises ``WriteError`` for the first bad entry: a write is
    applied whole or not at all.
    """
    if not isinstance(changes, dict) or not changes:
        raise WriteError("expected a JSON object of {widget id: value}")
    accepted = []
    for wid in changes:
        widget = find(wid)
        if widget is None:
            raise WriteError("no widget %r" % wid, wid)
        if not widget.writable:
            raise WriteError("%r is read-only" % wid, wid)
        try:
            value = widget.validate_write(changes[wid], current and current(wid))
        except ValueError as exc:
            raise WriteError("%r: %s" % (wid, exc), wid)
        accepted.append((widget, value))
    return accepted


def encode(message):
    """Compact JSON: every byte goes over the board's WiFi to every page."""
    return json.dumps(message, separators=(",", ":"))


def schema_message(title, boot, widgets, poll_s):
    """``poll_s``: how often a page without a stream polls the device."""
    return {"title": title, "boot": boot, "poll_s": poll_s,
            "widgets": [w.to_dict() for w in widgets]}


def state_message(boot, version, values):
    return {"boot": boot, "version": version, "values": values}
