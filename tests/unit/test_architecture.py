"""Layering rules of DESIGN.md section 2, checked on the source itself.

Every ``import`` in ``kiosk/`` and ``ui/`` counts, wherever it is: at the top of the module,
inside a function (a lazy import is still a dependency, it only runs later), or under
``if TYPE_CHECKING:`` (the type checker follows it, and so must a reader). Three rules:

1. an import never runs upward in :data:`LAYERS`;
2. no two packages import each other, directly or round a longer circle;
3. no two modules import each other (no strongly connected component in the module graph).

A failure names the offending import with its ``file:line``. To fix one, move the code to
the layer where it belongs; hiding the import in a function does not help (rule 1-3 see it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = ("kiosk", "ui")
FORBIDDEN_IN_CORE = ("PySide6.QtWidgets", "PySide6.QtGui")

# The intended layer order, lowest first. A module may import its own component, any
# component in a lower layer and, only where a layer is marked open, its peers in the same
# layer. ``name.*`` is a component: the module or package ``name`` and everything below it;
# a bare name is that one module. A module that matches no entry fails the test: place it.
#
# (layer, open to peers, components, the layer's job)
LAYERS: tuple[tuple[str, bool, tuple[str, ...], str], ...] = (
    (
        "base",
        True,
        (
            "kiosk",  # the package itself: only __version__
            "kiosk.paths.*",
            "kiosk.i18n.*",
            "kiosk.errors.*",
            "kiosk.log.*",
            "kiosk.events.*",
            "kiosk.model.*",
            "kiosk.config.*",
            "kiosk.sqlitemigrate.*",
        ),
        # Vocabulary every other layer shares: where resources are, translated messages,
        # the typed error tree, masked logging, listener lists, the domain model (value
        # objects, validation), the configuration, and the user_version migration helper
        # both SQLite stores use (kiosk store and reference portal). No I/O of their own
        # beyond reading resources and the configuration file.
        "shared vocabulary: paths, i18n, errors, log, events, model, config, migrations",
    ),
    (
        "mrz",
        False,
        ("kiosk.mrz.*",),
        # Parse, check and correct machine readable zones (ICAO 9303-3/4/5), compare them with
        # the employee, and the camera OCR pipeline. Pure functions over text and frames.
        "MRZ parsing, comparison and OCR",
    ),
    (
        "emrtd",
        False,
        ("kiosk.emrtd.*",),
        # The chip protocol (ICAO 9303-10/11): APDUs, BAC/PACE, secure messaging, LDS, PA/AA/CA
        # and the CSCA trust store. Talks to a Transport it is given, never to hardware.
        "chip protocol and document security",
    ),
    (
        "store",
        False,
        ("kiosk.store.*",),
        # The durable SQLite queue (DESIGN section 6): registrations, outbox, credential,
        # code pool, audit chain. Knows nothing of HTTP.
        "durable local store",
    ),
    (
        "adapters",
        False,
        ("kiosk.sync.*", "kiosk.devices.*"),
        # The outside world behind ports: the portal client and the sync worker that drains
        # the store's outbox (sync); card reader and camera, each owned by one thread
        # (devices). The two are independent of each other.
        "portal client and sync worker; hardware devices",
    ),
    (
        "flow",
        False,
        ("kiosk.flow.*",),
        # The wizard as data (DESIGN section 9, Electrum): steps, guards, evidence, desk use
        # cases. Uses the layers below through their ports; no Qt.
        "wizard and desk use cases",
    ),
    (
        "tools",
        False,
        (
            "kiosk.portal.*",
            "kiosk.emulator.*",
            "kiosk.doctor.*",
            "kiosk.appsim.*",
            "kiosk.fleet.*",
        ),
        # Programs beside the desk, built on the core but never used by it: the reference
        # portal, the chip emulator, the health report, the phone app simulator and the
        # fleet simulator (many kiosks' stores and sync workers against one portal).
        "reference portal, chip emulator, doctor, app simulator, fleet simulator",
    ),
    (
        "ui",
        False,
        ("ui.*",),
        # PySide6 presentation: passive views over the flow; ui/app.py is the composition root.
        "Qt presentation",
    ),
    (
        "cli",
        False,
        ("kiosk.cli.*",),
        # The ``kiosk`` entry point: parses arguments and wires everything, the desk app too.
        "command line entry point",
    ),
)


@dataclass(frozen=True)
class Module:
    """One source file: its dotted name and whether it is a package's ``__init__``."""

    name: str
    path: Path
    is_package: bool


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``path:line``; ``implicit`` when the import only runs
    ``target`` as a parent package of the module named (its ``__init__``)."""

    source: str
    target: str
    path: Path
    line: int
    implicit: bool = False

    def where(self, root: Path) -> str:
        """``file:line: source -> target`` for a failure message."""
        how = " (its package __init__)" if self.implicit else ""
        return f"{self.path.relative_to(root)}:{self.line}: {self.source} -> {self.target}{how}"


def discover(root: Path, packages: Iterable[str] = SOURCE_ROOTS) -> dict[str, Module]:
    """Every ``.py`` file under ``root/<package>``, by dotted module name."""
    modules: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            name = ".".join(parts)
            modules[name] = Module(name, path, is_package)
    return modules


def raw_imports(path: Path) -> Iterator[tuple[int, int, str, tuple[str, ...]]]:
    """(line, relative level, module, imported names) of every import anywhere in ``path``.

    ``import a.b`` gives ``(line, 0, "a.b", ())``; ``from .x import y`` gives
    ``(line, 1, "x", ("y",))``; a constant ``importlib.import_module("a.b")`` counts too.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, 0, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.level, node.module or "", tuple(a.name for a in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, 0, node.args[0].value, ()


def _imports(path: Path) -> list[str]:
    """Every module name ``path`` imports, absolute or as written, with ``module.name`` for
    each name of a ``from`` import (so ``from PySide6 import QtGui`` shows ``PySide6.QtGui``)."""
    names: list[str] = []
    for _line, _level, module, imported in raw_imports(path):
        if module:
            names.append(module)
        names.extend(f"{module}.{name}" if module else name for name in imported)
    return names


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _owner(name: str, modules: Mapping[str, Module]) -> str | None:
    """The module that ``name`` (a module, or a name inside one) resolves to, if ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def module_edges(modules: Mapping[str, Module]) -> list[Edge]:
    """Every import between our modules, plus the implicit ones to parent packages.

    Importing ``kiosk.store.keys`` from outside ``kiosk.store`` also runs
    ``kiosk/store/__init__.py``, so that counts as an import of ``kiosk.store`` too.
    """
    edges: list[Edge] = []
    for module in modules.values():
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        for line, level, name, imported in raw_imports(module.path):
            if level:
                base = package.split(".")[: len(package.split(".")) - (level - 1)]
                name = ".".join([*base, name] if name else base)
            candidates = [f"{name}.{item}" for item in imported if f"{name}.{item}" in modules]
            if not candidates or len(candidates) < len(imported):
                candidates.append(name)
            for candidate in candidates:
                target = _owner(candidate, modules)
                if target is None or target == module.name:
                    continue
                edges.append(Edge(module.name, target, module.path, line))
                mine = {*_ancestors(module.name), module.name}
                for parent in _ancestors(target):
                    if parent in modules and parent not in mine:
                        edges.append(Edge(module.name, parent, module.path, line, implicit=True))
    return edges


def layer_of(name: str) -> tuple[int, str, bool] | None:
    """(rank, component, layer open to peers) of a module per :data:`LAYERS`; None: unplaced."""
    best: tuple[int, str, bool] | None = None
    for rank, (_layer, is_open, components, _job) in enumerate(LAYERS):
        for component in components:
            prefix = component.removesuffix(".*")
            subtree = component.endswith(".*")
            matches = name == prefix or (subtree and name.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > len(best[1])):
                best = (rank, prefix, is_open)
    return best


def upward_imports(modules: Mapping[str, Module], root: Path) -> list[str]:
    """Failure lines for unplaced modules and for imports that break :data:`LAYERS`."""
    problems = [
        f"{m.path.relative_to(root)}: {m.name} is in no layer; add it to LAYERS"
        for m in modules.values()
        if layer_of(m.name) is None
    ]
    for edge in module_edges(modules):
        source, target = layer_of(edge.source), layer_of(edge.target)
        if source is None or target is None or edge.implicit or source[1] == target[1]:
            continue
        if target[0] > source[0]:
            problems.append(
                f"{edge.where(root)}: layer {LAYERS[source[0]][0]!r} imports the higher "
                f"layer {LAYERS[target[0]][0]!r}"
            )
        elif target[0] == source[0] and not source[2]:
            problems.append(
                f"{edge.where(root)}: {source[1]} and {target[1]} are independent peers "
                f"in layer {LAYERS[source[0]][0]!r}"
            )
    return problems


def strongly_connected(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[set[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {node: set() for node in nodes}
    for source, target in edges:
        if source != target:
            graph.setdefault(source, set()).add(target)
            graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


def package_of(module: Module) -> str:
    """The package a module counts in for rule 2.

    A module inside a package counts as that package; a package's ``__init__`` as the
    package; a top-level module (``kiosk/errors.py``, ``ui/app.py``) as itself, because
    ``kiosk`` and ``ui`` are roots that group components rather than components themselves.
    """
    if module.is_package:
        return module.name
    parent = module.name.rpartition(".")[0]
    return module.name if parent in SOURCE_ROOTS or not parent else parent


def cycles(modules: Mapping[str, Module], root: Path, *, packages: bool) -> list[str]:
    """Failure lines for module-level (or, with ``packages``, package-level) cycles."""
    edges = module_edges(modules)
    node = {name: package_of(m) if packages else name for name, m in modules.items()}
    pairs = [(node[e.source], node[e.target]) for e in edges]
    problems = []
    for component in strongly_connected(set(node.values()), pairs):
        members = ", ".join(sorted(component))
        lines = sorted(
            e.where(root)
            for e in edges
            if node[e.source] in component
            and node[e.target] in component
            and node[e.source] != node[e.target]
        )
        problems.append(f"cycle between {members}:\n    " + "\n    ".join(lines))
    return problems


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return discover(ROOT)


def test_no_import_runs_upward(modules: dict[str, Module]) -> None:
    problems = upward_imports(modules, ROOT)
    assert not problems, "imports against the layer table:\n" + "\n".join(problems)


def test_no_package_imports_itself_round_a_circle(modules: dict[str, Module]) -> None:
    problems = cycles(modules, ROOT, packages=True)
    assert not problems, "package-level import cycles:\n" + "\n".join(problems)


def test_no_module_imports_itself_round_a_circle(modules: dict[str, Module]) -> None:
    problems = cycles(modules, ROOT, packages=False)
    assert not problems, "module-level import cycles:\n" + "\n".join(problems)


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


def _tree(root: Path, files: Mapping[str, str]) -> dict[str, Module]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return discover(root)


def test_the_checks_see_lazy_type_checking_and_relative_imports(tmp_path: Path) -> None:
    modules = _tree(
        tmp_path,
        {
            "kiosk/__init__.py": "",
            "kiosk/model.py": "def f():\n    from kiosk.flow.wizard import Wizard\n",
            "kiosk/flow/__init__.py": "",
            "kiosk/flow/wizard.py": "from ..model import f\n",
            "kiosk/emrtd/__init__.py": "",
            "kiosk/emrtd/pa.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from kiosk.emrtd.trust import TrustStore\n"
            ),
            "kiosk/emrtd/trust.py": "from kiosk.emrtd import pa\n",
            "kiosk/stray.py": "",
        },
    )
    upward = upward_imports(modules, tmp_path)
    assert "kiosk/model.py:2: kiosk.model -> kiosk.flow.wizard: layer 'base' imports" in (
        "\n".join(upward)
    )
    assert any("kiosk.stray is in no layer" in line for line in upward)
    package_cycles = "\n".join(cycles(modules, tmp_path, packages=True))
    assert "cycle between kiosk.flow, kiosk.model" in package_cycles
    assert "kiosk/flow/wizard.py:1: kiosk.flow.wizard -> kiosk.model" in package_cycles
    module_cycles = "\n".join(cycles(modules, tmp_path, packages=False))
    assert "cycle between kiosk.emrtd.pa, kiosk.emrtd.trust" in module_cycles
    assert "kiosk/emrtd/pa.py:3: kiosk.emrtd.pa -> kiosk.emrtd.trust" in module_cycles
    assert "kiosk/emrtd/trust.py:1: kiosk.emrtd.trust -> kiosk.emrtd.pa" in module_cycles


def test_peers_in_a_closed_layer_stay_apart(tmp_path: Path) -> None:
    modules = _tree(
        tmp_path,
        {
            "kiosk/__init__.py": "",
            "kiosk/devices/__init__.py": "",
            "kiosk/devices/card.py": "import kiosk.sync.worker\n",
            "kiosk/sync/__init__.py": "",
            "kiosk/sync/worker.py": "",
        },
    )
    assert upward_imports(modules, tmp_path) == [
        "kiosk/devices/card.py:1: kiosk.devices.card -> kiosk.sync.worker: kiosk.devices and "
        "kiosk.sync are independent peers in layer 'adapters'"
    ]


def test_importing_a_submodule_runs_its_package_init(tmp_path: Path) -> None:
    modules = _tree(
        tmp_path,
        {
            "kiosk/__init__.py": "",
            "kiosk/store/__init__.py": "from kiosk.store.store import Store\n",
            "kiosk/store/store.py": "from kiosk.sync.api import Credential\n",
            "kiosk/sync/__init__.py": "",
            "kiosk/sync/api.py": "Credential = object\n",
            "kiosk/sync/worker.py": "from kiosk.store.keys import k\n",
            "kiosk/store/keys.py": "k = 1\n",
        },
    )
    edges = {(e.source, e.target, e.implicit) for e in module_edges(modules)}
    assert ("kiosk.sync.worker", "kiosk.store", True) in edges
    assert ("kiosk.store.store", "kiosk.sync", True) in edges
    assert "cycle between kiosk.store, kiosk.sync" in "\n".join(
        cycles(modules, tmp_path, packages=True)
    )
