"""A widget module whose own import fails (for tests/widget_set_cases.py)."""

import no_such_driver  # noqa: F401
