"""Fetching every source and storing what it says.

Each source is fetched (:mod:`mailer.content.fetch`: a User-Agent naming the
product, per-read timeouts and a total deadline, size and redirect caps,
conditional GET), parsed in full, and only then stored in its own transaction
(:mod:`mailer.content.store`). Whatever goes wrong with one source (HTTP
error, deadline, not a feed, too many items) is recorded on that source as
``failing`` with the reason and the others carry on: nothing stored before is
changed, and the validators are only updated after a successful store, so a
failed run is retried in full next time. A permanent redirect (301/308)
updates the source's URL after a good store; its items keep their identity.
``ingest_all`` fetches a few sources at once and stores them one at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content.feeds import FeedError, ParsedFeed, parse_feed
from mailer.content.fetch import Fetched, FetchError, FetchOptions, check_type, fetch
from mailer.content.icalendar_events import (
    CalendarError,
    CalendarEvent,
    expansion_window,
    parse_calendar,
)
from mailer.content.models import Source, SourceKind
from mailer.content.store import StoreCounts, store_events, store_news
from mailer.db import session_scope, utcnow

__all__ = ["FetchOptions", "SourceReport", "ingest_all", "ingest_source"]

log = logging.getLogger(__name__)

#: Sources fetched at once by ``ingest_all`` (network-bound; storing stays serial).
FETCH_WORKERS = 8


@dataclass
class SourceReport:
    source_id: int
    name: str
    kind: str
    status: str = "ok"  # ok, not_modified, failing
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    error: str = ""
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.status == "failing":
            return f"{self.name}: FAILED: {self.error}"
        if self.status == "not_modified":
            return f"{self.name}: not modified since last fetch"
        text = f"{self.name}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"
        if self.removed:
            text += f", {self.removed} removed"
        return "; ".join([text, *self.notes])

    def count(self, counts: StoreCounts) -> None:
        self.new, self.updated, self.unchanged = counts.new, counts.updated, counts.unchanged
        self.removed = counts.removed
        self.notes.extend(counts.notes)


@dataclass(frozen=True)
class _Target:
    """What fetching a source needs, read before the fetch (no session held open)."""

    source_id: int
    url: str
    etag: str
    last_modified: str
    kind: str


@dataclass
class _Read:
    """One good fetch and parse of a source; ``fetched`` is None for 304 Not Modified."""

    fetched: Fetched | None
    feed: ParsedFeed | None = None
    events: list[CalendarEvent] = field(default_factory=list)


def _load(session_factory: sessionmaker[Session], source_id: int) -> tuple[SourceReport, _Target]:
    with session_factory() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise LookupError(f"no source with id {source_id}")
        report = SourceReport(source.id, source.name, source.kind)
        target = _Target(source.id, source.url, source.etag, source.last_modified, source.kind)
    return report, target


def _read(
    target: _Target,
    settings: Settings,
    options: FetchOptions,
    now: dt.datetime,
    http: requests.Session | None = None,
) -> _Read:
    """Fetch and parse in full (no database): raises FetchError, FeedError or CalendarError."""
    fetched = fetch(
        target.url,
        etag=target.etag,
        last_modified=target.last_modified,
        settings=settings,
        options=options,
        http=http,
        kind=target.kind,
    )
    if fetched is None:
        return _Read(None)
    check_type(target.kind, fetched.content_type)
    if target.kind == SourceKind.NEWS:
        feed = parse_feed(
            fetched.body,
            fetched.url,
            content_type=fetched.content_type,
            max_items=options.max_items,
        )
        return _Read(fetched, feed=feed)
    events = parse_calendar(fetched.body, now=now, default_timezone=settings.default_timezone)
    return _Read(fetched, events=events)


def _store(
    session_factory: sessionmaker[Session],
    source_id: int,
    read: _Read,
    report: SourceReport,
    now: dt.datetime,
) -> None:
    fetched = read.fetched
    with session_scope(session_factory) as session:
        source = session.get(Source, source_id)
        assert source is not None
        if fetched is None:
            report.status = "not_modified"
        else:
            if read.feed is not None:
                report.count(store_news(session, source, read.feed.items, now))
                source.last_warning = "; ".join(read.feed.warnings)[:2000]
                report.notes.extend(f"warning: {w}" for w in read.feed.warnings)
            else:
                window = expansion_window(now)
                report.count(store_events(session, source, read.events, window, now))
                source.last_warning = ""
            source.etag = fetched.etag[:500]
            source.last_modified = fetched.last_modified[:100]
            if fetched.moved_to:
                source.url = fetched.moved_to[:2000]
                report.notes.append(f"moved permanently to {fetched.moved_to}")
        source.last_fetched_at = source.last_ok_at = now
        source.last_status, source.last_error = "ok", ""


def _finish(
    session_factory: sessionmaker[Session],
    report: SourceReport,
    now: dt.datetime,
    read: Callable[[], _Read],
) -> SourceReport:
    """Store what ``read`` gives, or record why it failed; never raises for the source."""
    try:
        _store(session_factory, report.source_id, read(), report, now)
    except (FetchError, FeedError, CalendarError) as exc:
        _record_failure(session_factory, report.source_id, str(exc), now, report)
    except Exception as exc:  # a bug or a database error must not stop the other sources
        log.exception("ingesting source %s failed", report.source_id)
        error = f"{exc.__class__.__name__}: {exc}"
        _record_failure(session_factory, report.source_id, error, now, report)
    return report


def ingest_source(
    session_factory: sessionmaker[Session],
    settings: Settings,
    source_id: int,
    *,
    now: dt.datetime | None = None,
    options: FetchOptions | None = None,
    http: requests.Session | None = None,
) -> SourceReport:
    """Fetch and store one source; never raises for a problem with the source itself."""
    opts = options or FetchOptions.from_settings(settings)
    at = now or utcnow()
    report, target = _load(session_factory, source_id)
    return _finish(session_factory, report, at, lambda: _read(target, settings, opts, at, http))


def _record_failure(
    session_factory: sessionmaker[Session],
    source_id: int,
    error: str,
    now: dt.datetime,
    report: SourceReport,
) -> None:
    report.status, report.error = "failing", error
    report.new = report.updated = report.unchanged = report.removed = 0
    report.notes.clear()
    log.warning("source %s (%s): %s", report.name, source_id, error)
    with session_scope(session_factory) as session:
        source = session.get(Source, source_id)
        if source is not None:
            source.last_fetched_at = now
            source.last_status, source.last_error = "failing", error[:2000]


def ingest_all(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    progress: Callable[[SourceReport], None] | None = None,
    now: dt.datetime | None = None,
    options: FetchOptions | None = None,
) -> list[SourceReport]:
    """Ingest every enabled source with a URL (the ``manual`` pseudo-sources have none).

    Up to ``FETCH_WORKERS`` sources are fetched and parsed at once, each within
    its own deadline and with its own connections (the deadline cuts only its
    own), so a slow source costs its deadline and no more; what they give is
    stored one source at a time in this thread. Sources that failed last time (or
    were never fetched) start first, so a slow one's deadline runs alongside the
    others' work. Reports come back in source order.
    """
    opts = options or FetchOptions.from_settings(settings)
    at = now or utcnow()
    with session_factory() as session:
        ids = list(
            session.scalars(
                select(Source.id)
                .where(Source.enabled.is_(True), Source.url != "")
                # Failing and new sources first: a slow one then spends its deadline
                # while the others are fetched, not after them.
                .order_by((Source.last_status == "ok").asc(), Source.id)
            )
        )
    loaded = [_load(session_factory, source_id) for source_id in ids]
    reports = []
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS, thread_name_prefix="ingest") as pool:
        pending = {
            pool.submit(_read, target, settings, opts, at): report for report, target in loaded
        }
        for future in as_completed(pending):
            report = _finish(session_factory, pending[future], at, future.result)
            reports.append(report)
            if progress:
                progress(report)
    return sorted(reports, key=lambda r: r.source_id)
