"""Fetching every source and storing what is new, one source at a time.

Each source is fetched with requests (a User-Agent naming the product, a
timeout, a size cap, conditional GET with the ETag and Last-Modified it sent
last time) and stored in its own transaction. Whatever goes wrong with one
source (HTTP error, timeout, not a feed, too many items) is recorded on that
source as ``failing`` with the reason, and the others carry on; items stored
before are never deleted, and the validators are only updated after a
successful store, so a failed run is retried in full next time.
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
from mailer.content.feeds import FeedError, FeedItem, parse_feed
from mailer.content.icalendar_events import CalendarError, CalendarEvent, parse_calendar
from mailer.content.models import Event, NewsItem, Source, SourceKind
from mailer.db import session_scope, utcnow

log = logging.getLogger(__name__)

NEWS_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    "application/json",
)
EVENT_TYPES = ("text/calendar", "application/ics", "text/x-calendar")
# Servers often say nothing useful; these do not disqualify a document.
NEUTRAL_TYPES = ("", "text/plain", "application/octet-stream")


@dataclass(frozen=True)
class FetchOptions:
    timeout: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_items: int = 500


@dataclass
class SourceReport:
    source_id: int
    name: str
    kind: str
    status: str = "ok"  # ok, not_modified, failing
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str = ""
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.status == "failing":
            return f"{self.name}: FAILED: {self.error}"
        if self.status == "not_modified":
            return f"{self.name}: not modified since last fetch"
        return f"{self.name}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"


class FetchError(Exception):
    """The source could not be fetched; the message is what the admin sees."""


@dataclass(frozen=True)
class Fetched:
    body: bytes
    url: str
    content_type: str
    etag: str
    last_modified: str


def user_agent(settings: Settings) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("odei-mailer")
    except PackageNotFoundError:
        ver = "dev"
    return (
        f"odei-mailer/{ver} (feed reader of the {settings.org_short_name} newsletter; "
        f"+{settings.base_url})"
    )


def fetch(
    url: str,
    *,
    etag: str,
    last_modified: str,
    settings: Settings,
    options: FetchOptions,
    http: requests.Session | None = None,
    kind: str = SourceKind.NEWS,
) -> Fetched | None:
    """GET ``url``; ``None`` means 304 Not Modified."""
    wanted = NEWS_TYPES if kind == SourceKind.NEWS else EVENT_TYPES
    headers = {"User-Agent": user_agent(settings), "Accept": ", ".join(wanted) + ", */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    getter = http or requests
    try:
        with getter.get(url, headers=headers, timeout=options.timeout, stream=True) as resp:
            if resp.status_code == 304:
                return None
            if resp.status_code >= 400:
                raise FetchError(f"HTTP {resp.status_code} {resp.reason} from {resp.url}")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > options.max_bytes:
                raise FetchError(_too_big(int(declared), options.max_bytes))
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > options.max_bytes:
                    raise FetchError(_too_big(size, options.max_bytes))
                chunks.append(chunk)
            content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return Fetched(
                body=b"".join(chunks),
                url=resp.url,
                content_type=content_type,
                etag=resp.headers.get("ETag", ""),
                last_modified=resp.headers.get("Last-Modified", ""),
            )
    except requests.Timeout:
        raise FetchError(f"timed out after {options.timeout:g} s fetching {url}") from None
    except requests.RequestException as exc:
        raise FetchError(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from None


def _too_big(size: int, cap: int) -> str:
    return f"response is larger than the {cap // 1024} KiB cap (at least {size // 1024} KiB)"


def _check_type(kind: str, content_type: str) -> None:
    allowed = NEWS_TYPES if kind == SourceKind.NEWS else EVENT_TYPES
    if content_type in allowed or content_type in NEUTRAL_TYPES:
        return
    what = "an RSS, Atom or JSON feed" if kind == SourceKind.NEWS else "an iCalendar file"
    raise FetchError(
        f"content type {content_type!r} is not {what}; check the URL points at the feed itself"
    )


def _store_news(
    session: Session, source: Source, items: list[FeedItem], report: SourceReport, now: dt.datetime
) -> None:
    existing = {
        n.guid: n for n in session.scalars(select(NewsItem).where(NewsItem.source_id == source.id))
    }
    seen: set[str] = set()
    for item in items:
        if item.guid in seen:
            continue
        seen.add(item.guid)
        row = existing.get(item.guid)
        values: dict[str, object] = {
            "title": item.title,
            "url": item.url,
            "summary_html": item.summary_html,
            "author": item.author,
            "image_url": item.image_url,
            "image_alt": item.image_alt,
        }
        if row is None:
            session.add(
                NewsItem(
                    source_id=source.id,
                    guid=item.guid,
                    published_at=item.published_at or now,
                    updated_at=item.updated_at,
                    fetched_at=now,
                    **values,
                )
            )
            report.new += 1
            continue
        if item.published_at:
            values["published_at"] = item.published_at
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(row, key, value)
            row.updated_at = item.updated_at or now
            report.updated += 1
        else:
            report.unchanged += 1


def _store_events(
    session: Session,
    source: Source,
    events: list[CalendarEvent],
    report: SourceReport,
    now: dt.datetime,
) -> None:
    existing = {
        e.guid: e for e in session.scalars(select(Event).where(Event.source_id == source.id))
    }
    seen: set[str] = set()
    for ev in events:
        if ev.guid in seen:
            continue
        seen.add(ev.guid)
        row = existing.get(ev.guid)
        if ev.cancelled:
            if row is not None and not row.hidden:
                row.hidden = True
                report.updated += 1
            continue
        values: dict[str, object] = {
            "title": ev.title,
            "starts_at": ev.starts_at,
            "ends_at": ev.ends_at,
            "all_day": ev.all_day,
            "timezone": ev.timezone,
            "location": ev.location,
            "url": ev.url,
            "description": ev.description,
        }
        if row is None:
            session.add(Event(source_id=source.id, guid=ev.guid, fetched_at=now, **values))
            report.new += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(row, key, value)
            report.updated += 1
        else:
            report.unchanged += 1


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
    options = options or FetchOptions()
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
        if fetched is not None:
            _check_type(kind, fetched.content_type)
            if kind == SourceKind.NEWS:
                parsed: list[FeedItem] | list[CalendarEvent] = parse_feed(
                    fetched.body,
                    fetched.url,
                    content_type=fetched.content_type,
                    max_items=options.max_items,
                )
            else:
                parsed = parse_calendar(
                    fetched.body, now=now, default_timezone=settings.default_timezone
                )
        with session_scope(session_factory) as session:
            source = session.get(Source, source_id)
            assert source is not None
            if fetched is None:
                report.status = "not_modified"
            elif kind == SourceKind.NEWS:
                _store_news(session, source, parsed, report, now)  # type: ignore[arg-type]
            else:
                _store_events(session, source, parsed, report, now)  # type: ignore[arg-type]
            if fetched is not None:
                source.etag = fetched.etag[:500]
                source.last_modified = fetched.last_modified[:100]
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
    report.new = report.updated = report.unchanged = 0
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
    """Ingest every enabled source with a URL (the ``manual`` pseudo-sources have none)."""
    with session_factory() as session:
        ids = list(
            session.scalars(
                select(Source.id)
                .where(Source.enabled.is_(True), Source.url != "")
                .order_by(Source.id)
            )
        )
    reports = []
    with requests.Session() as http:
        for source_id in ids:
            report = ingest_source(
                session_factory, settings, source_id, now=now, options=options, http=http
            )
            reports.append(report)
            if progress:
                progress(report)
    return reports
