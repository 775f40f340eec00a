"""Light and dark: the system's choice until the user flips the switch in
the header, which this browser then remembers; and the board's accent
colour, with text on it in black or white, whichever reads better."""

from pyscript import web, when, window

#: Where the user's choice is kept ("light" or "dark"; none: the system's).
KEY = "splitdash-theme"


def _luminance(colour):
    """WCAG relative luminance of "#rrggbb"."""
    total = 0
    for weight, at in ((0.2126, 1), (0.7152, 3), (0.0722, 5)):
        c = int(colour[at:at + 2], 16) / 255
        c = c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        total += weight * c
    return total


def text_on(colour):
    """Black or white, whichever contrasts more with ``colour``: one of them
    always reaches 4.5:1."""
    lum = _luminance(colour)
    return "#000000" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


def set_accent(colour):
    style = window.document.documentElement.style
    if colour:
        style.setProperty("--accent", colour)
        style.setProperty("--on-accent", text_on(colour))
    else:
        style.removeProperty("--accent")
        style.removeProperty("--on-accent")


class ThemeSwitch:
    """The header's switch: pressed is dark."""

    def __init__(self):
        self.root = window.document.documentElement
        self.system = window.matchMedia("(prefers-color-scheme: dark)")
        self.button = web.page["theme"]

        @when("click", self.button)
        def flipped(event):
            theme = "light" if self.dark() else "dark"
            window.localStorage.setItem(KEY, theme)
            self.apply(theme)

        self.apply(window.localStorage.getItem(KEY))

    def dark(self):
        theme = self.root.getAttribute("data-theme")
        return theme == "dark" if theme in ("light", "dark") else bool(self.system.matches)

    def apply(self, theme):
        if theme in ("light", "dark"):
            self.root.setAttribute("data-theme", theme)
        self.button.setAttribute("aria-pressed", "true" if self.dark() else "false")
