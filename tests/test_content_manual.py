"""Hand-entered news and events, hiding, and the announcement life cycle."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.content import announcements as ann
from mailer.content.manual import ContentError, add_event, add_news, manual_source, set_hidden
from mailer.content.models import Event, NewsItem, Source
from mailer.db import AuditLog, utcnow
from subscribers.models import MailingList

CHI = ZoneInfo("America/Chicago")


def test_manual_items_are_idempotent_by_guid(session: Session) -> None:
    first = add_news(
        session,
        title="Happy Ramadan!",
        url="https://diversity.example.org/news/ramadan/",
        summary_html='<p>Ramadan began.</p><img src="x" onerror="y()">',
        published_at=dt.datetime(2026, 2, 18, 9, tzinfo=CHI),
        guid="ramadan-2026",
    )
    again = add_news(session, title="Ramadan Mubarak!", url=first.url, guid="ramadan-2026")
    assert again.id == first.id and again.title == "Ramadan Mubarak!"
    assert again.published_at == dt.datetime(2026, 2, 18, 15, tzinfo=dt.UTC)  # kept
    assert "onerror" not in first.summary_html
    # Without a guid the URL is the key.
    by_url = add_news(session, title="Wall", url="https://diversity.example.org/news/wall/")
    assert add_news(session, title="Wall (updated)", url=by_url.url).id == by_url.id
    assert session.scalar(select(func.count()).select_from(NewsItem)) == 2
    assert manual_source(session, "news").id == manual_source(session, "news").id
    assert session.scalar(select(func.count()).select_from(Source)) == 1

    ev = add_event(
        session,
        title="Iftar",
        starts_at=dt.datetime(2026, 3, 6, 18, tzinfo=CHI),
        guid="iftar",
    )
    assert ev.timezone == "America/Chicago" and ev.starts_at.tzinfo is not None
    moved = add_event(
        session, title="Iftar", starts_at=dt.datetime(2026, 3, 7, 18, tzinfo=CHI), guid="iftar"
    )
    assert moved.id == ev.id and moved.starts_at.day == 8  # 18:00 CST is 00:00 UTC next day
    day = add_event(
        session, title="Exhibit", starts_at=dt.date(2026, 3, 5), ends_at=dt.date(2026, 3, 6)
    )
    assert day.all_day and day.starts_at == dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    assert day.ends_at == dt.datetime(2026, 3, 7, tzinfo=dt.UTC)  # last day 6th, stored exclusive
    assert session.scalar(select(func.count()).select_from(Event)) == 2

    assert set_hidden(session, "news", first.id).hidden
    assert not set_hidden(session, "events", ev.id, False).hidden


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": " "}, "title: a news item needs a title"),
        ({"url": "javascript:alert(1)"}, "url: 'javascript:alert(1)' must be a full http"),
        ({"image_url": "https://x/i.png"}, "image_alt: describe the image"),
        ({"published_at": dt.datetime(2026, 3, 1, 9)}, "published_at: give a time zone"),
    ],
)
def test_manual_news_errors_name_the_field(
    session: Session, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"title": "t", "url": "https://x.example/"} | kwargs
    with pytest.raises(ContentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        add_news(session, **args)  # type: ignore[arg-type]


def test_event_errors(session: Session) -> None:
    with pytest.raises(ContentError, match="ends_at: the event ends before it starts"):
        add_event(
            session,
            title="x",
            starts_at=dt.datetime(2026, 3, 6, 18, tzinfo=CHI),
            ends_at=dt.datetime(2026, 3, 6, 17, tzinfo=CHI),
        )
    with pytest.raises(ContentError, match="no news item with id 999"):
        set_hidden(session, "news", 999)


def test_announcement_life_cycle(session: Session) -> None:
    ml = MailingList(slug="odei-news", name="ODEI News")
    session.add(ml)
    session.flush()
    a = ann.create(
        session, actor="staff@example.org", title="Panel", body_md="Come.", lists=["odei-news"]
    )
    assert a.status == "draft" and [x.slug for x in a.lists] == ["odei-news"]
    with pytest.raises(ann.AnnouncementError, match="only submitted ones can be reviewed"):
        ann.approve(session, a, actor="admin@example.org")
    ann.submit_for_review(session, a, actor="staff@example.org")
    # Until approved the author may still change it: it goes back to draft, out of review.
    ann.update(session, a, actor="staff@example.org", title="Panel at noon")
    assert a.status == "draft" and a.title == "Panel at noon"
    ann.submit_for_review(session, a, actor="staff@example.org")
    ann.reject(session, a, actor="admin@example.org", note="Add the room number.")
    assert (a.status, a.review_note, a.reviewed_by) == (
        "rejected",
        "Add the room number.",
        "admin@example.org",
    )
    ann.update(session, a, actor="staff@example.org", body_md="Come to FLTC 213.")
    assert a.status == "draft"
    ann.submit_for_review(session, a, actor="staff@example.org")
    ann.approve(session, a, actor="admin@example.org")
    assert a.status == "approved" and a.reviewed_at is not None
    actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == [
        "announcement.create",
        "announcement.submit",
        "announcement.update",
        "announcement.submit",
        "announcement.rejected",
        "announcement.update",
        "announcement.submit",
        "announcement.approved",
    ]


def test_an_announcement_can_be_withdrawn_until_it_is_approved(session: Session) -> None:
    ml = MailingList(slug="odei-news", name="ODEI News")
    session.add(ml)
    session.flush()
    a = ann.create(session, actor="s", title="Panel", body_md="", lists=[ml], submit=True)
    ann.withdraw(session, a, actor="s")
    assert a.status == "withdrawn"
    with pytest.raises(ann.AnnouncementError, match="only submitted ones can be reviewed"):
        ann.approve(session, a, actor="admin@example.org")
    ann.update(session, a, actor="s", title="Panel, again")  # editable: back to draft
    ann.submit_for_review(session, a, actor="s")
    ann.approve(session, a, actor="admin@example.org")
    with pytest.raises(ann.AnnouncementError, match="only one not yet approved can be withdrawn"):
        ann.withdraw(session, a, actor="s")
    with pytest.raises(ann.AnnouncementError, match="only one not yet approved can be edited"):
        ann.update(session, a, actor="s", title="Too late")
    assert a.status == "approved"


def test_standalone_announcements_need_a_future_time(session: Session) -> None:
    ml = MailingList(slug="odei-news", name="ODEI News")
    session.add(ml)
    session.flush()
    with pytest.raises(ann.AnnouncementError, match="send_at: a standalone announcement needs"):
        ann.create(session, actor="s", title="t", body_md="", lists=[ml], mode="standalone")
    with pytest.raises(ann.AnnouncementError, match="send_at: give a time zone"):
        ann.create(
            session, actor="s", title="t", body_md="", lists=[ml], mode="standalone",
            send_at=dt.datetime(2030, 1, 1, 9),
        )  # fmt: skip
    with pytest.raises(ann.AnnouncementError, match="lists: choose at least one"):
        ann.create(session, actor="s", title="t", body_md="", lists=[])
    soon = utcnow() + dt.timedelta(hours=1)
    late = ann.create(
        session, actor="s", title="Storm closure", body_md="", lists=[ml], mode="standalone",
        send_at=utcnow() - dt.timedelta(minutes=5), submit=True,
    )  # fmt: skip
    with pytest.raises(ann.AnnouncementError, match=r"its send time .* has passed"):
        ann.approve(session, late, actor="a")
    ok = ann.create(
        session, actor="s", title="Closure", body_md="", lists=[ml], mode="standalone",
        send_at=soon, submit=True,
    )  # fmt: skip
    ann.approve(session, ok, actor="a")
    assert ann.due_standalone(session, soon + dt.timedelta(seconds=1)) == [ok]
    assert ann.due_standalone(session, soon - dt.timedelta(minutes=1)) == []
