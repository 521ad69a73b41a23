"""The console's landing page: everything that needs a look, from the functions that own it.

- subscribers per list and their 90-day growth (``mailer.reports.health.growth``);
- the last sends with delivered, bounce, complaint and unsubscribe rates, and the
  warnings of any that passed 0.1% complaints or 2% hard bounces
  (``mailer.reports.campaign``: one home for those numbers);
- what the scheduler will run next per list, in the list's own time zone, from the
  scheduler's own plan (``mailer.scheduling.schedule.desired_jobs``), so the page and
  ``mailer schedule list`` cannot disagree;
- failing content sources and blocked editions (``compose.gate`` sets ``blocked``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.content.models import Announcement, AnnouncementStatus, Source
from mailer.db import utcnow
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.reports.campaign import CampaignReport, campaign_report
from mailer.reports.charts import percent
from mailer.reports.health import growth
from mailer.scheduling.schedule import desired_jobs
from mailer.web.blueprints import reports_bp as bp
from mailer.web.db import db
from subscribers.lists import zone
from subscribers.models import MailingList

LAST_SENDS = 8


@dataclass
class Due:
    what: str
    at: dt.datetime
    zone: str


@dataclass
class ListRow:
    mailing_list: MailingList
    subscribers: int
    joined: int
    left: int
    due: list[Due] = field(default_factory=list)

    @property
    def growth(self) -> int:
        return self.joined - self.left


def _plan(session: Session, settings: Settings, now: dt.datetime) -> dict[int, list[Due]]:
    """The next run of each digest, announcement and scheduled campaign job, per list."""
    out: dict[int, list[Due]] = {}
    for spec in desired_jobs(session, settings, now):
        kind, _, ident = spec.id.partition(":")
        if kind not in {"digest", "announcement", "campaign"} or not ident.isdigit():
            continue
        nxt = spec.trigger.get_next_fire_time(None, now.astimezone(ZoneInfo(spec.zone)))
        if nxt is None:
            continue
        at = nxt.astimezone(dt.UTC)
        if kind == "digest":
            out.setdefault(int(ident), []).append(Due("Weekly digest", at, spec.zone))
        elif kind == "announcement":
            item = session.get(Announcement, int(ident))
            for ml in item.lists if item is not None else []:
                out.setdefault(ml.id, []).append(
                    Due(f"Announcement “{item.title}”" if item else "", at, ml.timezone)
                )
        else:
            campaign = session.get(Campaign, int(ident))
            if campaign is not None:
                out.setdefault(campaign.list_id, []).append(
                    Due(f"Campaign “{campaign.subject}”", at, spec.zone)
                )
    return out


def overview_data(session: Session, settings: Settings) -> dict[str, object]:
    now = utcnow()
    plan = _plan(session, settings, now)
    rows = []
    for ml in session.scalars(select(MailingList).order_by(MailingList.name)):
        current, weeks = growth(session, ml.id, now)
        due = sorted(plan.get(ml.id, []), key=lambda d: d.at)
        for d in due:
            d.zone = ml.timezone if _valid(ml.timezone) else d.zone
        rows.append(
            ListRow(
                ml,
                current,
                sum(w.joined for w in weeks),
                sum(w.left for w in weeks),
                due,
            )
        )
    sends: list[CampaignReport] = []
    for campaign_id in session.scalars(
        select(Campaign.id)
        .where(Campaign.started_at.is_not(None))
        .order_by(Campaign.started_at.desc(), Campaign.id.desc())
        .limit(LAST_SENDS)
    ):
        found = campaign_report(session, campaign_id)
        if found is not None:
            sends.append(found)
    failing = list(
        session.scalars(
            select(Source)
            .where(Source.enabled.is_(True), Source.last_status == "failing")
            .order_by(Source.name)
        )
    )
    blocked = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.BLOCKED)
            .order_by(Campaign.created_at.desc())
        )
    )
    waiting = len(
        session.scalars(
            select(Announcement.id).where(Announcement.status == AnnouncementStatus.SUBMITTED)
        ).all()
    )
    return {
        "rows": rows,
        "sends": sends,
        "warnings": [(s, w) for s in sends for w in s.warnings],
        "failing": failing,
        "blocked": blocked,
        "waiting": waiting,
        "zones": {ml.mailing_list.id: ml.mailing_list.timezone for ml in rows},
    }


def _valid(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def render_overview() -> str:
    settings: Settings = current_app.extensions["mailer.settings"]
    return render_template(
        "web/reports/overview.html", percent=percent, **overview_data(db(), settings)
    )


@bp.route("/")
def overview() -> str:
    return render_overview()
