"""The widget registry: widget kinds keyed by the name used on the wire.

A kind is registered by decorating its class with ``@register``. Both ends
rebuild widgets from a schema dict (``loader.from_dict``), so the board and
the browser validate values with the very same class.
"""

KINDS = {}


def register(cls):
    KINDS[cls.kind] = cls
    return cls
