"""The layout ARCHITECTURE.md draws, enforced: apps import downward only, and no
module of ours imports itself back through others, deferred imports included.

Imports are read with `ast` from the source (nothing is imported), over the
project's own packages less their migrations. An import inside a function counts
like one at the top: hiding a cycle behind a function-local import is still a
cycle. `if TYPE_CHECKING:` blocks are left out (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each package and what it may import (packages, or single modules of one). `core`
# is what every app shares; it records to the audit log (audit.log and its model),
# while audit's pages and API build on core: so `audit` sits beside `core`.
# `catalog` builds on both; `techdocs` on the catalog; `discovery` (host
# connections, organisation discovery) on the catalog, and gives the catalog's git
# its credentials through core/credentials.py; `webhooks` and `compliance` on the
# catalog, the docs and discovery (a push rebuilds docs, scorecards check them,
# repository events and uncatalogued repositories are discovery's);
# `portal` wires everything (settings, URLs, the cross-app search page). `demo`
# generates git repositories and imports none of ours; the catalog's `demo`
# command runs it.
LAYERS: dict[str, set[str]] = {
    "core": {"audit.log", "audit.models"},
    "audit": {"core"},
    "catalog": {"core", "audit", "demo"},
    "techdocs": {"core", "audit", "catalog"},
    "discovery": {"core", "audit", "catalog"},
    "people": {"core", "audit", "catalog", "discovery"},
    "webhooks": {"core", "audit", "catalog", "techdocs", "discovery"},
    "compliance": {"core", "audit", "catalog", "techdocs", "discovery"},
    "portal": {
        "core",
        "audit",
        "catalog",
        "techdocs",
        "discovery",
        "people",
        "webhooks",
        "compliance",
    },
    "demo": set(),
}


def allowed(module: str, target: str) -> bool:
    app = module.split(".")[0]
    return target.split(".")[0] == app or any(
        target == prefix or target.startswith(prefix + ".") for prefix in LAYERS[app]
    )


# Imports inside a function that close a cycle at run time, each for a reason:
# Celery's tasks module imports the scheduling code it wraps, and scheduling needs
# the task object to send a crawl.
DEFERRED_CYCLE_EDGES = {("catalog.ingest.schedule", "catalog.tasks")}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(
    module: str, path: Path, modules: dict[str, Path]
) -> Iterator[tuple[str, bool]]:
    """The modules of ours that `module` imports, resolved to the longest known
    name (`from catalog.api import views` is `catalog.api.views`), each with
    whether the import is deferred (inside a function)."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for child in ast.walk(node)
    }
    deferred = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")
                parent = parent if is_package else parent[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            # `from a.b import c`: the module a.b.c when there is one, else a.b
            # (Python initialises the parent packages too; import graphs leave
            # that edge out, or every re-exporting __init__ would be a cycle).
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name, id(node) in deferred


def _graph(*, allowed_deferred: bool = False) -> dict[str, set[str]]:
    """Who imports whom; with `allowed_deferred`, less DEFERRED_CYCLE_EDGES."""
    modules = _modules()
    return {
        name: {
            target
            for target, deferred in _imported(name, path, modules)
            if not (
                allowed_deferred and deferred and (name, target) in DEFERRED_CYCLE_EDGES
            )
        }
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_apps_import_downward_only() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if not allowed(module, target)
    )
    assert not upward, "\n".join(upward)


def test_no_module_imports_itself_back() -> None:
    cycles = _cycles(_graph(allowed_deferred=True))
    assert not cycles, [" <-> ".join(cycle) for cycle in cycles]


def test_each_allowed_deferred_import_is_still_needed() -> None:
    """An allowed edge that no longer closes a cycle (or no longer exists) comes
    off the list, so the list never excuses a new cycle."""
    graph = _graph()
    for source, target in DEFERRED_CYCLE_EDGES:
        assert target in graph[source], (source, target)
        assert any(source in c and target in c for c in _cycles(graph))


def test_the_check_sees_a_cycle_and_an_upward_import() -> None:
    """The checks themselves: a made-up graph with both faults is caught."""
    graph = {"catalog.a": {"catalog.b"}, "catalog.b": {"catalog.a", "portal.x"}}
    graph["portal.x"] = set()
    assert _cycles(graph) == [["catalog.a", "catalog.b"]]
    assert not allowed("catalog.b", "portal.x")
    assert not allowed("core.roles", "audit.views")
    assert allowed("core.roles", "audit.log")
    assert allowed("portal.urls", "catalog.urls")


# Models whose default manager leaves out what the request's person may not see
# (catalog/visibility.py): a queryset of theirs built at import is built for no
# one, so views make theirs per request.
VISIBLE_MODELS = {
    "Entity", "EntityBody", "EntitySummary", "EntityField", "EntityTag",
    "Relation", "ProcessingError", "EntityRevision", "EntityScore",
    "RuleResult", "DocsSite", "DocsBuild", "DocsSection",
}  # fmt: skip


def _querysets_at_import(tree: ast.Module) -> Iterator[int]:
    """Lines where a module or class body builds a query on a visible model."""
    bodies = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    for body in bodies:
        for statement in body:
            if not isinstance(statement, ast.Assign | ast.AnnAssign):
                continue
            for node in ast.walk(statement):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "objects"
                    and isinstance(node.value, ast.Name)
                    and node.value.id in VISIBLE_MODELS
                ):
                    yield statement.lineno


def test_no_query_of_the_catalog_is_built_at_import() -> None:
    found = [
        f"{name}:{line}"
        for name, path in _modules().items()
        for line in _querysets_at_import(ast.parse(path.read_text()))
    ]
    assert found == []


def test_the_import_time_check_sees_one() -> None:
    tree = ast.parse("class Page:\n    queryset = DocsSite.objects.all()\n")
    assert list(_querysets_at_import(tree)) == [2]
