"""Keyset pagination: pages found by the last id seen, never by OFFSET.

OFFSET makes the database walk every skipped row, so page 2,000 of a
100,000-subscriber list gets slow (django-newsletter's admin died of this).
Seeking to ``id > last`` on the primary key costs the same on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from subscribers import search

T = TypeVar("T")

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: Sequence[T]
    next_after: int | None  # pass as ?after= for the next page
    prev_before: int | None  # pass as ?before= for the previous page


def subscriber_search(query: Select[Any], q: str) -> Select[Any]:
    """Address or name contains ``q`` (case-insensitive; ``subscribers.search``'s rule)."""
    return search.apply(query, search.Criteria(text=q))


def keyset_page(
    session: Session,
    query: Select[Any],
    key: Any,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> Page[Any]:
    """One page of ``query`` ordered by the integer column ``key``.

    Fetches one extra row to know whether another page follows, so no COUNT
    is needed.
    """
    size = max(1, min(size, 500))
    if before is not None:
        rows = list(session.scalars(query.where(key < before).order_by(key.desc()).limit(size + 1)))
        has_more_before = len(rows) > size
        rows = list(reversed(rows[:size]))
        return Page(
            rows=rows,
            next_after=_key(rows[-1]) if rows else None,
            prev_before=_key(rows[0]) if rows and has_more_before else None,
        )
    if after is not None:
        query = query.where(key > after)
    rows = list(session.scalars(query.order_by(key).limit(size + 1)))
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(
        rows=rows,
        next_after=_key(rows[-1]) if rows and has_more else None,
        prev_before=_key(rows[0]) if rows and after is not None else None,
    )


def _key(row: Any) -> int:
    return int(row.id)
