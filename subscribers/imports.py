"""CSV import: stream a file of any size into a list, set by set, and say what happened.

The file is read as a stream (UTF-8 with or without BOM, comma or semicolon,
quoted fields, CRLF), checked row by row (field count, UTF-8, address syntax
with email-validator, duplicates) and written in chunks with a few set-based
statements per chunk (select what exists, insert what is new, update what
changed), never one ORM object per row: a million rows fit in a minute on
SQLite. Consent is respected: an address that left the list or is suppressed
is rejected unless an override reason is given, and each override is audited.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from mailer.db import audit, utcnow
from subscribers.addresses import InvalidAddress, key_of_normal, normalise_email
from subscribers.bulk import Bulk
from subscribers.csvfile import ImportFailed, RejectsWriter, column_map, not_utf8, open_text
from subscribers.csvsafe import unguard
from subscribers.models import (
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    Suppression,
)
from subscribers.names import clean_name
from subscribers.suppression import hash_of_key

CHUNK_SIZE = 5000

SUBSCRIBERS = cast(Table, Subscriber.__table__)
SUBSCRIPTIONS = cast(Table, Subscription.__table__)
SUPPRESSIONS = cast(Table, Suppression.__table__)


@dataclass
class Rejected:
    line: int
    reason: str
    fields: list[str]


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    overridden: int = 0
    rows: int = 0
    seconds: float = 0.0
    rejects_path: str = ""
    # The first rejects, for display; all of them go to the rejects CSV.
    rejects: list[Rejected] = field(default_factory=list)


@dataclass(slots=True)
class _Row:
    line: int
    email: str  # as written (normalised), kept for display and sending
    key: str  # who it is: subscribers.addresses.email_key
    name: str
    attributes: dict[str, str]
    fields: list[str]


class _Importer:
    def __init__(
        self,
        mailing_list: MailingList,
        *,
        confirmed: bool,
        override_reason: str | None,
        actor: str,
        check_deliverability: bool,
    ) -> None:
        self.list_id = mailing_list.id
        self.slug = mailing_list.slug
        self.confirmed = confirmed
        self.override = override_reason
        self.actor = actor
        self.check_dns = check_deliverability
        self.report = ImportReport()
        self.seen: dict[str, int] = {}
        self.reject_sink: Callable[[Rejected], None] = lambda r: None
        # Called with the file's header and delimiter once they are read.
        self.on_header: Callable[[list[str], str], None] = lambda header, delimiter: None

    def reject(self, line: int, reason: str, fields: list[str]) -> None:
        item = Rejected(line, reason, fields)
        self.report.rejected += 1
        if len(self.report.rejects) < 1000:
            self.report.rejects.append(item)
        self.reject_sink(item)

    def rows(self, text: io.TextIOWrapper) -> Iterator[_Row]:
        first = text.readline()
        if not first.strip():
            raise ImportFailed("the file is empty; the first line must name the columns")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(itertools.chain([first], text), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFailed("the file is empty; the first line must name the columns") from None
        if any("\x00" in h for h in header):
            raise ImportFailed("line 1: the file looks like UTF-16; save it as 'CSV UTF-8'")
        if not_utf8(header):
            raise ImportFailed("line 1: the header is not valid UTF-8; save the file as UTF-8")
        email_at, name_at, others = column_map(header)
        self.on_header(header, delimiter)
        width = len(header)
        previous_end = reader.line_num
        for fields in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            self.report.rows += 1
            if len(fields) != width:
                self.reject(line, f"expected {width} fields, found {len(fields)}", fields)
                continue
            if not_utf8(fields):
                self.reject(line, "not valid UTF-8; save the file as UTF-8", fields)
                continue
            # Our own exports guard formula-like cells with a leading quote: take it off.
            fields = [unguard(f) for f in fields]
            try:
                email = normalise_email(fields[email_at], check_deliverability=self.check_dns)
            except InvalidAddress as exc:
                self.reject(line, f"invalid address {fields[email_at]!r}: {exc}", fields)
                continue
            # Local parts are case-sensitive by the RFCs but not in practice: one person.
            key = key_of_normal(email)
            first_line = self.seen.setdefault(key, line)
            if first_line != line:
                self.reject(line, f"duplicate of line {first_line}", fields)
                continue
            name = clean_name(fields[name_at]) if name_at is not None else ""
            attributes = {n: fields[i].strip() for i, n in others if fields[i].strip()}
            yield _Row(line, email, key, name, attributes, fields)

    def apply(self, session: Session, chunk: list[_Row]) -> None:
        """Upsert one chunk with a handful of set-based statements."""
        bulk = Bulk(session)
        keys = [r.key for r in chunk]
        hashes = {r.key: hash_of_key(r.key) for r in chunk}
        blocked = dict(
            bulk.select_in(
                "SELECT address, reason FROM suppressions WHERE address IN ({in})",
                [*keys, *hashes.values()],
            )
        )
        attrs_in = bulk.result(SUBSCRIBERS.c.attributes)
        existing = {
            key: (sid, name, attrs_in(attrs) or {}, status)
            for sid, key, name, attrs, status in bulk.select_in(
                "SELECT id, email_key, name, attributes, status FROM subscribers "
                "WHERE email_key IN ({in})",
                keys,
            )
        }
        subs = dict(
            bulk.select_in(
                "SELECT subscriber_id, status FROM subscriptions "
                "WHERE list_id = {m} AND subscriber_id IN ({in})",
                [v[0] for v in existing.values()],
                extra=(self.list_id,),
            )
        )
        new_people: list[_Row] = []
        person_updates: list[tuple[int, str, dict[str, str]]] = []
        new_subs: list[str] = []
        sub_updates: list[int] = []
        unblock: list[str] = []
        for r in chunk:
            reason = blocked.get(r.key) or blocked.get(hashes[r.key])
            old = existing.get(r.key)
            old_sub = subs.get(old[0]) if old is not None else None
            if old is not None and old[3] != SubscriberStatus.ACTIVE:
                self.reject(r.line, f"{r.email} is {old[3]}", r.fields)
                continue
            left = old_sub == SubscriptionStatus.UNSUBSCRIBED
            if (reason or left) and not self.override:
                why = f"suppressed ({reason})" if reason else "unsubscribed from this list"
                self.reject(r.line, f"{why}; not re-subscribed without --override-reason", r.fields)
                continue
            if reason or left:
                unblock.append(r.key)
            if old is None:
                new_people.append(r)
                new_subs.append(r.key)
                self.report.imported += 1
                continue
            sid, old_name, old_attrs, _ = old
            changed = False
            merged = {**old_attrs, **r.attributes}
            name = r.name or old_name
            if name != old_name or merged != old_attrs:
                person_updates.append((sid, name, merged))
                changed = True
            if old_sub is None:
                new_subs.append(r.key)
                self.report.imported += 1
                continue
            if left or (self.confirmed and old_sub == SubscriptionStatus.PENDING):
                sub_updates.append(sid)
                changed = True
            if changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self._write(session, bulk, new_people, person_updates, new_subs, sub_updates, unblock)

    def _write(
        self,
        session: Session,
        bulk: Bulk,
        new_people: list[_Row],
        person_updates: list[tuple[int, str, dict[str, str]]],
        new_subs: list[str],
        sub_updates: list[int],
        unblock: list[str],
    ) -> None:
        now = utcnow()
        stamp = bulk.bind(SUBSCRIBERS.c.created_at)(now)
        confirmed_at = stamp if self.confirmed else None
        attrs_out = bulk.bind(SUBSCRIBERS.c.attributes)
        source = SubscriptionSource.IMPORT.value
        status = (
            SubscriptionStatus.CONFIRMED if self.confirmed else SubscriptionStatus.PENDING
        ).value
        bulk.insert_ignore(
            SUBSCRIBERS,
            ["email", "email_key", "name", "attributes", "status", "created_at", "confirmed_at"],
            ["email_key"],
            [
                (r.email, r.key, r.name, attrs_out(r.attributes), "active", stamp, confirmed_at)
                for r in new_people
            ],
        )
        bulk.execute_many(
            "UPDATE subscribers SET name = {m}, attributes = {m} WHERE id = {m}",
            [(name, attrs_out(attrs), sid) for sid, name, attrs in person_updates],
        )
        ids = [
            row[0]
            for row in bulk.select_in(
                "SELECT id FROM subscribers WHERE email_key IN ({in})", new_subs
            )
        ]
        bulk.insert_ignore(
            SUBSCRIPTIONS,
            [
                "subscriber_id",
                "list_id",
                "status",
                "source",
                "created_at",
                "confirmed_at",
                "consent_ip",
            ],
            ["subscriber_id", "list_id"],
            [
                (
                    sid,
                    self.list_id,
                    status,
                    source,
                    stamp,
                    confirmed_at,
                    "",
                )
                for sid in ids
            ],
        )
        bulk.execute_many(
            "UPDATE subscriptions SET status = {m}, unsubscribed_at = NULL, confirmed_at = {m} "
            "WHERE subscriber_id = {m} AND list_id = {m}",
            [(status, confirmed_at, sid, self.list_id) for sid in sub_updates],
        )
        for key in unblock:
            session.execute(
                SUPPRESSIONS.delete().where(Suppression.address.in_([key, hash_of_key(key)]))
            )
            audit(
                session,
                self.actor,
                "consent.override",
                key,
                self.override or "",
                list=self.slug,
                via="import",
            )
            self.report.overridden += 1


def import_csv(
    target: Session | sessionmaker[Session],
    path: str | os.PathLike[str],
    mailing_list: MailingList,
    *,
    confirmed: bool,
    override_reason: str | None = None,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
    rejects_path: str | os.PathLike[str] | None = None,
    check_deliverability: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Import ``path`` into ``mailing_list``; upsert people, report every rejected line.

    Given a session factory, each chunk is committed on its own (an import
    stopped half-way can simply be run again: it is an upsert); given a
    session, the caller commits. ``progress(bytes_read, total_bytes)`` is
    called after each chunk. Rejected lines go to ``rejects_path`` as CSV
    (line, reason, the original fields under the file's own header).
    """
    started = time.perf_counter()
    path = Path(path)
    importer = _Importer(
        mailing_list,
        confirmed=confirmed,
        override_reason=override_reason,
        actor=actor,
        check_deliverability=check_deliverability,
    )
    own = isinstance(target, sessionmaker)
    session: Session = target() if own else target  # type: ignore[operator,assignment]
    total = path.stat().st_size
    raw, text = open_text(path)
    rejects_file = None
    try:
        if rejects_path is not None:
            rejects_file = open(rejects_path, "w", encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
            sink = RejectsWriter(rejects_file)
            importer.on_header = sink.header
            importer.reject_sink = lambda r: sink.row(r.line, r.reason, r.fields)
            importer.report.rejects_path = str(rejects_path)
        rows = importer.rows(text)
        while chunk := list(itertools.islice(rows, chunk_size)):
            importer.apply(session, chunk)
            if own:
                session.commit()
            else:
                session.flush()
            if progress is not None:
                progress(raw.tell(), total)
        report = importer.report
        audit(
            session,
            actor,
            "subscribers.import",
            mailing_list.slug,
            path.name,
            imported=report.imported,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
        )
        if own:
            session.commit()
        if progress is not None:
            progress(total, total)
    finally:
        text.close()
        if rejects_file is not None:
            rejects_file.close()
        if own:
            session.close()
    importer.report.seconds = time.perf_counter() - started
    return importer.report
