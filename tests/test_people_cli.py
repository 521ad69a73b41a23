"""Issue 13, item 9: the CLI does what the console does for subscribers and users, with
the same functions: `mailer subscribers add --attr/edit/search/bulk`, `mailer users role/
reset-link/revoke-sessions/tokens`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer import auth
from mailer.cli import cli
from mailer.config import Settings
from mailer.db import AuditLog
from mailer.users import ApiToken, User
from subscribers.models import MailingList, Subscriber, Subscription, Suppression

ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _env(cli_env: dict[str, str]) -> None:
    ENV.clear()
    ENV.update(cli_env)


def _run(*args: str) -> str:
    result = CliRunner(env=ENV).invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _fails(*args: str) -> str:
    result = CliRunner(env=ENV).invoke(cli, list(args))
    assert result.exit_code != 0, result.output
    return result.output


def _lists(session: Session) -> None:
    session.add_all(
        [MailingList(slug="weekly", name="ODEI Weekly"), MailingList(slug="rounds", name="GR")]
    )
    session.commit()


def test_add_with_attributes_then_edit_lists_name_and_status(
    session: Session, settings: Settings
) -> None:
    _lists(session)
    _run("subscribers", "add", "ana@wustl.example", "--list", "weekly", "--attr", "dept=Surgery")
    _run(
        "subscribers",
        "edit",
        "ANA@wustl.example",
        "--name",
        "Ana Ruiz",
        "--attr",
        "year=PGY-2",
        "--drop-attr",
        "dept",
        "--list",
        "weekly=confirmed",
        "--list",
        "rounds=pending",
    )
    session.expire_all()
    ana = session.scalar(select(Subscriber).where(Subscriber.email == "ana@wustl.example"))
    assert ana is not None and ana.name == "Ana Ruiz" and ana.attributes == {"year": "PGY-2"}
    states = {s.mailing_list.slug: (s.status, s.source) for s in ana.subscriptions}
    assert states == {"weekly": ("confirmed", "admin"), "rounds": ("pending", "admin")}
    session.commit()  # end the read (SQLite: every transaction holds the write lock)
    _run("subscribers", "edit", "ana@wustl.example", "--list", "weekly=unsubscribed")
    out = _fails("subscribers", "edit", "ana@wustl.example", "--list", "weekly=confirmed")
    assert "override reason" in out
    _run("subscribers", "edit", "ana@wustl.example", "--status", "blocklisted")
    session.expire_all()
    assert session.get(Subscriber, ana.id).status == "blocklisted"  # type: ignore[union-attr]
    actions = set(session.scalars(select(AuditLog.action)))
    assert "subscriber.update" in actions
    session.commit()
    assert "line 1 is not" in _fails("subscribers", "edit", "ana@wustl.example", "--attr", "bad")


def test_search_and_bulk_act_on_the_same_people(session: Session, settings: Settings) -> None:
    _lists(session)
    for email in ["ana@gmail.com", "kofi@gmail.com", "li@bjc.example"]:
        _run("subscribers", "add", email, "--list", "weekly", "--confirmed")
    found = _run("subscribers", "search", "--q", "@gmail.com")
    assert "2 found" in found and "ana@gmail.com" in found and "li@bjc" not in found
    assert "3 found" in _run("subscribers", "search", "--joined-from", "2000-01-01")
    assert "0 found" in _run("subscribers", "search", "--joined-to", "2000-01-01")
    _run("subscribers", "bulk", "add", "--q", "@gmail.com", "--target", "rounds", "--yes")
    _run("subscribers", "bulk", "suppress", "--q", "kofi", "--note", "asked", "--yes")
    session.expire_all()
    on_rounds = set(
        session.scalars(
            select(Subscriber.email)
            .join(Subscription)
            .join(MailingList)
            .where(MailingList.slug == "rounds")
        )
    )
    assert on_rounds == {"ana@gmail.com", "kofi@gmail.com"}
    assert (
        session.scalar(select(Suppression.reason).where(Suppression.address == "kofi@gmail.com"))
        == "manual"
    )
    session.commit()
    assert "target" in _fails("subscribers", "bulk", "unsubscribe", "--q", "x", "--yes")
    entries = session.scalars(
        select(AuditLog).where(AuditLog.action.like("subscribers.bulk.%"))
    ).all()
    assert [e.detail["changed"] for e in entries] == [2, 1]


def test_users_role_sessions_reset_link_and_tokens(
    session: Session, settings: Settings, outbox: Path
) -> None:
    user = auth.create_user(session, "sam@example.org", "correct horse battery", "staff", "Sam")
    version = user.session_version
    session.commit()
    _run("users", "role", "sam@example.org", "admin")
    _run("users", "revoke-sessions", "sam@example.org")
    session.expire_all()
    assert user.role == "admin" and user.session_version == version + 1
    session.commit()
    link = _run("users", "reset-link", "sam@example.org", "--print").strip()
    assert re.fullmatch(r"https://news\.example\.org/reset/\S+", link)
    _run("users", "reset-link", "sam@example.org")
    mails = list((outbox / "new").iterdir())
    assert len(mails) == 1 and "/reset/" in mails[0].read_text()
    token = _run("users", "tokens", "create", "sam@example.org", "nightly export").strip()
    assert token.startswith("mlr_")
    session.expire_all()
    assert auth.user_for_token(session, token) is not None
    row = session.scalar(select(ApiToken))
    assert row is not None and token not in row.token_hash
    row_id = row.id
    session.commit()
    listed = _run("users", "tokens", "list", "sam@example.org")
    assert "nightly export" in listed and token not in listed
    _run("users", "tokens", "revoke", "sam@example.org", str(row_id))
    session.expire_all()
    assert auth.user_for_token(session, token) is None
    session.commit()
    assert "no token" in _fails("users", "tokens", "revoke", "sam@example.org", str(row_id))
    assert "no user" in _fails("users", "role", "nobody@example.org", "staff")
    actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    for expected in [
        "user.update",
        "user.sessions.end",
        "user.reset_link",
        "user.token.create",
        "user.token.revoke",
    ]:
        assert expected in actions
    assert session.get(User, user.id) is not None
