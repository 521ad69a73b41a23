"""INTEGRATION POINTS: where the web app calls the other parts of the mailer.

The web layer only validates input and renders pages; the rules live once,
in their own packages (the audience in ``subscribers``, content in
``mailer.content``, composition in ``mailer.compose``, sending in
``mailer.delivery``). Each function below is the single place the web app
reaches one of them, so a view never re-implements a rule.

Personal links (all signed with ``settings.signing_key``, see
``subscribers.tokens``): ``/c/<token>`` confirms a double opt-in
subscription, ``/u/<token>`` unsubscribes from one list (the URL the
MessageBuilder puts in List-Unsubscribe), ``/p/<token>`` is the preference page.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.compose.personalise import SAMPLE_EMAIL, SAMPLE_NAME, personalise, sample_values
from mailer.compose.render import render_announcement
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from mailer.content.edition import AnnouncementEntry
from mailer.content.markup import render_markdown
from mailer.db import audit, utcnow
from mailer.delivery import campaigns
from mailer.delivery.backends import BackendError, backend_from_url
from mailer.delivery.backends.base import Outcome
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.models import Campaign
from mailer.delivery.preview import Edition, current_edition
from mailer.scheduling.digests import ScheduleError, next_due
from subscribers import lists, service, topics
from subscribers.eligibility import sendable_subscriptions
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.tokens import TokenSigner

log = logging.getLogger(__name__)


def signer(settings: Settings) -> TokenSigner:
    return TokenSigner(settings.signing_key)


def link(settings: Settings, prefix: str, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/{prefix}/{token}"


# --- subscribing ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscribeRequest:
    mailing_list: MailingList
    email: str  # already normalised by subscribers.addresses.normalise_email
    name: str
    ip: str
    source: str = "form"  # subscribers.models.SubscriptionSource: "form" or "api"
    # Topic ids of the list the reader ticked (none: everything).
    topics: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SubscribeOutcome:
    # "confirm_sent" (double opt-in: a confirmation may have been sent), "subscribed"
    # (single opt-in). Whether the address was already there is never said, so the
    # form cannot be used to find out who is subscribed.
    result: str
    # The confirmation or welcome was due and could not be sent (the outbox or the
    # provider failed): the page must not say "check your inbox".
    mail_failed: bool = False


def _send(
    session: Session,
    settings: Settings,
    kind: str,
    subscriber: Subscriber,
    mailing_list: MailingList,
    **context: Any,
) -> bool:
    """Send one transactional mail; True when the backend took it.

    A failure is logged as an error and recorded in the audit log
    (``mail.failed``: the kind, the list and the error), so the operator
    finds the readers left waiting for a mail that never came.
    """
    from mailer.delivery.transactional import send_transactional

    try:
        result = send_transactional(session, settings, kind, subscriber, mailing_list, **context)
    except (BackendError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    else:
        if result.outcome == Outcome.SENT:
            return True
        error = f"{result.outcome}: {result.detail}"
    log.error("could not send the %s mail to subscriber %s: %s", kind, subscriber.id, error)
    audit(
        session,
        "system",
        "mail.failed",
        f"subscriber:{subscriber.id}",
        kind=kind,
        list=mailing_list.slug,
        error=error[:500],
    )
    return False


def subscribe(session: Session, settings: Settings, req: SubscribeRequest) -> SubscribeOutcome:
    """Record a form subscription as the list's opt-in rule says, and send its mail.

    The view has validated the form, checked the honeypot and the rate limit,
    and commits after this returns. The subscription is kept even when its
    mail fails (``mail_failed``): the reader can ask again once the outbox works.
    """
    result = service.subscribe(
        session,
        req.mailing_list,
        req.email,
        name=req.name,
        source=req.source,
        consent_ip=req.ip,
    )
    person = result.subscriber
    if (
        req.topics
        and result.subscription is not None
        and (result.send_confirmation or result.send_welcome)
    ):
        # Only a new or pending subscription takes the form's topics: a stranger typing
        # someone's address cannot change what a confirmed reader chose.
        known = {t.id for t in topics.list_topics(session, req.mailing_list.id)}
        topics.set_choices(
            session, result.subscription, topics=req.topics & known, source=req.source
        )
    sent = True
    if result.send_confirmation and person is not None:
        token = signer(settings).make("confirm", person.id, req.mailing_list.id)
        sent = _send(
            session,
            settings,
            "confirm",
            person,
            req.mailing_list,
            confirm_url=link(settings, "c", token),
        )
    elif result.send_welcome and person is not None:
        sent = _send(session, settings, "welcome", person, req.mailing_list)
    # From the list's rule alone: the page must not tell who was already there.
    return SubscribeOutcome(
        "confirm_sent" if req.mailing_list.double_opt_in else "subscribed", mail_failed=not sent
    )


def confirm(session: Session, settings: Settings, token: str) -> Subscription:
    """Confirm from the mailed link; the welcome goes out once, on the first confirmation.

    Raises ``subscribers.tokens.TokenError`` for a bad, foreign or expired link.
    """

    def welcome(sub: Subscription) -> None:
        _send(session, settings, "welcome", sub.subscriber, sub.mailing_list)

    return service.confirm(
        session,
        token,
        signer(settings),
        settings.confirm_token_max_age,
        on_confirmed=welcome,
    )


def send_unsubscribed(
    session: Session, settings: Settings, subscriber_id: int, list_id: int
) -> None:
    """The one goodbye message after leaving a list from the page (never after one-click)."""
    person = session.get(Subscriber, subscriber_id)
    mlist = session.get(MailingList, list_id)
    if person is not None and mlist is not None:
        _send(session, settings, "unsubscribed", person, mlist)


# --- previews ---------------------------------------------------------------------------


def sample_html(snapshot: Snapshot, settings: Settings) -> str:
    """The HTML part as a sample reader gets it (links point at harmless sample tokens)."""
    html, _ = personalise(snapshot, sample_values(settings.base_url), settings.greeting_fallback)
    return html


def announcement_preview(
    settings: Settings, mailing_list: MailingList, title: str, body_md: str
) -> str:
    """The announcement as it will look in the mail: Markdown rendered and sanitised once."""
    entry = AnnouncementEntry(0, title.strip() or "(no title yet)", render_markdown(body_md))
    return sample_html(render_announcement(entry, mailing_list, settings), settings)


NOT_YET_SENT = frozenset({"draft", "scheduled"})


def coming_edition_date(
    session: Session, mailing_list: MailingList, now: dt.datetime | None = None
) -> dt.date:
    """The date of the list's next edition that has not gone out yet.

    The next scheduled digest time (the scheduler's own rule,
    ``scheduling.digests.next_due``), moved on a week while that week's
    edition already exists and has been started (sent, sending, cancelled):
    after an edition went out, the coming one is the next, and what was
    approved since belongs there.
    """
    now = now or utcnow()
    try:
        due = next_due(mailing_list, now)
    except ScheduleError:
        due = now
    on = due.astimezone(ZoneInfo(mailing_list.timezone)).date()
    for _ in range(60):
        key = campaigns.edition_key(mailing_list, on)
        status = session.scalar(select(Campaign.status).where(Campaign.edition_key == key))
        if status is None or status in NOT_YET_SENT:
            break
        on += dt.timedelta(days=7)
    return on


def digest_preview(
    session: Session, settings: Settings, mailing_list: MailingList, on: dt.date | None = None
) -> Edition:
    """The edition of the week of ``on`` (default: the coming one) exactly as it will be sent.

    The stored campaign once that week's edition exists, else the content
    selected and rendered now.
    """
    return current_edition(
        session, mailing_list, on or coming_edition_date(session, mailing_list), settings
    )


# --- campaigns --------------------------------------------------------------------------


@dataclass(frozen=True)
class SendPlan:
    """What "Create and send" would do now, shown for confirmation before anything is sent."""

    edition: Edition  # this week's edition as it would go out (the stored one if it exists)
    key: str  # its edition key, which the confirm form sends back
    recipients: int  # who would get it if it started now
    campaign: Campaign | None  # this week's campaign, if already created


def digest_send_plan(session: Session, settings: Settings, mailing_list: MailingList) -> SendPlan:
    """This week's digest of the list: subject, audience size and whether it exists already.

    The count is the audience rule ``enqueue`` applies at start
    (``subscribers.eligibility.sendable_subscriptions``), so the number
    confirmed is the number sent, give or take people joining meanwhile.
    """
    today = lists.list_today(mailing_list, default=settings.default_timezone)
    key = campaigns.edition_key(mailing_list, today)
    audience = sendable_subscriptions(mailing_list.id).subquery()
    return SendPlan(
        edition=current_edition(session, mailing_list, today, settings),
        key=key,
        recipients=session.scalar(select(func.count()).select_from(audience)) or 0,
        campaign=session.scalar(select(Campaign).where(Campaign.edition_key == key)),
    )


def create_and_start_digest(
    session: Session, settings: Settings, mailing_list: MailingList, actor: str
) -> tuple[Campaign | None, str]:
    """This week's digest of the list, created once and started; (campaign, what happened)."""
    outcome = campaigns.create_digest(
        session,
        mailing_list,
        lists.list_today(mailing_list, default=settings.default_timezone),
        settings,
    )
    campaign = outcome.campaign
    if campaign is None:
        return None, outcome.reason
    if campaign.status in ("draft", "scheduled"):
        added = campaigns.start(session, campaign, actor=actor)
        return campaign, f"started for {added} recipients"
    return campaign, outcome.reason or f"it is already {campaign.status}"


def send_test(settings: Settings, campaign: Campaign, address: str) -> tuple[bool, str]:
    """One copy of the campaign to ``address``, personalised for a sample reader.

    Built by the same MessageBuilder as the real send (headers, escaping,
    DKIM); the links carry subscriber id 0, which no token lookup accepts.
    """
    snapshot = Snapshot(campaign.subject, campaign.preheader, campaign.html, campaign.text)
    builder = MessageBuilder(snapshot, campaign.mailing_list, settings, campaign_id=campaign.id)
    message = builder.build(Recipient(0, 0, address, SAMPLE_NAME))
    try:
        transport = backend_from_url(settings.backend, settings)
        transport.open()
        try:
            (result,) = transport.send([message])
        finally:
            transport.close()
    except (BackendError, OSError) as exc:
        return False, str(exc)
    return result.outcome == Outcome.SENT, result.detail or str(result.outcome)


__all__ = [
    "SAMPLE_EMAIL",
    "SendPlan",
    "SubscribeOutcome",
    "SubscribeRequest",
    "announcement_preview",
    "coming_edition_date",
    "confirm",
    "create_and_start_digest",
    "digest_preview",
    "digest_send_plan",
    "send_test",
    "send_unsubscribed",
    "signer",
    "subscribe",
]
