"""`mailer subscribers add|list|show|forget` against a real database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.commands.subscribers import command
from mailer.config import Settings
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.suppression import address_hash


def _weekly(session: Session) -> MailingList:
    ml = MailingList(slug="weekly", name="ODEI Weekly")
    session.add(ml)
    session.commit()
    return ml


def test_add_twice_is_idempotent_and_list_shows_it(session: Session, settings: Settings) -> None:
    _weekly(session)
    runner = CliRunner()
    args = ["add", "Ana.Ruiz@WUSTL.example", "--list", "weekly", "--name", "Ana Ruiz"]
    for _ in range(2):
        result = runner.invoke(command, [*args, "--confirmed"])
        assert result.exit_code == 0, result.output
        assert "Ana.Ruiz@wustl.example is confirmed on weekly" in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
    assert session.scalar(select(func.count()).select_from(Subscription)) == 1
    session.rollback()  # end the read: SQLite writers take the lock at BEGIN
    listed = runner.invoke(command, ["list", "--list", "weekly"])
    assert listed.exit_code == 0, listed.output
    assert "Ana.Ruiz@wustl.example" in listed.output and "confirmed" in listed.output
    shown = runner.invoke(command, ["show", "Ana.Ruiz@wustl.example"])
    assert shown.exit_code == 0 and "weekly" in shown.output


def test_add_without_confirmed_is_pending(session: Session, settings: Settings) -> None:
    _weekly(session)
    result = CliRunner().invoke(command, ["add", "kofi@example.org", "--list", "weekly"])
    assert result.exit_code == 0 and "pending" in result.output


def test_unknown_list_and_bad_address_are_named(session: Session, settings: Settings) -> None:
    _weekly(session)
    runner = CliRunner()
    result = runner.invoke(command, ["add", "kofi@example.org", "--list", "nope"])
    assert result.exit_code == 2 and "no list with slug 'nope'" in result.output
    assert "weekly" in result.output
    result = runner.invoke(command, ["add", "not an address", "--list", "weekly"])
    assert result.exit_code == 2 and "EMAIL" in result.output


def test_add_refuses_unsubscribed_without_override(session: Session, settings: Settings) -> None:
    _weekly(session)
    runner = CliRunner()
    runner.invoke(command, ["add", "lee@example.org", "--list", "weekly", "--confirmed"])
    sub = session.scalar(select(Subscription))
    assert sub is not None
    sub.status = "unsubscribed"
    session.commit()
    refused = runner.invoke(command, ["add", "lee@example.org", "--list", "weekly", "--confirmed"])
    assert refused.exit_code == 1 and "unsubscribed from this list" in refused.output
    forced = runner.invoke(
        command,
        ["add", "lee@example.org", "--list", "weekly", "--confirmed", "--override-reason", "phone"],
    )
    assert forced.exit_code == 0 and "confirmed" in forced.output


def test_forget_keeps_only_a_hash(session: Session, settings: Settings) -> None:
    _weekly(session)
    runner = CliRunner()
    runner.invoke(command, ["add", "amara@example.org", "--list", "weekly", "--confirmed"])
    result = runner.invoke(command, ["forget", "amara@example.org", "--yes"])
    assert result.exit_code == 0 and "erased amara@example.org" in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert session.scalars(select(Suppression.address)).all() == [address_hash("amara@example.org")]
    session.rollback()
    again = runner.invoke(command, ["add", "Amara@example.org", "--list", "weekly"])
    assert again.exit_code == 1 and "suppressed (forgotten)" in again.output


def test_commands_on_an_empty_database_say_run_init(tmp_path: Path) -> None:
    from mailer.config import set_settings

    set_settings(Settings(database_url=f"sqlite:///{tmp_path}/empty.db", secret_key="k"))
    try:
        result = CliRunner().invoke(command, ["list", "--list", "weekly"])
    finally:
        set_settings(None)
    assert result.exit_code == 1 and "run `mailer init` first" in result.output
