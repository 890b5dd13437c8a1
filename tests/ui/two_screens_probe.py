"""Run in a child process with a two-screen offscreen platform; prints where things went."""

from __future__ import annotations

import json
import sys

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from ui.customer_display import CustomerDisplay


def main() -> None:
    app = QApplication(sys.argv[:1])
    screens = {s.name(): s for s in QGuiApplication.screens()}
    desk = QWidget()
    desk.setScreen(screens["desk"])
    desk.setGeometry(screens["desk"].geometry())
    desk.show()
    display = CustomerDisplay(desk_window=desk)
    display.attach_to_screens()
    app.processEvents()
    print(
        json.dumps(
            {
                "screens": sorted(screens),
                "visible": display.isVisible(),
                "screen": display.screen().name(),
                "geometry": list(display.geometry().getRect()),
                "customer": list(screens["customer"].geometry().getRect()),
                "mode": display.mode.value,
            }
        )
    )


if __name__ == "__main__":
    main()
