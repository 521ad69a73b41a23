"""``mailer backend check`` and ``send-test`` against a real aiosmtpd server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_server import SmtpFaultServer

from mailer.commands.backend import command
from mailer.config import Settings, set_settings
from mailer.delivery.verp import parse_verp


@pytest.fixture
def cli_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings without a database: these commands never touch one."""
    s = Settings(secret_key="cli-test-secret", backend="maildir:" + str(tmp_path / "outbox"))
    set_settings(s)
    yield s
    set_settings(None)


def test_check_ok_and_wrong_password(cli_settings: Settings) -> None:
    with SmtpFaultServer(auth=("odei", "secret")) as server:
        ok = CliRunner().invoke(command, ["check", "--url", server.url(userinfo="odei:secret")])
        assert ok.exit_code == 0, ok.output
        assert "OK: smtp://***@127.0.0.1" in ok.output
        assert "secret" not in ok.output
        bad = CliRunner().invoke(command, ["check", "--url", server.url(userinfo="odei:nope")])
        assert bad.exit_code == 1
        assert "refused the login of 'odei'" in bad.output
        assert server.received == []


def test_send_test_uses_a_verp_envelope(cli_settings: Settings) -> None:
    with SmtpFaultServer() as server:
        result = CliRunner().invoke(
            command, ["send-test", "admin@example.org", "--url", server.url()]
        )
        assert result.exit_code == 0, result.output
        assert result.output.startswith("sent: 250")
        (got,) = server.received
        assert got.rcpt_tos == ["admin@example.org"]
        assert parse_verp("cli-test-secret", got.mail_from) == 0
        assert b"Subject: ODEI mailer: test message" in got.data


def test_send_test_reports_a_refusal(cli_settings: Settings) -> None:
    with SmtpFaultServer() as server:
        server.script_rcpt("nobody@example.org", "550 5.1.1 No such user")
        result = CliRunner().invoke(
            command, ["send-test", "nobody@example.org", "--url", server.url()]
        )
        assert result.exit_code == 1
        assert "hard_bounce: 550 5.1.1 No such user" in result.output
