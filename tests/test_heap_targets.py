"""The board load's rows, each held on the 32-bit build of the unix port (a
board's object sizes) at the heap its row is held to (``Row.held``: its
target where met, else the smallest heap it serves from today, so that no
change takes a row back up), under a shorter
version of the load a board sees (bench/board_load.py: 8 pages open, 4 of
them streaming as on an ESP32; cold loads of the whole bundle; two writers
writing valid and invalid values; or, for the 20-widget row, 8 clients
polling back to back). A fixed number of loads, writes and requests, no
time measured: the heap a device needs does not depend on how fast it
runs. A try fails at a request the page's retries do not get answered, a
write answered wrongly, a page left behind, a task ended by an exception,
or free heap lost from one round to the next. ``make bench`` finds the
smallest heap of each row, beside its peers'.
"""

import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "bench"))
import board_load  # noqa: E402
from runtime import MICROPYTHON32, compile_libraries  # noqa: E402

#: The tests' own folder (scripts, ROMFS image, logs), apart from make bench's.
FOLDER = os.path.join(ROOT, "build", "heap-targets")


@pytest.fixture(scope="module")
def folder():
    assert os.path.exists(MICROPYTHON32), (
        "the heap targets are held on the 32-bit build, %s (see its README.md; "
        "MICROPYTHON32 may name another)" % MICROPYTHON32)
    compile_libraries(FOLDER)  # the device scripts as .mpy, and the ROMFS image
    return FOLDER


def held(folder, name, storage):
    row = board_load.ROW[name]
    kb = row.held[storage]
    result = board_load.run_load(row, kb, romfs=storage == "romfs", load=board_load.TEST_LOAD,
                                 folder=folder)
    log = os.path.join(folder, row.app + ".log")
    with open(log) as f:
        console = f.read()
    assert result["why"] is None, "%s (%s) at %dK: %s\n%r\ndevice console:\n%s" % (
        row.title, storage, kb, result["why"], result, console[-3000:])


def test_six_widgets_from_the_filesystem_at_their_held_heap(folder):
    held(folder, "six", "fs")


def test_six_widgets_from_romfs_at_their_held_heap(folder):
    held(folder, "six", "romfs")


def test_the_demo_from_the_filesystem_at_its_held_heap(folder):
    held(folder, "demo", "fs")


def test_the_demo_from_romfs_at_its_held_heap(folder):
    held(folder, "demo", "romfs")


def test_twenty_widgets_polled_back_to_back_at_their_held_heap(folder):
    held(folder, "twenty", "fs")


def test_thirty_widgets_bridged_to_mqtt_at_their_held_heap(folder):
    held(folder, "thirty", "fs")
