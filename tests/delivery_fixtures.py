"""Helpers for the send-engine tests: Maildir tallies and worker subprocesses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.delivery.models import Delivery

_TO = re.compile(rb"^To: .*?<([^>]+)>", re.MULTILINE)
_MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE)


def received(maildir: Path) -> Counter[str]:
    """How many messages each address found in the Maildir (only complete, delivered files)."""
    counts: Counter[str] = Counter()
    new = maildir / "new"
    if not new.exists():
        return counts
    for entry in os.scandir(new):
        with open(entry.path, "rb") as fh:
            head = fh.read(4096)
        match = _TO.search(head)
        assert match, f"{entry.path} has no To header"
        counts[match.group(1).decode()] += 1
    return counts


def message_ids(maildir: Path) -> dict[str, set[str]]:
    """Each address's Message-IDs among the delivered files (one, however many copies)."""
    ids: dict[str, set[str]] = {}
    for entry in os.scandir(maildir / "new"):
        with open(entry.path, "rb") as fh:
            head = fh.read(4096)
        to, mid = _TO.search(head), _MESSAGE_ID.search(head)
        assert to and mid, f"{entry.path} lacks To or Message-ID"
        ids.setdefault(to.group(1).decode(), set()).add(mid.group(1).decode())
    return ids


def delivered_files(maildir: Path) -> int:
    try:
        return len(os.listdir(maildir / "new"))
    except FileNotFoundError:
        return 0


def worker_process(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """`python -m mailer worker --once` in its own process, as an operator would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "mailer", "worker", "--once", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def statuses(session: Session, campaign_id: int) -> dict[str, int]:
    return dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.campaign_id == campaign_id)
            .group_by(Delivery.status)
        ).all()
    )


def assert_counts_add_up(session: Session, campaign_id: int) -> dict[str, int]:
    """The counting rule: sent + failed + bounced + skipped + queued + sending = recipients,
    and the campaign's counters agree with its rows. Returns the rows by status."""
    from mailer.delivery.models import Campaign

    session.expire_all()
    rows = statuses(session, campaign_id)
    camp = session.get(Campaign, campaign_id)
    assert camp is not None
    assert sum(rows.values()) == camp.total_count, (rows, camp.total_count)
    assert camp.sent_count == rows.get("sent", 0), (rows, camp.sent_count)
    assert camp.failed_count == rows.get("failed", 0) + rows.get("bounced", 0), rows
    assert camp.skipped_count == rows.get("skipped", 0), (rows, camp.skipped_count)
    return rows
