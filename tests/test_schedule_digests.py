"""Digest timing: the list's zone across daylight-saving changes, misfires, never twice."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import AuditLog
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignStatus, Delivery
from mailer.delivery.worker import drain
from mailer.scheduling.digests import (
    ScheduleError,
    catch_up,
    digest_trigger,
    last_due,
    run_digest,
)
from subscribers import lists
from subscribers.models import MailingList
from tests.schedule_fixtures import add_news, digest_list

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def monday_seven_chicago() -> MailingList:
    return MailingList(
        slug="weekly",
        name="ODEI Weekly",
        timezone="America/Chicago",
        digest_weekday=0,
        digest_time="07:00",
        digest_enabled=True,
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Before 2027-03-14 St. Louis is on CST (UTC-6), after it on CDT (UTC-5) ...
        (utc(2027, 3, 3), utc(2027, 3, 8, 13)),
        (utc(2027, 3, 10), utc(2027, 3, 15, 12)),
        # ... and back to CST after 2027-11-07.
        (utc(2027, 11, 2), utc(2027, 11, 8, 13)),
        (utc(2027, 10, 27), utc(2027, 11, 1, 12)),
    ],
)
def test_monday_seven_local_is_right_in_utc_across_dst(
    now: dt.datetime, expected: dt.datetime
) -> None:
    trigger = digest_trigger(monday_seven_chicago(), Settings())
    assert trigger.get_next_fire_time(None, now) == expected


def test_fire_after_fire_keeps_local_time_through_both_changes() -> None:
    trigger = digest_trigger(monday_seven_chicago(), Settings())
    fired = [trigger.get_next_fire_time(None, utc(2027, 3, 1, 14))]
    for _ in range(2):
        fired.append(trigger.get_next_fire_time(fired[-1], fired[-1] + dt.timedelta(seconds=1)))
    assert fired == [utc(2027, 3, 8, 13), utc(2027, 3, 15, 12), utc(2027, 3, 22, 12)]
    fall = trigger.get_next_fire_time(utc(2027, 11, 1, 12), utc(2027, 11, 1, 12, 0, 1))
    assert fall == utc(2027, 11, 8, 13)


def test_last_due_is_the_latest_local_digest_time() -> None:
    ml = monday_seven_chicago()
    assert last_due(ml, utc(2027, 3, 15, 12)) == utc(2027, 3, 15, 12)  # exactly on time
    assert last_due(ml, utc(2027, 3, 15, 11, 59)) == utc(2027, 3, 8, 13)  # a minute early
    assert last_due(ml, utc(2027, 11, 10)) == utc(2027, 11, 8, 13)


def test_a_bad_schedule_names_the_list_and_field() -> None:
    ml = monday_seven_chicago()
    ml.digest_time = "7 am"
    with pytest.raises(ScheduleError, match=r"'weekly'.*digest_time '7 am'"):
        digest_trigger(ml, Settings())
    ml.digest_time, ml.timezone = "07:00", "America/St_Louis"
    with pytest.raises(ScheduleError, match="unknown time zone 'America/St_Louis'"):
        last_due(ml, utc(2027, 3, 15))


def _campaigns(session: Session) -> list[Campaign]:
    session.expire_all()
    rows = list(session.scalars(select(Campaign).order_by(Campaign.id)))
    session.commit()  # on SQLite an open transaction would hold the write lock
    return rows


def test_on_time_digest_is_made_once_and_sent_once(
    session: Session, session_factory: sessionmaker[Session], settings: Settings, outbox: Path
) -> None:
    ml = digest_list(session)
    add_news(session, utc(2027, 3, 12, 15))
    session.commit()
    list_id = ml.id
    with time_machine.travel(utc(2027, 3, 15, 12, 0, 5), tick=False):
        first = run_digest(session_factory, settings, ml.id)
        again = run_digest(session_factory, settings, ml.id)
        # A manual `mailer digest send` for the same week finds the same edition.
        manual = campaigns.create_digest(session, ml, dt.date(2027, 3, 15), settings)
        manual_id = manual.campaign.id if manual.campaign else None
        session.rollback()  # SQLite: every transaction holds the write lock
    assert first.action == "started" and first.edition_key == f"list-{list_id}:2027-W11"
    assert again.action == "exists" and again.campaign_id == first.campaign_id
    assert not manual.created and manual_id == first.campaign_id
    drain(session_factory, settings)
    with time_machine.travel(utc(2027, 3, 15, 12, 30), tick=False):
        assert run_digest(session_factory, settings, list_id).action == "exists"
    drain(session_factory, settings)
    [campaign] = _campaigns(session)
    assert campaign.status == CampaignStatus.SENT and campaign.edition_date == dt.date(2027, 3, 15)
    recipients = sorted(m["To"] for m in mailbox.Maildir(outbox, create=False))
    assert recipients == [f"Reader {i} <weekly-reader{i}@example.org>" for i in range(3)]


def test_a_draft_left_by_a_crash_is_started_not_recreated(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    ml = digest_list(session)
    add_news(session, utc(2027, 3, 12, 15))
    outcome = campaigns.create_digest(session, ml, dt.date(2027, 3, 15), settings)
    session.commit()
    assert outcome.created and outcome.campaign is not None
    draft_id = outcome.campaign.id
    with time_machine.travel(utc(2027, 3, 15, 12, 1), tick=False):
        run = run_digest(session_factory, settings, ml.id)
    assert run.action == "resumed-start" and run.campaign_id == draft_id
    [campaign] = _campaigns(session)
    assert campaign.status == CampaignStatus.SENDING
    count = session.scalar(select(func.count()).select_from(Delivery))
    assert count == 3


@pytest.mark.parametrize(
    ("due_weekday", "due_time", "start_at", "edition_date"),
    [
        # Monday 07:00 CDT, scheduler back at 10:00 CDT: three hours late, sent.
        (0, "07:00", utc(2027, 3, 15, 15), dt.date(2027, 3, 15)),
        # Sunday 23:00 CST, back on Monday 01:00: still the Sunday's (ISO week 45) edition.
        (6, "23:00", utc(2027, 11, 15, 7), dt.date(2027, 11, 14)),
    ],
)
def test_misfire_within_grace_sends_on_start(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    due_weekday: int,
    due_time: str,
    start_at: dt.datetime,
    edition_date: dt.date,
) -> None:
    list_id = digest_list(session, digest_weekday=due_weekday, digest_time=due_time).id
    add_news(session, start_at - dt.timedelta(days=3))
    session.commit()
    with time_machine.travel(start_at, tick=False):
        [run] = catch_up(session_factory, settings)
        assert catch_up(session_factory, settings) == []  # the week has its edition now
    year, week, _ = edition_date.isocalendar()
    assert run.action == "started" and run.edition_key == f"list-{list_id}:{year}-W{week:02d}"
    [campaign] = _campaigns(session)
    assert campaign.edition_date == edition_date
    assert campaign.status == CampaignStatus.SENDING


def test_misfire_beyond_grace_skips_the_week_and_says_why(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    ml = digest_list(session)
    add_news(session, utc(2027, 3, 12, 15))
    session.commit()
    list_id = ml.id
    # Due Monday 07:00 CDT (12:00 UTC); the scheduler comes back at 19:00 UTC: 7 h late.
    with time_machine.travel(utc(2027, 3, 15, 19), tick=False):
        [run] = catch_up(session_factory, settings)
        # The regular job firing late (or a second scheduler) does not send it either.
        assert run_digest(session_factory, settings, list_id).action == "exists"
    assert run.action == "skipped"
    [campaign] = _campaigns(session)
    assert campaign.edition_key == f"list-{list_id}:2027-W11"
    assert campaign.status == CampaignStatus.SKIPPED
    assert "7.0 h late is beyond the 6 h grace" in campaign.status_reason
    assert "Mon 2027-03-15 07:00 CDT" in campaign.status_reason
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "digest.skipped"))
    assert entry is not None and entry.target == "list:weekly" and "grace" in entry.note
    # The next week goes out as usual.
    session.commit()
    with time_machine.travel(utc(2027, 3, 22, 12, 0, 1), tick=False):
        assert run_digest(session_factory, settings, list_id).action == "started"


def test_grace_is_a_setting(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    digest_list(session)
    add_news(session, utc(2027, 3, 12, 15))
    session.commit()
    with time_machine.travel(utc(2027, 3, 15, 19), tick=False):
        [run] = catch_up(session_factory, settings.replace(digest_grace_hours=8))
    assert run.action == "started"


def test_catch_up_leaves_new_lists_and_disabled_ones_alone(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    digest_list(session, slug="new", created_at=utc(2027, 3, 16))
    digest_list(session, slug="off", digest_enabled=False)
    session.commit()
    with time_machine.travel(utc(2027, 3, 17), tick=False):
        assert catch_up(session_factory, settings) == []
    assert _campaigns(session) == []


@pytest.mark.parametrize(
    "created_at",
    [utc(2027, 3, 15, 10), utc(2020, 1, 1)],  # that Monday 05:00 CDT, or long ago
    ids=["created-that-day", "old-list"],
)
def test_moving_the_time_just_before_it_records_no_false_skip(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    created_at: dt.datetime,
) -> None:
    """Monday 07:00 moved to 08:00 at 06:59:55: the old job still fires at 07:00 (reconcile
    runs every minute). Last Monday 08:00 was never a digest time of this list."""
    ml = digest_list(session, created_at=created_at)
    add_news(session, utc(2027, 3, 14, 15))
    session.commit()
    list_id = ml.id
    with time_machine.travel(utc(2027, 3, 15, 11, 59, 55), tick=False):
        changed = lists.update(session, ml, "admin@example.org", digest_time="08:00")
        session.commit()
    assert changed == {"digest_time": ["07:00", "08:00"]}
    with time_machine.travel(utc(2027, 3, 15, 12), tick=False):
        old_job = run_digest(session_factory, settings, list_id)
    assert old_job.action == "not-due", old_job
    assert "changed its schedule at Mon 2027-03-15 06:59 CDT" in old_job.reason
    assert _campaigns(session) == []
    assert session.scalar(select(AuditLog).where(AuditLog.action == "digest.skipped")) is None
    session.commit()  # SQLite: an open read would hold the write lock
    with time_machine.travel(utc(2027, 3, 15, 13, 0, 1), tick=False):
        assert run_digest(session_factory, settings, list_id).action == "started"
    [campaign] = _campaigns(session)
    assert campaign.edition_key == f"list-{list_id}:2027-W11"


def test_a_slug_renamed_mid_week_makes_no_second_edition(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    ml = digest_list(session)
    add_news(session, utc(2027, 3, 12, 15))
    session.commit()
    list_id = ml.id
    with time_machine.travel(utc(2027, 3, 15, 12, 0, 5), tick=False):
        first = run_digest(session_factory, settings, list_id)
    assert first.action == "started"
    with time_machine.travel(utc(2027, 3, 16, 9), tick=False):
        lists.update(session, session.get(MailingList, list_id), "admin", slug="odei-weekly")
        session.commit()
        # An admin's `mailer digest send odei-weekly` the same week finds the same edition.
        again = campaigns.create_digest(
            session, session.get(MailingList, list_id), dt.date(2027, 3, 16), settings
        )
        session.commit()
    assert not again.created and again.campaign is not None
    assert again.campaign.id == first.campaign_id
    assert len(_campaigns(session)) == 1
