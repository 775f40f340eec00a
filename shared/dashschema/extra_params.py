"""The parameters every kind takes besides its own: Home Assistant's words
for a widget on MQTT, ``device_class`` and ``entity_category`` (see
``Widget``). A widget given a parameter its kind does not declare imports
this module; one given none never loads it, nor does the page.
"""

NAMES = ("device_class", "entity_category")


def _reason(widget):
    name = widget.device_class
    if name is not None and (not isinstance(name, str) or not "a" <= name[:1] <= "z" or
                             name.strip("abcdefghijklmnopqrstuvwxyz0123456789_")):
        return 'device_class must be a name such as "temperature"'
    if widget.entity_category not in (None, "diagnostic", "config" if widget.writable else None):
        # Home Assistant refuses a sensor as a setting.
        return 'entity_category must be "diagnostic", None, or "config" on a widget a user sets'
    return None


def take(widget, params):
    """Set ``params`` on ``widget``; raise ``ValueError`` for one unknown or wrong."""
    for name in NAMES:
        if name in params:
            setattr(widget, name, params.pop(name))
    for name in params:
        reason = "unknown parameter %r" % name
        break
    else:
        reason = _reason(widget)
    if reason:
        raise ValueError("%s %r: %s" % (widget.kind, widget.id, reason))
