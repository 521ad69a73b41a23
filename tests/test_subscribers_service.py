"""Consent rules: double opt-in, confirmation links, unsubscribe, preferences, suppression."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.db import AuditLog
from subscribers.eligibility import sendable_subscriptions
from subscribers.models import (
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from subscribers.service import (
    ConsentRefused,
    add_subscriber,
    confirm,
    forget,
    is_suppressed,
    subscribe,
    suppress,
    unsubscribe,
    unsubscribe_all,
    update_preferences,
)
from subscribers.tokens import TokenError, TokenSigner

SIGNER = TokenSigner("test-secret-key-not-for-production")
WEEK = 7 * 24 * 3600
T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def lists(session: Session) -> dict[str, MailingList]:
    made = {
        "weekly": MailingList(slug="weekly", name="ODEI Weekly", double_opt_in=True),
        "events": MailingList(slug="events", name="ODEI Events", double_opt_in=False),
        "staff": MailingList(slug="staff", name="Staff notes", public=False),
    }
    session.add_all(made.values())
    session.flush()
    return made


def _sendable(session: Session, ml: MailingList) -> list[str]:
    return [row.email for row in session.execute(sendable_subscriptions(ml.id))]


def test_double_opt_in_pending_until_confirmed(session: Session, lists: dict) -> None:
    weekly = lists["weekly"]
    result = subscribe(
        session, weekly, "ana@example.org", name="Ana", consent_ip="10.0.0.1", now=T0
    )
    assert result.send_confirmation and not result.send_welcome
    assert result.subscription is not None and result.subscription.status == "pending"
    assert _sendable(session, weekly) == []
    welcomed: list[Subscription] = []
    token = SIGNER.make("confirm", result.subscriber.id, weekly.id)  # type: ignore[union-attr]
    sub = confirm(session, token, SIGNER, WEEK, on_confirmed=welcomed.append)
    assert sub.status == SubscriptionStatus.CONFIRMED and welcomed == [sub]
    assert _sendable(session, weekly) == ["ana@example.org"]
    # A second click is harmless and sends no second welcome.
    confirm(session, token, SIGNER, WEEK, on_confirmed=welcomed.append)
    assert len(welcomed) == 1


def test_resend_at_most_hourly_and_same_answer_for_members(session: Session, lists: dict) -> None:
    weekly = lists["weekly"]
    assert subscribe(session, weekly, "kofi@example.org", now=T0).send_confirmation
    again = subscribe(session, weekly, "kofi@example.org", now=T0 + dt.timedelta(minutes=20))
    assert not again.send_confirmation
    later = subscribe(session, weekly, "kofi@example.org", now=T0 + dt.timedelta(minutes=61))
    assert later.send_confirmation
    # Already confirmed: nothing is sent, and the caller shows the same page.
    add_subscriber(session, weekly, "lee@example.org", confirmed=True)
    member = subscribe(session, weekly, "lee@example.org", now=T0)
    assert not member.send_confirmation and not member.send_welcome


def test_single_opt_in_confirms_and_welcomes(session: Session, lists: dict) -> None:
    result = subscribe(session, lists["events"], "amara@example.org", now=T0)
    assert result.send_welcome and not result.send_confirmation
    assert _sendable(session, lists["events"]) == ["amara@example.org"]


def test_confirm_link_expires_and_rejects_tampering(session: Session, lists: dict) -> None:
    weekly = lists["weekly"]
    result = subscribe(session, weekly, "ana@example.org", now=T0)
    sid = result.subscriber.id  # type: ignore[union-attr]
    token = SIGNER.make("confirm", sid, weekly.id)
    with pytest.raises(TokenError):
        confirm(session, token, SIGNER, max_age=-1)
    with pytest.raises(TokenError):
        confirm(session, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), SIGNER, WEEK)
    with pytest.raises(TokenError):  # an unsubscribe token is not a confirmation
        confirm(session, SIGNER.make("unsubscribe", sid, weekly.id), SIGNER, WEEK)
    with pytest.raises(TokenError):  # another installation's key
        confirm(session, TokenSigner("other").make("confirm", sid, weekly.id), SIGNER, WEEK)
    assert result.subscription.status == "pending"  # type: ignore[union-attr]


def test_unsubscribe_takes_effect_and_old_confirm_link_does_not_undo_it(
    session: Session, lists: dict
) -> None:
    weekly = lists["weekly"]
    person = add_subscriber(session, weekly, "ana@example.org", confirmed=True)
    assert unsubscribe(session, person.id, weekly.id, via="one-click")
    assert not unsubscribe(session, person.id, weekly.id, via="one-click")
    assert _sendable(session, weekly) == []
    with pytest.raises(TokenError):
        confirm(session, SIGNER.make("confirm", person.id, weekly.id), SIGNER, WEEK)
    actions = session.scalars(select(AuditLog.action)).all()
    assert "unsubscribe" in actions


def test_unsubscribe_all_suppresses_and_resubscribe_needs_confirmation(
    session: Session, lists: dict
) -> None:
    events = lists["events"]
    person = add_subscriber(session, events, "ana@example.org", confirmed=True)
    add_subscriber(session, lists["weekly"], "ana@example.org", confirmed=True)
    assert unsubscribe_all(session, person.id, via="preferences") == 2
    assert is_suppressed(session, "ana@example.org")
    # Even a single opt-in list asks for a confirmation now.
    result = subscribe(session, events, "ana@example.org", now=T0)
    assert result.send_confirmation and not result.send_welcome
    confirm(session, SIGNER.make("confirm", person.id, events.id), SIGNER, WEEK)
    assert not is_suppressed(session, "ana@example.org")
    assert _sendable(session, events) == ["ana@example.org"]


def test_hard_suppression_blocks_subscribe_silently(session: Session, lists: dict) -> None:
    suppress(session, "gone@example.org", "hard_bounce", "5.1.1")
    result = subscribe(session, lists["events"], "gone@example.org", now=T0)
    assert result.subscription is None and not result.send_welcome
    with pytest.raises(ConsentRefused):
        add_subscriber(session, lists["events"], "gone@example.org")


def test_preferences_update_public_lists_and_name(session: Session, lists: dict) -> None:
    weekly, events, staff = lists["weekly"], lists["events"], lists["staff"]
    person = add_subscriber(session, weekly, "ana@example.org", name="Ana", confirmed=True)
    add_subscriber(session, staff, "ana@example.org", confirmed=True)
    update_preferences(session, person.id, {events.id, staff.id + 1000}, "Ana Ruiz")
    assert person.name == "Ana Ruiz"
    statuses = {
        s.list_id: s.status
        for s in session.scalars(
            select(Subscription).where(Subscription.subscriber_id == person.id)
        )
    }
    assert statuses == {
        weekly.id: "unsubscribed",
        events.id: "confirmed",
        staff.id: "confirmed",  # private lists are not on the page and stay as they are
    }


def test_suppressed_address_is_never_sendable(session: Session, lists: dict) -> None:
    weekly = lists["weekly"]
    add_subscriber(session, weekly, "ana@example.org", confirmed=True)
    add_subscriber(session, weekly, "kofi@example.org", confirmed=True)
    suppress(session, "kofi@example.org", "manual", "asked by email")
    assert _sendable(session, weekly) == ["ana@example.org"]


def test_forget_erases_and_blocks_reimport(session: Session, lists: dict) -> None:
    weekly = lists["weekly"]
    add_subscriber(session, weekly, "Ana@Example.org", confirmed=True)
    add_subscriber(session, weekly, "ana@example.org", confirmed=True)  # another spelling
    assert forget(session, "ANA@example.org")
    assert session.scalar(select(Subscriber)) is None
    assert session.scalar(select(Subscription)) is None
    (row,) = session.scalars(select(Suppression)).all()
    assert row.address.startswith("sha256:") and "ana" not in row.address.lower()
    assert is_suppressed(session, "ana@example.org")  # the hash is case-folded
    assert subscribe(session, weekly, "ana@example.org", now=T0).subscription is None


def test_confirmation_link_expires_after_max_age(session: Session, lists: dict) -> None:
    import time_machine

    weekly = lists["weekly"]
    with time_machine.travel(T0, tick=False):
        result = subscribe(session, weekly, "ana@example.org", now=T0)
        token = SIGNER.make("confirm", result.subscriber.id, weekly.id)  # type: ignore[union-attr]
    with (
        time_machine.travel(T0 + dt.timedelta(days=8), tick=False),
        pytest.raises(TokenError, match="expired"),
    ):
        confirm(session, token, SIGNER, WEEK)
    with time_machine.travel(T0 + dt.timedelta(days=6), tick=False):
        assert confirm(session, token, SIGNER, WEEK).status == "confirmed"


def test_forget_anonymises_deliveries_and_erases_bounce_records(
    session: Session, lists: dict
) -> None:
    from mailer.delivery.models import Campaign, Delivery
    from subscribers.models import BounceRecord

    weekly = lists["weekly"]
    person = add_subscriber(session, weekly, "ana@example.org", confirmed=True)
    campaign = Campaign(kind="digest", list_id=weekly.id, edition_key="weekly:2027-W10")
    session.add(campaign)
    session.flush()
    session.add(
        Delivery(campaign_id=campaign.id, subscriber_id=person.id, email=person.email, name="Ana")
    )
    session.add(BounceRecord(address="ana@example.org", kind="soft"))
    session.commit()
    forget(session, "ana@example.org")
    session.commit()
    # The send log keeps the row (the campaign's counts must add up), not the person.
    row = session.scalar(select(Delivery))
    assert row is not None
    assert (row.subscriber_id, row.name) == (None, "")
    assert row.email.startswith("sha256:") and "ana" not in row.email
    assert session.scalar(select(BounceRecord)) is None


def test_preferences_of_a_bounced_reader_join_nothing_and_leave_nothing_ticked(
    session: Session, lists: dict
) -> None:
    weekly, events = lists["weekly"], lists["events"]
    person = add_subscriber(session, weekly, "gone@example.org", confirmed=True)
    suppress(session, "gone@example.org", "hard_bounce", "5.1.1")
    update_preferences(session, person.id, {weekly.id, events.id}, None)
    statuses = {
        s.list_id: s.status
        for s in session.scalars(
            select(Subscription).where(Subscription.subscriber_id == person.id)
        )
    }
    assert statuses == {weekly.id: "confirmed"}
    assert is_suppressed(session, "gone@example.org")
