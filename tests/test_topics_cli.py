"""`mailer topics`: define a list's topics, tag content, set a reader's choice; audited."""

from __future__ import annotations

from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.cli import cli
from mailer.content.models import Source
from mailer.content.topic_tags import tags_of
from mailer.db import AuditLog
from subscribers.topic_models import ReaderChoice
from subscribers.topics import choices_of, list_topics
from tests.helpers import make_list, make_subscribers


def run(cli_env: dict[str, str], *args: str) -> Result:
    return CliRunner(env={**cli_env, "COLUMNS": "200"}).invoke(cli, list(args))


def test_topics_from_the_command_line(
    cli_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        ml = make_list(session, "odei-weekly")
        make_subscribers(session, ml, 1)
        other = make_list(session, "grand-rounds")
        session.add(Source(kind="news", name="Pathways news", url="https://example.org/f"))
        session.commit()
        list_id, other_id = ml.id, other.id
    for slug, name in (("md", "MD Diversity Programs"), ("pathways", "Academic Pathway Programs")):
        done = run(cli_env, "topics", "add", slug, "--list", "odei-weekly", "--name", name)
        assert done.exit_code == 0, done.output
    twice = run(cli_env, "topics", "add", "md", "--list", "odei-weekly", "--name", "Again")
    assert twice.exit_code != 0 and "already has a topic 'md'" in twice.output
    bad = run(cli_env, "topics", "add", "Bad Slug", "--list", "odei-weekly", "--name", "x")
    assert bad.exit_code != 0 and "not a slug" in bad.output
    # The same slug on another list is another topic.
    assert (
        run(cli_env, "topics", "add", "md", "--list", "grand-rounds", "--name", "MD").exit_code == 0
    )
    shown = run(cli_env, "topics", "list", "--list", "odei-weekly")
    assert "Academic Pathway Programs" in shown.output
    listed = run(cli_env, "lists", "show", "odei-weekly")
    assert "Academic Pathway Programs (pathways)" in listed.output

    tagged = run(
        cli_env, "topics", "tag", "source", "Pathways news", "--list", "odei-weekly",
        "--topic", "pathways",
    )  # fmt: skip
    assert tagged.exit_code == 0, tagged.output
    assert (
        run(
            cli_env,
            "topics",
            "tag",
            "source",
            "Pathways news",
            "--list",
            "grand-rounds",
            "--topic",
            "md",
        ).exit_code
        == 0
    )
    unknown = run(
        cli_env,
        "topics",
        "tag",
        "source",
        "Pathways news",
        "--list",
        "odei-weekly",
        "--topic",
        "nope",
    )
    assert unknown.exit_code != 0 and "no topic 'nope'" in unknown.output

    chose = run(
        cli_env, "topics", "choose", "READER0@example.org", "--list", "odei-weekly",
        "--topic", "md", "--mode", "instant",
    )  # fmt: skip
    assert chose.exit_code == 0, chose.output
    with session_factory() as session:
        topics = {t.slug: t.id for t in list_topics(session, list_id)}
        theirs = {t.slug: t.id for t in list_topics(session, other_id)}
        source = session.scalar(select(Source).where(Source.name == "Pathways news"))
        assert source is not None
        # Tagging for one list left the other list's tag alone.
        assert tags_of(session, "source", source.id) == {topics["pathways"], theirs["md"]}
        [choice] = session.scalars(select(ReaderChoice)).all()
        assert choice.mode == "instant" and choice.source == "admin"
        assert choices_of(session, choice.subscription_id).topics == {topics["md"]}
        actions = set(session.scalars(select(AuditLog.action)))
        assert {"topic.create", "reader.topics", "reader.mode"} <= actions
    removed = run(cli_env, "topics", "remove", "md", "--list", "odei-weekly", "--yes")
    assert removed.exit_code == 0, removed.output
    with session_factory() as session:
        # The reader who had only that topic gets everything again.
        assert choices_of(session, choice.subscription_id).topics == frozenset()


def test_preview_and_check_cover_every_variant_in_use(
    cli_env: dict[str, str], session_factory: sessionmaker[Session], tmp_path
) -> None:
    from tests.topic_fixtures import EDITION, build, expected_titles, titles_in

    readers = {"ana@example.org": set(), "ben@example.org": {"md"}, "dee@example.org": {"ppd"}}
    with session_factory() as session:
        build(session, readers)
        session.commit()
    out = tmp_path / "preview"
    shown = run(
        cli_env, "digest", "preview", "--list", "weekly", "--date", EDITION.isoformat(),
        "--out", str(out),
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "topics MD Diversity Programs:" in shown.output
    assert "topics Programming and Professional Development:" in shown.output
    stem = f"weekly-{EDITION.isoformat()}"
    md = (out / f"{stem}--md.html").read_text(encoding="utf-8")
    assert titles_in(md) == expected_titles({"md"})
    everything = (out / f"{stem}.html").read_text(encoding="utf-8")
    assert titles_in(everything) == expected_titles(set())
    checked = run(cli_env, "digest", "check", "--list", "weekly", "--date", EDITION.isoformat())
    assert checked.exit_code == 0, checked.output
    # After the send the stored variants are what preview shows.
    sent = run(cli_env, "digest", "send", "--list", "weekly", "--date", EDITION.isoformat())
    assert sent.exit_code == 0, sent.output
    again = run(
        cli_env, "digest", "preview", "--list", "weekly", "--date", EDITION.isoformat(),
        "--out", str(out),
    )  # fmt: skip
    assert "stored campaign" in again.output and "topics MD Diversity Programs:" in again.output


def test_choices_are_exported_with_the_subscriber_and_an_import_of_the_export_changes_nothing(
    cli_env: dict[str, str], session_factory: sessionmaker[Session], tmp_path
) -> None:
    import csv

    from tests.topic_fixtures import build

    with session_factory() as session:
        build(session, {"ana@example.org": set(), "dee@example.org": {"pathways", "ppd"}})
        session.commit()
    assert run(cli_env, "topics", "choose", "ana@example.org", "--list", "weekly",
               "--mode", "instant").exit_code == 0  # fmt: skip
    out = tmp_path / "weekly.csv"
    done = run(cli_env, "subscribers", "export", "--list", "weekly", "-o", str(out))
    assert done.exit_code == 0, done.output
    rows = {r["email"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["dee@example.org"]["topics"] == "pathways ppd"
    assert rows["dee@example.org"]["mode"] == "digest"
    assert rows["dee@example.org"]["choices_source"] == "admin"
    assert rows["dee@example.org"]["choices_changed_at"].startswith("20")
    assert rows["ana@example.org"]["topics"] == "" and rows["ana@example.org"]["mode"] == "instant"
    with session_factory() as session:
        before = {
            (c.subscription_id, c.mode, c.changed_at) for c in session.scalars(select(ReaderChoice))
        }
    again = run(cli_env, "subscribers", "import", str(out), "--list", "weekly", "--confirmed")
    assert again.exit_code == 0, again.output
    with session_factory() as session:
        after = {
            (c.subscription_id, c.mode, c.changed_at) for c in session.scalars(select(ReaderChoice))
        }
        assert after == before
        from subscribers.models import Subscriber

        attrs = [s.attributes for s in session.scalars(select(Subscriber))]
        assert all("topics" not in (a or {}) for a in attrs)


def test_an_error_in_one_variant_fails_check_and_blocks_the_send(
    cli_env: dict[str, str], session_factory: sessionmaker[Session], tmp_path, settings
) -> None:
    """An office template that breaks only in a topic variant: `digest check` names the
    variant and exits 1, and the edition is blocked rather than sent."""
    from pathlib import Path

    from mailer.delivery import campaigns
    from mailer.delivery.models import CampaignStatus
    from tests.topic_fixtures import EDITION, build

    builtin = Path(__file__).resolve().parents[1] / "templates" / "email" / "digest.html"
    own = tmp_path / "office-templates"
    own.mkdir()
    (own / "digest.html").write_text(
        builtin.read_text(encoding="utf-8").replace(
            "<p>{{ intro }}</p>",
            '<p>{{ intro }}</p>{% if reader_note %}<p><a href="/topics">Topics</a></p>{% endif %}',
        ),
        encoding="utf-8",
    )
    (own / "digest.txt").write_text(
        (builtin.parent / "digest.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    env = {**cli_env, "MAILER_TEMPLATES_DIR": str(own)}
    with session_factory() as session:
        build(session, {"ana@example.org": set(), "ben@example.org": {"md"}})
        session.commit()
    checked = run(env, "digest", "check", "--list", "weekly", "--date", EDITION.isoformat())
    assert checked.exit_code == 1, checked.output
    assert "topics MD Diversity" in checked.output and "relative" in checked.output
    with session_factory() as session:
        from subscribers.models import MailingList

        ml = session.scalar(select(MailingList))
        assert ml is not None
        s = settings.replace(templates_dir=str(own))
        outcome = campaigns.create_digest(session, ml, EDITION, s)
        assert outcome.campaign is not None
        assert outcome.campaign.status == CampaignStatus.BLOCKED
        assert "topics MD Diversity Programs" in outcome.campaign.status_reason
