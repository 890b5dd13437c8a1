"""The docs match the tree: every path they name exists, every link resolves.

README.md is the front door; the rest lives in docs/. A doc that names a folder or file that
is not there (or links to a page that moved) fails here rather than misleading a reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Top-level folders a repository path starts with; `code` spans starting elsewhere are not
# repository paths (URLs, runtime paths like `<data dir>/trust`, module names).
REPO_ROOTS = ("kiosk/", "ui/", "resources/", "tests/", "docs/", "packaging/", ".ci/")
# Paths the docs name on purpose although they are not in the tree.
NOT_IN_TREE = {
    "resources/trust/",  # the folder a release may ship; documented as absent
}
_CODE = re.compile(r"`([^`\s]+)`")
_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def _paths(text: str) -> set[str]:
    found = set()
    for span in _CODE.findall(text):
        path = span.split(":")[0].rstrip(".,;")
        if path.startswith(REPO_ROOTS) and not any(c in path for c in "<>*{}"):
            found.add(path)
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_named_exists(doc):
    missing = sorted(
        path
        for path in _paths(doc.read_text(encoding="utf-8"))
        if path not in NOT_IN_TREE and not (ROOT / path).exists()
    )
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc):
    links = _LINK.findall(doc.read_text(encoding="utf-8"))
    broken = [link for link in links if "://" not in link and not (doc.parent / link).exists()]
    assert broken == []


def test_readme_is_the_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 150 <= len(text.splitlines()) <= 250
    assert "./dev test" in text  # CI calls it; the README says so
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{page.name}" in text, f"README does not link docs/{page.name}"


def test_not_in_tree_is_still_absent():
    # When resources/trust/ appears, the docs that call it absent must change with it.
    for path in NOT_IN_TREE:
        assert not (ROOT / path).exists(), path
