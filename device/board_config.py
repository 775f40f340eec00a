"""The board's settings, from ``config.json`` on its filesystem.

``make deploy`` writes that file from ``device/config.local.json`` (see
``device/config.example.json``). Every setting is optional:

    title          the dashboard's title; null keeps the app's own
    port           HTTP port, 80 unless set
    token          write token: browsers must send "Authorization: Bearer <token>"
    read_token     read token: the page, its values and its stream need it too
    cors_origins   origins (such as "http://laptop.local:8000", or "*") allowed
                   to call the board from a page they host themselves
    wifi_ssid, wifi_password
                   the network to join; if it cannot be joined (or no
                   wifi_ssid is set) the board opens its own access point:
    ap_ssid, ap_password
                   an empty ap_password makes it an open network
    mqtt_broker    an MQTT broker's host: every widget then appears on MQTT
                   and in Home Assistant (see mqtt_bridge.py); with
    mqtt_port, mqtt_user, mqtt_password
    mqtt_node      the board's name in topics (default: its unique id)
    mqtt_prefix    Home Assistant's discovery prefix ("homeassistant")

Where there is no ``network`` module (the unix port) WiFi set-up is skipped.
"""

import json
import time

#: Where the settings live, relative to the board's working directory.
PATH = "config.json"
#: Seconds to wait for the configured network before opening the access point.
WIFI_TIMEOUT_S = 20


def _text(value):
    return isinstance(value, str)


def _optional_text(value):
    return value is None or isinstance(value, str)


def _port(value):
    # type(), not isinstance(): CPython counts true and false as ints.
    return type(value) is int and 0 < value < 65536


def _origins(value):
    return isinstance(value, list) and all(isinstance(o, str) for o in value)


def _node(value):
    return value is None or isinstance(value, str) and value != "" and all(
        c in "_-" or "a" <= c.lower() <= "z" or "0" <= c <= "9" for c in value)


def _ap_password(value):
    # WPA2 needs 8 to 63 characters; the radio refuses anything else.
    return isinstance(value, str) and (not value or 8 <= len(value) <= 63)


# name: (default, check, what the check wants)
SETTINGS = {
    "title": (None, _optional_text, "a string or null"),
    "port": (80, _port, "a whole number from 1 to 65535"),
    "token": (None, _optional_text, "a string or null"),
    "read_token": (None, _optional_text, "a string or null"),
    "cors_origins": ([], _origins, 'a list of origins like "http://laptop.local:8000"'),
    "wifi_ssid": (None, _optional_text, "a string or null"),
    "wifi_password": ("", _text, "a string"),
    "ap_ssid": ("splitdash", _text, "a string"),
    "ap_password": ("", _ap_password, "empty (an open network) or 8 to 63 characters"),
    "mqtt_broker": (None, _optional_text, "a host name or address, or null"),
    "mqtt_port": (1883, _port, "a whole number from 1 to 65535"),
    "mqtt_user": (None, _optional_text, "a string or null"),
    "mqtt_password": (None, _optional_text, "a string or null"),
    "mqtt_node": (None, _node, "letters, digits, _ and - only, or null"),
    "mqtt_prefix": ("homeassistant", _text, "a string"),
}


class ConfigError(ValueError):
    pass


def defaults():
    return {name: SETTINGS[name][0] for name in SETTINGS}


def parse(text, source=PATH):
    """Settings from the text of a config file; raises ``ConfigError``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError("%s is not valid JSON (%s)" % (source, exc))
    if not isinstance(data, dict):
        raise ConfigError("%s must hold one JSON object of settings" % source)
    config = defaults()
    for name in data:
        if name not in SETTINGS:
            raise ConfigError("%s: unknown setting %r; known ones: %s"
                              % (source, name, ", ".join(sorted(SETTINGS))))
        _, check, wanted = SETTINGS[name]
        if not check(data[name]):
            raise ConfigError("%s: %s must be %s" % (source, name, wanted))
        config[name] = data[name]
    return config


def load(path=PATH):
    """The board's settings; the defaults when it has no config file, or a
    broken one: a board that still boots (on its access point) can be fixed
    with the next deploy, one that stops at boot needs a cable and a REPL."""
    try:
        with open(path) as f:
            return parse(f.read(), path)
    except OSError:
        return defaults()
    except ConfigError as exc:
        print("splitdash: %s; using the defaults" % exc)
        return defaults()


def start_network(config):
    """Join the configured network, else open the access point.

    Returns the board's address, or None where there is no network module.
    """
    try:
        import network
    except ImportError:
        print("splitdash: no network module here; WiFi set-up skipped")
        return None
    if config["wifi_ssid"]:
        address = _join(network, config["wifi_ssid"], config["wifi_password"])
        if address:
            print("splitdash: joined %r as %s" % (config["wifi_ssid"], address))
            return address
        print("splitdash: could not join %r; opening the access point" % config["wifi_ssid"])
    return _open_access_point(network, config["ap_ssid"], config["ap_password"])


def _join(network, ssid, password):
    sta = network.WLAN(network.STA_IF)
    sta.active(True)
    sta.connect(ssid, password)
    for _ in range(WIFI_TIMEOUT_S * 4):
        if sta.isconnected():
            return sta.ifconfig()[0]
        time.sleep_ms(250)
    sta.active(False)
    return None


def _open_access_point(network, ssid, password):
    ap = network.WLAN(network.AP_IF)
    ap.active(True)
    # "essid", "password" and "security" are understood by ESP32 and Pico W
    # alike; the security constants' names differ between ports.
    settings = {"essid": ssid}
    if password:
        settings["password"] = password
    names = ("SEC_WPA2", "AUTH_WPA2_PSK") if password else ("SEC_OPEN", "AUTH_OPEN")
    for name in names:
        security = getattr(network.WLAN, name, getattr(network, name, None))
        if security is not None:
            settings["security"] = security
            break
    ap.config(**settings)
    address = ap.ifconfig()[0]
    print("splitdash: access point %r (%s) at %s"
          % (ssid, "WPA2" if password else "open", address))
    return address
