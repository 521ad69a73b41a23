"""`mailer demo`: the whole pipeline on demo content, in one command."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import func, select

from mailer.cli_support import console, parse_day, session_factory, settings
from mailer.compose.snapshot import Snapshot
from mailer.db import migrate, session_scope
from mailer.delivery import campaigns
from mailer.delivery.models import CampaignStatus, Delivery, DeliveryStatus
from mailer.delivery.preview import write_preview
from mailer.delivery.variants import variant_snapshots
from mailer.demo import DIGEST_SLUG, ZONE, load_demo
from mailer.demo_topics import topic_names
from subscribers import lists


@click.command("demo")
@click.option(
    "--preview-dir",
    default="preview",
    show_default=True,
    help="Where to write the HTML preview of the edition.",
)
@click.option(
    "--date",
    "date_",
    default=None,
    metavar="YYYY-MM-DD",
    help="Run the demo as if today were this date (default: today in America/Chicago): "
    "the events are dated from it and the edition is the one of that day.",
)
def command(preview_dir: str, date_: str | None) -> None:
    """Set up demo lists, subscribers and content, and send this week's digest.

    Uses the configured database and backend (by default a SQLite file and the
    Maildir folder ./outbox). Run it again: nothing is added twice and the
    week's edition is not sent again. The edition leads with what is current
    that week (the observance calendar); the home page's 2024 news keep their
    own dates.
    """
    day = parse_day(date_)
    now = dt.datetime.combine(day, dt.time(12), ZoneInfo(ZONE)) if day else None
    s = settings()
    migrate(s.database_url)
    factory = session_factory(s)
    with session_scope(factory) as session:
        summary = load_demo(session, s, now=now)
    console.print(
        f"Demo data: {summary.lists} lists, {summary.subscribers} subscribers "
        f"({summary.confirmed} confirmed on {DIGEST_SLUG}), {summary.news} news items "
        f"(dated as on the home page), {summary.events} events, the office's Women's "
        "History Month text."
    )
    with session_scope(factory) as session:
        from mailer.cli_support import get_list

        weekly = get_list(session, DIGEST_SLUG)
        on = day or lists.list_today(weekly, default=s.default_timezone)
        outcome = campaigns.create_digest(session, weekly, on, s)
        if outcome.campaign is None:
            raise click.ClickException(outcome.reason)
        campaign = outcome.campaign
        if outcome.created:
            console.print(f"Built edition {campaign.edition_key}: {campaign.subject!r}")
            variants = variant_snapshots(session, campaign.id)
            if variants:
                console.print(
                    f"Readers chose topics ({', '.join(topic_names(session, weekly.id))}): "
                    f"rendered once for everything and once for each of {len(variants)} "
                    "topic sets in use, not per reader."
                )
        else:
            console.print(f"Edition {campaign.edition_key} exists already; it is not sent twice.")
        if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            campaigns.start(session, campaign, actor="demo")
        campaign_id, status = campaign.id, campaign.status
        snapshot = Snapshot(campaign.subject, campaign.preheader, campaign.html, campaign.text)
        preview = write_preview(
            snapshot,
            weekly,
            s,
            Path(preview_dir),
            campaign.edition_key.replace(":", "_"),
            campaign_id=campaign.id,
        ).html
    if status == CampaignStatus.SENDING:
        from mailer.commands.worker import deliver_with_progress

        deliver_with_progress(factory, s, campaign_id)
    with session_scope(factory) as session:
        sent = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.SENT)
        )
    console.print()
    console.print(f"[bold]Edition {campaign_id}[/bold]: {sent} messages delivered.")
    if s.backend.startswith("maildir:"):
        folder = Path(s.backend.split(":", 1)[1]).resolve()
        count = len(mailbox.Maildir(folder, create=True))
        console.print(f"  Messages (Maildir):  {folder / 'new'}  ({count} in the outbox)")
        console.print(f"  Read one:            mutt -f {folder}   or   ls {folder / 'new'}")
    console.print(f"  HTML preview:        {preview.resolve()}")
    console.print(
        f"  Text and .eml:       {preview.with_suffix('.txt').resolve()}, "
        f"{preview.with_suffix('.eml').name}"
    )
    console.print("  Campaigns:           mailer campaigns list")
