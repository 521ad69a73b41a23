"""A campaign's life: draft -> scheduled -> sending -> sent, with pause, resume and cancel.

Every change is recorded in the audit log and takes effect within one batch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailer.cli import cli
from mailer.config import Settings
from mailer.db import AuditLog, utcnow
from mailer.delivery import campaigns, lease, outbox
from mailer.delivery.campaigns import CampaignStateError
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus, Delivery
from mailer.delivery.worker import Worker
from tests.delivery_fixtures import received, statuses
from tests.helpers import make_campaign, make_list, make_subscribers


def _actions(session: Session, cid: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditLog.action)
            .where(AuditLog.target == f"campaign:{cid}")
            .order_by(AuditLog.id)
        )
    )


def test_scheduled_campaign_starts_when_due_and_every_step_is_recorded(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    now = utcnow()
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 5)
        c = make_campaign(session, ml)
        later = make_campaign(session, ml, "weekly:2027-W11")
        campaigns.schedule(session, c, now + dt.timedelta(hours=1), actor="staff@example.org")
        campaigns.schedule(session, later, now + dt.timedelta(days=3))
        session.commit()
        assert c.status == CampaignStatus.SCHEDULED
        assert statuses(session, c.id) == {}  # nobody enqueued before the time
        assert campaigns.start_due(session, now) == []
        assert campaigns.start_due(session, now + dt.timedelta(hours=2)) == [c.id]
        session.commit()
        assert c.status == CampaignStatus.SENDING and later.status == CampaignStatus.SCHEDULED
        assert statuses(session, c.id) == {"queued": 5}
        cid = c.id
    Worker(session_factory, settings).run(once=True)
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
        assert _actions(session, cid) == ["campaign.schedule", "campaign.start", "campaign.sent"]


def test_schedule_wants_an_aware_time_and_a_draft(session: Session) -> None:
    ml = make_list(session)
    c = make_campaign(session, ml)
    with pytest.raises(ValueError, match="no time zone"):
        campaigns.schedule(session, c, dt.datetime(2027, 3, 8, 7, 0))
    campaigns.start(session, c)
    with pytest.raises(CampaignStateError, match="is sending"):
        campaigns.schedule(session, c, utcnow())


def test_only_the_allowed_transitions_happen(session: Session) -> None:
    ml = make_list(session)
    make_subscribers(session, ml, 2)
    c = make_campaign(session, ml)
    with pytest.raises(CampaignStateError, match="only a sending one can be paused"):
        campaigns.pause(session, c, "why")
    with pytest.raises(CampaignStateError, match="only a paused one can be resumed"):
        campaigns.resume(session, c)
    campaigns.start(session, c)
    with pytest.raises(CampaignStateError, match="cannot start"):
        campaigns.start(session, c)
    campaigns.pause(session, c, "checking a typo", actor="admin@example.org")
    assert (c.status, c.status_reason) == (CampaignStatus.PAUSED, "checking a typo")
    campaigns.resume(session, c, actor="admin@example.org")
    assert (c.status, c.status_reason) == (CampaignStatus.SENDING, "")
    campaigns.cancel(session, c, actor="admin@example.org", reason="wrong list")
    with pytest.raises(CampaignStateError, match="nothing to cancel"):
        campaigns.cancel(session, c)
    session.commit()
    assert _actions(session, c.id) == [
        "campaign.start",
        "campaign.pause",
        "campaign.resume",
        "campaign.cancel",
    ]


def test_cancel_skips_the_queue_and_lets_the_batch_in_flight_finish(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 10)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        lease.renew(session, "w1:0:0", lease.DEFAULT_TTL)  # a live worker holds a batch
        in_flight = outbox.claim(session, c.id, 3, "w1:0:0")
        session.commit()
        assert campaigns.cancel(session, c, actor="admin", reason="sent by mistake") == 7
        session.commit()
        assert statuses(session, c.id) == {"sending": 3, "skipped": 7}
        assert c.skipped_count == 7
        cid = c.id
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "campaign.cancel"))
        assert entry is not None and entry.detail == {"skipped": 7}
        assert entry.note == "sent by mistake"
    assert Worker(session_factory, settings).run(once=True).sent == 0
    with session_factory() as session:
        assert len(in_flight) == 3
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.CANCELLED


def test_people_who_join_after_the_start_wait_for_the_next_campaign(
    session_factory: sessionmaker[Session], settings: Settings, outbox: Path
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 3)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        make_subscribers(session, ml, 2, prefix="late")
        session.commit()
    Worker(session_factory, settings).run(once=True)
    assert set(received(outbox)) == {f"reader{i}@example.org" for i in range(3)}


def test_cli_pause_resume_cancel_are_recorded_and_change_the_next_batch(
    session_factory: sessionmaker[Session], settings: Settings, cli_env: dict[str, str]
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 4)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    runner = CliRunner(env=cli_env)
    r = runner.invoke(cli, ["campaigns", "pause", str(cid), "--reason", "wrong date"])
    assert r.exit_code == 0, r.output
    assert "paused" in r.output
    assert Worker(session_factory, settings).run(once=True).sent == 0
    r = runner.invoke(cli, ["campaigns", "pause", str(cid)])
    assert r.exit_code == 1 and "only a sending one can be paused" in r.output
    assert runner.invoke(cli, ["campaigns", "resume", str(cid)]).exit_code == 0
    assert Worker(session_factory, settings.replace(batch_size=1)).run(once=True).sent == 4
    r = runner.invoke(cli, ["campaigns", "cancel", str(cid)])
    assert r.exit_code == 1 and "is sent; nothing to cancel" in r.output
    with session_factory() as session:
        assert _actions(session, cid) == [
            "campaign.start",
            "campaign.pause",
            "campaign.resume",
            "campaign.sent",
        ]
        actors = session.scalars(select(AuditLog.actor).where(AuditLog.action != "campaign.sent"))
        assert set(actors) == {"system", "cli"}


def test_cli_schedule_refuses_a_time_without_offset(
    session_factory: sessionmaker[Session], cli_env: dict[str, str]
) -> None:
    with session_factory() as session:
        c = make_campaign(session, make_list(session))
        session.commit()
        cid = c.id
    runner = CliRunner(env=cli_env)
    r = runner.invoke(cli, ["campaigns", "schedule", str(cid), "--at", "2027-03-08T07:00"])
    assert r.exit_code == 2 and "no UTC offset" in r.output
    r = runner.invoke(cli, ["campaigns", "schedule", str(cid), "--at", "2027-03-08T07:00-06:00"])
    assert r.exit_code == 0, r.output
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SCHEDULED
        assert camp.scheduled_at == dt.datetime(2027, 3, 8, 13, 0, tzinfo=dt.UTC)


def test_digest_send_wait_shows_progress_and_ends_when_sent(
    session_factory: sessionmaker[Session], cli_env: dict[str, str], outbox: Path
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 30)
        session.commit()
    env = {**cli_env, "MAILER_BATCH_SIZE": "7", "COLUMNS": "160"}
    r = CliRunner(env=env).invoke(
        cli, ["digest", "send", "--list", "weekly", "--date", "2027-03-08", "--force", "--wait"]
    )
    assert r.exit_code == 0, r.output
    assert "Queued 30 recipients" in r.output
    assert "30/30" in r.output and "msg/s" in r.output and "left" in r.output
    assert "sent: 30 sent, 0 failed, 0 skipped of 30." in r.output
    assert len(received(outbox)) == 30


def test_send_wait_stops_with_the_reason_when_paused(
    session_factory: sessionmaker[Session], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailer.commands.worker import deliver_with_progress

    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 5)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        campaigns.pause(session, c, "backend failed: 535 5.7.8 authentication failed")
        session.commit()
        cid = c.id
    assert deliver_with_progress(session_factory, settings, cid, poll=0.05) == "paused"
    out = " ".join(capsys.readouterr().out.split())
    assert f"Campaign {cid} paused: 0 sent, 0 failed, 0 skipped of 5." in out
    assert "Reason: backend failed: 535 5.7.8 authentication failed" in out
    with session_factory() as session:
        assert session.scalar(select(Delivery.status).limit(1)) == "queued"


def test_insert_once_hands_the_loser_of_a_race_the_winners_row(
    session_factory: sessionmaker[Session],
) -> None:
    # Two processes both looked, saw no edition for the week, and both insert one.
    with session_factory() as first, session_factory() as second:
        ml = make_list(first)
        first.commit()
        ours, theirs = (
            Campaign(
                kind=CampaignKind.DIGEST,
                list_id=ml.id,
                edition_key="list-1:2027-W10",
                subject=subject,
                status=CampaignStatus.DRAFT,
            )
            for subject in ("ours", "theirs")
        )
        assert campaigns.insert_once(first, theirs) is theirs
        first.commit()
        made = campaigns.insert_once(second, ours)
        assert made is not ours and made.id == theirs.id and made.subject == "theirs"
        second.commit()  # the loser's transaction is still usable
    with session_factory() as session:
        rows = session.scalars(select(Campaign).where(Campaign.edition_key == "list-1:2027-W10"))
        assert [c.subject for c in rows] == ["theirs"]
        # Any other constraint failure is a fault, not a race, and is not swallowed.
        with pytest.raises(IntegrityError):
            campaigns.insert_once(session, Campaign(list_id=ml.id, edition_key="x", subject=""))
