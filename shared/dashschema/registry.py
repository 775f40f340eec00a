"""The widget registry: widget kinds keyed by the name used on the wire.

A kind is registered by decorating its class with ``@register``. Both ends
rebuild widgets from a schema dict with ``from_dict``, so the board and the
browser validate values with the very same class.
"""

KINDS = {}


def register(cls):
    KINDS[cls.kind] = cls
    return cls


def from_dict(spec):
    """Build the widget a schema entry describes.

    Raises ``KeyError`` for a kind this end does not know, ``ValueError`` for
    bad parameters.
    """
    cls = KINDS[spec["kind"]]
    params = {}
    for name, _ in cls.params:
        if name in spec:
            params[name] = spec[name]
    return cls(spec["id"], spec.get("label"), **params)
