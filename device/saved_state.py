"""Values that survive a reboot: the writable widgets' values, kept in one
small JSON object ``{id: value}`` on the board's flash.

A change does not write at once: it wakes one task that waits
``SavedState.delay_s`` and then writes whatever the values are by then, so
a slider dragged through fifty values costs one flash write. The file is
written whole to ``<file>.tmp`` and renamed over the old one: a power cut
leaves the old state or the new one, never part of each.
"""

import asyncio
import json
import os

try:
    from errno import ENOENT
except ImportError:
    ENOENT = 2


def _read(path):
    """The file's text, or None when there is no such file."""
    try:
        with open(path) as f:
            return f.read()
    except OSError as exc:
        if exc.args[0] == ENOENT:
            return None
        raise


def write_whole(path, tmp, chunks, mode="wb"):
    """Write ``chunks`` to ``tmp``, then rename it over ``path``: a power
    cut leaves the old file or the new one. Raises ``OSError``."""
    with open(tmp, mode) as f:
        for chunk in chunks:
            f.write(chunk)
    try:
        os.rename(tmp, path)
    except OSError:
        # Some filesystems (FAT) will not rename over a file.
        try:
            os.remove(path)
        except OSError:
            pass
        os.rename(tmp, path)


class SavedState:
    #: Seconds between a change and the flash write that keeps it; the
    #: changes made meanwhile go in the same write. Flash wears out with
    #: writes, and a set point is rarely changed just before a power cut.
    delay_s = 2

    def __init__(self, path):
        self.path = path
        self.tmp = path + ".tmp"
        #: Flash writes since boot (each one a new file), for wear estimates.
        self.writes = 0
        #: Ids whose saved value was applied at boot.
        self.restored = []
        #: The widgets whose values are kept, as ``take()`` was given them.
        self.widgets = []
        self._text = None  # what the file holds, so an unchanged state is not rewritten
        self._loaded = self._load()
        self._changed = asyncio.Event()

    def _load(self):
        """The saved values; {} (after a line on the console) when the file
        cannot be used. Never raises: the board must boot whatever the file
        holds."""
        instead = False
        try:
            text = _read(self.path)
            if text is None:
                # A rename over the old file that could not be done at once
                # (FAT) removes it first: the new state is the temporary file.
                text = _read(self.tmp)
                instead = True
            if text is None:
                return {}  # first boot
            if not text.strip():
                raise ValueError("it is empty")
            values = json.loads(text)
            if not isinstance(values, dict):
                raise ValueError("it holds no JSON object")
        except Exception as exc:
            # A temporary file is whole once the old one is removed: a broken
            # one alone is the very first save, cut short. Nothing was lost.
            if not instead:
                print("splitdash: saved state %s is unusable (%s); widgets start from "
                      "their defaults" % (self.path, exc))
            return {}
        self._text = text
        return values

    def take(self, widget, value):
        """Keep a widget's value from now on; returns the one it starts
        with: its saved value, validated by its kind as a browser's write
        would be, or ``value`` when there is none or its kind now refuses
        it (a changed range: reported on the console)."""
        self.widgets.append(widget)
        if self._loaded is None or widget.id not in self._loaded:
            return value
        saved = self._loaded.pop(widget.id)
        try:
            saved = widget.validate(saved)
        except Exception as exc:
            print("splitdash: saved value %r for %r dropped (%s); it starts from its "
                  "default" % (saved, widget.id, exc))
            return value
        self.restored.append(widget.id)
        return saved

    def changed(self):
        """A kept value changed: save it within ``delay_s``."""
        self._changed.set()

    def start(self, dash):
        """Write ``dash``'s values as they change, from now on; what is left
        of the file's values (unknown ids) is let go."""
        self._loaded = None
        asyncio.create_task(self._keep(dash))

    async def _keep(self, dash):
        while True:
            await self._changed.wait()
            await asyncio.sleep(self.delay_s)
            # Cleared only now: the changes made while waiting are in this write.
            self._changed.clear()
            self.save(dash)

    def flush(self, dash):
        """Write now a change still waiting for its turn."""
        if self._changed.is_set():
            self._changed.clear()
            self.save(dash)

    def save(self, dash):
        """Write the kept values now, if they differ from the file's."""
        values = {}
        for widget in self.widgets:
            values[widget.id] = dash.get(widget.id)
        text = json.dumps(values)
        if text == self._text:
            return
        try:
            write_whole(self.path, self.tmp, (text,), "w")
        except OSError as exc:
            # A full or read-only flash must not stop the dashboard.
            print("splitdash: could not save state to %s (%s)" % (self.path, exc))
            return
        self._text = text
        self.writes += 1
