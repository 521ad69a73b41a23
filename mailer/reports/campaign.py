"""What one send achieved: counted from the delivery log and the feedback events only.

Nothing here is cached or estimated, so the report always equals what happened:
- ``recipients``: the campaign's deliveries (the outbox is the send log);
- ``sent``: deliveries the server accepted (``sent_at`` set; a later bounce turns
  their status to ``bounced``); ``failed``: refused at send time (``failed``, and
  ``rejected``: a 5.1.x answer while sending, status ``bounced`` with no ``sent_at``);
- ``bounced`` / ``hard`` / ``soft`` / ``policy``: deliveries with a verified bounce
  record (``BounceRecord``, written by ``mailer.feedback.apply``), each counted once,
  plus the ``rejected`` ones (hard bounces the server gave at once);
- ``complained``: deliveries with a verified complaint;
- ``unsubscribed``: readers who left this list after this send reached them and
  before the list's next send did (its unsubscribe link and List-Unsubscribe
  one-click, a mailto reply, the preference page: a list unticked or "unsubscribe
  from everything"): every unsubscribe is credited to the last send the reader
  got; one who complained is counted as a complaint instead;
- ``clicks``: counted clicks (``mailer.feedback.clicks``), total and unique readers,
  overall and per link;
- ``opens``: pixel loads, only for lists that track opens (off by default: image
  proxies such as Apple Mail Privacy Protection load every pixel, read or not).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from mailer.db import AuditLog
from mailer.delivery.models import Campaign, Delivery, DeliveryStatus
from mailer.feedback.clicks import Click, Open
from mailer.feedback.events import Kind
from subscribers.models import BounceRecord, MailingList

#: Gmail's Postmaster thresholds for user-reported spam: stay under, never reach.
#: The counts a report gives, in the order the JSON, the CSV and the API schema list them.
COUNTS = (
    "recipients",
    "sent",
    "failed",
    "rejected",
    "skipped",
    "pending",
    "delivered",
    "bounced",
    "hard_bounced",
    "soft_bounced",
    "policy_blocked",
    "complained",
    "unsubscribed",
)
COMPLAINT_WARN = 0.001
COMPLAINT_LIMIT = 0.003
#: A send whose hard bounces pass this has a list-quality problem (stale or bought addresses).
HARD_BOUNCE_WARN = 0.02

_SENT = (DeliveryStatus.SENT, DeliveryStatus.BOUNCED)


@dataclass
class LinkClicks:
    url: str
    total: int
    unique: int


@dataclass
class CampaignReport:
    id: int
    list_id: int
    list_slug: str
    subject: str
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    recipients: int
    sent: int
    failed: int
    rejected: int
    skipped: int
    pending: int
    bounced: int
    hard_bounced: int
    soft_bounced: int
    policy_blocked: int
    complained: int
    unsubscribed: int
    clicks_tracked: bool
    clicks_total: int
    clicks_unique: int
    links: list[LinkClicks] = field(default_factory=list)
    opens_tracked: bool = False
    opens_total: int = 0
    opens_unique: int = 0

    def rate(self, count: int) -> float:
        """``count`` as a share of the messages sent (0 when nothing went out)."""
        return count / self.sent if self.sent else 0.0

    @property
    def attempted(self) -> int:
        """Messages offered to the server: the base of delivery and bounce rates."""
        return self.sent + self.failed

    def share(self, count: int) -> float:
        """``count`` as a share of the messages offered (0 when none was)."""
        return count / self.attempted if self.attempted else 0.0

    @property
    def delivered(self) -> int:
        """Accepted and not bounced later."""
        return self.sent - (self.bounced - self.rejected)

    @property
    def rates(self) -> dict[str, float]:
        return {
            "delivered": self.share(self.delivered),
            "bounced": self.share(self.bounced),
            "hard_bounced": self.share(self.hard_bounced),
            "complained": self.rate(self.complained),
            "unsubscribed": self.rate(self.unsubscribed),
        }

    @property
    def complaints_over(self) -> bool:
        """The complaint rate passed 0.1% (Gmail's and Yahoo's line to stay under)."""
        return self.rate(self.complained) > COMPLAINT_WARN

    @property
    def hard_bounces_over(self) -> bool:
        """The hard-bounce rate passed 2%: the list holds addresses that no longer exist."""
        return self.share(self.hard_bounced) > HARD_BOUNCE_WARN

    @property
    def warnings(self) -> list[str]:
        """Why this send needs an admin's attention (the thresholds above), in words."""
        out = []
        if self.complaints_over:
            out.append(
                f"complaint rate {self.rate(self.complained):.2%} is over 0.1% "
                "(Gmail's limit is 0.3%)"
            )
        if self.hard_bounces_over:
            out.append(f"hard-bounce rate {self.share(self.hard_bounced):.2%} is over 2%")
        return out

    def to_json(self) -> dict[str, Any]:
        links = [asdict(link) for link in self.links]
        return {
            "id": self.id,
            "list": self.list_slug,
            "subject": self.subject,
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            **{key: getattr(self, key) for key in COUNTS},
            "clicks": {
                "tracked": self.clicks_tracked,
                "total": self.clicks_total,
                "unique": self.clicks_unique,
            },
            "links": links,
            "opens": {
                "tracked": self.opens_tracked,
                "total": self.opens_total,
                "unique": self.opens_unique,
            },
            "rates": {k: round(v, 6) for k, v in self.rates.items()},
            "warnings": self.warnings,
        }


def _statuses(session: Session, campaign_id: int) -> dict[str, int]:
    """Deliveries per status; ``rejected``: the ``bounced`` ones the server never accepted.

    Two index scans of the claim index (campaign, status): a 100,000-reader send's
    report does not read its rows, only the few bounced ones.
    """
    counts: dict[str, int] = {
        str(status): int(n)
        for status, n in session.execute(
            select(Delivery.status, func.count(Delivery.id))
            .where(Delivery.campaign_id == campaign_id)
            .group_by(Delivery.status)
        )
    }
    if counts.get(DeliveryStatus.BOUNCED):
        rejected = int(
            session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.campaign_id == campaign_id,
                    Delivery.status == DeliveryStatus.BOUNCED,
                    Delivery.sent_at.is_(None),
                )
            )
            or 0
        )
        counts[DeliveryStatus.BOUNCED] -= rejected
        counts["rejected"] = rejected
    return counts


def _feedback(session: Session, campaign_id: int) -> dict[str, int]:
    """Deliveries of the campaign with verified feedback, per kind (each delivery once)."""
    rows = session.execute(
        select(BounceRecord.kind, func.count(distinct(BounceRecord.delivery_id)))
        .join(Delivery, Delivery.id == BounceRecord.delivery_id)
        .where(Delivery.campaign_id == campaign_id, BounceRecord.verified.is_(True))
        .group_by(BounceRecord.kind)
    ).all()
    counts: dict[str, int] = {str(kind): int(n) for kind, n in rows}
    bounced = session.scalar(
        select(func.count(distinct(BounceRecord.delivery_id)))
        .join(Delivery, Delivery.id == BounceRecord.delivery_id)
        .where(
            Delivery.campaign_id == campaign_id,
            BounceRecord.verified.is_(True),
            BounceRecord.kind.in_([Kind.HARD, Kind.SOFT, Kind.POLICY]),
        )
    )
    counts["bounced"] = int(bounced or 0)
    return counts


#: Audit actions by which a reader leaves lists (subscribers.service, subscribers.links).
LEAVING = ("unsubscribe", "unsubscribe_all", "preferences")


def _left_list(action: str, detail: object, list_id: int, public: bool) -> bool:
    """Whether one audit entry is the reader leaving the list ``list_id``.

    ``unsubscribe`` names its list; ``unsubscribe_all`` leaves every list; a saved
    preference page keeps only the ticked lists (``lists``), and shows public lists
    only, so a private list is never left that way.
    """
    if not isinstance(detail, dict):
        detail = {}
    if action == "unsubscribe":
        return detail.get("list_id") == list_id
    if action == "unsubscribe_all":
        return True
    return public and list_id not in detail.get("lists", [list_id])


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _unsubscribed(session: Session, campaign: Campaign) -> int:
    """Readers of this send who left its list before the list's next send reached them.

    Starts from the few unsubscribes from the list since the send began (the audit
    log), then looks up only those readers' deliveries: a 100,000-reader send costs
    an index lookup per leaver, not a scan of its send log.
    """
    if campaign.started_at is None:
        return 0
    mailing_list = session.get(MailingList, campaign.list_id)
    public = mailing_list is not None and mailing_list.public
    leaves: dict[int, list[dt.datetime]] = {}
    for at, action, target, detail in session.execute(
        select(AuditLog.at, AuditLog.action, AuditLog.target, AuditLog.detail).where(
            AuditLog.action.in_(LEAVING), AuditLog.at >= campaign.started_at
        )
    ):
        if not _left_list(action, detail, campaign.list_id, public):
            continue
        kind, _, number = str(target).partition(":")
        if kind == "subscriber" and number.isdigit():
            leaves.setdefault(int(number), []).append(at)
    # A complaint also unsubscribes from everything; it is counted as the complaint.
    for (complainer,) in session.execute(
        select(Delivery.subscriber_id)
        .join(BounceRecord, BounceRecord.delivery_id == Delivery.id)
        .where(
            Delivery.campaign_id == campaign.id,
            BounceRecord.kind == Kind.COMPLAINT,
            BounceRecord.verified.is_(True),
        )
    ):
        if complainer is not None:
            leaves.pop(int(complainer), None)
    if not leaves:
        return 0
    reached: dict[int, dt.datetime] = {}
    for chunk in _chunks(sorted(leaves)):
        for subscriber_id, sent_at in session.execute(
            select(Delivery.subscriber_id, Delivery.sent_at).where(
                Delivery.campaign_id == campaign.id,
                Delivery.status.in_(_SENT),
                Delivery.subscriber_id.in_(chunk),
                Delivery.sent_at.is_not(None),
            )
        ):
            if subscriber_id is not None and sent_at is not None:
                reached[int(subscriber_id)] = sent_at
    # Each reader's first unsubscribe after this send reached them.
    left = {
        sid: min(at for at in leaves[sid] if at >= sent_at)
        for sid, sent_at in reached.items()
        if any(at >= sent_at for at in leaves[sid])
    }
    if not left:
        return 0
    # A later send of the same list that reached the reader before they left takes the credit.
    later = Campaign.__table__.alias("later")
    credited = set(left)
    for chunk in _chunks(sorted(left)):
        for later_reader, later_sent in session.execute(
            select(Delivery.subscriber_id, Delivery.sent_at)
            .join(later, later.c.id == Delivery.campaign_id)
            .where(
                later.c.list_id == campaign.list_id,
                later.c.id != campaign.id,
                Delivery.subscriber_id.in_(chunk),
                Delivery.status.in_(_SENT),
                Delivery.sent_at.is_not(None),
            )
        ):
            if later_reader is None or later_sent is None:
                continue
            if reached[later_reader] < later_sent <= left[later_reader]:
                credited.discard(later_reader)
    return len(credited)


def _clicks(session: Session, campaign_id: int) -> tuple[int, int, list[LinkClicks]]:
    links = [
        LinkClicks(str(url), int(total), int(unique))
        for url, total, unique in session.execute(
            select(Click.url, func.count(Click.id), func.count(distinct(Click.delivery_id)))
            .where(Click.campaign_id == campaign_id)
            .group_by(Click.url)
            .order_by(func.count(Click.id).desc(), Click.url)
        )
    ]
    unique = session.scalar(
        select(func.count(distinct(Click.delivery_id))).where(
            and_(Click.campaign_id == campaign_id, Click.delivery_id.is_not(None))
        )
    )
    return sum(link.total for link in links), int(unique or 0), links


def _opens(session: Session, campaign_id: int) -> tuple[int, int]:
    total, unique = session.execute(
        select(func.count(Open.id), func.count(distinct(Open.delivery_id))).where(
            Open.campaign_id == campaign_id
        )
    ).one()
    return int(total or 0), int(unique or 0)


def campaign_report(session: Session, campaign_id: int) -> CampaignReport | None:
    """The report of one campaign, or None if there is no such campaign."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    mailing_list = session.get(MailingList, campaign.list_id)
    statuses = _statuses(session, campaign.id)
    feedback = _feedback(session, campaign.id)
    total, unique, links = _clicks(session, campaign.id)
    opens_total, opens_unique = _opens(session, campaign.id)
    return CampaignReport(
        id=campaign.id,
        list_id=campaign.list_id,
        list_slug=mailing_list.slug if mailing_list is not None else "",
        subject=campaign.subject,
        status=campaign.status,
        started_at=campaign.started_at,
        finished_at=campaign.finished_at,
        recipients=sum(statuses.values()),
        sent=sum(statuses.get(s, 0) for s in _SENT),
        failed=statuses.get(DeliveryStatus.FAILED, 0) + statuses.get("rejected", 0),
        rejected=statuses.get("rejected", 0),
        skipped=statuses.get(DeliveryStatus.SKIPPED, 0),
        pending=statuses.get(DeliveryStatus.QUEUED, 0) + statuses.get(DeliveryStatus.SENDING, 0),
        bounced=feedback["bounced"] + statuses.get("rejected", 0),
        hard_bounced=feedback.get(Kind.HARD, 0) + statuses.get("rejected", 0),
        soft_bounced=feedback.get(Kind.SOFT, 0),
        policy_blocked=feedback.get(Kind.POLICY, 0),
        complained=feedback.get(Kind.COMPLAINT, 0),
        unsubscribed=_unsubscribed(session, campaign),
        clicks_tracked=bool(mailing_list is not None and mailing_list.track_clicks),
        clicks_total=total,
        clicks_unique=unique,
        links=links,
        opens_tracked=bool(mailing_list is not None and mailing_list.track_opens),
        opens_total=opens_total,
        opens_unique=opens_unique,
    )
