"""Every widget of a dashboard on MQTT, discovered by Home Assistant.

    bridge = MqttBridge(dash, "192.168.1.10")    # the broker
    asyncio.create_task(bridge.run())           # beside dash.serve()

Topics, for a board whose node id is <node>; only the widgets whose kind
has an entry in ``KINDS`` are on MQTT:

    splitdash/<node>/status        "online" / "offline" (retained; the will)
    splitdash/<node>/<id>/state    the widget's value as text (retained):
                                   a number, ON/OFF, the text, an
                                   indicator's "warn: tank low"; "None"
                                   for no reading, '""' for the empty text
    splitdash/<node>/<id>/set      commands, validated exactly as a browser's
                                   write; a refused one is reported and the
                                   state published again
    <prefix>/<component>/<node>/<id>/config
                                   Home Assistant discovery

How a kind appears in Home Assistant lives here, not in the kind: a
dashboard without MQTT loads none of it. ``KINDS`` gives each kind's
component; its config follows from the component and the widget's
parameters (``unit``, ``precision``, ``min``/``max``/``step``, ``options``,
``device_class``, ``entity_category``). A custom kind joins by its entry,
made before the bridge, as the demo's compass, a reading in degrees:
``KINDS["compass"] = "sensor"``. Commands are read by component: ``ON``/
``OFF`` for a switch, ``PRESS`` for a button, a JSON number for a number,
the text itself for the rest.

The board's own page keeps working unchanged: the bridge is one more of the
dashboard's listeners, told of every change, and publishes once per burst.
"""

import asyncio
import json
import os
import sys

from dashschema import wire
from mqtt_client import MqttClient

#: What Home Assistant shows as the device's software version.
VERSION = "0.1.0"
#: Each kind's Home Assistant component. A kind not here (a chart, a log)
#: is not on MQTT.
KINDS = {"label": "sensor", "number": "sensor", "level": "sensor", "gauge": "sensor",
         "indicator": "sensor", "toggle": "switch", "slider": "number",
         "number_input": "number", "button": "button", "select": "select",
         "text_input": "text", "color": "text"}


def node_id(given=None):
    """``given`` if set, else the board's unique id in hex, else "splitdash":
    only ``[a-zA-Z0-9_-]``, as topics and Home Assistant ids need."""
    if not given:
        try:
            import machine
            given = "".join("%02x" % b for b in machine.unique_id())
        except (ImportError, AttributeError):
            given = "splitdash"
    for c in given:
        if not (c.isalpha() or c.isdigit() or c in "_-") or ord(c) > 127:
            raise ValueError("node id %r: only letters, digits, _ and - are allowed" % given)
    return given


def entity(widget):
    """``(component, keys)``: what the widget's kind and parameters put in
    its discovery config; None: not on MQTT."""
    component = KINDS.get(widget.kind)
    if component is None:
        return None
    keys = {}
    unit = getattr(widget, "unit", None)
    precision = getattr(widget, "precision", None)
    if unit:
        keys["unit_of_meas"] = unit
    if component == "number":
        keys["min"], keys["max"], keys["step"] = widget.min, widget.max, widget.step
        keys["mode"] = "box" if widget.kind == "number_input" else "slider"
    elif component == "select":
        keys["options"] = list(widget.options)
    elif component == "sensor" and (unit or precision is not None):
        # A measurement: Home Assistant keeps its statistics and draws it.
        keys["stat_cla"] = "measurement"
        if precision is not None:
            keys["sug_dsp_prc"] = precision
    if widget.kind == "text_input":
        keys["max"] = widget.max_length
    elif widget.kind == "color":
        keys["pattern"] = "^#[0-9a-fA-F]{6}$"
    if widget.initial == "":
        keys["val_tpl"] = "{{'' if value=='\"\"' else value}}"
    name = widget.device_class
    # Only °C and °F name a class beyond doubt ("%": humidity? moisture?).
    if name is None and unit in ("°C", "°F") and component in ("sensor", "number"):
        name = "temperature"
    if name:
        keys["device_class"] = name
        # Totals, an angle, dates: no measurement statistics in Home Assistant.
        if " " + name + " " in (" energy gas water volume monetary wind_direction date"
                                " timestamp enum "):
            keys.pop("stat_cla", None)
    if widget.entity_category:
        keys["entity_category"] = widget.entity_category
    return component, keys


class MqttBridge:
    #: ``set()`` calls within this window go out as one publish per widget, in ms.
    coalesce_ms = 50
    #: Home Assistant coming online gets the discovery again after a random
    #: delay up to this, in ms: a network of boards does not answer at once.
    rediscover_ms = 3000

    def __init__(self, dash, host, port=1883, user=None, password=None, node=None,
                 prefix="homeassistant", retain_config=True, url=None):
        for widget in dash.widgets:
            if widget.device_class and KINDS.get(widget.kind) in ("select", "text"):
                raise ValueError("%s %r: Home Assistant's %s takes no device_class"
                                 % (widget.kind, widget.id, KINDS[widget.kind]))
        self.dash = dash
        self.node = node_id(node)
        self.prefix = prefix
        self.retain_config = retain_config
        #: The board's page ("http://192.168.1.20/"): the device's link in
        #: Home Assistant. None: no link.
        self.url = url
        self.topic = "splitdash/%s/" % self.node
        self.client = MqttClient(host, port, "splitdash-" + self.node, user, password,
                                 will=(self.topic + "status", "offline", True),
                                 on_message=self._message)
        self._sent = None  # the version last published; None: nothing yet
        self._flushing = False
        dash.listeners.append(self)

    async def run(self):
        """Stay connected to the broker until ``stop()``."""
        await self.client.run(self._connected)

    async def stop(self):
        """Say "offline" and leave."""
        if self in self.dash.listeners:
            self.dash.listeners.remove(self)
        if self.client.connected:
            try:
                await self.client.publish(self.topic + "status", "offline", retain=True)
            except Exception:  # going anyway; the will says it for us
                pass
        await self.client.disconnect()

    def changed(self):
        if self.client.connected and not self._flushing:
            self._flushing = True
            asyncio.create_task(self._flush())

    # ---- internals -----------------------------------------------------------

    async def _connected(self):
        client = self.client
        await client.subscribe(self.topic + "+/set")
        await client.subscribe(self.prefix + "/status")
        await client.publish(self.topic + "status", "online", retain=True)
        await self._discover()
        self._sent = None
        await self._publish_changes()

    async def _discover(self):
        """One config message per widget, each built and sent on its own: a
        large dashboard never needs one large payload."""
        # The device's details ride on the config with the fewest keys of
        # its own (see _config).
        carrier, fewest = None, 99
        for widget in self.dash.widgets:
            found = entity(widget)
            if found and len(found[1]) < fewest:
                carrier, fewest = widget, len(found[1])
        for widget in self.dash.widgets:
            found = entity(widget)
            if found:
                await self.client.publish(
                    "%s/%s/%s/%s/config" % (self.prefix, found[0], self.node, widget.id),
                    wire.encode(self._config(widget, found[1], widget is carrier)),
                    retain=self.retain_config)

    def _config(self, widget, keys, first):
        """``keys`` (the kind's, from ``entity()``) with the name, ids,
        topics, device and origin: the whole config."""
        keys["name"] = widget.label
        keys["uniq_id"] = "%s_%s" % (self.node, widget.id)
        # "~" stands for the board's topic at the start of the others.
        keys["~"] = self.topic[:-1]
        keys["avty_t"] = "~/status"
        if not widget.momentary:
            keys["stat_t"] = "~/%s/%s" % (widget.id, "state")
        if widget.writable:
            keys["cmd_t"] = "~/%s/%s" % (widget.id, "set")
        device = keys["dev"] = {"ids": ["splitdash_" + self.node], "name": self.dash.title}
        # What wrote the config, for Home Assistant's log.
        origin = keys["o"] = {"name": "splitdash", "sw": VERSION}
        if first:
            # Home Assistant keeps a device's details from the config that
            # gave them; the others need only its ids and name. So each
            # config stays under 400 bytes.
            device["mdl"] = "splitdash"
            device["sw"] = "%s (MicroPython %s)" % (VERSION, sys.platform)
            if self.url:
                device["cu"] = origin["url"] = self.url
        return keys

    async def _flush(self):
        await asyncio.sleep(self.coalesce_ms / 1000)
        self._flushing = False
        try:
            await self._publish_changes()
        except Exception as exc:  # the connection went: all is sent again on the next one
            print("splitdash: MQTT publish failed:", repr(exc))

    async def _publish_changes(self):
        """Every value changed since the last publish (all of them the first
        time), one retained message each."""
        version = self.dash.version
        values = self.dash.state(self._sent or 0)["values"]
        self._sent = version
        for wid in values:
            widget = self.dash._find(wid)
            if widget.kind in KINDS:
                await self._publish_state(widget, values[wid])

    async def _publish_state(self, widget, value):
        if value is None:
            value = "None"  # Home Assistant's "unknown"
        elif value is True or value is False:
            value = "ON" if value else "OFF"
        elif isinstance(value, tuple):  # an indicator's state and text
            value = "%s: %s" % value if value[1] else value[0]
        else:
            # Published retained, an empty payload would delete the state:
            # Home Assistant restarted would find none and show "unknown".
            # The config of a kind that starts as "" reads '""' back as "".
            value = str(value) or '""'
        await self.client.publish("%s%s/state" % (self.topic, widget.id), value, retain=True)

    async def _rediscover(self):
        """Home Assistant restarted and forgot what it was told."""
        await asyncio.sleep(os.urandom(1)[0] * self.rediscover_ms / 255000)
        try:
            await self._discover()
            self._sent = None
            await self._publish_changes()
        except Exception as exc:  # the connection went: the next one sends it all
            print("splitdash: MQTT discovery failed:", repr(exc))

    async def _message(self, topic, payload, retain):
        if topic == self.prefix + "/status":
            if payload == b"online":
                asyncio.create_task(self._rediscover())
            return
        if not topic.startswith(self.topic) or not topic.endswith("/set"):
            return
        wid = topic[len(self.topic):-4]
        if retain:
            # A retained command would be applied again at every reconnect.
            print("splitdash: MQTT: retained command for %r ignored" % wid)
            return
        widget = self.dash._find(wid)
        kind = widget and KINDS.get(widget.kind)
        try:
            value = payload.decode()
            if not kind:
                # Only what is announced is on MQTT.
                raise wire.WriteError("no widget %r on MQTT" % wid, wid)
            # What the text stands for, read by component; the widget's own
            # validate() judges it, as a browser's write.
            if kind == "switch":
                value = {"ON": True, "OFF": False}.get(value, value)
            elif kind == "button":
                value = True if value == "PRESS" else value
            elif kind == "number":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            # Else the text itself: an option "1" is the text "1", not 1.
            self.dash.apply({wid: value})
        except (ValueError, UnicodeError) as exc:  # WriteError is a ValueError
            print("splitdash: MQTT command for %r refused: %s" % (wid, exc))
            if kind and not widget.momentary:
                await self._publish_state(widget, self.dash.get(wid))
