"""Personal links: one-click unsubscribe (RFC 8058), the GET page, preferences, bad tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from subscribers.eligibility import sendable_subscriptions
from subscribers.links import (
    is_one_click,
    preferences_page,
    save_preferences,
    unsubscribe_page,
    unsubscribe_with_token,
)
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.service import add_subscriber, is_suppressed
from subscribers.tokens import TokenError, TokenSigner

SIGNER = TokenSigner("test-secret-key-not-for-production")


@pytest.mark.parametrize(
    ("ctype", "body", "ok"),
    [
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click", True),
        ("application/x-www-form-urlencoded; charset=utf-8", b"List-Unsubscribe=One-Click", True),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=Other", False),
        ("application/x-www-form-urlencoded", b"", False),
        ("text/plain", b"List-Unsubscribe=One-Click", False),
        (
            "multipart/form-data; boundary=----x",
            b'------x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            b"One-Click\r\n------x--\r\n",
            True,
        ),
        (
            "multipart/form-data; boundary=----x",
            b'------x\r\nContent-Disposition: form-data; name="other"\r\n\r\n'
            b"One-Click\r\n------x--\r\n",
            False,
        ),
    ],
)
def test_one_click_body(ctype: str, body: bytes, ok: bool) -> None:
    assert is_one_click(ctype, body) is ok


@pytest.fixture
def people(session: Session) -> tuple[MailingList, MailingList, MailingList, Subscriber]:
    weekly = MailingList(slug="weekly", name="ODEI Weekly", description="News and events")
    events = MailingList(slug="events", name="ODEI Events")
    staff = MailingList(slug="staff", name="Staff notes", public=False)
    session.add_all([weekly, events, staff])
    session.flush()
    ana = add_subscriber(session, weekly, "ana@example.org", name="Ana", confirmed=True)
    add_subscriber(session, staff, "ana@example.org", confirmed=True)
    add_subscriber(session, weekly, "kofi@example.org", confirmed=True)
    return weekly, events, staff, ana


def _sendable(session: Session, ml: MailingList) -> list[str]:
    return [r.email for r in session.execute(sendable_subscriptions(ml.id))]


def test_get_page_changes_nothing_and_post_unsubscribes_at_once(
    session: Session, people: tuple
) -> None:
    weekly, _events, _staff, ana = people
    token = SIGNER.make("unsubscribe", ana.id, weekly.id)
    page = unsubscribe_page(session, SIGNER, token)
    assert page.list_name == "ODEI Weekly" and not page.already_unsubscribed
    assert "ana@example.org" in _sendable(session, weekly)
    assert unsubscribe_with_token(session, SIGNER, token, via="one-click")
    # The very next batch's eligibility check no longer includes her.
    assert _sendable(session, weekly) == ["kofi@example.org"]
    assert unsubscribe_page(session, SIGNER, token).already_unsubscribed
    assert not unsubscribe_with_token(session, SIGNER, token, via="one-click")


@pytest.mark.parametrize(
    "make",
    [
        lambda ana, ml: SIGNER.make("unsubscribe", ana.id, ml.id)[:-3] + "xyz",
        lambda ana, ml: TokenSigner("another-site").make("unsubscribe", ana.id, ml.id),
        lambda ana, ml: SIGNER.make("preferences", ana.id),
        lambda ana, ml: SIGNER.make("unsubscribe", ana.id + 999, ml.id),
        lambda ana, ml: SIGNER.make("unsubscribe", ana.id, ml.id + 999),
        lambda ana, ml: "",
    ],
    ids=["tampered", "foreign", "wrong-purpose", "no-such-person", "no-such-list", "empty"],
)
def test_bad_unsubscribe_tokens_change_and_reveal_nothing(
    session: Session, people: tuple, make: object
) -> None:
    weekly, _events, _staff, ana = people
    token = make(ana, weekly)  # type: ignore[operator]
    with pytest.raises(TokenError) as caught:
        unsubscribe_with_token(session, SIGNER, token, via="one-click")
    assert str(caught.value) == "this link is not valid"
    assert sorted(_sendable(session, weekly)) == ["ana@example.org", "kofi@example.org"]


def test_preferences_show_public_lists_and_save(session: Session, people: tuple) -> None:
    _weekly, events, staff, ana = people
    token = SIGNER.make("preferences", ana.id)
    page = preferences_page(session, SIGNER, token)
    assert page.name == "Ana" and page.email == "ana@example.org"
    assert [(c.name, c.subscribed) for c in page.lists] == [
        ("ODEI Events", False),
        ("ODEI Weekly", True),
    ]
    save_preferences(session, SIGNER, token, list_ids={events.id}, name="Ana Ruiz")
    page = preferences_page(session, SIGNER, token)
    assert page.name == "Ana Ruiz"
    assert [(c.name, c.subscribed) for c in page.lists] == [
        ("ODEI Events", True),
        ("ODEI Weekly", False),
    ]
    assert _sendable(session, events) == ["ana@example.org"]
    assert _sendable(session, staff) == ["ana@example.org"]  # private: untouched


def test_unsubscribe_from_everything(session: Session, people: tuple) -> None:
    weekly, _events, staff, ana = people
    token = SIGNER.make("preferences", ana.id)
    save_preferences(
        session, SIGNER, token, list_ids={weekly.id}, name=None, unsubscribe_everything=True
    )
    statuses = set(
        session.scalars(select(Subscription.status).where(Subscription.subscriber_id == ana.id))
    )
    assert statuses == {"unsubscribed"}
    assert is_suppressed(session, "ana@example.org")
    assert _sendable(session, staff) == []


def test_preference_token_of_someone_else_or_tampered_is_refused(
    session: Session, people: tuple
) -> None:
    weekly, _events, _staff, ana = people
    for token in (
        SIGNER.make("preferences", ana.id) + "x",
        TokenSigner("another-site").make("preferences", ana.id),
        SIGNER.make("unsubscribe", ana.id, weekly.id),
        SIGNER.make("preferences", ana.id + 999),
    ):
        with pytest.raises(TokenError):
            save_preferences(session, SIGNER, token, list_ids=set(), name="Mallory")
    assert ana.name == "Ana"
    assert "ana@example.org" in _sendable(session, weekly)
