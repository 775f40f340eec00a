"""A reading in whole seconds on the page (the demo's uptime, a duration to
Home Assistant): a real Chromium against the device on the unix port."""

from test_ui import custom_device


def test_whole_seconds_read_as_a_person_reads_them(start_device, tmp_path, open_page):
    device = custom_device(start_device, tmp_path, """
        for wid, seconds in (("short", 45), ("minutes", 79), ("hours", 7530),
                             ("days", 200000)):
            dash.add(Number(wid, unit="s", precision=0), seconds)
        dash.add(Number("timed", unit="s", precision=1), 79)
        dash.add(Number("none", unit="s", precision=0))
    """)
    page = open_page(device).wait_ready()
    shown = {wid: page.widget(wid).locator(".reading").inner_text()
             for wid in ("short", "minutes", "hours", "days", "timed", "none")}
    assert shown == {"short": "45 s", "minutes": "1 min 19 s", "hours": "2 h 5 min",
                     "days": "2 d 7 h", "timed": "79.0s", "none": "—"}
    assert not page.errors
