"""Builders for the scheduler tests: a list with readers and a week of real-looking news."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from mailer.content.models import NewsItem, Source
from subscribers.models import MailingList
from tests.helpers import make_list, make_subscribers

NEWS = (
    (
        "Recognizing our past, shaping our future: Desegregation History Wall install begins",
        "The Office of Diversity, Equity and Inclusion shares the installation of a permanent "
        "wall display specific to Black History on the Medical Campus.",
    ),
    (
        "Happy Ramadan!",
        "This week marks the beginning of Ramadan; many colleagues and patients in St. Louis "
        "will observe it.",
    ),
)


def digest_list(
    session: Session,
    *,
    slug: str = "weekly",
    readers: int = 3,
    created_at: dt.datetime | None = None,
    **kw: object,
) -> MailingList:
    """A Monday 07:00 St. Louis list with confirmed readers (created long ago by default)."""
    kw.setdefault("timezone", "America/Chicago")
    kw.setdefault("digest_weekday", 0)
    kw.setdefault("digest_time", "07:00")
    ml = make_list(
        session, slug, created_at=created_at or dt.datetime(2020, 1, 1, tzinfo=dt.UTC), **kw
    )
    make_subscribers(session, ml, readers, prefix=f"{slug}-reader")
    return ml


def add_news(session: Session, published_at: dt.datetime) -> None:
    """Two items from the ODEI homepage, published at ``published_at``."""
    source = session.query(Source).filter_by(kind="manual", name="manual").one_or_none()
    if source is None:
        source = Source(kind="manual", name="manual")
        session.add(source)
        session.flush()
    for i, (title, summary) in enumerate(NEWS):
        session.add(
            NewsItem(
                source_id=source.id,
                guid=f"{published_at.isoformat()}-{i}",
                title=title,
                url=f"https://diversity.wustl.edu/news/{i}",
                summary_html=f"<p>{summary}</p>",
                published_at=published_at,
            )
        )
    session.flush()
