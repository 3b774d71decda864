"""The packages depend on one another one way only, each on those below it:

    model, cypher  <-  collectors  <-  graph  <-  app  <-  worker  <-  api  <-  cli  <-  dev

``model`` declares (kinds, fields, links, config sections); ``collectors`` read providers
into the model's rows; ``graph`` writes and reads Neo4j; ``app`` is what every process
shares (settings, the task contract, logs, metrics); ``worker`` runs tasks (and holds the
runtime that wires a process); ``api`` serves them; ``cli`` is the command; ``dev`` the
local stack. Within a package too, no module imports another that imports it back,
however far round. Every import counts: at module level, inside functions and under
``TYPE_CHECKING`` alike, since each is a dependency a reader must follow.
"""

from __future__ import annotations

import ast
import graphlib
import itertools
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["model", "cypher", "collectors", "graph", "app", "worker", "api", "cli", "dev"]

Edges = dict[tuple[str, str], list[str]]


def imports(path: Path) -> Iterator[tuple[str, str | None]]:
    """Each name the file imports, wherever it does: (module, name) for ``from module import
    name``, (module, None) for ``import module``."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield from ((node.module, alias.name) for alias in node.names)


def modules(root: Path, packages: list[str]) -> dict[str, Path]:
    """Each module of ``packages`` by its dotted name (a package's ``__init__`` by the
    package's)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def package_imports(root: Path, packages: list[str]) -> Edges:
    """Each import of one package by another: (importer, imported) -> "module: import"s."""
    edges: Edges = defaultdict(list)
    for module, path in modules(root, packages).items():
        package = module.split(".")[0]
        for name, _ in imports(path):
            top = name.split(".")[0]
            if top in packages and top != package:
                edges[(package, top)].append(f"{module}: import {name}")
    return edges


def module_imports(root: Path, packages: list[str]) -> Edges:
    """Each import of one module by another: (importer, imported) -> "module: import"s. A
    ``from a import b`` imports the module ``a.b`` if there is one, else ``a``."""
    found = modules(root, packages)
    edges: Edges = defaultdict(list)
    for module, path in found.items():
        for name, member in imports(path):
            target = f"{name}.{member}" if f"{name}.{member}" in found else name
            while target and target not in found:  # a namespace package: none to import
                target = target.rpartition(".")[0]
            if target and target != module:
                edges[(module, target)].append(f"{module}: import {target}")
    return edges


def cycles(edges: Edges) -> list[str]:
    """A cycle among the packages (or modules), as "a -> b -> a" with an import for each
    step; [] if none."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        path = exc.args[1][::-1]  # graphlib gives it against the edges' direction
        return [" -> ".join(path)] + [
            f"  {a} -> {b}: {edges[(a, b)][0]}" for a, b in itertools.pairwise(path)
        ]
    return []


def upward(edges: Edges, layers: list[str]) -> list[str]:
    """The imports of a package by one below it in ``layers``."""
    rank = {name: i for i, name in enumerate(layers)}
    return [
        f"{a} imports {b}, which sits above it: {why[0]}"
        for (a, b), why in sorted(edges.items())
        if rank[a] < rank[b]
    ]


def test_the_packages_import_one_another_without_a_cycle() -> None:
    found = cycles(package_imports(ROOT, LAYERS))
    assert not found, "\n".join(found)


def test_the_modules_import_one_another_without_a_cycle() -> None:
    found = cycles(module_imports(ROOT, LAYERS))
    assert not found, "\n".join(found)


def test_every_package_imports_only_the_layers_below_it() -> None:
    found = upward(package_imports(ROOT, LAYERS), LAYERS)
    assert not found, "\n".join(found)


def test_the_check_finds_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    # The tree before the layers were made one way: app.config imported worker.tasks
    # and worker.broker imported app.config.
    for module, text in {
        "app/config.py": "from worker.tasks import check_schedules\n",
        "worker/broker.py": "from app.config import Settings\n",
        "model/kind.py": "def f():\n    import collectors.base\n",
        "collectors/base.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from model import Kind\n",
    }.items():
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / module).write_text(text)
    packages = ["model", "collectors", "app", "worker"]
    edges = package_imports(tmp_path, packages)
    found = cycles(edges)
    assert found and found[0] in (
        "app -> worker -> app",
        "worker -> app -> worker",
        "model -> collectors -> model",
        "collectors -> model -> collectors",
    ), found
    wrong = upward(edges, packages)
    assert wrong == [
        "app imports worker, which sits above it: app.config: import worker.tasks",
        "model imports collectors, which sits above it: model.kind: import collectors.base",
    ]


def test_the_check_finds_a_cycle_of_modules_in_one_package(tmp_path: Path) -> None:
    # The worker before its tasks named worker.context: the runtime declares the tasks'
    # actors, the tasks run the jobs, and the jobs named the runtime as a type.
    tree = {
        "worker/runtime.py": "from worker.tasks import declare_actors\n",
        "worker/tasks.py": "from worker import jobs\n",
        "worker/jobs.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from worker.runtime import Runtime\n",
        "worker/context.py": "from typing import Protocol\n",
    }
    rotations = ("runtime -> tasks -> jobs -> runtime", "tasks -> jobs -> runtime -> tasks")
    rotations += ("jobs -> runtime -> tasks -> jobs",)
    for jobs, cycle in {
        tree["worker/jobs.py"]: True,
        "def f():\n    import worker.runtime\n": True,
        "from worker.context import Context\n": False,
    }.items():
        for module, text in {**tree, "worker/jobs.py": jobs}.items():
            (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / module).write_text(text)
        found = cycles(module_imports(tmp_path, ["worker"]))
        assert not package_imports(tmp_path, ["worker"])  # one package: not its check
        if cycle:
            assert found and found[0].replace("worker.", "") in rotations, found
            assert found[1:] and all(": import worker." in step for step in found[1:]), found
        else:
            assert found == [], found


@pytest.mark.parametrize("package", LAYERS)
def test_every_layer_is_a_package_of_the_tree(package: str) -> None:
    # A layer renamed or removed must be renamed here too, or its imports go unchecked.
    assert any((ROOT / package).glob("*.py")), f"no package {package}"
