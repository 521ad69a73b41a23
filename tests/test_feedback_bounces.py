"""Bounces of real MTAs' shapes, VERP, ARF complaints and autoreplies, end to end."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.commands.bounces import command as bounces_command
from mailer.commands.suppressions import command as suppressions_command
from mailer.config import Settings
from mailer.delivery.models import Campaign, Delivery
from mailer.delivery.verp import verp_address
from mailer.feedback.apply import apply_feedback
from mailer.feedback.classify import classify
from mailer.feedback.events import FeedbackEvent, Kind
from mailer.feedback.parse import load, parse_message
from subscribers.models import (
    BounceRecord,
    MailingList,
    Subscriber,
    Subscription,
    Suppression,
)
from subscribers.service import add_subscriber, is_suppressed
from subscribers.tokens import TokenSigner

DATA = Path(__file__).parent / "data" / "bounces"
SECRET = "test-secret-key-not-for-production"


@pytest.mark.parametrize(
    ("name", "kind", "address", "status"),
    [
        ("postfix_user_unknown.eml", Kind.HARD, "priya.patel@wustl.example", "5.1.1"),
        ("exim_failed.eml", Kind.HARD, "kofi.mensah@example.net", "5.1.1"),
        (
            "exchange_recipient_not_found.eml",
            Kind.HARD,
            "mateo.garcia@hospital.example.com",
            "5.1.10",
        ),
        ("gmail_mailbox_full.eml", Kind.SOFT, "aisha.khan@gmail.example", "5.2.2"),
        ("gmail_policy_unauthenticated.eml", Kind.POLICY, "wei.chen@gmail.example", "5.7.26"),
        ("yahoo_user_unknown.eml", Kind.HARD, "noah.smith@yahoo.example", ""),
        ("postfix_deferred.eml", Kind.SOFT, "zoe.okafor@slow.example", "4.4.1"),
    ],
)
def test_mta_bounces_are_read(name: str, kind: Kind, address: str, status: str) -> None:
    (event,) = parse_message(load((DATA / name).read_bytes()), SECRET)
    assert (event.kind, event.address, event.status_code) == (kind, address, status)
    assert event.message_id.endswith("@mailer.example.org>")


def test_out_of_office_counts_for_nothing() -> None:
    assert parse_message(load((DATA / "out_of_office.eml").read_bytes()), SECRET) == []


@pytest.mark.parametrize(
    ("status", "diagnostic", "kind"),
    [
        ("5.1.1", "", Kind.HARD),
        ("5.1.2", "", Kind.HARD),
        ("5.1.3", "", Kind.HARD),
        ("5.1.10", "", Kind.HARD),
        ("5.2.1", "", Kind.HARD),
        ("5.2.2", "mailbox full", Kind.SOFT),
        ("4.2.2", "", Kind.SOFT),
        ("4.4.1", "", Kind.SOFT),
        ("5.7.1", "user unknown", Kind.POLICY),
        ("4.7.0", "", Kind.POLICY),
        ("5.7.26", "", Kind.POLICY),
        ("5.0.0", "550 user unknown", Kind.HARD),
        ("5.0.0", "550 rejected: listed on a spam blocklist", Kind.POLICY),
        ("", "421 try again later", Kind.SOFT),
    ],
)
def test_classification(status: str, diagnostic: str, kind: Kind) -> None:
    assert classify(status, diagnostic) == kind


@pytest.fixture
def sent(session: Session) -> dict[str, Delivery]:
    """A list, its subscribers and one sent delivery each, as the send engine leaves them."""
    weekly = MailingList(slug="weekly", name="ODEI Weekly")
    events = MailingList(slug="events", name="ODEI Events")
    session.add_all([weekly, events])
    session.flush()
    campaign = Campaign(kind="digest", list_id=weekly.id, edition_key="weekly:2027-W10")
    session.add(campaign)
    session.flush()
    deliveries = {}
    # Message-IDs as in the sample bounces (priya: Postfix, aisha: Gmail); lee's is unique.
    for i, email in [
        (1, "priya.patel@wustl.example"),
        (4, "aisha.khan@gmail.example"),
        (9, "lee.jordan@yahoo.example"),
    ]:
        person = add_subscriber(session, weekly, email, confirmed=True)
        add_subscriber(session, events, email, confirmed=True)
        d = Delivery(
            campaign_id=campaign.id,
            subscriber_id=person.id,
            email=email,
            status="sent",
            message_id=f"<17300000000{i}.4{i}.2715@mailer.example.org>",
        )
        session.add(d)
        deliveries[email] = d
    session.commit()
    return deliveries


def _statuses(session: Session, email: str) -> set[str]:
    return set(
        session.scalars(
            select(Subscription.status).join(Subscriber).where(Subscriber.email == email)
        )
    )


def test_verp_finds_the_delivery_even_when_the_bounce_names_another_address(
    session: Session, settings: Settings, sent: dict[str, Delivery]
) -> None:
    delivery = sent["aisha.khan@gmail.example"]
    raw = (DATA / "postfix_user_unknown.eml").read_bytes()
    verp = verp_address(settings.signing_key, delivery.id, settings.bounce_domain)
    raw = raw.replace(
        b"Delivered-To: bounces@bounces.example.org", f"Delivered-To: {verp}".encode()
    )
    (event,) = parse_message(load(raw), settings.signing_key)
    assert event.delivery_id == delivery.id
    apply_feedback(session, [event], settings)
    session.commit()
    # The forwarded/final address in the DSN is not ours; the delivery's address is.
    assert is_suppressed(session, "aisha.khan@gmail.example")
    assert not is_suppressed(session, "priya.patel@wustl.example")
    record = session.scalar(select(BounceRecord))
    assert record is not None and record.delivery_id == delivery.id
    assert session.get(Delivery, delivery.id).status == "bounced"  # type: ignore[union-attr]


def test_forged_verp_is_not_trusted(settings: Settings) -> None:
    raw = (
        (DATA / "gmail_mailbox_full.eml")
        .read_bytes()
        .replace(
            b"Delivered-To: bounces@bounces.example.org",
            b"Delivered-To: bounces+7.aaaaaaaaaa@bounces.example.org",
        )
    )
    (event,) = parse_message(load(raw), settings.signing_key)
    assert event.delivery_id is None


def test_soft_bounces_suppress_after_three_within_thirty_days(
    session: Session, settings: Settings, sent: dict[str, Delivery]
) -> None:
    t0 = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    delivery = sent["aisha.khan@gmail.example"].id  # ours: VERP named it
    soft = FeedbackEvent(Kind.SOFT, "aisha.khan@gmail.example", delivery, status_code="5.2.2")
    apply_feedback(session, [soft], settings, now=t0)
    apply_feedback(session, [soft], settings, now=t0 + dt.timedelta(days=40))
    apply_feedback(session, [soft], settings, now=t0 + dt.timedelta(days=41))
    assert not is_suppressed(session, "aisha.khan@gmail.example")  # the first is too old
    apply_feedback(session, [soft], settings, now=t0 + dt.timedelta(days=42))
    assert is_suppressed(session, "aisha.khan@gmail.example")


def test_policy_blocks_never_suppress_the_reader(
    session: Session, settings: Settings, sent: dict[str, Delivery]
) -> None:
    delivery = sent["lee.jordan@yahoo.example"].id
    block = FeedbackEvent(Kind.POLICY, "lee.jordan@yahoo.example", delivery, status_code="5.7.26")
    for _ in range(5):
        apply_feedback(session, [block], settings)
    assert not is_suppressed(session, "lee.jordan@yahoo.example")
    kinds = session.scalars(select(BounceRecord.kind)).all()
    assert kinds == ["policy"] * 5


def test_arf_complaint_with_redacted_address_is_traced_to_the_delivery(
    session: Session, settings: Settings, sent: dict[str, Delivery]
) -> None:
    delivery = sent["lee.jordan@yahoo.example"]
    weekly_id = session.scalar(select(MailingList.id).where(MailingList.slug == "weekly"))
    token = TokenSigner(settings.signing_key).make("unsubscribe", delivery.subscriber_id, weekly_id)
    raw = (
        (DATA / "arf_complaint.eml")
        .read_text()
        .replace("{{RETURN_PATH}}", verp_address(settings.signing_key, delivery.id, "b.example"))
        .replace("{{MESSAGE_ID}}", delivery.message_id.strip("<>"))
        .replace("{{UNSUBSCRIBE_TOKEN}}", token)
    )
    (event,) = parse_message(load(raw.encode()), settings.signing_key)
    assert event.kind == Kind.COMPLAINT and event.address == ""
    assert event.delivery_id == delivery.id and event.subscriber_id == delivery.subscriber_id
    apply_feedback(session, [event], settings)
    session.commit()
    assert _statuses(session, "lee.jordan@yahoo.example") == {"unsubscribed"}
    row = session.scalar(
        select(Suppression).where(Suppression.address == "lee.jordan@yahoo.example")
    )
    assert row is not None and row.reason == "complaint"


def test_arf_complaint_found_by_message_id_alone(
    session: Session, settings: Settings, sent: dict[str, Delivery]
) -> None:
    delivery = sent["priya.patel@wustl.example"]
    raw = (
        (DATA / "arf_complaint.eml")
        .read_text()
        .replace("{{RETURN_PATH}}", "bounces@bounces.example.org")
        .replace("{{MESSAGE_ID}}", delivery.message_id.strip("<>"))
        .replace("{{UNSUBSCRIBE_TOKEN}}", "tampered.token.value")
    )
    events = parse_message(load(raw.encode()), settings.signing_key)
    apply_feedback(session, events, settings)
    session.commit()
    assert _statuses(session, "priya.patel@wustl.example") == {"unsubscribed"}


def test_mailto_unsubscribe_leaves_only_that_list(
    session: Session, settings: Settings, sent: dict[str, Delivery]
) -> None:
    delivery = sent["aisha.khan@gmail.example"]
    events_id = session.scalar(select(MailingList.id).where(MailingList.slug == "events"))
    token = TokenSigner(settings.signing_key).make("unsubscribe", delivery.subscriber_id, events_id)
    raw = (
        "From: Aisha Khan <aisha.khan@gmail.example>\nTo: unsubscribe@example.org\n"
        f"Subject: {token}\nMessage-ID: <x1@gmail.example>\n\nunsubscribe\n"
    ).encode()
    (event,) = parse_message(load(raw), settings.signing_key)
    assert event.kind == Kind.UNSUBSCRIBE and event.list_id == events_id
    apply_feedback(session, [event], settings)
    session.commit()
    statuses = dict(
        session.execute(
            select(MailingList.slug, Subscription.status)
            .join(Subscription)
            .where(Subscription.subscriber_id == delivery.subscriber_id)
        ).all()
    )
    assert statuses == {"weekly": "confirmed", "events": "unsubscribed"}


def _maildir(path: Path, names: list[str]) -> mailbox.Maildir:
    box = mailbox.Maildir(path, create=True)
    for name in names:
        box.add((DATA / name).read_bytes())
    return box


def test_cli_processes_a_maildir_and_moves_messages_aside(
    session: Session, settings: Settings, sent: dict[str, Delivery], tmp_path: Path
) -> None:
    names = sorted(p.name for p in DATA.glob("*.eml") if p.name != "arf_complaint.eml")
    box = _maildir(tmp_path / "bounces", names)
    session.rollback()
    result = CliRunner().invoke(
        bounces_command, ["process", "--maildir", str(tmp_path / "bounces")]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(names)} messages" in result.output
    assert "hard 4" in result.output and "policy 1" in result.output and "soft 2" in result.output
    assert "ignored 1" in result.output  # the out-of-office reply
    # Only priya's and aisha's bounces quote a Message-ID we sent them; the rest are not ours.
    assert "unverified 5" in result.output
    assert len(box) == 0
    assert len(box.get_folder("processed")) == len(names)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(BounceRecord)) == 7
    suppressed = set(session.scalars(select(Suppression.address)))
    assert suppressed == {"priya.patel@wustl.example"}  # aisha's was soft
    session.rollback()
    listed = CliRunner().invoke(suppressions_command, ["list", "--reason", "hard_bounce"])
    assert listed.exit_code == 0 and "1 suppressed" in listed.output


def test_broken_report_is_moved_aside_and_others_continue(
    session: Session, settings: Settings, sent: dict[str, Delivery], tmp_path: Path
) -> None:
    box = _maildir(tmp_path / "b", ["postfix_user_unknown.eml"])
    box.add(b'Content-Type: multipart/report; report-type=delivery-status; boundary="x"\n\n--x\n')
    from mailer.feedback.mailboxes import open_mailbox
    from mailer.feedback.process import process_mailbox

    session.rollback()
    from mailer.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    report = process_mailbox(open_mailbox(str(tmp_path / "b")), make_sessionmaker(engine), settings)
    engine.dispose()
    assert report.messages == 2 and report.ignored_messages + report.failed == 1
    assert len(box) == 0
    moved = len(box.get_folder("processed")) + (
        len(box.get_folder("failed")) if "failed" in box.list_folders() else 0
    )
    assert moved == 2
    assert is_suppressed(session, "priya.patel@wustl.example")


def test_suppressions_cli_add_and_remove(session: Session, settings: Settings) -> None:
    runner = CliRunner()
    added = runner.invoke(suppressions_command, ["add", "x@example.org", "--note", "asked"])
    assert added.exit_code == 0 and "x@example.org is suppressed (manual)" in added.output
    removed = runner.invoke(suppressions_command, ["remove", "x@example.org", "--note", "ok"])
    assert removed.exit_code == 0
    again = runner.invoke(suppressions_command, ["remove", "x@example.org", "--note", "ok"])
    assert again.exit_code == 1 and "not suppressed" in again.output


def test_forged_soft_bounces_do_not_count_toward_the_limit(
    session: Session, settings: Settings, sent: dict[str, Delivery]
) -> None:
    forged = FeedbackEvent(Kind.SOFT, "aisha.khan@gmail.example", status_code="4.2.2")
    ours = FeedbackEvent(Kind.SOFT, "aisha.khan@gmail.example", sent["aisha.khan@gmail.example"].id)
    apply_feedback(session, [forged, forged, ours], settings)
    assert not is_suppressed(session, "aisha.khan@gmail.example")
    apply_feedback(session, [ours, ours], settings)
    assert is_suppressed(session, "aisha.khan@gmail.example")
