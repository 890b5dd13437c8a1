"""Linux-only code paths in kiosk/ and ui/ sit behind a platform check (issue 13, Windows).

The desk must also run on Windows (docs/windows.md). This test walks the source of kiosk/
and ui/ for things that exist only on Linux or POSIX: the pcscd socket and other fixed
system paths, ``fcntl``/``prctl``/``pwd``/``grp``/``termios``/``resource``, uid/gid calls,
``os.fork``/``os.chown``, POSIX-only ``os.O_*`` flags and permission bits
(``stat.S_IMODE``). Each must sit under a ``sys.platform``/``os.name`` test (an ``if``, a
conditional expression, an ``and`` after the test, or an early ``return`` on the negated
test at the top of its function). :data:`GUARDED` lists every one found, so a new Linux-only
path is looked at (and listed here) by whoever adds it; tests/ are not scanned.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = ("kiosk", "ui")

LINUX_MODULES = {"fcntl", "prctl", "pwd", "grp", "termios", "resource", "posix"}
LINUX_OS_ATTRS = {
    "geteuid", "getuid", "getegid", "getgid", "fork", "chown", "fchown", "fchmod", "setsid",
    "O_NOFOLLOW", "O_DIRECTORY", "O_CLOEXEC", "killpg", "getpgid",
}  # fmt: skip
LINUX_PATH_PREFIXES = ("/run/", "/dev/", "/proc/", "/sys/", "/etc/", "/var/", "/tmp/")

#: Every Linux/POSIX-only use found, as (file, function, what): each is behind a check.
GUARDED = {
    ("kiosk/store/keys.py", "FileKeyProvider.load", "stat.S_IMODE"),
    ("kiosk/store/keys.py", "_fsync_dir", "os.O_RDONLY on a directory"),
}


def _is_platform_test(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return "sys.platform" in text or "os.name" in text


def _markers(node: ast.AST) -> str | None:
    """What makes ``node`` Linux-only, or ``None``."""
    if isinstance(node, ast.Import):
        names = {alias.name.split(".")[0] for alias in node.names}
        found = names & LINUX_MODULES
        return f"import {sorted(found)[0]}" if found else None
    if isinstance(node, ast.ImportFrom) and node.module:
        return f"import {node.module}" if node.module.split(".")[0] in LINUX_MODULES else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "os" and node.attr in LINUX_OS_ATTRS:
            return f"os.{node.attr}"
        if node.value.id == "stat" and node.attr == "S_IMODE":
            return "stat.S_IMODE"
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(LINUX_PATH_PREFIXES)
    ):
        return f"path {node.value}"
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "os.open" and len(node.args) > 1:
        # Opening a directory (to fsync it) works on POSIX only.
        flags = ast.unparse(node.args[1])
        return (
            "os.O_RDONLY on a directory" if "O_RDONLY" in flags and "O_CREAT" not in flags else None
        )
    return None


def _guarded(chain: list[ast.AST]) -> bool:
    """True when some ancestor in ``chain`` (outermost first) tests the platform first."""
    for parent, child in itertools.pairwise(chain):
        if isinstance(parent, ast.If | ast.IfExp) and _is_platform_test(parent.test):
            return True
        if (
            isinstance(parent, ast.BoolOp)
            and child in parent.values
            and any(_is_platform_test(v) for v in parent.values[: parent.values.index(child)])
        ):
            return True
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in parent.body:
                if stmt is child:
                    break
                # ``if os.name != "posix": return`` (a negated test) guards what follows.
                test = ast.unparse(stmt.test) if isinstance(stmt, ast.If) else ""
                if (
                    isinstance(stmt, ast.If)
                    and _is_platform_test(stmt.test)
                    and ("!=" in test or test.startswith("not "))
                    and any(isinstance(s, ast.Return) for s in stmt.body)
                ):
                    return True
    return False


def _scan() -> tuple[set[tuple[str, str, str]], list[str]]:
    found: set[tuple[str, str, str]] = set()
    unguarded: list[str] = []
    for root in SOURCE_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))

            def visit(node: ast.AST, chain: list[ast.AST], scope: list[str], rel: str = rel):
                what = _markers(node)
                if what is not None and not isinstance(node, ast.Expr):
                    where = ".".join(scope) or "<module>"
                    found.add((rel, where, what))
                    if not _guarded([*chain, node]):
                        line = getattr(node, "lineno", 0)
                        unguarded.append(f"{rel}:{line} ({where}): {what}")
                named = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                inner = [*scope, node.name] if named else scope  # type: ignore[union-attr]
                for child in ast.iter_child_nodes(node):
                    # Docstrings and comments may name Linux paths: only code counts.
                    if isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant):
                        continue
                    visit(child, [*chain, node], inner)

            visit(tree, [], [])
    return found, unguarded


def test_every_linux_only_path_is_behind_a_platform_check() -> None:
    _found, unguarded = _scan()
    assert not unguarded, "Linux/POSIX-only code without a platform check:\n" + "\n".join(unguarded)


def test_the_list_of_linux_only_paths_is_complete() -> None:
    found, _unguarded = _scan()
    assert found == GUARDED, (
        "update GUARDED (and docs/windows.md) after checking the new or removed path: "
        f"new {sorted(found - GUARDED)}, gone {sorted(GUARDED - found)}"
    )


def test_the_scanner_sees_an_unguarded_path() -> None:
    # The detector itself: an unguarded fcntl import and pcscd path are caught, guarded are not.
    source = (
        "import sys\n"
        "import fcntl\n"
        "def f():\n"
        "    if sys.platform == 'linux':\n"
        "        return '/run/pcscd/pcscd.comm'\n"
        "    return open('/run/pcscd/x')\n"
    )
    tree = ast.parse(source)
    hits = []

    def visit(node: ast.AST, chain: list[ast.AST]) -> None:
        if _markers(node) is not None:
            hits.append((_markers(node), _guarded([*chain, node])))
        for child in ast.iter_child_nodes(node):
            visit(child, [*chain, node])

    visit(tree, [])
    assert ("import fcntl", False) in hits
    assert ("path /run/pcscd/pcscd.comm", True) in hits
    assert ("path /run/pcscd/x", False) in hits
