"""`mailer scheduler`: run the schedule (digests, announcements, ingest, bounces)."""

from __future__ import annotations

import logging

import click

from mailer.cli_support import needs_schema, settings


@click.command("scheduler")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Do not send in this process; leave delivery to `mailer worker` processes "
    "(default from MAILER_RUN_WORKERS_IN_SCHEDULER).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every job run, not only changes.")
@needs_schema
def command(no_worker: bool, verbose: bool) -> None:
    """Run the scheduler until SIGTERM or Ctrl-C.

    Jobs: ingest every source hourly; each list's weekly digest at its day and
    time in the list's time zone; each approved standalone announcement at its
    time; the bounce mailbox every 10 minutes (when MAILER_BOUNCE_MAILBOX is
    set). Changes to lists and announcements are picked up within
    MAILER_SCHEDULER_RECONCILE_SECONDS, without a restart.

    Only one scheduler is active per database: start a second one (on another
    machine, say) and it waits as a standby until the first stops. A digest
    missed while no scheduler ran is sent on start if at most
    MAILER_DIGEST_GRACE_HOURS late, and otherwise recorded as skipped.

    SIGTERM lets running jobs finish and the in-process worker complete its
    batch; whatever is left is resumed by the next scheduler or worker.

    \b
    Example:
      mailer scheduler              # schedule and send
      mailer scheduler --no-worker  # schedule; `mailer worker` processes send
    """
    from mailer.scheduling import runner

    s = settings()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    with_worker = False if no_worker else s.run_workers_in_scheduler
    raise SystemExit(runner.run(s, with_worker=with_worker))
