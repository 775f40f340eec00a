"""The renderer registry: a Card class per widget kind.

A kind's renderer is found in ``RENDERERS``, or else imported from its
module: a built-in kind's from ``MODULES``, any other from
``renderers/<kind>.py``, which registers itself with ``@register``. So a new
kind is one module here (plus its class in shared/) and nothing else to edit.
"""

from dashschema.loader import import_if_present, is_kind_name

RENDERERS = {}

#: Where each built-in kind's renderer is.
MODULES = {
    "label": "builtin", "number": "builtin", "level": "builtin", "toggle": "builtin",
    "slider": "builtin", "button": "builtin",
    "select": "inputs", "number_input": "inputs", "text_input": "inputs", "color": "inputs",
    "gauge": "readouts", "indicator": "readouts",
}

# Why a kind has no renderer, found once: every card of it shows the reason.
_missing = {}


def register(cls):
    RENDERERS[cls.kind] = cls
    return cls


def renderer_for(kind):
    """``(Card class, None)`` for ``kind``, or ``(None, why there is none)``."""
    cls = RENDERERS.get(kind)
    if cls is not None:
        return cls, None
    if kind not in _missing:
        _missing[kind] = _load(kind)
    return RENDERERS.get(kind), _missing[kind]


def _load(kind):
    if not is_kind_name(kind):
        return "no renderer for kind %r" % (kind,)
    name = "renderers." + MODULES.get(kind, kind)
    path = name.replace(".", "/") + ".py"
    before = set(RENDERERS)
    try:
        if not import_if_present(name):
            return "no %s" % path
    except ImportError as exc:
        return "%s cannot import what it needs: %s" % (path, exc)
    except Exception as exc:
        # A broken renderer costs its own cards only, never the page.
        return "%s failed to load: %s: %s" % (path, type(exc).__name__, exc)
    if kind not in RENDERERS:
        others = sorted(set(RENDERERS) - before)
        return "%s registered %s, not %r" % (
            path, ", ".join(repr(k) for k in others) if others else "no renderer", kind)
    return None
