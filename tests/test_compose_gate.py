"""A `digest check` error blocks the send (CLI and scheduler) unless forced; it is recorded,
shown in the console and mailed to the admins. The check renders the maximal sample too."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import mailbox
import re
from pathlib import Path

import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient

from mailer.cli import cli
from mailer.config import Settings, set_settings
from mailer.delivery.models import Campaign, CampaignStatus, Delivery
from mailer.scheduling.digests import run_digest
from mailer.users import User
from tests.schedule_fixtures import add_news, digest_list

pytest_plugins = ["web_fixtures"]

# An office's events partial with a typo inside the loop: harmless while no events come.
BROKEN_EVENTS = (
    '{% if edition.events %}<tr><td class="card"><h2>Events</h2>\n'
    "{% for event in edition.events %}\n"
    "<p>{{ event.title }} in {{ event.room_number }}</p>\n"
    "{% endfor %}</td></tr>{% endif %}\n"
)
# A footer without the unsubscribe link: every edition has an error.
NO_UNSUBSCRIBE_FOOTER = '<tr><td class="footer"><p>{{ why }}</p></td></tr>\n'


def _templates(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "office-templates"
    (folder / "partials").mkdir(parents=True, exist_ok=True)
    (folder / "partials" / name).write_text(text)
    return folder


def _flat(output: str) -> str:
    return re.sub(r"[\s│┃]+", "", output)


def _mail(outbox: Path) -> list[email.message.EmailMessage]:
    if not outbox.exists():
        return []
    box = mailbox.Maildir(outbox, create=False)
    return [
        email.message_from_bytes(box.get_bytes(k), policy=email.policy.default)  # type: ignore[misc]
        for k in sorted(box.keys(), key=lambda k: box.get_message(k).get_date())
    ]


def test_check_renders_the_maximal_sample_so_an_error_in_an_empty_section_fails(
    session: Session, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    digest_list(session, slug="weekly")
    add_news(session, dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC))  # news, but no events
    session.commit()
    folder = _templates(tmp_path, "_events.html", BROKEN_EVENTS)
    env = {**cli_env, "MAILER_TEMPLATES_DIR": str(folder)}
    result = CliRunner(env=env).invoke(
        cli, ["digest", "check", "--list", "weekly", "--date", "2025-03-03"]
    )
    assert result.exit_code == 1, result.output
    flat = _flat(result.output)  # the findings table wraps long lines
    assert "maximalsample" in flat and "_events.html" in flat and "room_number" in flat


def test_a_blocked_send_is_recorded_shown_mailed_and_forced(
    session: Session,
    settings: Settings,
    cli_env: dict[str, str],
    tmp_path: Path,
    outbox: Path,
    admin_client: WebClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    make_user("sam.staff@example.org", "staff")
    ml = digest_list(session, slug="weekly", readers=3)
    add_news(session, dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC))
    session.commit()
    folder = _templates(tmp_path, "_events.html", BROKEN_EVENTS)
    runner = CliRunner(env={**cli_env, "MAILER_TEMPLATES_DIR": str(folder)})
    send = ["digest", "send", "--list", "weekly", "--date", "2025-03-03", "--no-wait"]

    first = runner.invoke(cli, send)
    assert first.exit_code == 1, first.output
    assert "is blocked; nothing sent" in first.output and "room_number" in first.output
    session.expire_all()
    [campaign] = session.scalars(select(Campaign)).all()
    assert campaign.status == CampaignStatus.BLOCKED and campaign.list_id == ml.id
    assert "maximal sample" in campaign.status_reason and "_events.html" in campaign.status_reason
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    campaign_id = campaign.id
    session.rollback()  # SQLite: every transaction holds the write lock
    # Mailed to the admin only, through the configured backend (the Maildir here).
    [notice] = _mail(outbox)
    assert notice["To"] == "Ada Admin <ada.admin@example.org>"
    assert notice["Subject"] == "Digest blocked: ODEI Weekly, 2025-03-03"
    body = notice.get_content()
    assert "room_number" in body and f"/admin/campaigns/{campaign_id}" in body
    assert "--force" in body

    # The console shows it, with its reasons.
    listing = admin_client.get("/admin/campaigns/").get_data(as_text=True)
    assert "blocked" in listing and "room_number" in listing
    page = admin_client.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Blocked: not sent" in page and "room_number" in page

    # Asking again without a fix: still blocked, no second mail to the admins.
    again = runner.invoke(cli, send)
    assert again.exit_code == 1 and len(_mail(outbox)) == 1

    # --force sends it despite the error.
    forced = runner.invoke(cli, [*send, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Queued 3 recipients" in forced.output
    session.expire_all()
    sent = session.get(Campaign, campaign_id)
    assert sent is not None and sent.status == CampaignStatus.SENDING
    assert sent.meta.get("forced") is True and sent.status_reason == ""
    assert session.scalar(select(func.count()).select_from(Delivery)) == 3
    session.rollback()


def test_the_scheduler_does_not_send_a_blocked_edition_and_a_fix_releases_it(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    cli_env: dict[str, str],
    tmp_path: Path,
    outbox: Path,
) -> None:
    session.add(User(email="ada.admin@example.org", name="Ada Admin", role="admin"))
    session.add(User(email="old.admin@example.org", name="Old Admin", role="admin", active=False))
    ml = digest_list(session, slug="weekly", readers=3)
    add_news(session, dt.datetime(2027, 3, 12, 15, tzinfo=dt.UTC))
    session.commit()
    folder = _templates(tmp_path, "_footer.html", NO_UNSUBSCRIBE_FOOTER)
    broken = settings.replace(templates_dir=str(folder))
    set_settings(broken)
    with time_machine.travel(dt.datetime(2027, 3, 15, 12, 0, 5, tzinfo=dt.UTC), tick=False):
        run = run_digest(session_factory, broken, ml.id)
        again = run_digest(session_factory, broken, ml.id)
    assert run.action == "blocked", run
    assert "unsubscribe" in run.reason
    assert again.action == "exists" and again.campaign_id == run.campaign_id
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    session.rollback()
    [notice] = _mail(outbox)
    assert notice["To"] == "Ada Admin <ada.admin@example.org>"
    assert "unsubscribe" in notice.get_content()

    # The office fixes its footer; a person sends the week's edition, checked anew.
    set_settings(settings)
    # `digest check` shows the edition as a send would now make it, not the blocked copy.
    checked = CliRunner(env=cli_env).invoke(
        cli, ["digest", "check", "--list", "weekly", "--date", "2027-03-15"]
    )
    assert checked.exit_code == 0, checked.output
    assert "rendered now" in checked.output
    result = CliRunner(env=cli_env).invoke(
        cli, ["digest", "send", "--list", "weekly", "--date", "2027-03-15", "--no-wait"]
    )
    assert result.exit_code == 0, result.output
    session.expire_all()
    campaign = session.get(Campaign, run.campaign_id)
    assert campaign is not None and campaign.status == CampaignStatus.SENDING
    assert (
        campaign.edition_key == f"list-{campaign.list_id}:2027-W11"
        and "forced" not in campaign.meta
    )
    assert session.scalar(select(func.count()).select_from(Delivery)) == 3


def test_an_edition_that_cannot_render_is_blocked_even_when_forced(
    session: Session, settings: Settings, cli_env: dict[str, str], tmp_path: Path, outbox: Path
) -> None:
    session.add(User(email="ada.admin@example.org", name="Ada Admin", role="admin"))
    digest_list(session, slug="weekly", readers=2)
    add_news(session, dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC))
    session.commit()
    broken_news = "{% for item in edition.news %}<p>{{ item.headline }}</p>{% endfor %}\n"
    folder = _templates(tmp_path, "_news.html", broken_news)
    runner = CliRunner(env={**cli_env, "MAILER_TEMPLATES_DIR": str(folder)})
    send = ["digest", "send", "--list", "weekly", "--date", "2025-03-03", "--no-wait"]
    for args in (send, [*send, "--force"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "is blocked" in result.output and "headline" in result.output
    [campaign] = session.scalars(select(Campaign)).all()
    assert campaign.status == CampaignStatus.BLOCKED and campaign.html == ""
    assert "_news.html, line 1" in campaign.status_reason
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    session.rollback()
    assert len(_mail(outbox)) == 1
