"""Every widget of a dashboard on MQTT, discovered by Home Assistant.

    bridge = MqttBridge(dash, "192.168.1.10")    # the broker
    asyncio.create_task(bridge.run())           # beside dash.serve()

Topics, for a board whose node id is <node>; only the widgets whose kind
has an entry in ``ha_discovery.KINDS`` are on MQTT:

    splitdash/<node>/status        "online" / "offline" (retained; the will)
    splitdash/<node>/<id>/state    the widget's value as text (retained):
                                   a number, ON/OFF, the text; "None" for
                                   no reading, "" (two quotes) for the
                                   empty text
    splitdash/<node>/<id>/set      commands, validated exactly as a browser's
                                   write; a refused one is reported and the
                                   state published again
    <prefix>/<component>/<node>/<id>/config
                                   Home Assistant discovery

The board's own page keeps working unchanged: the bridge is one more of the
dashboard's listeners, told of every change, and publishes once per burst.
"""

import asyncio
import os
import sys

from dashschema import wire
import ha_discovery
from mqtt_client import MqttClient

#: What Home Assistant shows as the device's software version.
VERSION = "0.1.0"


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


class MqttBridge:
    #: ``set()`` calls within this window go out as one publish per widget, in ms.
    coalesce_ms = 50
    #: Home Assistant coming online gets the discovery again after a random
    #: delay up to this, in ms: a network of boards does not answer at once.
    rediscover_ms = 3000

    def __init__(self, dash, host, port=1883, user=None, password=None, node=None,
                 prefix="homeassistant", retain_config=True, url=None):
        for widget in dash.widgets:
            ha_discovery.check(widget)
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
        for widget in self.dash.widgets:
            entity = ha_discovery.config(widget)
            if entity:
                await self.client.publish(
                    "%s/%s/%s/%s/config" % (self.prefix, entity[0], self.node, widget.id),
                    wire.encode(self._config(widget, entity[1])), retain=self.retain_config)

    def _config(self, widget, config):
        """``config`` (the kind's keys, from ``ha_discovery.config``) with
        the name, ids, topics, device and origin."""
        config["name"] = widget.label
        config["uniq_id"] = "%s_%s" % (self.node, widget.id)
        config["avty_t"] = self.topic + "status"
        if not widget.momentary:
            config["stat_t"] = "%s%s/state" % (self.topic, widget.id)
        if widget.writable:
            config["cmd_t"] = "%s%s/set" % (self.topic, widget.id)
        device = config["dev"] = {"ids": ["splitdash_" + self.node], "name": self.dash.title,
                                  "mdl": "splitdash", "mf": "splitdash",
                                  "sw": "%s (MicroPython %s)" % (VERSION, sys.platform)}
        # Who wrote the config, for Home Assistant's log: its origin.
        origin = config["o"] = {"name": "splitdash", "sw": VERSION}
        if self.url:
            device["cu"] = origin["url"] = self.url
        return config

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
            if widget.kind in ha_discovery.KINDS:
                await self._publish_state(widget, values[wid])

    async def _publish_state(self, widget, value):
        await self.client.publish("%s%s/state" % (self.topic, widget.id),
                                  ha_discovery.state(widget, value), retain=True)

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
        entry = widget and ha_discovery.KINDS.get(widget.kind)
        try:
            text = payload.decode()
            if not entry:
                # Only what is announced is on MQTT.
                raise wire.WriteError("no widget %r on MQTT" % wid, wid)
            self.dash.apply({wid: ha_discovery.command(entry[0], text)})
        except (ValueError, UnicodeError) as exc:  # WriteError is a ValueError
            print("splitdash: MQTT command for %r refused: %s" % (wid, exc))
            if entry and not widget.momentary:
                await self._publish_state(widget, self.dash.get(wid))
