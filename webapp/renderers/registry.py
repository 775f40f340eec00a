"""The renderer registry: a Card class per widget kind.

A kind's renderer is found in ``RENDERERS``, or else imported from
``renderers/<kind>.py``, which registers itself with ``@register``. So a new
kind is one module here (plus its class in shared/) and nothing else to edit.
"""

RENDERERS = {}


def register(cls):
    RENDERERS[cls.kind] = cls
    return cls


def renderer_for(kind):
    """The Card class for ``kind``, or None when this page does not know it."""
    if kind not in RENDERERS:
        try:
            __import__("renderers." + kind)
        except ImportError:
            return None
        except Exception as exc:
            # A broken renderer costs its own card only, never the page.
            print("renderer for %r failed to load: %r" % (kind, exc))
            return None
    return RENDERERS.get(kind)
