"""``kiosk trust import FILE`` and ``kiosk trust list``: the CSCA trust store.

``import`` takes a CSCA master list (CMS SignedData, e.g. the Dutch one from npkd.nl; its
signature is verified first) or a single certificate (PEM or DER) and adds the CA
certificates it does not have yet to the desk's local trust store (``trust.folder``, default
``<data dir>/trust``; or ``--folder``). ``list`` prints country, expiry, subject and
fingerprint of every CSCA the desk trusts (or of ``--folder`` alone).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kiosk.config import load_config
from kiosk.errors import KioskError
from kiosk.i18n import tr


def register(subparsers: Any) -> None:
    """Add ``kiosk trust import`` and ``kiosk trust list``."""
    trust = subparsers.add_parser("trust", help="manage the CSCA trust store")
    commands = trust.add_subparsers(dest="trust_command", metavar="COMMAND", required=True)
    imp = commands.add_parser(
        "import",
        help="import a CSCA master list or a CSCA certificate",
        description="Import a CSCA master list (signature verified first) or a certificate.",
    )
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument(
        "--folder", type=Path, help="trust store folder (default: trust.folder from the config)"
    )
    imp.set_defaults(handler=run_import)
    lst = commands.add_parser("list", help="list the trusted CSCA certificates")
    lst.add_argument(
        "--folder", type=Path, help="list only this trust store folder (default: the desk's)"
    )
    lst.set_defaults(handler=run_list)


def run_import(args: argparse.Namespace) -> int:
    """Import FILE; exit 0 on success, 1 when it does not verify, 2 when unreadable."""
    from kiosk.emrtd.trust import MasterListSignatureError, import_file

    path: Path = args.file
    if not path.is_file():
        print(tr("trust.cli.not_found", path=str(path)), file=sys.stderr)
        return 2
    try:
        folder: Path = args.folder or load_config().trust_dir()
        result = import_file(path, folder / "csca")
    except MasterListSignatureError as exc:
        print(exc.translated(), file=sys.stderr)
        return 1
    except KioskError as exc:
        print(exc.translated(), file=sys.stderr)
        return 2
    print(
        tr(
            "trust.cli.imported",
            added=result.added,
            duplicates=result.duplicates,
            skipped=result.skipped,
            kind=tr(f"trust.cli.kind.{result.kind}"),
        )
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the trust store."""
    from kiosk.emrtd.trust import TrustStore, list_entries

    store = TrustStore.load(args.folder) if args.folder else TrustStore.for_config(load_config())
    for entry in list_entries(store):
        mark = f"  [{tr('trust.cli.test_only')}]" if entry.test_only else ""
        print(
            f"{entry.country}  {entry.not_after:%Y-%m-%d}  {entry.fingerprint[:16]}  "
            f"{entry.subject}{mark}"
        )
    print(tr("trust.cli.count", count=len(store)))
    return 0
