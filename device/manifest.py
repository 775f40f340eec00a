# Freezes splitdash and Microdot into a MicroPython firmware image: frozen
# bytecode runs from flash, so the library's code takes none of the heap.
#
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=<checkout>/device/manifest.py
#
# The board's own manifest comes first, so what the firmware freezes without
# this file (asyncio, network helpers) stays in it. main.py, config.json and
# the www/ bundle stay on the board's filesystem (make deploy).
#
# Microdot is frozen from the folder that holds its `microdot` package, the
# first given of (as an absolute path):
#   include("<checkout>/device/manifest.py", microdot="<dir>") in a manifest
#       of your own;
#   make ... MICROPY_MANIFEST_MICRODOT=<dir>, which make hands to the build's
#       environment on every port, cmake ones (esp32, rp2) included;
#   this checkout's pinned copy, installed by tools/setup.sh in .venv/.
# Give a Microdot of the release requirements.txt pins: device/server.py
# subclasses it.

import glob
import os

MICRODOT_FILES = ["__init__.py", "microdot.py", "cors.py"]
# The boot file runs the app, which stays on the board's filesystem (the
# build's lib/: make deploy); manifest.py is this file.
NOT_FROZEN = ("main.py", "manifest.py")


def include_first(*manifests):
    # A manifest cannot test whether a file under $(BOARD_DIR) exists, so
    # each is tried in turn; only one that is not there moves on, an error
    # inside one stops the build.
    for path in manifests:
        try:
            include(path)
            return
        except Exception as e:
            missing = "No such file" in str(e) and str(e).count("Error in manifest") == 1
            if not missing:
                raise
    raise Exception("no board or port manifest among %s" % (manifests,))


# The board's (it includes its port's), else the port's; the unix port keeps
# its own under variants/.
include_first("$(BOARD_DIR)/manifest.py", "$(PORT_DIR)/boards/manifest.py",
              "$(PORT_DIR)/variants/manifest.py")
include("$(MPY_DIR)/extmod/asyncio")

# Relative paths are this file's folder, where the build runs it.
for name in sorted(glob.glob("*.py")):
    if name not in NOT_FROZEN:
        module(name)
package("dashschema", base_path="../shared")


def venv_microdot():
    found = sorted(glob.glob("../.venv/lib/python3*/site-packages/microdot/microdot.py"))
    if not found:
        raise Exception("Microdot not found: run tools/setup.sh, "
                        "or give MICROPY_MANIFEST_MICRODOT=<dir>")
    return os.path.abspath(os.path.join(os.path.dirname(found[-1]), ".."))


microdot = options.microdot or os.environ.get("MICROPY_MANIFEST_MICRODOT")
package("microdot", files=MICRODOT_FILES, base_path=microdot or venv_microdot())
