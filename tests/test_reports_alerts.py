"""Admins are mailed once per send and kind when a send passes 0.1% complaints or 2% hard
bounces; the scheduler's hourly job does it for feedback that came by webhook."""

from __future__ import annotations

import mailbox
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer import auth
from mailer.config import Settings
from mailer.db import AuditLog
from mailer.delivery.models import Campaign
from mailer.scheduling import jobs
from mailer.scheduling.schedule import add_housekeeping, build_scheduler
from tests.report_fixtures import seed_reports


def _notices(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    box = mailbox.Maildir(outbox, create=False)
    return [
        str(message_from_bytes(box.get_bytes(k), policy=default)["Subject"]) for k in box.iterkeys()
    ]


def test_the_hourly_job_mails_each_warning_once(
    session_factory: sessionmaker[Session], settings: Settings, outbox: Path
) -> None:
    with session_factory() as s:
        seeded = seed_reports(s)
        auth.create_user(s, "ada.admin@wustl.example", "a long admin passphrase", "admin")
        s.commit()
    jobs.install(jobs.Runtime(session_factory, settings))
    try:
        jobs.report_alerts()
        jobs.report_alerts()
    finally:
        jobs.install(None)
    subjects = [n for n in _notices(outbox) if n.startswith("Send needs attention")]
    assert subjects == [
        'Send needs attention: =HYPERLINK("http://evil.example") Women’s History Month'
    ]
    with session_factory() as s:
        campaign = s.get(Campaign, seeded.campaign_id)
        assert campaign is not None
        assert campaign.meta["alerts"] == ["complaints", "hard bounces"]
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "report.alert"))
        assert entry is not None and entry.target == f"campaign:{seeded.campaign_id}"
        # The older send was clean: never mailed about.
        older = s.get(Campaign, seeded.older_id)
        assert older is not None and "alerts" not in (older.meta or {})


def test_the_scheduler_runs_the_alerts_hourly(settings: Settings) -> None:
    scheduler = build_scheduler(settings)
    add_housekeeping(scheduler, settings)
    job = scheduler.get_job("report-alerts", jobstore="internal")
    assert job is not None and job.func_ref == "mailer.scheduling.jobs:report_alerts"
    assert job.trigger.interval.total_seconds() == 3600
