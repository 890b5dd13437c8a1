"""Headless core of the registration desk kiosk.

Everything a registration needs that is not presentation lives here: the data model, the
wizard flow, MRZ and chip reading, the durable queue, the portal client and the reference
portal. This package never imports ``PySide6.QtWidgets`` or ``PySide6.QtGui``
(``tests/unit/test_architecture.py`` enforces that), so it can be tested and reused without
a display.
"""

__version__ = "0.1.0"
