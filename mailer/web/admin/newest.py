"""Newest first, paged backwards by id: the shape of every log-like console page.

Seeking ``id < before`` on the primary key costs the same on every page
(no OFFSET walking the rows skipped); one extra row says whether an older
page follows, so no COUNT is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")

PAGE_SIZE = 50


@dataclass(frozen=True)
class Older(Generic[T]):
    rows: list[T]
    next_before: int | None  # pass as ?before= for the next, older page


def newest_first(
    session: Session, query: Select[Any], key: Any, before: int | None, size: int = PAGE_SIZE
) -> Older[Any]:
    if before is not None:
        query = query.where(key < before)
    rows = list(session.scalars(query.order_by(key.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Older(rows, int(rows[-1].id) if rows and more else None)
