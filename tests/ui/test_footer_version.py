"""The desk's footer shows the version (and build commit): what a help desk asks first."""

from __future__ import annotations

from kiosk import i18n, version_string
from ui.app import build_desk_app

from .conftest import desk_methods


def test_footer_shows_the_version_in_the_ui_language(qtbot, client, store):
    app = build_desk_app(client, store, None, idle_timeout_s=60, method_factories=desk_methods())
    qtbot.addWidget(app.window)
    app.window.resize(1366, 768)
    app.window.show()
    try:
        footer = app.window.version_status
        assert footer.isVisible()
        assert app.window.statusBar().isAncestorOf(footer)
        assert footer.text() == f"Versie {version_string()}"
        i18n.set_language("en")
        assert footer.text() == f"Version {version_string()}"
    finally:
        i18n.set_language("nl")
        app.close()
