"""`mailer digest preview` and `mailer digest check` on a real database (SQLite, PostgreSQL)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from mailer.commands import digest_preview
from mailer.config import Settings, set_settings
from subscribers.models import MailingList


def _add_list(session: Session) -> None:
    session.add(
        MailingList(
            slug="odei-weekly",
            name="ODEI Weekly",
            description="news and events from the Office of Diversity, Equity and Inclusion",
            timezone="America/Chicago",
        )
    )
    session.commit()


def test_module_extends_the_digest_group() -> None:
    assert digest_preview.extends == "digest"
    assert [c.name for c in digest_preview.commands] == ["preview", "check"]
    for command in digest_preview.commands:
        assert "mailer digest " + command.name in (command.help or "")


def test_preview_writes_html_text_and_eml(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _add_list(session)
    out = tmp_path / "preview"
    result = CliRunner().invoke(
        digest_preview.preview,
        ["--list", "odei-weekly", "--date", "2025-03-03", "--sample", "demo", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "ODEI Weekly — March 3, 2025: Women’s History Month" in result.output
    html = (out / "odei-weekly-2025-03-03.html").read_text()
    text = (out / "odei-weekly-2025-03-03.txt").read_text()
    assert "Hello Sample Reader," in html and "Hello Sample Reader," in text
    assert "__MAILER_" not in html and "__MAILER_" not in text
    assert "https://news.example.org/u/" in html and "https://news.example.org/u/" in text
    message = email.message_from_bytes(
        (out / "odei-weekly-2025-03-03.eml").read_bytes(), policy=email.policy.default
    )
    assert message["Subject"] == "ODEI Weekly — March 3, 2025: Women’s History Month"
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert "Hello Sample Reader," in message.get_body(("plain",)).get_content()
    assert "<title>ODEI Weekly — March 3, 2025" in message.get_body(("html",)).get_content()


def test_check_passes_a_good_edition_and_fails_a_bad_one(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _add_list(session)
    runner = CliRunner()
    ok = runner.invoke(digest_preview.check, ["--list", "odei-weekly", "--sample", "maximal"])
    assert ok.exit_code == 0, ok.output
    assert "no errors" in ok.output

    # An office's footer override that drops the unsubscribe link must stop the send.
    (tmp_path / "tpl" / "partials").mkdir(parents=True)
    (tmp_path / "tpl" / "partials" / "_footer.html").write_text(
        '<tr><td class="footer"><p>{{ why }}</p>'
        '<p><img src="https://cdn.example.org/seal.png"></p></td></tr>\n'
    )
    set_settings(settings.replace(templates_dir=str(tmp_path / "tpl")))
    bad = runner.invoke(digest_preview.check, ["--list", "odei-weekly", "--sample", "demo"])
    assert bad.exit_code == 1, bad.output
    assert "unsubscribe" in bad.output and "img-alt" in bad.output
    assert "the digest has errors" in bad.output


def test_unknown_list_and_bad_date_are_explained(session: Session, settings: Settings) -> None:
    _add_list(session)
    runner = CliRunner()
    missing = runner.invoke(digest_preview.check, ["--list", "nope"])
    assert missing.exit_code == 1
    assert "no list with slug 'nope'; known lists: odei-weekly" in missing.output
    bad_date = runner.invoke(
        digest_preview.check, ["--list", "odei-weekly", "--date", "2025-13-01", "--sample", "demo"]
    )
    assert bad_date.exit_code == 2
    assert "is not a date; use YYYY-MM-DD" in bad_date.output


def test_template_problem_is_reported_with_file_and_line(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _add_list(session)
    (tmp_path / "digest.txt").write_text(
        "{% extends 'base.txt' %}\n{% block content %}\n{{ oops }}\n{% endblock %}\n"
    )
    set_settings(settings.replace(templates_dir=str(tmp_path)))
    result = CliRunner().invoke(digest_preview.check, ["--list", "odei-weekly", "--sample", "demo"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'digest.txt'}, line 3" in result.output
    assert "'oops' is undefined" in result.output


def test_preview_open_hands_the_html_to_the_users_browser(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    _add_list(session)
    opened = tmp_path / "opened.txt"
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    env = {
        **os.environ,
        "MAILER_CONFIG": str(empty),
        "MAILER_DATABASE_URL": settings.database_url,
        "MAILER_BASE_URL": settings.base_url,
        "MAILER_SECRET_KEY": settings.secret_key,
        # Python's webbrowser runs $BROWSER with the URL in place of %s.
        "BROWSER": f"/bin/sh -c 'printf %s \"$0\" > {opened}' %s",
    }
    code = (
        "import sys; from mailer.commands.digest_preview import preview; "
        "preview(prog_name='mailer digest preview')"
    )
    args = ["--list", "odei-weekly", "--sample", "demo", "--date", "2025-03-03"]
    result = subprocess.run(
        [sys.executable, "-c", code, *args, "--out", str(tmp_path / "out"), "--open"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    html = tmp_path / "out" / "odei-weekly-2025-03-03.html"
    assert opened.read_text() == html.resolve().as_uri()


def test_once_the_weeks_campaign_exists_its_stored_snapshot_is_what_is_checked(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    import datetime as dt

    from sqlalchemy import select

    from mailer.delivery.models import Campaign, CampaignKind
    from tests.compose_helpers import demo_snapshot

    _add_list(session)
    mailing_list = session.scalar(select(MailingList))
    snap = demo_snapshot()
    stored_subject = "ODEI Weekly — March 3, 2025: as stored"
    session.add(
        Campaign(
            kind=CampaignKind.DIGEST,
            list_id=mailing_list.id,
            edition_key="odei-weekly:2025-W10",
            edition_date=dt.date(2025, 3, 3),
            subject=stored_subject,
            preheader=snap.preheader,
            html=snap.html.replace(snap.subject, stored_subject),
            text=snap.text,
            meta={"items": {}},
        )
    )
    session.commit()
    runner = CliRunner()
    # Wednesday of the same ISO week: the same edition.
    result = runner.invoke(digest_preview.check, ["--list", "odei-weekly", "--date", "2025-03-05"])
    assert result.exit_code == 0, result.output
    assert stored_subject in result.output and "stored campaign" in result.output
    out = tmp_path / "out"
    result = runner.invoke(
        digest_preview.preview,
        ["--list", "odei-weekly", "--date", "2025-03-03", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert f"<title>{stored_subject}</title>" in (out / "odei-weekly-2025-03-03.html").read_text()
    # Sunday is still that week; the next Monday starts a new edition.
    assert digest_preview.stored_snapshot(session, mailing_list, dt.date(2025, 3, 9)) is not None
    assert digest_preview.stored_snapshot(session, mailing_list, dt.date(2025, 3, 10)) is None
