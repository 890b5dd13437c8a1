"""PySide6 presentation layer of the desk kiosk: passive views over kiosk/."""
