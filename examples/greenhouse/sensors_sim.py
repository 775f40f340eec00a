"""Simulated sensors and actuators for the demo.

A real board replaces this module with drivers of the same shape
(``machine.ADC``, ``dht.DHT22``, ``machine.PWM``, ...); main.py does not change.
"""

import random
import time

_temperature = 21.0
_outside = 9.0
_tank = 62.0
_wind = 180.0
_soil = 50.0
fan_on = False
led_brightness = 0
led_colour = "#000000"
_started = time.ticks_ms() if hasattr(time, "ticks_ms") else 0


def temperature():
    """A random walk around 21 °C; the fan pulls it down."""
    global _temperature
    _temperature += random.uniform(-0.3, 0.3) - (0.05 if fan_on else 0)
    _temperature = min(35.0, max(5.0, _temperature))
    return _temperature


def humidity():
    return 45 + random.uniform(-5, 5)


def outside_temperature():
    """Colder than inside, and slower to change."""
    global _outside
    _outside = min(30.0, max(-10.0, _outside + random.uniform(-0.1, 0.1)))
    return _outside


def outside_humidity():
    return 70 + random.uniform(-8, 8)


def tank_level():
    """Drains slowly and refills when nearly empty."""
    global _tank
    _tank -= random.uniform(0, 0.5)
    if _tank < 5:
        _tank = 95.0
    return _tank


def soil_moisture():
    """Dries out, and is watered back while the tank has water."""
    global _soil
    _soil += random.uniform(-1.2, 0.4) + (1.5 if _tank >= 15 and _soil < 30 else 0)
    _soil = min(100.0, max(0.0, _soil))
    return _soil


def wind_direction():
    global _wind
    _wind = (_wind + random.uniform(-15, 15)) % 360
    return _wind


def uptime_s():
    return time.ticks_diff(time.ticks_ms(), _started) // 1000


def set_fan(on):
    global fan_on
    fan_on = on


def set_led(brightness):
    global led_brightness
    led_brightness = brightness


def set_led_colour(colour):
    global led_colour
    led_colour = colour
