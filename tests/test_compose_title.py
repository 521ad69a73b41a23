"""Each list its own digest: the subject and heading carry the list's name or digest title."""

from __future__ import annotations

import lxml.html
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.cli import cli
from mailer.compose.render import render_digest
from mailer.compose.samples import demo_edition
from mailer.config import Settings
from subscribers.models import MailingList
from tests.compose_helpers import SETTINGS


def _list(name: str, digest_title: str = "") -> MailingList:
    return MailingList(
        id=2,
        slug="md-diversity-programs",
        name=name,
        description="Programs for students, trainees and faculty.",
        timezone="America/Chicago",
        digest_title=digest_title,
    )


def test_subject_and_heading_carry_the_lists_name() -> None:
    snap = render_digest(demo_edition(), _list("MD Diversity Programs"), SETTINGS)
    assert snap.subject.startswith("MD Diversity Programs — March 3, 2025: ")
    assert "ODEI Weekly" not in snap.subject
    doc = lxml.html.document_fromstring(snap.html)
    assert doc.xpath("string(//h1)") == "MD Diversity Programs"
    assert "MD Diversity Programs\n=====================" in snap.text
    assert "ODEI Weekly" not in snap.html and "ODEI Weekly" not in snap.text


def test_a_digest_title_overrides_the_name() -> None:
    snap = render_digest(
        demo_edition(), _list("MD Diversity Programs", "Pathways Bulletin"), SETTINGS
    )
    assert snap.subject.startswith("Pathways Bulletin — March 3, 2025: ")
    doc = lxml.html.document_fromstring(snap.html)
    assert doc.xpath("string(//h1)") == "Pathways Bulletin"
    assert "Pathways Bulletin\n=================" in snap.text


def test_cli_sets_the_digest_title_on_create_and_update(
    cli_env: dict[str, str], session_factory: sessionmaker[Session], settings: Settings
) -> None:
    runner = CliRunner(env=cli_env)
    made = runner.invoke(
        cli,
        [
            "lists",
            "create",
            "pathways",
            "--name",
            "Academic Pathway Programs",
            "--digest-title",
            "Pathways Weekly",
        ],
    )
    assert made.exit_code == 0, made.output
    with session_factory() as s:
        ml = s.scalar(select(MailingList).where(MailingList.slug == "pathways"))
        assert ml is not None and ml.digest_title == "Pathways Weekly"
    changed = runner.invoke(cli, ["lists", "update", "pathways", "--digest-title", "Pathways"])
    assert changed.exit_code == 0, changed.output
    shown = runner.invoke(cli, ["lists", "show", "pathways"])
    assert "Pathways" in shown.output and "digest title" in shown.output
    cleared = runner.invoke(cli, ["lists", "update", "pathways", "--digest-title", ""])
    assert cleared.exit_code == 0, cleared.output
    with session_factory() as s:
        ml = s.scalar(select(MailingList).where(MailingList.slug == "pathways"))
        assert ml is not None and ml.digest_title == ""
    bad = runner.invoke(cli, ["lists", "update", "pathways", "--digest-title", "a\nb"])
    assert bad.exit_code != 0 and "--digest-title" in bad.output
    nothing = runner.invoke(cli, ["lists", "update", "pathways"])
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    missing = runner.invoke(cli, ["lists", "update", "nope", "--digest-title", "X"])
    assert missing.exit_code != 0 and "nope" in missing.output
