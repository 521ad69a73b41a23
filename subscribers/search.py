"""Finding subscribers: substring and domain search, filters, and a count that stays fast.

One home for "which subscribers does this search mean", used by the console's
list page, its bulk actions on a whole search, the JSON API and the CLI, so a
bulk action touches exactly the people the page showed.

Search is a substring of the address or the name (``smith``, ``@gmail.com``,
``wustl.edu``), case-insensitive, wildcards typed by the user taken literally.
On PostgreSQL migration ``0004_people`` adds trigram GIN indexes
(``pg_trgm``) on ``email_key`` and ``lower(name)``, which serve ``LIKE
'%…%'``; SQLite scans. Counting every match of a common search on a million
rows costs more than the page itself, so ``count`` counts exactly up to
``COUNT_CAP`` and beyond it gives the planner's estimate, marked as such for
the page to say "about". (A first page that holds every match is its own exact
count: the console then asks nothing more.)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, text
from sqlalchemy.orm import Session

from subscribers.models import Subscriber, Subscription

COUNT_CAP = 1000  # counted exactly up to here; beyond, estimated
ESTIMATE_TRUSTED = 2  # an estimate above this many caps is shown without counting


@dataclass(frozen=True)
class Criteria:
    """A search as the console's form states it; empty fields do not filter.

    ``status`` and ``source`` are a subscription's: on ``list_id`` when a list
    is chosen, else on any list. ``joined_from``/``joined_to`` bound the
    subscriber's ``created_at`` (both inclusive, as UTC instants the caller
    computed from local dates).
    """

    text: str = ""
    list_id: int | None = None
    status: str = ""
    source: str = ""
    joined_from: dt.datetime | None = None
    joined_to: dt.datetime | None = None
    # The ids the join dates span (``with_id_bounds``): the same people, found by key.
    id_from: int | None = None
    id_to: int | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.text.strip()
            or self.list_id is not None
            or self.status
            or self.source
            or self.joined_from
            or self.joined_to
        )

    def describe(self) -> dict[str, Any]:
        """The criteria as plain values, for the audit log."""
        return {
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in self.__dict__.items()
            if v not in (None, "") and k not in {"id_from", "id_to"}
        }


def joined_between(
    first: dt.date | None, last: dt.date | None, zone: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Whole local days in ``zone`` as the UTC instants ``Criteria`` takes (both inclusive).

    The console and the CLI both read "joined from/to" as days where the school is
    (``default_timezone``), so the same dates find the same people.
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC) if first else None
    end = None
    if last is not None:
        after = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        end = (after - dt.timedelta(microseconds=1)).astimezone(dt.UTC)
    return start, end


def like_pattern(value: str) -> str:
    """``%value%`` with ``%``, ``_`` and the escape character taken literally (escape ``\\``)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_clause(value: str) -> Any:
    """Address or name contains ``value`` (lower-cased; ``email_key`` is the address lower-cased).

    The pattern is one bound value (not ``'%' || :q || '%'``), so PostgreSQL plans
    it as a constant and the trigram indexes apply.
    """
    pattern = like_pattern(value.strip().lower())
    return or_(
        Subscriber.email_key.like(pattern, escape="\\"),
        func.lower(Subscriber.name).like(pattern, escape="\\"),
    )


def apply(query: Select[Any], criteria: Criteria) -> Select[Any]:
    """``query`` (selecting from ``subscribers``) narrowed to the subscribers ``criteria`` mean."""
    if criteria.text.strip():
        query = query.where(text_clause(criteria.text))
    membership = []
    if criteria.list_id is not None:
        membership.append(Subscription.list_id == criteria.list_id)
    if criteria.status:
        membership.append(Subscription.status == criteria.status)
    if criteria.source:
        membership.append(Subscription.source == criteria.source)
    if criteria.id_from is not None and criteria.id_to is not None:
        query = query.where(Subscriber.id.between(criteria.id_from, criteria.id_to))
        if membership:  # stated on both sides: PostgreSQL does not carry a range across a join
            membership.append(Subscription.subscriber_id.between(criteria.id_from, criteria.id_to))
    if membership:
        # EXISTS per row: the subscriptions index on subscriber_id answers it.
        query = query.where(
            exists().where(Subscription.subscriber_id == Subscriber.id, and_(*membership))
        )
    if criteria.joined_from is not None:
        query = query.where(Subscriber.created_at >= criteria.joined_from)
    if criteria.joined_to is not None:
        query = query.where(Subscriber.created_at <= criteria.joined_to)
    return query


def with_id_bounds(session: Session, criteria: Criteria) -> Criteria:
    """``criteria`` with the join dates also stated as the range of ids joined in them.

    Ids and join dates rise together, so recent dates are a run of high ids. Asked
    for the first page by id with only a date condition, PostgreSQL expects matches
    to be spread evenly and walks the primary key from the start, through every
    older subscriber (half a second at a million). The least and greatest id in the
    range (read from ``ix_subscribers_created_at`` alone; ``id + 0`` keeps the planner
    off that walk) bound the walk to where the matches are. Exact: every match has
    an id in that range.
    """
    if criteria.joined_from is None and criteria.joined_to is None:
        return criteria
    bounds = select(func.min(Subscriber.id + 0), func.max(Subscriber.id + 0))
    if criteria.joined_from is not None:
        bounds = bounds.where(Subscriber.created_at >= criteria.joined_from)
    if criteria.joined_to is not None:
        bounds = bounds.where(Subscriber.created_at <= criteria.joined_to)
    low, high = session.execute(bounds).one()
    if low is None:
        return replace(criteria, id_from=1, id_to=0)  # nobody joined then
    return replace(criteria, id_from=int(low), id_to=int(high))


@dataclass(frozen=True)
class Count:
    value: int
    exact: bool  # False: the planner's estimate, to be read "about"
    # True: at least ``value`` (the planner guessed fewer than were counted before the cap)
    at_least: bool = False

    @property
    def text(self) -> str:
        """``1,234``, ``about 39,600`` or ``more than 1,000``: how pages and commands say it."""
        figure = f"{self.value:,}"
        if self.at_least:
            return f"more than {figure}"
        return figure if self.exact else f"about {figure}"


def count(session: Session, criteria: Criteria, *, cap: int = COUNT_CAP) -> Count:
    """How many subscribers match: exact up to ``cap``, else PostgreSQL's estimate.

    On PostgreSQL the planner's estimate comes first (an EXPLAIN, about a
    millisecond): far above the cap (``ESTIMATE_TRUSTED`` times), it is the
    answer, since counting even ``cap`` matches of a search that combines
    filters can take longer than the page. Otherwise up to ``cap + 1`` matches
    are counted. SQLite always counts (small installations; no estimate to ask).
    """
    matches = apply(select(Subscriber.id), criteria)
    if session.get_bind().dialect.name != "postgresql":
        every = select(func.count()).select_from(matches.subquery())
        return Count(int(session.scalar(every) or 0), True)
    estimate = _estimate(session, criteria, matches)
    if estimate > ESTIMATE_TRUSTED * cap:
        return Count(estimate, False)
    capped = select(func.count()).select_from(matches.limit(cap + 1).subquery())
    n = int(session.scalar(capped) or 0)
    if n <= cap:
        return Count(n, True)
    if estimate > cap:
        return Count(estimate, False)
    return Count(cap, False, at_least=True)


def _estimate(session: Session, criteria: Criteria, matches: Select[Any]) -> int:
    if criteria.empty:
        rows = session.scalar(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'subscribers'::regclass")
        )
        return int(rows or 0)
    # The statement with its values bound by the driver (never pasted into the SQL).
    compiled = matches.compile(dialect=session.get_bind().dialect)
    plan = (
        session.connection()
        .exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params)
        .scalar()
    )
    data: Any = json.loads(plan) if isinstance(plan, str) else plan
    return int(data[0]["Plan"]["Plan Rows"]) if data else 0
