"""Managing the feeds we ingest (admins add, list, disable and remove them)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.content.manual import MANUAL
from mailer.content.models import Source, SourceKind
from mailer.db import audit


class SourceError(ValueError):
    """A bad source definition; the message names the field."""


def add_source(session: Session, *, kind: str, url: str, name: str, actor: str = "cli") -> Source:
    try:
        kind = SourceKind(kind).value
    except ValueError:
        raise SourceError(f"kind: {kind!r} must be 'news' or 'events'") from None
    url = url.strip()
    if url.startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]  # how calendar apps publish iCalendar feeds
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"url: {url!r} must be an http:// or https:// address")
    name = name.strip()
    if not name:
        raise SourceError("name: give the source a short name, e.g. --name 'ODEI news'")
    if name == MANUAL:
        raise SourceError("name: 'manual' is reserved for items typed in by staff")
    clash = session.scalars(select(Source).where(Source.kind == kind, Source.name == name)).first()
    if clash is not None:
        raise SourceError(f"name: there is already a {kind} source named {name!r} (id {clash.id})")
    source = Source(kind=kind, name=name[:200], url=url[:2000], last_status="never")
    session.add(source)
    session.flush()
    audit(session, actor, "source.add", f"source:{source.id}", kind=kind, url=url)
    return source


def list_sources(session: Session, kind: str | None = None) -> list[Source]:
    query = select(Source).where(Source.name != MANUAL).order_by(Source.kind, Source.id)
    if kind:
        query = query.where(Source.kind == kind)
    return list(session.scalars(query))


def find_source(session: Session, ref: str) -> Source:
    """A source by id or by name (names are unique per kind)."""
    if ref.isdigit():
        source = session.get(Source, int(ref))
        if source is not None:
            return source
    matches = list(session.scalars(select(Source).where(Source.name == ref)))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise SourceError(f"{ref!r} names a news and an events source; use the id")
    raise SourceError(f"no source {ref!r}; `mailer sources list` shows them")


def set_enabled(session: Session, source: Source, enabled: bool, actor: str = "cli") -> None:
    source.enabled = enabled
    audit(session, actor, "source.enable" if enabled else "source.disable", f"source:{source.id}")


def remove_source(session: Session, source: Source, actor: str = "cli") -> None:
    """Delete a source and the items it brought (they go with it: ON DELETE CASCADE)."""
    audit(session, actor, "source.remove", f"source:{source.id}", name=source.name, url=source.url)
    session.delete(source)
    session.flush()
