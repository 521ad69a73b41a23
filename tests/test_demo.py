"""`mailer demo` end to end, as a newcomer runs it: one message per confirmed reader, twice safe."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import mailbox
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.demo import NEWS, SUBSCRIBERS

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, db_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MAILER_DATABASE_URL": db_url,
        "MAILER_BACKEND": f"maildir:{cwd / 'outbox'}",
        "MAILER_SECRET_KEY": "demo-test-secret",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_delivers_one_message_per_confirmed_subscriber_and_never_twice(
    db_url: str, tmp_path: Path
) -> None:
    first = _run(["demo"], tmp_path, db_url)
    assert first.returncode == 0, first.stderr
    confirmed = [email for _, email, status in SUBSCRIBERS if status == "confirmed"]
    box = mailbox.Maildir(tmp_path / "outbox", create=False)
    assert len(box) == len(confirmed)
    recipients = []
    for key in box.iterkeys():
        with box.get_file(key) as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        for header in (
            "Date",
            "Message-ID",
            "List-Id",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
        ):
            assert msg[header], header
        recipients.append(msg["To"].addresses[0].addr_spec)
    assert len(set(recipients)) == len(confirmed)
    assert "sofia.ramirez@xn--correo-mdico-ieb.example" in recipients
    assert "Edition" in first.stdout and "outbox" in first.stdout
    preview = next((tmp_path / "preview").glob("*.html"))
    assert "Sample Reader" in preview.read_text(encoding="utf-8")

    second = _run(["demo"], tmp_path, db_url)
    assert second.returncode == 0, second.stderr
    assert "not sent twice" in second.stdout
    assert len(mailbox.Maildir(tmp_path / "outbox", create=False)) == len(confirmed)

    listing = _run(["subscribers", "list", "--list", "odei-weekly"], tmp_path, db_url)
    if listing.returncode == 0:
        assert listing.stdout.count("@") >= len(confirmed)


def _edition(cwd: Path) -> tuple[str, str]:
    """Subject and text part of the first message the demo delivered."""
    box = mailbox.Maildir(cwd / "outbox", create=False)
    key = next(box.iterkeys())
    with box.get_file(key) as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",))
    assert text is not None
    return str(msg["Subject"]), text.get_content()


@pytest.mark.parametrize(
    ("day", "lead"),
    [
        # Wednesday: the UN day is tomorrow; Hanukkah (from December 5) is coming up.
        ("2026-12-02", "International Day of Persons with"),
        # Ramadan 1448 began on February 8.
        ("2027-02-10", "Ramadan"),
        # The last days of Ramadan, but Women's History Month is what began this week.
        ("2027-03-05", "Women's History Month"),
        ("2027-06-15", "Ashura"),
        ("2027-09-20", "National Hispanic Heritage Month"),
        # A quiet August week: nothing to feature (two days are coming up), and no
        # stale news to fill the subject with.
        ("2027-08-16", ""),
    ],
)
def test_the_demo_fits_the_day_it_runs(db_url: str, tmp_path: Path, day: str, lead: str) -> None:
    result = _run(["demo", "--date", day], tmp_path, db_url)
    assert result.returncode == 0, result.stderr
    subject, text = _edition(tmp_path)
    when = dt.date.fromisoformat(day)
    dated = f"ODEI Weekly — {when:%B} {when.day}, {when.year}"
    assert subject.startswith(f"{dated}: {lead}") if lead else subject == dated
    # The home page's news are from early 2024: in the archive, not this week's digest.
    for _, title, _, _ in NEWS:
        assert title not in subject and title not in text
    if when.month == 12:
        assert "Ramadan" not in subject and "Ramadan" not in text
    # The demo's events are dated from the day it runs.
    assert f"{(when + dt.timedelta(days=2)):%A, %B} {(when + dt.timedelta(days=2)).day}" in text


def test_demo_date_must_be_a_date(db_url: str, tmp_path: Path) -> None:
    result = _run(["demo", "--date", "2026-13-01"], tmp_path, db_url)
    assert result.returncode == 2
    assert "--date" in result.stderr and "YYYY-MM-DD" in result.stderr
