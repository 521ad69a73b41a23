"""CSV import and export: good lines import, every bad line is reported by number."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer.commands.subscribers import command
from mailer.config import Settings
from mailer.db import AuditLog
from subscribers.exports import export_csv
from subscribers.imports import ImportFailed, import_csv
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.service import add_subscriber, suppress, unsubscribe

BROKEN = (
    b"\xef\xbb\xbfemail;name;division\r\n"
    b"ana.ruiz@example.org;Ana Ruiz;Office of Diversity\r\n"  # 2 good
    b"not-an-address;Nobody;DEI\r\n"  # 3 bad address
    b"kofi@example.org;Kofi Mensah\r\n"  # 4 wrong number of fields
    b"amara@example.org;Am\xe9ra Diallo;Medicine\r\n"  # 5 Latin-1, not UTF-8
    b'"lee@example.org";"Lee, Jordan";"Pediatrics; Surgery"\r\n'  # 6 good, quoted
    b"ANA.RUIZ@Example.ORG;Ana again;DEI\r\n"  # 7 duplicate of line 2 after normalising
    b"left@example.org;Left Us;DEI\r\n"  # 8 unsubscribed earlier
    b"bounced@example.org;Bounced;DEI\r\n"  # 9 suppressed
    b"\r\n"  # 10 blank: ignored
    b'"multi@example.org";"Line\r\none";"Neurology"\r\n'  # 11-12 quoted newline: good
    b"zoe@b\xc3\xbccher.example;Zo\xc3\xab;Nursing\r\n"  # 13 good, UTF-8 domain
)


@pytest.fixture
def weekly(session: Session) -> MailingList:
    ml = MailingList(slug="weekly", name="ODEI Weekly")
    session.add(ml)
    session.flush()
    left = add_subscriber(session, ml, "left@example.org", confirmed=True)
    unsubscribe(session, left.id, ml.id, via="one-click")
    suppress(session, "bounced@example.org", "hard_bounce", "5.1.1 user unknown")
    session.commit()
    return ml


def _emails(session: Session, ml: MailingList, status: str = "confirmed") -> set[str]:
    return set(
        session.scalars(
            select(Subscriber.email)
            .join(Subscription)
            .where(Subscription.list_id == ml.id, Subscription.status == status)
        )
    )


def test_broken_file_imports_good_lines_and_reports_bad_ones(
    session: Session, session_factory: sessionmaker[Session], weekly: MailingList, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(BROKEN)
    rejects = tmp_path / "rejects.csv"
    seen: list[tuple[int, int]] = []
    report = import_csv(
        session_factory,
        path,
        weekly,
        confirmed=True,
        actor="test",
        rejects_path=rejects,
        progress=lambda done, total: seen.append((done, total)),
        chunk_size=3,
    )
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (4, 0, 0, 6)
    reasons = {r.line: r.reason for r in report.rejects}
    assert reasons[3].startswith("invalid address 'not-an-address'")
    assert reasons[4] == "expected 3 fields, found 2"
    assert reasons[5].startswith("not valid UTF-8")
    assert reasons[7] == "duplicate of line 2"
    assert reasons[8].startswith("unsubscribed from this list")
    assert reasons[9].startswith("suppressed (hard_bounce)")
    with rejects.open(newline="", encoding="utf-8") as fh:
        lines = [row[0] for row in csv.reader(fh)][1:]
    assert sorted(lines, key=int) == ["3", "4", "5", "7", "8", "9"]
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    session.expire_all()
    assert _emails(session, weekly) == {
        "ana.ruiz@example.org",
        "lee@example.org",
        "multi@example.org",
        "zoe@bücher.example",
    }
    lee = session.scalar(select(Subscriber).where(Subscriber.email == "lee@example.org"))
    assert lee is not None and lee.name == "Lee, Jordan"
    assert lee.attributes == {"division": "Pediatrics; Surgery"}
    assert _emails(session, weekly, "unsubscribed") == {"left@example.org"}


def test_reimport_counts_updated_and_unchanged(
    session: Session, session_factory: sessionmaker[Session], weekly: MailingList, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("email,name\nana@example.org,Ana\nkofi@example.org,Kofi\n")
    first = import_csv(session_factory, path, weekly, confirmed=False, actor="t")
    assert (first.imported, first.rejected) == (2, 0)
    path.write_text("email,name\nana@example.org,Ana Ruiz\nkofi@example.org,Kofi\nn@example.org,\n")
    second = import_csv(session_factory, path, weekly, confirmed=False, actor="t")
    assert (second.imported, second.updated, second.unchanged) == (1, 1, 1)
    assert _emails(session, weekly, "pending") == {
        "ana@example.org",
        "kofi@example.org",
        "n@example.org",
    }


def test_override_resubscribes_and_is_audited(
    session: Session, session_factory: sessionmaker[Session], weekly: MailingList, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("email\nleft@example.org\nbounced@example.org\n")
    report = import_csv(
        session_factory,
        path,
        weekly,
        confirmed=True,
        actor="dana@example.org",
        override_reason="re-confirmed on paper, 2027-03-01",
    )
    assert (report.updated, report.imported, report.overridden) == (1, 1, 2)
    assert {"left@example.org", "bounced@example.org"} <= _emails(session, weekly)
    notes = session.scalars(
        select(AuditLog.note).where(AuditLog.action == "consent.override")
    ).all()
    assert notes == ["re-confirmed on paper, 2027-03-01"] * 2


def test_file_without_email_column_is_refused(
    session: Session, weekly: MailingList, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("mail address,name\nana@example.org,Ana\n")
    with pytest.raises(ImportFailed, match="no email column"):
        import_csv(session, path, weekly, confirmed=True, actor="t")
    path.write_text("email,name\nana@example.org,Ana\n", encoding="utf-16")
    with pytest.raises(ImportFailed, match="UTF-16"):
        import_csv(session, path, weekly, confirmed=True, actor="t")
    path.write_bytes(b"")
    with pytest.raises(ImportFailed, match="empty"):
        import_csv(session, path, weekly, confirmed=True, actor="t")


def test_export_round_trips_through_import(
    session: Session, session_factory: sessionmaker[Session], weekly: MailingList, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email,name,division\nana@example.org,Ana,Medicine\nkofi@example.org,Kofi,\n")
    import_csv(session_factory, path, weekly, confirmed=True, actor="t")
    out = io.StringIO()
    assert export_csv(session, weekly, out, statuses=["confirmed"]) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["email"], r["name"], r["division"], r["status"]) for r in rows] == [
        ("ana@example.org", "Ana", "Medicine", "confirmed"),
        ("kofi@example.org", "Kofi", "", "confirmed"),
    ]
    session.commit()  # end the read (rollback would expire `weekly` and re-read it)
    again = tmp_path / "again.csv"
    again.write_text(out.getvalue())
    report = import_csv(session_factory, again, weekly, confirmed=True, actor="t")
    assert (report.unchanged, report.imported, report.updated) == (2, 0, 0)


def test_cli_import_and_export(
    session: Session, settings: Settings, weekly: MailingList, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(BROKEN)
    session.rollback()
    runner = CliRunner()
    result = runner.invoke(command, ["import", str(path), "--list", "weekly", "--confirmed"])
    assert result.exit_code == 0, result.output
    assert "imported 4, updated 0, unchanged 0, rejected 6" in result.output
    assert "line 4: expected 3 fields, found 2" in result.output
    assert (tmp_path / "members.csv.rejects.csv").exists()
    out = tmp_path / "out.csv"
    result = runner.invoke(command, ["export", "--list", "weekly", "-o", str(out)])
    assert result.exit_code == 0 and "wrote 5 subscribers" in result.output
    assert "zoe@bücher.example" in out.read_text(encoding="utf-8")
    assert session.scalar(select(func.count()).select_from(Subscriber)) == 5


def test_forgotten_person_is_not_imported_back(
    session: Session, session_factory: sessionmaker[Session], weekly: MailingList, tmp_path: Path
) -> None:
    from subscribers.service import forget

    add_subscriber(session, weekly, "amara@example.org", confirmed=True)
    forget(session, "amara@example.org")
    session.commit()
    path = tmp_path / "a.csv"
    path.write_text("email\nAmara@example.org\n")
    report = import_csv(session_factory, path, weekly, confirmed=True, actor="t")
    assert report.rejected == 1 and report.imported == 0
    assert report.rejects[0].reason.startswith("suppressed (forgotten)")
