"""``kiosk`` without a subcommand: the desk application (the composition root)."""

from __future__ import annotations

import argparse
import importlib

from kiosk.config import load_config


def run_desk(args: argparse.Namespace) -> int:
    """Start the desk GUI with the configured portal; returns the exit code."""
    # Imported by name so the headless core has no static dependency on the Qt UI.
    app = importlib.import_module("ui.app")
    code: int = app.run_desk_app(config=load_config())
    return code
