"""``mailer backend check`` and ``send-test`` against a real aiosmtpd server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from http_fakes import FakeMailgun, FakePostmark, FakeSendGrid
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


@pytest.mark.parametrize(
    "fake,url,said",
    [
        (FakeSendGrid, "sendgrid://{key}@?base_url={base}", "the key may send mail"),
        (FakeMailgun, "mailgun://{key}@mg.example.org?base_url={base}", "is active"),
        (FakePostmark, "postmark://{key}@?base_url={base}", "server 'ODEI newsletters'"),
    ],
)
def test_check_api_keys(cli_settings: Settings, fake: type, url: str, said: str) -> None:
    with fake() as api:
        good = url.format(key=api.key, base=api.url)
        ok = CliRunner().invoke(command, ["check", "--url", good])
        assert ok.exit_code == 0, ok.output
        assert said in ok.output and api.key not in ok.output
        bad = CliRunner().invoke(command, ["check", "--url", url.format(key="wrong", base=api.url)])
        assert bad.exit_code == 1
        assert "refused the key" in bad.output
        assert all(r.method == "GET" for r in api.requests)  # nothing was sent


def test_check_names_missing_rights(cli_settings: Settings) -> None:
    with FakeSendGrid() as sendgrid:
        sendgrid.scopes = ["user.profile.read"]
        url = f"sendgrid://{sendgrid.key}@?base_url={sendgrid.url}"
        result = CliRunner().invoke(command, ["check", "--url", url])
        assert result.exit_code == 1
        assert "lacks the mail.send permission" in result.output
    with FakeMailgun() as mailgun:
        mailgun.state = "unverified"
        url = f"mailgun://{mailgun.key}@mg.example.org?base_url={mailgun.url}"
        result = CliRunner().invoke(command, ["check", "--url", url])
        assert result.exit_code == 1
        assert "'mg.example.org' is 'unverified', not active" in result.output
