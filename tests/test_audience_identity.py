"""One person per address whatever its case: every way in, every lookup, and the migration.

Found: ``Grace.Hopper@example.org`` imported, then ``grace.hopper@example.org``
in a second file, both "imported 1"; ``subscribers add GRACE.HOPPER@...`` a
third; ``suppressions add grace.hopper@...`` still let the digest reach the
other two. The rule (DESIGN.md section 9, "Identity") is one normalising
function, ``subscribers.addresses.email_key``, behind a unique index.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_list

from mailer import auth
from mailer.commands.subscribers import command as subscribers_command
from mailer.commands.suppressions import command as suppressions_command
from mailer.config import Settings
from mailer.feedback.apply import apply_feedback
from mailer.feedback.events import FeedbackEvent, Kind
from mailer.users import User
from subscribers.eligibility import sendable_subscriptions
from subscribers.imports import import_csv
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.service import forget, is_suppressed

pytest_plugins = ["web_fixtures"]

GRACE = "Grace.Hopper@example.org"


@pytest.fixture
def weekly(session_factory: sessionmaker[Session]) -> MailingList:
    with session_factory() as s:
        ml = add_list(s, "weekly", double_opt_in=False)
        s.commit()
        return ml


def _people(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(Subscriber.email).order_by(Subscriber.id)))


def _csv(tmp_path: Path, name: str, address: str) -> Path:
    path = tmp_path / name
    path.write_text(f"email,name\n{address},Grace Hopper\n")
    return path


def test_case_variants_are_one_person_at_every_way_in(
    session_factory: sessionmaker[Session],
    weekly: MailingList,
    client: WebClient,
    admin: User,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    first = import_csv(
        session_factory, _csv(tmp_path, "a.csv", GRACE), weekly, confirmed=True, actor="t"
    )
    second = import_csv(
        session_factory,
        _csv(tmp_path, "b.csv", "grace.hopper@example.org"),
        weekly,
        confirmed=True,
        actor="t",
    )
    assert (first.imported, second.imported, second.unchanged) == (1, 0, 1)
    runner = CliRunner()
    added = runner.invoke(
        subscribers_command,
        ["add", "GRACE.HOPPER@example.org", "--list", "weekly", "--confirmed"],
        env=cli_env,
    )
    assert added.exit_code == 0, added.output
    r = client.post(
        "/subscribe",
        data={
            "csrf_token": client.token("/subscribe"),
            "email": "grace.HOPPER@Example.ORG",
            "mailing_list": "weekly",
        },
    )
    assert r.status_code == 200
    with session_factory() as s:
        token = auth.issue_api_token(s.get(User, admin.id))  # type: ignore[arg-type]
        s.commit()
    r = client.post(
        "/api/v1/subscribe",
        json={"list": "weekly", "email": "GRACE.hopper@example.org"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.get_json()
    # One person, with the address as first typed (for display and sending).
    assert _people(session_factory) == [GRACE]
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Subscription)) == 1


def test_a_suppression_of_any_spelling_stops_every_send(
    session_factory: sessionmaker[Session], weekly: MailingList, cli_env: dict[str, str]
) -> None:
    runner = CliRunner()
    for address in (GRACE, "ada.lovelace@example.org"):
        added = runner.invoke(
            subscribers_command, ["add", address, "--list", "weekly", "--confirmed"], env=cli_env
        )
        assert added.exit_code == 0, added.output
    suppressed = runner.invoke(
        suppressions_command, ["add", "grace.hopper@EXAMPLE.org"], env=cli_env
    )
    assert suppressed.exit_code == 0, suppressed.output
    with session_factory() as s:
        sendable = [row.email for row in s.execute(sendable_subscriptions(weekly.id))]
        assert sendable == ["ada.lovelace@example.org"]
        assert is_suppressed(s, GRACE) and is_suppressed(s, "GRACE.HOPPER@example.org")
    removed = runner.invoke(
        suppressions_command, ["remove", "GRACE.HOPPER@example.org", "--note", "fixed"], env=cli_env
    )
    assert removed.exit_code == 0, removed.output
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Suppression)) == 0


def test_forget_and_feedback_find_the_person_whatever_the_case(
    session: Session, settings: Settings, weekly: MailingList
) -> None:
    from subscribers.service import add_subscriber

    add_subscriber(session, weekly, GRACE, confirmed=True)
    ada = add_subscriber(session, weekly, "Ada.Lovelace@example.org", confirmed=True)
    session.commit()
    # A provider's signed webhook names the address in its own case.
    events = [
        FeedbackEvent(Kind.HARD, "GRACE.HOPPER@EXAMPLE.ORG", signed=True, source="sendgrid"),
        FeedbackEvent(Kind.COMPLAINT, "ada.lovelace@EXAMPLE.org", signed=True, source="mailgun"),
    ]
    report = apply_feedback(session, events, settings)
    session.commit()
    assert (report.suppressed, report.unsubscribed) == (2, 1)
    assert is_suppressed(session, GRACE) and is_suppressed(session, "ada.lovelace@example.org")
    status = session.scalar(select(Subscription.status).where(Subscription.subscriber_id == ada.id))
    assert status == "unsubscribed"
    assert forget(session, "gRACE.hOPPER@example.org")
    session.commit()
    assert _people_in(session) == ["Ada.Lovelace@example.org"]
    assert not session.scalar(
        select(func.count()).where(Suppression.address == "grace.hopper@example.org")
    )
    assert is_suppressed(session, "GRACE.HOPPER@example.org")  # by the hash that stays


def _people_in(session: Session) -> list[str]:
    return list(session.scalars(select(Subscriber.email).order_by(Subscriber.id)))
