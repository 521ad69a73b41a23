"""`mailer demo` end to end, as a newcomer runs it: one message per confirmed reader, twice safe."""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.demo import SUBSCRIBERS

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
