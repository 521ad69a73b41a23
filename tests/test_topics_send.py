"""One edition, three topic sets: each reader's message holds exactly their topics' items.

Sent through the real SMTP server on loopback (tests/smtp_server.py), on
SQLite and PostgreSQL; the edition is rendered once per topic set in use,
never per reader.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.compose import render as render_module
from mailer.config import Settings
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, Delivery
from mailer.delivery.variant_models import CampaignVariant
from mailer.delivery.worker import Worker
from subscribers.topics import set_choices
from tests.delivery_fixtures import assert_counts_add_up
from tests.smtp_server import SmtpFaultServer
from tests.topic_fixtures import (
    EDITION,
    all_titles,
    build,
    expected_titles,
    message_texts,
    subscription,
    titles_in,
)

READERS = {
    "ana@example.org": set(),  # everything
    "ben@example.org": {"md"},
    "cruz@example.org": {"md"},
    "dee@example.org": {"pathways", "ppd"},
    "eli@example.org": {"ppd"},
}


def _send(session_factory: sessionmaker[Session], settings: Settings) -> tuple[int, dict]:
    with SmtpFaultServer() as server:
        s = settings.replace(backend=server.url())
        with session_factory() as session:
            setup = build(session, READERS)
            outcome = campaigns.create_digest(session, setup.mailing_list, EDITION, s)
            assert outcome.campaign is not None and not outcome.blocked, outcome.reason
            campaigns.start(session, outcome.campaign)
            session.commit()
            cid = outcome.campaign.id
        Worker(session_factory, s).run(once=True)
        got = {m.rcpt_tos[0]: message_texts(m.data) for m in server.received}
    return cid, got


def test_each_reader_gets_exactly_their_topics(
    session_factory: sessionmaker[Session], settings: Settings, monkeypatch
) -> None:
    renders: list[int] = []
    real = render_module.render_digest

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        renders.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("mailer.compose.variants.render_digest", counting)
    cid, got = _send(session_factory, settings)
    assert set(got) == set(READERS)
    for address, chosen in READERS.items():
        _subject, text, html = got[address]
        assert titles_in(html) == expected_titles(chosen), address
        # The text part carries the same items (a title may be wrapped: compare words).
        flat = " ".join(text.split())
        assert {t for t in all_titles() if t in flat} == expected_titles(chosen), address
        assert "Women" in html  # the month's feature goes to every reader
        # A variant says what it holds, with the way to change it.
        assert ("Chosen for your topics" in flat) == bool(chosen), address
    assert "Chosen for your topics: MD Diversity Programs." in " ".join(
        got["ben@example.org"][1].split()
    )
    assert "Academic Pathway Programs and Programming and Professional Development" in " ".join(
        got["dee@example.org"][1].split()
    )
    # ben and cruz share a topic set: three sets rendered (md; pathways+ppd; ppd), not four.
    assert len(renders) == 3
    with session_factory() as session:
        keys = set(
            session.scalars(
                select(CampaignVariant.topics).where(CampaignVariant.campaign_id == cid)
            )
        )
        assert len(keys) == 4  # "" (everything) and the three sets
        assert assert_counts_add_up(session, cid) == {"sent": 5}
        camp = session.get(Campaign, cid)
        assert camp is not None and titles_in(camp.html) == all_titles()  # the archive's copy


def test_a_section_empty_for_a_reader_is_left_out(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _cid, got = _send(session_factory, settings)
    _subject, _text, html = got["eli@example.org"]  # ppd: one event, one news item, no notes
    assert "Announcements" not in html
    _subject, _text, html = got["ana@example.org"]
    assert "Announcements" in html


def test_a_topic_change_mid_send_holds_from_the_next_batch_and_empties_are_skipped(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A reader who changes topics after the send started gets the new set (rendered
    then, from the edition's stored items); a reader whose set is empty is skipped."""
    with SmtpFaultServer() as server:
        s = settings.replace(backend=server.url(), batch_size=2)
        with session_factory() as session:
            setup = build(session, READERS)
            outcome = campaigns.create_digest(session, setup.mailing_list, EDITION, s)
            assert outcome.campaign is not None
            campaigns.start(session, outcome.campaign)
            # After the start: eli now wants only Academic Pathway Programs.
            sub = subscription(session, "eli@example.org", setup.mailing_list.id)
            set_choices(session, sub, topics=[setup.topics["pathways"]], source="preferences")
            session.commit()
            cid = outcome.campaign.id
        Worker(session_factory, s).run(once=True)
        got = {m.rcpt_tos[0]: message_texts(m.data) for m in server.received}
    assert titles_in(got["eli@example.org"][2]) == expected_titles({"pathways"})
    with session_factory() as session:
        assert assert_counts_add_up(session, cid) == {"sent": 5}


def test_an_edition_empty_for_a_reader_is_not_sent_and_counted_skipped(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """With no feature that week, a topic with nothing in the edition leaves its
    readers nothing: they are skipped with the reason, and the counts add up."""
    from mailer.content.models import Observance

    with SmtpFaultServer() as server:
        s = settings.replace(backend=server.url())
        with session_factory() as session:
            setup = build(session, {"ana@example.org": set(), "eli@example.org": {"ppd"}})
            from mailer.content import observances

            # Switch off every observance, so the week has no feature.
            for o in observances.definitions(session):
                session.add(Observance(slug=o.slug, name=o.name, enabled=False))
            session.flush()
            # Nothing of ppd this week: drop ppd from every item.
            from mailer.content.topic_tags import TAG_TABLES

            for table, _column in TAG_TABLES.values():
                session.execute(table.delete().where(table.c.topic_id == setup.topics["ppd"]))
            outcome = campaigns.create_digest(session, setup.mailing_list, EDITION, s)
            assert outcome.campaign is not None and not outcome.blocked, outcome.reason
            campaigns.start(session, outcome.campaign)
            session.commit()
            cid = outcome.campaign.id
        Worker(session_factory, s).run(once=True)
        assert [m.rcpt_tos[0] for m in server.received] == ["ana@example.org"]
    with session_factory() as session:
        assert assert_counts_add_up(session, cid) == {"sent": 1, "skipped": 1}
        row = session.scalar(select(Delivery).where(Delivery.email == "eli@example.org"))
        assert row is not None and "topics" in row.last_error


def test_a_list_without_topics_has_no_variants(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session:
        setup = build(session, {"ana@example.org": set()})
        for key in list(setup.topics):
            from subscribers.topics import delete_topic

            delete_topic(session, setup.mailing_list, key)
        outcome = campaigns.create_digest(session, setup.mailing_list, EDITION, settings)
        assert outcome.campaign is not None
        rows = session.scalars(select(CampaignVariant)).all()
        assert rows == []
        assert dataclasses.is_dataclass(outcome)
