"""Widgets rebuilt from a schema, as the page does: a kind not registered
yet is imported the first time a schema names it, a built-in one from its
module in ``MODULES``, any other from ``<kind>.py`` (``shared/<kind>.py``).
So a page loads only the kinds its board shows, and a custom kind needs no
import. The board imports its kinds itself and never loads this module.
"""

from dashschema.registry import KINDS

#: Where each built-in kind is declared.
MODULES = {
    "label": "dashschema.kinds", "number": "dashschema.kinds", "level": "dashschema.kinds",
    "toggle": "dashschema.kinds", "slider": "dashschema.kinds", "button": "dashschema.kinds",
    "chart": "dashschema.chart", "log": "dashschema.log",
    "select": "dashschema.inputs", "number_input": "dashschema.inputs",
    "text_input": "dashschema.inputs", "color": "dashschema.inputs",
    "gauge": "dashschema.readouts", "indicator": "dashschema.readouts",
}


def is_kind_name(kind):
    """Whether ``kind`` may name a module: letters, digits and ``_``."""
    return isinstance(kind, str) and bool(kind) and \
        all(c.isalpha() or c.isdigit() or c == "_" for c in kind)


def import_if_present(module):
    """Import ``module``; False when there is no such module. Only the module
    itself missing counts: an import failing inside it is its author's to
    see, and raises as it is."""
    try:
        __import__(module)
    except ImportError as exc:
        if str(exc).endswith("'%s'" % module):
            return False
        raise
    return True


def kind_class(kind):
    """The class of ``kind``, its module imported if need be.

    Raises ``KeyError`` saying why when there is none: no such module, or a
    module that registered other kinds. An error raised inside the module
    (an ``ImportError`` of its own included) goes to the caller as it is.
    """
    cls = KINDS.get(kind)
    if cls is not None:
        return cls
    if not is_kind_name(kind):
        raise KeyError("no widget kind %r" % (kind,))
    module = MODULES.get(kind, kind)
    if not import_if_present(module):
        raise KeyError("no widget kind %r: no %s.py" % (kind, module.replace(".", "/")))
    cls = KINDS.get(kind)
    if cls is None:
        raise KeyError("%s.py registered no kind %r" % (module.replace(".", "/"), kind))
    return cls


def from_dict(spec):
    """Build the widget a schema entry describes.

    Raises ``KeyError`` for a kind this end does not know, ``ValueError`` for
    bad parameters.
    """
    cls = kind_class(spec["kind"])
    params = {}
    for name, _ in cls.params:
        if name in spec:
            params[name] = spec[name]
    return cls(spec["id"], spec.get("label"), group=spec.get("group"), **params)
