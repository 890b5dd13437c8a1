"""The ``kiosk`` command line: the desk application and operator/integrator subcommands.

Each subcommand lives in its own module in this package and exposes
``register(subparsers) -> None``; :mod:`kiosk.cli.main` discovers them, so adding a
subcommand never touches a shared file.
"""
