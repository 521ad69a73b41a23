"""A confirmation mail that cannot be sent is said on the page and recorded (issue 13).

The outbox is a real Maildir whose folder cannot be created (its parent is a
file), so the real backend fails the way an unwritable or full outbox does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_list

from mailer.config import Settings
from mailer.db import AuditLog
from mailer.web import create_app
from subscribers.models import Subscriber, Subscription

pytest_plugins = ["web_fixtures"]


@pytest.fixture
def broken_outbox_client(web_settings: Settings, tmp_path: Path) -> Iterator[WebClient]:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox's parent folder should be\n")
    app: Flask = create_app(web_settings.replace(backend=f"maildir:{blocker / 'outbox'}"))
    app.test_client_class = WebClient
    client = app.test_client()
    assert isinstance(client, WebClient)
    yield client
    app.extensions["mailer.engine"].dispose()


def _subscribe(client: WebClient, email: str) -> tuple[int, str]:
    r = client.post(
        "/subscribe",
        data={
            "csrf_token": client.token("/subscribe"),
            "name": "Victora Brings",
            "email": email,
            "mailing_list": "odei-weekly",
        },
    )
    return r.status_code, r.get_data(as_text=True)


def test_a_confirmation_that_cannot_be_sent_is_said_and_recorded(
    broken_outbox_client: WebClient,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with session_factory() as s:
        add_list(s, double_opt_in=True)
        s.commit()
    with caplog.at_level(logging.ERROR, logger="mailer.web.integration"):
        status, page = _subscribe(broken_outbox_client, "victora@wustl.example")
    assert status == 503
    assert "Check your inbox" not in page
    assert "could not send" in page
    with session_factory() as s:
        # The request itself is kept (the reader can try again; the admin can resend).
        person = s.scalar(select(Subscriber).where(Subscriber.email == "victora@wustl.example"))
        assert person is not None
        assert s.scalar(select(Subscription.status)) == "pending"
        failed = list(s.scalars(select(AuditLog).where(AuditLog.action == "mail.failed")))
    assert len(failed) == 1
    assert failed[0].target == f"subscriber:{person.id}"
    assert failed[0].detail["kind"] == "confirm" and failed[0].detail["list"] == "odei-weekly"
    assert (
        "Not a directory" in failed[0].detail["error"]
        or "not-a-folder" in failed[0].detail["error"]
    )
    assert any("could not send the confirm mail" in r.getMessage() for r in caplog.records)


def test_the_api_says_the_mail_failed(
    broken_outbox_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    from mailer import auth

    with session_factory() as s:
        add_list(s, double_opt_in=True)
        user = auth.create_user(s, "ada.admin@example.org", "a long admin passphrase", "admin")
        token = auth.issue_api_token(user)
        s.commit()
    r = broken_outbox_client.post(
        "/api/v1/subscribe",
        json={"list": "odei-weekly", "email": "victora@wustl.example"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.get_json() == {"result": "confirm_sent", "mail_failed": True}
    with session_factory() as s:
        assert s.scalar(select(AuditLog.target).where(AuditLog.action == "mail.failed"))


def test_a_working_outbox_still_says_check_your_inbox(
    client: WebClient, session_factory: sessionmaker[Session], outbox: Path
) -> None:
    with session_factory() as s:
        add_list(s, double_opt_in=True)
        s.commit()
    status, page = _subscribe(client, "victora@wustl.example")
    assert status == 200 and "Check your inbox" in page
    with session_factory() as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "mail.failed")) is None
