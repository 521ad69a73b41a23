"""How healthy a list is over the last 90 days: its readers, and what its sends met.

- **Growth**: confirmed subscribers now, and per week the readers who joined
  (confirmed, by source: form, import, admin, api) and who left (unsubscribed).
  The count at the end of each week is worked back from today's: today's, minus
  the joins after that week, plus the leaves after it.
- **Sends**: each campaign of the list started in the window, with its bounce and
  complaint rates from ``mailer.reports.campaign`` (the one home of those numbers),
  drawn against Gmail's 0.1% and 0.3% spam-rate lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from mailer.db import utcnow
from mailer.delivery.models import Campaign
from mailer.reports.campaign import CampaignReport, campaign_report
from subscribers.models import MailingList, Subscription, SubscriptionStatus

WINDOW_DAYS = 90
WEEKS = 13  # 91 days: the window in whole weeks


@dataclass
class Week:
    start: dt.date
    joined: int = 0
    left: int = 0
    subscribers: int = 0  # confirmed at the end of the week
    by_source: dict[str, int] = field(default_factory=dict)


@dataclass
class ListHealth:
    list_id: int
    slug: str
    name: str
    timezone: str
    subscribers: int
    joined: int
    left: int
    joined_by_source: dict[str, int]
    weeks: list[Week]
    sends: list[CampaignReport]

    @property
    def growth(self) -> int:
        return self.joined - self.left

    @property
    def warnings(self) -> list[tuple[CampaignReport, str]]:
        return [(send, w) for send in self.sends for w in send.warnings]

    def to_json(self) -> dict[str, object]:
        return {
            "list": self.slug,
            "name": self.name,
            "subscribers": self.subscribers,
            "joined": self.joined,
            "left": self.left,
            "growth": self.growth,
            "joined_by_source": self.joined_by_source,
            "weeks": [
                {
                    "start": w.start.isoformat(),
                    "subscribers": w.subscribers,
                    "joined": w.joined,
                    "left": w.left,
                    "joined_by_source": w.by_source,
                }
                for w in self.weeks
            ],
            "sends": [
                {
                    "id": s.id,
                    "subject": s.subject,
                    "started_at": s.started_at.isoformat() if s.started_at else None,
                    "sent": s.sent,
                    "bounce_rate": round(s.share(s.bounced), 6),
                    "hard_bounce_rate": round(s.share(s.hard_bounced), 6),
                    "complaint_rate": round(s.rate(s.complained), 6),
                    "warnings": s.warnings,
                }
                for s in self.sends
            ],
        }


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def subscriber_counts(session: Session) -> dict[int, int]:
    """Confirmed subscribers per list id (one GROUP BY on the enqueue index)."""
    return {
        int(list_id): int(n)
        for list_id, n in session.execute(
            select(Subscription.list_id, func.count(Subscription.id))
            .where(Subscription.status == SubscriptionStatus.CONFIRMED)
            .group_by(Subscription.list_id)
        )
    }


def _per_week(column: Any, since: dt.datetime) -> list[Any]:
    """One SUM per week of the window: a single pass over the list's rows, in the database."""
    starts = [since + dt.timedelta(days=7 * i) for i in range(WEEKS)]
    sums = []
    for i, start in enumerate(starts):
        inside = column >= start
        if i < WEEKS - 1:
            inside = and_(inside, column < starts[i + 1])
        sums.append(func.sum(case((inside, 1), else_=0)))
    return sums


def growth(
    session: Session, list_id: int, now: dt.datetime | None = None
) -> tuple[int, list[Week]]:
    """Confirmed subscribers now, and the window's weeks (oldest first)."""
    now = _aware(now or utcnow())
    since = now - dt.timedelta(days=7 * WEEKS)
    current = int(
        session.scalar(
            select(func.count(Subscription.id)).where(
                Subscription.list_id == list_id,
                Subscription.status == SubscriptionStatus.CONFIRMED,
            )
        )
        or 0
    )
    weeks = [Week(start=(since + dt.timedelta(days=7 * i)).date()) for i in range(WEEKS)]
    for source, *joined in session.execute(
        select(Subscription.source, *_per_week(Subscription.confirmed_at, since))
        .where(Subscription.list_id == list_id, Subscription.confirmed_at >= since)
        .group_by(Subscription.source)
    ):
        for week, n in zip(weeks, joined, strict=True):
            if n:
                week.joined += int(n)
                week.by_source[str(source)] = week.by_source.get(str(source), 0) + int(n)
    left = session.execute(
        select(*_per_week(Subscription.unsubscribed_at, since)).where(
            Subscription.list_id == list_id,
            Subscription.status == SubscriptionStatus.UNSUBSCRIBED,
            Subscription.unsubscribed_at >= since,
        )
    ).one()
    for week, n in zip(weeks, left, strict=True):
        week.left = int(n or 0)
    running = current
    for week in reversed(weeks):
        week.subscribers = running
        running = running - week.joined + week.left
    return current, weeks


def list_health(
    session: Session, mailing_list: MailingList, now: dt.datetime | None = None
) -> ListHealth:
    now = _aware(now or utcnow())
    current, weeks = growth(session, mailing_list.id, now)
    by_source: dict[str, int] = {}
    for week in weeks:
        for source, n in week.by_source.items():
            by_source[source] = by_source.get(source, 0) + n
    since = now - dt.timedelta(days=WINDOW_DAYS)
    sends = []
    for campaign_id in session.scalars(
        select(Campaign.id)
        .where(Campaign.list_id == mailing_list.id, Campaign.started_at >= since)
        .order_by(Campaign.started_at, Campaign.id)
    ):
        found = campaign_report(session, campaign_id)
        if found is not None:
            sends.append(found)
    return ListHealth(
        list_id=mailing_list.id,
        slug=mailing_list.slug,
        name=mailing_list.name,
        timezone=mailing_list.timezone,
        subscribers=current,
        joined=sum(w.joined for w in weeks),
        left=sum(w.left for w in weeks),
        joined_by_source=by_source,
        weeks=weeks,
        sends=sends,
    )
