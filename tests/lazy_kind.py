"""A custom widget kind no module imports: the registry must find it by its
name (for tests/widget_set_cases.py)."""

from dashschema.registry import register
from dashschema.widget import Widget


@register
class Lazy(Widget):
    kind = "lazy_kind"
