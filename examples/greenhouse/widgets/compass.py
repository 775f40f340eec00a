"""A custom widget kind for the demo: wind direction in degrees, drawn as a
compass rose in the browser (see renderers/compass.py).

Everything a kind needs on both ends is this class: the board validates
readings with it, the browser rebuilds it from the schema.
"""

from dashschema.registry import register
from dashschema.widget import Widget, finite_or_none, is_number


@register
class Compass(Widget):
    kind = "compass"
    params = (("unit", "°"),)
    # What Home Assistant is told it measures, when the board is on MQTT.
    device_class = "wind_direction"

    def validate(self, value):
        value = finite_or_none(value)
        if value is None:
            return None
        if not is_number(value):
            raise ValueError("expected a bearing in degrees")
        # 370° is 10° on a compass; one decimal is plenty. Rounding first
        # keeps 359.96° from coming out as 360.0°.
        return round(value, 1) % 360
