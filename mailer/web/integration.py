"""INTEGRATION POINTS: where the web app calls the other parts of the mailer.

The web layer only validates input and renders pages; the rules live once,
in their own packages (the audience in ``subscribers``, content in
``mailer.content``, composition in ``mailer.compose``, sending in
``mailer.delivery``). Each function below is the single place the web app
reaches one of them. Those not yet written on this branch raise
``IntegrationPending`` and the page says so plainly (503) instead of guessing
at a rule that belongs elsewhere.

TO WIRE (next round):
- ``subscribe``: ``subscribers.service.subscribe(...)`` (consent, double opt-in,
  confirmation mail, suppression check).
- confirmation landing, preference page, unsubscribe page and the RFC 8058
  one-click POST (``/u/<token>``), CSV import/export, suppress, forget.
- staff announcements (``mailer.content``), digest preview (``mailer.compose``),
  pause/resume/cancel/test-send (``mailer.delivery``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from subscribers.models import MailingList


class IntegrationPending(RuntimeError):
    """The function this page needs is not wired on this build yet."""


@dataclass(frozen=True)
class SubscribeRequest:
    mailing_list: MailingList
    email: str  # already normalised by subscribers.addresses.normalise_email
    name: str
    ip: str


@dataclass(frozen=True)
class SubscribeOutcome:
    # "confirm_sent" (double opt-in mail sent), "subscribed" (single opt-in),
    # or "already" (nothing changed; the page says the same as for a new address
    # so the form cannot be used to find out who is subscribed).
    result: str


def subscribe(session: Session, req: SubscribeRequest) -> SubscribeOutcome:
    """Record a form subscription as the list's opt-in rule says.

    INTEGRATION POINT: call ``subscribers.service.subscribe`` here and map its
    result to ``SubscribeOutcome``; the view has already validated the form,
    checked the honeypot and the rate limit, and commits after this returns.
    """
    raise IntegrationPending("subscriptions from the web form")
