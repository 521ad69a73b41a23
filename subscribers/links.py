"""What the personal links in every message do: unsubscribe and preferences.

The web layer owns the routes; the rules live here so the web, the mailto
handler and the tests share them:
- a GET of the unsubscribe link only shows a page (link scanners follow GETs);
- a POST whose body is ``List-Unsubscribe=One-Click`` (RFC 8058), as a form
  or multipart, unsubscribes at once; so does the page's button;
- the preference page, from its own signed link, shows the public lists with
  their state and the name, and saves them, or unsubscribes from everything.
Any tampered, foreign or mismatched token raises ``TokenError`` with the same
words whatever is wrong, and changes nothing.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from subscribers.models import MailingList, Subscriber, Subscription, SubscriptionStatus
from subscribers.names import clean_name
from subscribers.service import unsubscribe, unsubscribe_all, update_preferences
from subscribers.tokens import TokenError, TokenSigner

ONE_CLICK = "One-Click"


def is_one_click(content_type: str, body: bytes) -> bool:
    """True if a POST body is RFC 8058's ``List-Unsubscribe=One-Click``.

    Mail providers send it as ``application/x-www-form-urlencoded`` or as
    ``multipart/form-data``; both are accepted, nothing else is.
    """
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("ascii", "replace"), keep_blank_values=True)
        return ONE_CLICK in values.get("List-Unsubscribe", [])
    if ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "List-Unsubscribe":
                content = part.get_payload(decode=True)
                text = content.decode("ascii", "replace") if isinstance(content, bytes) else ""
                return text.strip() == ONE_CLICK
    return False


def _subscription(session: Session, subscriber_id: int, list_id: int | None) -> Subscription:
    sub = (
        session.scalar(
            select(Subscription).where(
                Subscription.subscriber_id == subscriber_id, Subscription.list_id == list_id
            )
        )
        if list_id is not None
        else None
    )
    if sub is None:
        raise TokenError("this link is not valid")
    return sub


@dataclass(frozen=True)
class UnsubscribePage:
    """What the GET page shows: which list, and whether the reader already left it."""

    list_name: str
    already_unsubscribed: bool


def unsubscribe_page(session: Session, signer: TokenSigner, token: str) -> UnsubscribePage:
    """For the GET: look, never touch."""
    data = signer.read("unsubscribe", token)
    sub = _subscription(session, data.subscriber_id, data.list_id)
    return UnsubscribePage(sub.mailing_list.name, sub.status == SubscriptionStatus.UNSUBSCRIBED)


def unsubscribe_with_token(session: Session, signer: TokenSigner, token: str, *, via: str) -> bool:
    """For the POST (one-click or the page's button) and the mailto: leave that list now.

    Unsubscribe tokens never expire: an old message must still let people go.
    """
    data = signer.read("unsubscribe", token)
    sub = _subscription(session, data.subscriber_id, data.list_id)
    return unsubscribe(session, sub.subscriber_id, sub.list_id, via=via)


@dataclass(frozen=True)
class ListChoice:
    list_id: int
    name: str
    description: str
    subscribed: bool
    # The list counts clicks per reader (MailingList.track_clicks): the page says so.
    tracks_clicks: bool = False
    tracks_opens: bool = False


@dataclass(frozen=True)
class Preferences:
    subscriber_id: int
    email: str
    name: str
    lists: list[ListChoice]


def _subscriber(session: Session, signer: TokenSigner, token: str) -> Subscriber:
    data = signer.read("preferences", token)
    subscriber = session.get(Subscriber, data.subscriber_id)
    if subscriber is None or data.list_id is not None:
        raise TokenError("this link is not valid")
    return subscriber


def preferences_page(session: Session, signer: TokenSigner, token: str) -> Preferences:
    """The public lists with a tick where the reader is subscribed (pending or confirmed)."""
    subscriber = _subscriber(session, signer, token)
    mine = {
        s.list_id
        for s in session.scalars(
            select(Subscription).where(
                Subscription.subscriber_id == subscriber.id,
                Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
            )
        )
    }
    lists = session.scalars(
        select(MailingList).where(MailingList.public.is_(True)).order_by(MailingList.name)
    ).all()
    return Preferences(
        subscriber.id,
        subscriber.email,
        subscriber.name,
        [
            ListChoice(
                ml.id, ml.name, ml.description, ml.id in mine, ml.track_clicks, ml.track_opens
            )
            for ml in lists
        ],
    )


def save_preferences(
    session: Session,
    signer: TokenSigner,
    token: str,
    *,
    list_ids: set[int],
    name: str | None,
    unsubscribe_everything: bool = False,
) -> None:
    """Apply the preference form; "unsubscribe from everything" wins over the ticks."""
    subscriber = _subscriber(session, signer, token)
    if unsubscribe_everything:
        if name is not None:
            subscriber.name = clean_name(name)
        unsubscribe_all(session, subscriber.id, via="preferences")
        return
    update_preferences(session, subscriber.id, list_ids, name)
