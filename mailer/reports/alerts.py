"""Tell the admins, once, when a send crosses a line mailbox providers act on.

Gmail's bulk-sender rules junk mail from senders whose user-reported spam rate
passes 0.3% and ask them to keep it under 0.1%; a hard-bounce rate over 2% says
the list holds addresses nobody reads. Feedback arrives for days after a send,
so the check runs after every pass over the bounce mailbox (``mailer bounces
process`` and the scheduler's bounce job) over the sends of the last
``RECENT_DAYS``. Each warning is mailed once per send (kept in the campaign's
``meta["alerts"]``) and written to the audit log; the console shows them too.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.db import audit, utcnow
from mailer.delivery.models import Campaign
from mailer.delivery.transactional import notify_admins
from mailer.reports.campaign import campaign_report

log = logging.getLogger(__name__)

RECENT_DAYS = 14


def _kind(warning: str) -> str:
    return "complaints" if warning.startswith("complaint") else "hard bounces"


def alert_admins(session: Session, settings: Settings, now: dt.datetime | None = None) -> int:
    """Mail the admins each new warning of a recent send; returns how many were new.

    The caller commits (the alerts already sent are kept on the campaigns).
    """
    since = (now or utcnow()) - dt.timedelta(days=RECENT_DAYS)
    new = 0
    for campaign in session.scalars(
        select(Campaign).where(Campaign.started_at >= since).order_by(Campaign.id)
    ):
        report = campaign_report(session, campaign.id)
        if report is None or not report.warnings:
            continue
        done = set((campaign.meta or {}).get("alerts", []))
        fresh = [w for w in report.warnings if _kind(w) not in done]
        if not fresh:
            continue
        base = settings.base_url.rstrip("/")
        subject = f"Send needs attention: {campaign.subject or campaign.edition_key}"[:200]
        text = (
            f"The send “{campaign.subject}” to {report.list_slug} "
            f"({report.sent} messages) has crossed a line that mailbox providers act on:\n\n"
            + "".join(f"- the {w}\n" for w in fresh)
            + "\nGmail junks mail from senders whose spam-complaint rate passes 0.3% and asks "
            "them to stay under 0.1%. Check where the addresses came from and that every "
            "reader asked for this list before the next send.\n\n"
            f"The report: {base}/reports/campaigns/{campaign.id}\n"
        )
        notify_admins(session, settings, subject, text)
        campaign.meta = {
            **(campaign.meta or {}),
            "alerts": sorted(done | {_kind(w) for w in fresh}),
        }
        audit(session, "system", "report.alert", f"campaign:{campaign.id}", warnings=fresh)
        log.warning("campaign %s: %s", campaign.id, "; ".join(fresh))
        new += len(fresh)
    return new
