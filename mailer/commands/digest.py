"""`mailer digest`: build and send a list's weekly edition."""

from __future__ import annotations

import click

from mailer.cli_support import (
    console,
    get_list,
    needs_schema,
    parse_day,
    session_factory,
    settings,
)
from mailer.db import session_scope
from mailer.delivery import campaigns
from mailer.delivery.models import CampaignStatus
from subscribers import lists


@click.group("digest")
def command() -> None:
    """Preview, check and send the weekly digest of a list."""


@command.command("send")
@click.option("--list", "slug", required=True, help="The list's slug.")
@click.option(
    "--date",
    "date_",
    default=None,
    help="Edition date YYYY-MM-DD in the list's time zone (default: today there).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Send even when the edition has no content or `mailer digest check` finds errors in it.",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help=(
        "Deliver now in this process with a progress bar (sent, failed, rate, time left) "
        "until the campaign is done, paused or cancelled; or leave it to `mailer worker`."
    ),
)
@needs_schema
def send(slug: str, date_: str | None, force: bool, wait: bool) -> None:
    """Create this week's edition of a list (once) and send it to its confirmed subscribers.

    The edition of a week is created only once (its key is the list and the
    ISO week): running this again for the same week resumes delivery of the
    existing edition and never sends anyone a second copy.

    The edition is checked as `mailer digest check` does; with errors it is
    not sent but recorded as blocked (shown in the console, mailed to the
    admins) and this command exits 1. Running it again after fixing the
    cause renders the blocked edition anew and sends it if it passes;
    --force sends it despite the errors.
    """
    s = settings()
    factory = session_factory(s)
    with session_scope(factory) as session:
        mailing_list = get_list(session, slug)
        on = parse_day(date_) or lists.list_today(mailing_list, default=s.default_timezone)
        outcome = campaigns.create_digest(session, mailing_list, on, s, force=force)
        if outcome.campaign is None:
            console.print(f"[yellow]{outcome.reason}[/yellow]")
            return
        campaign = outcome.campaign
        if outcome.blocked:
            pass  # reported below, once the blocked edition is committed
        elif outcome.created:
            console.print(f"Created edition {campaign.edition_key}: {campaign.subject!r}")
        else:
            console.print(outcome.reason)
        if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            added = campaigns.start(session, campaign, actor="cli")
            console.print(f"Queued {added} recipients.")
        campaign_id, status, why = campaign.id, campaign.status, campaign.status_reason
        key = campaign.edition_key
    if status == CampaignStatus.BLOCKED:
        console.print(
            f"[red]Edition {key} (campaign {campaign_id}) is blocked; nothing sent.[/red]"
        )
        console.print(why, markup=False, highlight=False)
        console.print("Fix the cause and run this again, or add --force to send it anyway.")
        raise SystemExit(1)
    if status != CampaignStatus.SENDING:
        # A skipped week says why (e.g. the scheduler was down past the grace).
        why = f": {why}" if why else ""
        console.print(f"Campaign {campaign_id} is {status}{why}; nothing to send.", markup=False)
        return
    if wait:
        from mailer.commands.worker import deliver_with_progress

        final = deliver_with_progress(factory, s, campaign_id)
        if final in (CampaignStatus.PAUSED, CampaignStatus.CANCELLED, CampaignStatus.FAILED):
            raise SystemExit(1)
    else:
        console.print(f"Campaign {campaign_id} queued; run `mailer worker` to deliver it.")
