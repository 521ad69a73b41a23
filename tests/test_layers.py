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
        ("mailer/content", ("mailer.compose", "mailer.delivery", "mailer.feedback", "mailer.demo")),
        ("mailer/compose", ("mailer.demo", "mailer.commands", "mailer.web", "mailer.delivery")),
        ("mailer/scheduling", ("mailer.commands", "mailer.web")),
        ("subscribers", ("mailer.delivery", "mailer.scheduling", "mailer.web", "mailer.commands")),
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


def test_the_transports_need_nothing_from_the_audience() -> None:
    """Backends put bytes on the wire: the audience's rules (subscribers/) are not theirs."""
    bad = {
        module: sorted(n for n in names if n.split(".")[0] == "subscribers")
        for module, names in imports_of("mailer/delivery/backends").items()
    }
    assert {m: n for m, n in bad.items() if n} == {}
