"""Entry point of the bundled ``kiosk`` executable (PyInstaller runs this file)."""

import sys

from kiosk.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
