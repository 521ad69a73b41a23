"""The data flows one way: content -> compose -> delivery -> feedback, audience in subscribers/.

Read from the source with ``ast`` (imports inside functions count too), so an
arrow that runs back up the flow fails here rather than in a code review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(package: str) -> dict[str, set[str]]:
    """Every module under ``package`` (a folder) and the modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "mailer/content",
            (
                "mailer.compose",
                "mailer.delivery",
                "mailer.feedback",
                "mailer.reports",
                "mailer.demo",
            ),
        ),
        ("mailer/compose", ("mailer.demo", "mailer.commands", "mailer.web", "mailer.delivery")),
        ("mailer/scheduling", ("mailer.commands", "mailer.web")),
        ("subscribers", ("mailer.delivery", "mailer.scheduling", "mailer.web", "mailer.commands")),
        # Reports read the end of the flow; nothing before them reads reports.
        ("mailer/delivery", ("mailer.reports", "mailer.web", "mailer.commands")),
        ("mailer/feedback", ("mailer.reports", "mailer.web", "mailer.commands")),
        ("mailer/reports", ("mailer.web", "mailer.commands", "mailer.scheduling")),
    ],
)
def test_no_import_runs_back_up_the_flow(package: str, forbidden: tuple[str, ...]) -> None:
    bad = {
        module: sorted(n for n in names if n.startswith(forbidden))
        for module, names in imports_of(package).items()
    }
    assert {m: n for m, n in bad.items() if n} == {}


def test_the_scheduler_wiring_lives_in_scheduling() -> None:
    assert not (ROOT / "mailer" / "schedule.py").exists()
    assert (ROOT / "mailer" / "scheduling" / "schedule.py").exists()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(*packages: str) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it names, as Python would resolve them.

    ``from a.b import c`` is an edge to ``a.b.c`` when that is a module, else to
    ``a.b``; relative imports are resolved. The implicit import of a parent
    package is not an edge (every module would then depend on its package's
    ``__init__``); imports inside functions are edges, since they run too.
    """
    paths = [p for package in packages for p in sorted((ROOT / package).rglob("*.py"))]
    modules = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a long chain of imports cannot hit the recursion limit.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(groups)


def test_the_cycle_finder_finds_a_cycle_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert import_cycles(graph) == [["a", "b", "c"]]


def test_the_web_blueprints_import_no_module_that_imports_them() -> None:
    # The pattern this forbids: admin/__init__ defines ``bp`` and imports its area
    # modules, which import ``bp`` back from admin/__init__.
    assert import_cycles(import_graph("mailer/web")) == []


# ``mailer.db.make_sessionmaker`` imports ``mailer.models`` (every table's module)
# inside the function, so that a lazily loaded command's session knows every
# mapper; the tables import ``mailer.db`` for ``Base``. That one edge is a load
# of the model registry at run time, not a dependency, and is the only one allowed.
REGISTRY_LOADS = {("mailer.db", "mailer.models")}


def test_no_import_cycles_in_mailer_or_subscribers() -> None:
    graph = import_graph("mailer", "subscribers")
    for module, target in REGISTRY_LOADS:
        assert target in graph[module], "the allowance is stale: remove it"
        graph[module].discard(target)
    assert import_cycles(graph) == []


def test_the_transports_need_nothing_from_the_audience() -> None:
    """Backends put bytes on the wire: the audience's rules (subscribers/) are not theirs."""
    bad = {
        module: sorted(n for n in names if n.split(".")[0] == "subscribers")
        for module, names in imports_of("mailer/delivery/backends").items()
    }
    assert {m: n for m, n in bad.items() if n} == {}
