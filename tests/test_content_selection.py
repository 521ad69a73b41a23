"""Choosing an edition's content for a pinned date, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.content import announcements, manual
from mailer.content.edition import EditionContent
from mailer.content.models import Observance, announcement_lists
from mailer.content.observance_texts import BUILTIN_BY_SLUG
from mailer.content.selection import (
    mark_announcements_included,
    select_edition_content,
    should_send,
)
from mailer.delivery.campaigns import edition_history
from mailer.delivery.models import Campaign
from subscribers.models import MailingList


def choose(session: Session, ml: MailingList, on: dt.date, settings: Settings) -> EditionContent:
    """The edition as delivery chooses it: with what it knows of the list's campaigns."""
    return select_edition_content(session, ml, on, settings, edition_history(session, ml.id, on))


CHI = ZoneInfo("America/Chicago")
UTC = dt.UTC
# Monday, March 2, 2026: Women's History Month and Ramadan are on; Purim, Holi and
# International Women's Day fall before the next Monday.
EDITION = dt.date(2026, 3, 2)


def _list(session: Session, slug: str = "odei-news") -> MailingList:
    ml = MailingList(slug=slug, name="ODEI News", timezone="America/Chicago")
    session.add(ml)
    session.flush()
    return ml


def _news(session: Session, title: str, when: dt.datetime, **kw: object) -> int:
    item = manual.add_news(
        session, title=title, url=f"https://example.org/{title[:12]}", published_at=when, **kw
    )
    return item.id


def test_pinned_date_sections_in_order(session: Session, settings: Settings) -> None:
    ml = _list(session)
    # News: one too old for a first edition (8 days), three in the window, one after the date.
    _news(session, "Too old", dt.datetime(2026, 2, 22, 12, tzinfo=CHI))
    wall = _news(
        session,
        "Desegregation History Wall install begins",
        dt.datetime(2026, 2, 24, 9, tzinfo=CHI),
        summary_html="<p>A permanent wall display on Black History on campus.</p>",
    )
    ramadan = _news(session, "Happy Ramadan!", dt.datetime(2026, 2, 28, 8, tzinfo=CHI))
    late = _news(session, "Sunday night news", dt.datetime(2026, 3, 1, 23, 30, tzinfo=CHI))
    _news(session, "Tomorrow's news", dt.datetime(2026, 3, 3, 0, 5, tzinfo=CHI))
    hidden = _news(session, "Hidden item", dt.datetime(2026, 2, 27, 8, tzinfo=CHI))
    manual.set_hidden(session, "news", hidden)
    # Events: before the window, in it (timed and all-day), after it.
    manual.add_event(session, title="Past", starts_at=dt.datetime(2026, 3, 1, 12, tzinfo=CHI))
    manual.add_event(
        session,
        title="SNMA Black History & The Arts",
        starts_at=dt.datetime(2026, 3, 10, 17, 30, tzinfo=CHI),
        ends_at=dt.datetime(2026, 3, 10, 19, tzinfo=CHI),
        location="Farrell Learning and Teaching Center",
    )
    manual.add_event(session, title="Iftar gathering", starts_at=dt.date(2026, 3, 5), all_day=True)
    # 00:30 on Monday in Chicago is 06:30 UTC: in the window although "Sunday" in some zones.
    manual.add_event(
        session, title="Early Monday", starts_at=dt.datetime(2026, 3, 2, 0, 30, tzinfo=CHI)
    )
    manual.add_event(session, title="Too far", starts_at=dt.datetime(2026, 3, 16, 9, tzinfo=CHI))
    ann = announcements.create(
        session,
        actor="staff@example.org",
        title="Join the Women in Medicine panel",
        body_md="Register **today**. <script>alert(1)</script>",
        lists=[ml],
        submit=True,
    )
    announcements.approve(session, ann, actor="admin@example.org")
    draft = announcements.create(
        session, actor="staff@example.org", title="Not approved", body_md="x", lists=[ml]
    )
    session.commit()

    content = choose(session, ml, EDITION, settings.replace(news_limit=8))
    assert content.edition_date == EDITION and content.timezone == "America/Chicago"
    # New this week first, the month before its days; then Ramadan, begun February 18.
    assert [f.slug for f in content.features] == [
        "womens-history-month",
        "purim",
        "holi",
        "international-womens-day",
        "ramadan",
    ]
    assert content.features[0].body_html.startswith("<p>This month, WashUMedODEI celebrates")
    assert content.coming_up == ()
    assert [n.id for n in content.news] == [late, ramadan, wall]
    assert content.news[1].published_at.tzinfo is not None
    assert [e.title for e in content.events] == [
        "Early Monday",
        "Iftar gathering",
        "SNMA Black History & The Arts",
    ]
    iftar = content.events[1]
    assert iftar.all_day and iftar.starts_at.date() == dt.date(2026, 3, 5)
    assert iftar.starts_at.utcoffset() == dt.timedelta(hours=-6)
    assert content.events[2].starts_at.hour == 17  # shown in the list's zone
    assert [a.id for a in content.announcements] == [ann.id]
    assert draft.id not in [a.id for a in content.announcements]
    assert "<strong>today</strong>" in content.announcements[0].body_html
    assert "<script" not in content.announcements[0].body_html
    # Pure: asking again gives the same edition.
    assert choose(session, ml, EDITION, settings) == content
    # The news cap keeps the newest.
    capped = choose(session, ml, EDITION, settings.replace(news_limit=2))
    assert [n.id for n in capped.news] == [late, ramadan]


def test_news_since_previous_edition_and_announcements_once(
    session: Session, settings: Settings
) -> None:
    ml = _list(session)
    old = _news(session, "In last week's edition", dt.datetime(2026, 2, 23, 6, tzinfo=CHI))
    ann = announcements.create(
        session,
        actor="staff@example.org",
        title="Office closed Friday",
        body_md="The office is closed on Friday.",
        lists=[ml],
        submit=True,
    )
    announcements.approve(session, ann, actor="admin@example.org")
    first = choose(session, ml, dt.date(2026, 2, 23), settings)
    assert [n.id for n in first.news] == [old]
    campaign = Campaign(
        kind="digest",
        list_id=ml.id,
        edition_key="odei-news:2026-W09",
        edition_date=dt.date(2026, 2, 23),
        status="sent",
        created_at=dt.datetime(2026, 2, 23, 7, tzinfo=CHI),
        meta={"items": first.item_ids()},  # as delivery.campaigns stores it
    )
    session.add(campaign)
    session.flush()
    mark_announcements_included(session, first, campaign.id)
    # Choosing the same edition again (a re-preview after it was made) is unchanged.
    assert choose(session, ml, dt.date(2026, 2, 23), settings) == first
    # Published after the edition was made; and one dated earlier but fetched later.
    new = _news(session, "New this week", dt.datetime(2026, 2, 25, 10, tzinfo=CHI))
    straggler = _news(
        session, "Dated Sunday, fetched late", dt.datetime(2026, 2, 22, 20, tzinfo=UTC)
    )
    session.commit()

    second = choose(session, ml, EDITION, settings)
    assert [n.id for n in second.news] == [new, straggler]
    assert second.announcements == ()
    campaign_of = session.execute(
        select(announcement_lists.c.campaign_id).where(
            announcement_lists.c.announcement_id == ann.id
        )
    ).scalar_one()
    assert campaign_of == campaign.id
    # A draft or cancelled campaign is not a "previous edition".
    campaign.status = "cancelled"
    session.commit()
    assert old in [n.id for n in choose(session, ml, EDITION, settings).news]


def test_admin_feature_overrides_builtin_and_custom_observance(
    session: Session, settings: Settings
) -> None:
    ml = _list(session)
    session.add_all(
        [
            Observance(
                slug="womens-history-month",
                name="Women's History Month",
                feature_title="Women in medicine at WashU",
                feature_body_md="Meet the **women** who built our school.",
                image_url="https://example.org/whm.jpg",
                image_alt="Portraits of women physicians",
                links=[{"label": "Read more", "url": "https://example.org/whm"}],
            ),
            Observance(slug="ramadan", name="Ramadan", enabled=False),
            Observance(
                slug="match-day",
                name="Match Day",
                rule={"kind": "nth_weekday", "month": 3, "weekday": 4, "n": 3},
                feature_title="Match Day",
            ),
        ]
    )
    session.commit()
    content = choose(session, ml, EDITION, settings)
    assert [f.slug for f in content.features] == [
        "womens-history-month",
        "purim",
        "holi",
        "international-womens-day",
    ]
    whm = content.features[0]
    assert whm.title == "Women in medicine at WashU"
    assert whm.body_html == "<p>Meet the <strong>women</strong> who built our school.</p>"
    assert (whm.image_url, whm.image_alt) == (
        "https://example.org/whm.jpg",
        "Portraits of women physicians",
    )
    assert [(link.label, link.url) for link in whm.links] == [
        ("Read more", "https://example.org/whm")
    ]
    # Match Day 2026 is Friday, March 20: "coming up" from March 9, with Eid al-Fitr;
    # featured in the edition of March 16, the last before it.
    later = choose(session, ml, dt.date(2026, 3, 9), settings)
    assert [(c.slug, c.starts_on) for c in later.coming_up][:2] == [
        ("eid-al-fitr", dt.date(2026, 3, 20)),
        ("match-day", dt.date(2026, 3, 20)),
    ]
    week_of = choose(session, ml, dt.date(2026, 3, 16), settings)
    assert "match-day" in [f.slug for f in week_of.features]


def test_a_single_day_before_the_next_edition_gets_a_feature_this_week(
    session: Session, settings: Settings
) -> None:
    # A Thursday digest: Juneteenth 2026 is a Friday. The edition of Thursday, June 18
    # is the last before it, so it carries the feature; a week earlier it is only
    # "coming up", since the edition of June 18 will feature it.
    ml = MailingList(slug="thursday", name="Thursday", timezone="America/Chicago", digest_weekday=3)
    session.add(ml)
    session.commit()
    week_of = choose(session, ml, dt.date(2026, 6, 18), settings)
    juneteenth = next(f for f in week_of.features if f.slug == "juneteenth")
    assert juneteenth.starts_on == juneteenth.ends_on == dt.date(2026, 6, 19)
    assert "Galveston" in juneteenth.body_html
    assert "juneteenth" not in [c.slug for c in week_of.coming_up]
    before = choose(session, ml, dt.date(2026, 6, 11), settings)
    assert "juneteenth" not in [f.slug for f in before.features]
    assert "juneteenth" in [c.slug for c in before.coming_up]
    # That week's own single days are featured, and lead: what is new comes first.
    assert [f.slug for f in before.features] == [
        "loving-day",
        "islamic-new-year",
        "caribbean-american-heritage-month",
        "pride-month",
    ]


def test_empty_edition_is_skipped_unless_forced(session: Session, settings: Settings) -> None:
    ml = _list(session)
    # Every week of the year has an observance: switch off those of late November 2026.
    for slug in BUILTIN_BY_SLUG:
        session.add(Observance(slug=slug, name="x", enabled=False))
    session.commit()
    content = choose(session, ml, dt.date(2026, 11, 30), settings)
    assert content.is_empty and content.coming_up == ()
    assert should_send(content) is False
    assert should_send(content, force=True) is True
