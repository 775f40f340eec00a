"""A widget module that registers a kind under another name than its own
(for tests/widget_set_cases.py)."""

from dashschema.registry import register
from dashschema.widget import Widget


@register
class Misnamed(Widget):
    kind = "another_name"
