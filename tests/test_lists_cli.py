"""`mailer lists create/update/delete`: one set of rules (subscribers.lists), all audited."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer.cli import cli
from mailer.db import AuditLog
from mailer.delivery.models import Campaign
from subscribers import lists
from subscribers.models import MailingList, Subscriber, Subscription
from tests.helpers import make_campaign, make_subscribers


def run(cli_env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner(env={**cli_env, "COLUMNS": "200"}).invoke(cli, list(args), input=stdin)


def audit_entries(factory: sessionmaker[Session], action: str) -> list[AuditLog]:
    with factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_create_is_audited_and_update_changes_only_what_is_given(
    cli_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    made = run(cli_env, "lists", "create", "grand-rounds", "--name", "Diversity Grand Rounds")
    assert made.exit_code == 0, made.output
    [created] = audit_entries(session_factory, "list.create")
    assert created.target == "list:grand-rounds" and created.actor.startswith("cli")

    changed = run(
        cli_env,
        "lists",
        "update",
        "grand-rounds",
        "--digest-day",
        "wednesday",
        "--digest-time",
        "08:30",
        "--timezone",
        "America/New_York",
        "--reply-to",
        "odei@example.org",
        "--private",
    )
    assert changed.exit_code == 0, changed.output
    assert "digest_time: '07:00' -> '08:30'" in changed.output
    with session_factory() as s:
        ml = s.scalar(select(MailingList).where(MailingList.slug == "grand-rounds"))
        assert ml is not None
        assert (ml.digest_weekday, ml.digest_time, ml.timezone) == (2, "08:30", "America/New_York")
        assert ml.reply_to == "odei@example.org" and not ml.public
        assert ml.name == "Diversity Grand Rounds" and ml.double_opt_in  # not given: unchanged
        assert ml.digest_schedule_changed_at is not None  # the old time is not a missed one
    [updated] = audit_entries(session_factory, "list.update")
    assert updated.detail["changes"]["digest_weekday"] == [0, 2]
    assert updated.detail["changes"]["public"] == [True, False]
    assert "name" not in updated.detail["changes"]

    renamed = run(cli_env, "lists", "update", "grand-rounds", "--slug", "rounds")
    assert renamed.exit_code == 0, renamed.output
    assert run(cli_env, "lists", "show", "rounds").exit_code == 0


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--timezone", "America/St_Louis"], "--timezone"),
        (["--digest-time", "7am"], "--digest-time"),
        (["--slug", "Grand Rounds"], "--slug"),
        (["--slug", "weekly"], "SLUG"),  # taken
        ([], "nothing to change"),
    ],
)
def test_update_refuses_bad_input_naming_the_field(
    cli_env: dict[str, str], session_factory: sessionmaker[Session], args: list[str], names: str
) -> None:
    for slug in ("weekly", "rounds"):
        assert run(cli_env, "lists", "create", slug, "--name", slug.title()).exit_code == 0
    result = run(cli_env, "lists", "update", "rounds", *args)
    assert result.exit_code == 2, result.output
    assert names in result.output
    assert "Traceback" not in result.output
    assert audit_entries(session_factory, "list.update") == []


def test_the_slug_rule_is_one_rule_for_cli_and_web() -> None:
    """The web form once allowed 64 characters and the CLI 63 (a DNS label in List-Id)."""
    from mailer.web.forms import validate_slug

    class Field:
        data = "a" * 64

    with pytest.raises(lists.ListError):
        lists.check_slug("a" * 64)
    with pytest.raises(ValueError, match="at most 63"):
        validate_slug(None, Field())
    assert lists.check_slug("a" * 63)


def test_delete_asks_then_removes_the_list_and_its_subscriptions(
    cli_env: dict[str, str], session: Session, session_factory: sessionmaker[Session]
) -> None:
    assert run(cli_env, "lists", "create", "pathways", "--name", "Pathways").exit_code == 0
    ml = session.scalar(select(MailingList).where(MailingList.slug == "pathways"))
    assert ml is not None
    make_subscribers(session, ml, 3)
    session.commit()
    session.close()

    declined = run(cli_env, "lists", "delete", "pathways", stdin="n\n")
    assert declined.exit_code == 1 and "3 subscription(s)?" in declined.output
    assert run(cli_env, "lists", "show", "pathways").exit_code == 0

    deleted = run(cli_env, "lists", "delete", "pathways", "--yes")
    assert deleted.exit_code == 0, deleted.output
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(MailingList)) == 0
        assert s.scalar(select(func.count()).select_from(Subscription)) == 0
        assert s.scalar(select(func.count()).select_from(Subscriber)) == 3  # people stay
    [entry] = audit_entries(session_factory, "list.delete")
    assert entry.detail["subscriptions"] == 3 and entry.detail["slug"] == "pathways"


def test_a_list_with_campaigns_is_not_deleted(
    cli_env: dict[str, str], session: Session, session_factory: sessionmaker[Session]
) -> None:
    assert run(cli_env, "lists", "create", "weekly", "--name", "ODEI Weekly").exit_code == 0
    ml = session.scalar(select(MailingList).where(MailingList.slug == "weekly"))
    assert ml is not None
    make_subscribers(session, ml, 2)
    make_campaign(session, ml)
    session.commit()
    session.close()
    result = run(cli_env, "lists", "delete", "weekly", "--yes")
    assert result.exit_code == 1
    assert "has campaigns" in result.output and "--private --no-digest" in result.output
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(MailingList)) == 1
        assert s.scalar(select(func.count()).select_from(Subscription)) == 2
        assert s.scalar(select(func.count()).select_from(Campaign)) == 1
    assert audit_entries(session_factory, "list.delete") == []


def test_click_tracking_is_off_by_default_and_switched_by_update(
    cli_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    assert run(cli_env, "lists", "create", "weekly", "--name", "ODEI Weekly").exit_code == 0
    shown = run(cli_env, "lists", "show", "weekly").output
    assert "click tracking" in shown and "off" in shown.split("click tracking")[1][:20]
    assert "open tracking" in shown and "off" in shown.split("open tracking")[1][:20]
    assert run(cli_env, "lists", "update", "weekly", "--track-clicks").exit_code == 0
    with session_factory() as s:
        ml = s.scalar(select(MailingList).where(MailingList.slug == "weekly"))
        assert ml is not None and ml.track_clicks is True
    assert run(cli_env, "lists", "update", "weekly", "--no-track-clicks").exit_code == 0
    with session_factory() as s:
        ml = s.scalar(select(MailingList).where(MailingList.slug == "weekly"))
        assert ml is not None and ml.track_clicks is False
    changes = [e.detail["changes"] for e in audit_entries(session_factory, "list.update")]
    assert changes == [{"track_clicks": [False, True]}, {"track_clicks": [True, False]}]
