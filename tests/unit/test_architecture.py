"""Layering rules of DESIGN.md section 2, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = ("PySide6.QtWidgets", "PySide6.QtGui")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.append(str(node.args[0].value))
    return names


def test_core_never_imports_qt_widgets_or_gui():
    offenders = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        for name in _imports(path):
            if name.startswith(FORBIDDEN_IN_CORE) or name in ("PySide6.QtWidgets", "PySide6.QtGui"):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_core_does_not_depend_on_ui_except_composition_root():
    # Only the CLI's composition root (starting the desk app or the demo) may reach the UI.
    allowed = {ROOT / "kiosk" / "cli"}
    offenders = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        if path.parent in allowed:
            continue
        for name in _imports(path):
            if name == "ui" or name.startswith("ui."):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_architecture_check_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtWidgets import QLabel\nimport PySide6.QtGui\n")
    assert "PySide6.QtWidgets" in _imports(bad)
    assert "PySide6.QtGui" in _imports(bad)
