"""Fetching every source and storing what it says, one source at a time.

Each source is fetched (:mod:`mailer.content.fetch`: a User-Agent naming the
product, per-read timeouts and a total deadline, size and redirect caps,
conditional GET), parsed in full, and only then stored in its own transaction
(:mod:`mailer.content.store`). Whatever goes wrong with one source (HTTP
error, deadline, not a feed, too many items) is recorded on that source as
``failing`` with the reason and the others carry on: nothing stored before is
changed, and the validators are only updated after a successful store, so a
failed run is retried in full next time. A permanent redirect (301/308)
updates the source's URL after a good store; its items keep their identity.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.content.feeds import FeedError, ParsedFeed, parse_feed
from mailer.content.fetch import FetchError, FetchOptions, check_type, fetch, fetch_session
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
    options = options or FetchOptions.from_settings(settings)
    now = now or utcnow()
    with session_factory() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise LookupError(f"no source with id {source_id}")
        report = SourceReport(source.id, source.name, source.kind)
        url, etag, last_modified, kind = source.url, source.etag, source.last_modified, source.kind
    try:
        fetched = fetch(
            url,
            etag=etag,
            last_modified=last_modified,
            settings=settings,
            options=options,
            http=http,
            kind=kind,
        )
        feed: ParsedFeed | None = None
        events: list[CalendarEvent] = []
        if fetched is not None:
            check_type(kind, fetched.content_type)
            if kind == SourceKind.NEWS:
                feed = parse_feed(
                    fetched.body,
                    fetched.url,
                    content_type=fetched.content_type,
                    max_items=options.max_items,
                )
            else:
                events = parse_calendar(
                    fetched.body, now=now, default_timezone=settings.default_timezone
                )
        with session_scope(session_factory) as session:
            source = session.get(Source, source_id)
            assert source is not None
            if fetched is None:
                report.status = "not_modified"
            else:
                if feed is not None:
                    report.count(store_news(session, source, feed.items, now))
                    source.last_warning = "; ".join(feed.warnings)[:2000]
                    report.notes.extend(f"warning: {w}" for w in feed.warnings)
                else:
                    window = expansion_window(now)
                    report.count(store_events(session, source, events, window, now))
                    source.last_warning = ""
                source.etag = fetched.etag[:500]
                source.last_modified = fetched.last_modified[:100]
                if fetched.moved_to:
                    source.url = fetched.moved_to[:2000]
                    report.notes.append(f"moved permanently to {fetched.moved_to}")
            source.last_fetched_at = source.last_ok_at = now
            source.last_status, source.last_error = "ok", ""
    except (FetchError, FeedError, CalendarError) as exc:
        _record_failure(session_factory, source_id, str(exc), now, report)
    except Exception as exc:  # a bug or a database error must not stop the other sources
        log.exception("ingesting source %s failed", source_id)
        _record_failure(session_factory, source_id, f"{exc.__class__.__name__}: {exc}", now, report)
    return report


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

    One after another, each within its own deadline, so the slowest source
    costs at most ``fetch_deadline`` seconds and never holds up the rest for longer.
    """
    with session_factory() as session:
        ids = list(
            session.scalars(
                select(Source.id)
                .where(Source.enabled.is_(True), Source.url != "")
                .order_by(Source.id)
            )
        )
    reports = []
    with fetch_session() as http:
        for source_id in ids:
            report = ingest_source(
                session_factory, settings, source_id, now=now, options=options, http=http
            )
            reports.append(report)
            if progress:
                progress(report)
    return reports
