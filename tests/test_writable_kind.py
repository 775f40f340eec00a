"""A custom kind that checks a browser's write apart from the board's own
set() (``Widget.validate_write``): the example app's thermostat, in a
dashboard of its own, on the unix port and in Chromium."""

import os
import sys

import pytest

from conftest import EXAMPLE_WIDGETS, ROOT
from test_ui import custom_device, device_values, wait_device_value
from test_ui_widget_set import wait_text

sys.path[:0] = [EXAMPLE_WIDGETS, os.path.join(ROOT, "shared")]
from thermostat import Thermostat  # noqa: E402

APP = """
from thermostat import Thermostat
dash.add(Thermostat("heating", "Heating", min=5, max=30, step=0.5),
         {"current": 19.5, "target": 18})
"""


def write(device, body):
    return device.request("/data", body=body, headers={"Content-Type": "application/json"})


def test_the_board_sets_both_parts_a_browser_the_set_point_alone():
    t = Thermostat("heating", min=5, max=30, step=0.5)
    assert t.validate({"current": 21.04, "target": 20}) == {"current": 21.0, "target": 20}
    assert t.validate_write({"target": 22.5}, {"current": 19.0, "target": 20}) == \
        {"current": 19.0, "target": 22.5}
    with pytest.raises(ValueError, match="only the set point"):
        t.validate_write({"current": 30, "target": 20}, {"current": 19.0, "target": 20})
    with pytest.raises(ValueError, match="outside 5..30"):
        t.validate_write({"target": 31}, None)


def test_the_board_refuses_a_write_to_the_reading(start_device, tmp_path):
    device = custom_device(start_device, tmp_path, APP)
    status, _, body = write(device, {"heating": {"current": 30, "target": 20}})
    assert status == 400
    assert body == {"widget": "heating", "error": "'heating': only the set point can be "
                    'written: send {"target": number}'}
    status, _, body = write(device, {"heating": {"target": 40}})
    assert status == 400 and "set point 40 is outside 5..30" in body["error"]
    assert device_values(device)["heating"] == {"current": 19.5, "target": 18}
    status, _, _ = write(device, {"heating": {"target": 21.5}})
    assert status == 200
    assert device_values(device)["heating"] == {"current": 19.5, "target": 21.5}


def test_the_page_writes_the_set_point_and_rolls_back_a_refused_one(start_device, tmp_path,
                                                                    open_page):
    device = custom_device(start_device, tmp_path, APP)
    page = open_page(device).wait_ready()
    card = page.widget("heating")
    assert "19.5°C" in card.inner_text()
    box = card.locator("input")
    assert box.input_value() == "18"
    box.fill("22.5")
    box.press("Enter")
    wait_device_value(device, page, "heating", {"current": 19.5, "target": 22.5})
    box.fill("40")
    box.press("Enter")
    wait_text(page, "heating", "set point 40 is outside 5..30")
    assert box.input_value() == "22.5"
    assert device_values(device)["heating"]["target"] == 22.5
    # Its own style sheet, added with the card.
    assert page.page.evaluate("() => [...document.querySelectorAll('style')].some("
                              "s => s.textContent.includes('.kind-thermostat'))")
    assert not page.errors
