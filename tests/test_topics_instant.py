"""Digest or instant: an instant reader gets an approved announcement once, on its own,
and their digest leaves it out; a digest reader gets it in the digest."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import session_scope
from mailer.delivery import campaigns
from mailer.delivery.instant import send_instant
from mailer.delivery.models import Campaign, Delivery
from mailer.delivery.worker import Worker
from subscribers.topics import set_choices
from tests.delivery_fixtures import assert_counts_add_up
from tests.smtp_server import SmtpFaultServer
from tests.topic_fixtures import EDITION, build, message_texts, subscription

NOTE = "Call for MD mentors"  # the fixture's approved digest announcement, tagged md

READERS = {
    "ana@example.org": set(),  # weekly digest, everything
    "ivy@example.org": set(),  # instant, everything
    "ben@example.org": {"md"},  # instant, md
    "ian@example.org": {"ppd"},  # instant, ppd: the announcement is not theirs
}
INSTANT = ("ivy@example.org", "ben@example.org", "ian@example.org")


def _received(server: SmtpFaultServer) -> list[tuple[str, str, str]]:
    """(recipient, subject, html) of every message the server took."""
    out = []
    for m in server.received:
        subject, _text, html = message_texts(m.data)
        out.append((m.rcpt_tos[0], subject, html))
    return out


def test_an_instant_reader_gets_an_approved_announcement_once(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with SmtpFaultServer() as server:
        s = settings.replace(backend=server.url())
        with session_factory() as session:
            setup = build(session, READERS)
            for address in INSTANT:
                sub = subscription(session, address, setup.mailing_list.id)
                set_choices(session, sub, mode="instant", source="preferences")
            session.commit()
            list_id = setup.mailing_list.id
        # The scheduler's minute: the approved announcement goes to its instant readers.
        with session_scope(session_factory) as session:
            started = send_instant(session, s)
        assert started == ["announcement 1 to weekly: 2 readers"]
        with session_scope(session_factory) as session:
            assert send_instant(session, s) == []  # once: never made again
        Worker(session_factory, s).run(once=True)
        first = _received(server)
        assert sorted(r for r, _s, _h in first) == ["ben@example.org", "ivy@example.org"]
        assert all(NOTE in subject for _r, subject, _h in first)
        server.received.clear()

        # The week's digest: the digest reader gets the announcement in it, the
        # instant readers get the digest without it.
        with session_factory() as session:
            ml = setup.mailing_list
            ml = session.get(type(ml), list_id)
            outcome = campaigns.create_digest(session, ml, EDITION, s)
            assert outcome.campaign is not None and not outcome.blocked, outcome.reason
            campaigns.start(session, outcome.campaign)
            session.commit()
            digest_id = outcome.campaign.id
        Worker(session_factory, s).run(once=True)
        digests = {r: html for r, _s, html in _received(server)}
    assert set(digests) == set(READERS)
    assert NOTE in digests["ana@example.org"]
    for address in INSTANT:
        assert NOTE not in digests[address], address
    for address in ("ivy@example.org", "ben@example.org"):  # got it on its own
        assert "one by one as they were approved" in digests[address]
    with session_factory() as session:
        assert assert_counts_add_up(session, digest_id) == {"sent": 4}


def test_a_reader_back_to_the_digest_mid_send_is_skipped_from_the_next_batch(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with SmtpFaultServer() as server:
        s = settings.replace(backend=server.url())
        with session_factory() as session:
            setup = build(session, {"ivy@example.org": set(), "ben@example.org": {"md"}})
            for address in ("ivy@example.org", "ben@example.org"):
                sub = subscription(session, address, setup.mailing_list.id)
                set_choices(session, sub, mode="instant", source="preferences")
            session.commit()
        with session_scope(session_factory) as session:
            send_instant(session, s)
            # Started; before any batch, ivy goes back to the weekly digest.
            sub = subscription(session, "ivy@example.org", setup.mailing_list.id)
            set_choices(session, sub, mode="digest", source="preferences")
        Worker(session_factory, s).run(once=True)
        assert [m.rcpt_tos[0] for m in server.received] == ["ben@example.org"]
    with session_factory() as session:
        cid = session.scalar(select(Campaign.id).where(Campaign.edition_key.startswith("instant:")))
        assert cid is not None
        assert assert_counts_add_up(session, cid) == {"sent": 1, "skipped": 1}
        row = session.scalar(select(Delivery).where(Delivery.email == "ivy@example.org"))
        assert row is not None and row.status == "skipped"
        assert "weekly digest" in row.last_error


def test_a_standalone_announcement_reaches_only_readers_of_its_topics(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    import datetime as dt

    from mailer.content.models import Announcement, AnnouncementMode, AnnouncementStatus
    from mailer.content.topic_tags import set_tags
    from mailer.db import utcnow
    from mailer.scheduling.announcements import run_announcement

    with SmtpFaultServer() as server:
        s = settings.replace(backend=server.url())
        with session_factory() as session:
            setup = build(
                session,
                {"ana@example.org": set(), "ben@example.org": {"md"}, "eli@example.org": {"ppd"}},
            )
            note = Announcement(
                author_email="staff@example.org",
                title="MD mentors: last call",
                body_md="Sign up by Friday.",
                mode=AnnouncementMode.STANDALONE,
                status=AnnouncementStatus.APPROVED,
                send_at=utcnow() - dt.timedelta(minutes=1),
            )
            note.lists.append(setup.mailing_list)
            session.add(note)
            session.flush()
            set_tags(session, "announcement", note.id, [setup.topics["md"]])
            session.commit()
            note_id = note.id
        run = run_announcement(session_factory, s, note_id)
        assert run.action == "sent", run
        Worker(session_factory, s).run(once=True)
        assert sorted(m.rcpt_tos[0] for m in server.received) == [
            "ana@example.org",
            "ben@example.org",
        ]
    with session_factory() as session:
        cid = session.scalar(select(Campaign.id).where(Campaign.announcement_id == note_id))
        assert cid is not None
        assert assert_counts_add_up(session, cid) == {"sent": 2, "skipped": 1}


def test_a_reader_who_turned_instant_after_the_announcement_went_out_gets_it_in_the_digest(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """The digest leaves out only what a reader already got on their own: someone who
    chose instant after an announcement's instant send still gets it, once."""
    with SmtpFaultServer() as server:
        s = settings.replace(backend=server.url())
        with session_factory() as session:
            setup = build(session, {"ivy@example.org": set(), "lou@example.org": set()})
            sub = subscription(session, "ivy@example.org", setup.mailing_list.id)
            set_choices(session, sub, mode="instant", source="preferences")
            session.commit()
        with session_scope(session_factory) as session:
            send_instant(session, s)
        Worker(session_factory, s).run(once=True)
        assert [m.rcpt_tos[0] for m in server.received] == ["ivy@example.org"]
        server.received.clear()
        with session_scope(session_factory) as session:
            sub = subscription(session, "lou@example.org", setup.mailing_list.id)
            set_choices(session, sub, mode="instant", source="preferences")
            ml = session.get(type(setup.mailing_list), setup.mailing_list.id)
            outcome = campaigns.create_digest(session, ml, EDITION, s)
            assert outcome.campaign is not None
            campaigns.start(session, outcome.campaign)
        Worker(session_factory, s).run(once=True)
        digests = {r: html for r, _s, html in _received(server)}
    assert NOTE not in digests["ivy@example.org"]
    assert NOTE in digests["lou@example.org"]
