"""Headless core of the registration desk kiosk.

Everything a registration needs that is not presentation lives here: the data model, the
wizard flow, MRZ and chip reading, the durable queue, the portal client and the reference
portal. This package never imports ``PySide6.QtWidgets`` or ``PySide6.QtGui``
(``tests/unit/test_architecture.py`` enforces that), so it can be tested and reused without
a display.

The version: :data:`__version__` is the release (kept equal to ``pyproject.toml``);
:func:`build_commit` is the git commit it was built from, which ``./dev bundle`` writes into
the generated, gitignored ``kiosk/_build.py``. :func:`version_string` joins both for
``kiosk --version``, ``kiosk doctor`` and the desk's footer.
"""

from __future__ import annotations

import functools
from pathlib import Path

__version__ = "0.1.0"


@functools.cache
def build_commit() -> str | None:
    """The short git commit this copy was built from, or ``None`` when nobody knows.

    A bundle answers from ``kiosk/_build.py`` (written at build time; a bundle has no
    ``.git``). A source checkout without that file asks git once, so a developer's
    ``kiosk --version`` still names the commit; anywhere else the answer is ``None``.
    """
    try:
        from kiosk import _build  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        pass
    else:
        commit = getattr(_build, "COMMIT", None)
        return str(commit) if commit else None
    return _git_commit(Path(__file__).resolve().parent.parent)


def _git_commit(folder: Path) -> str | None:
    if not (folder / ".git").exists():  # a worktree has a .git file, a clone a folder
        return None
    import subprocess

    try:
        # Fixed arguments, no shell; "git" from PATH is what a developer runs anyway.
        done = subprocess.run(  # noqa: S603
            ["git", "-C", str(folder), "rev-parse", "--short=12", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def version_string() -> str:
    """``0.1.0 (commit 1a2b3c4d5e6f)``, or just ``0.1.0`` when the commit is unknown."""
    commit = build_commit()
    return f"{__version__} (commit {commit})" if commit else __version__
