"""Whether an edition may go out: the findings that block a send.

A digest goes out unattended, so ``mailer digest check``, ``mailer digest
send`` and the scheduler ask the same question here. Two parts:

- the edition's own snapshot, checked as it will be sent
  (:func:`mailer.compose.checks.check_snapshot`);
- the *maximal sample* (:func:`mailer.compose.samples.maximal_edition`: a
  feature, news, events with a "more events" link, announcements and the
  coming-up list), rendered with the list's templates, so a template error
  inside a section that happens to be empty this week is caught now rather
  than in the week that section fills.

Any finding of level ``error`` blocks the send unless forced.
"""

from __future__ import annotations

from mailer.compose.checks import Finding, check_snapshot
from mailer.compose.render import TemplateProblem, render_digest
from mailer.compose.samples import maximal_edition
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from subscribers.models import MailingList

#: The sample shows this many events, so its "N more events" link is rendered too.
SAMPLE_EVENTS_SHOWN = 8


def sample_findings(mailing_list: MailingList, settings: Settings) -> list[Finding]:
    """Errors of the maximal sample rendered with this list's templates and settings.

    Only with an office's own templates (``templates_dir``): the built-in ones
    render the maximal sample without findings, which the test suite holds
    (tests/test_compose_checks.py), so rendering it again would only cost time.
    """
    if not settings.templates_dir:
        return []
    sample = maximal_edition(mailing_list.id or 0, mailing_list.slug)
    try:
        snapshot = render_digest(
            sample, mailing_list, settings.replace(events_limit=SAMPLE_EVENTS_SHOWN)
        )
    except TemplateProblem as exc:
        return [Finding("error", "template", f"the maximal sample edition does not render: {exc}")]
    return [
        Finding("error", f.rule, f"maximal sample edition: {f.message}")
        for f in check_snapshot(snapshot)
        if f.level == "error"
    ]


def edition_findings(
    snapshot: Snapshot, mailing_list: MailingList, settings: Settings
) -> list[Finding]:
    """Every finding of the edition, then the errors of the maximal sample."""
    findings = check_snapshot(snapshot) + sample_findings(mailing_list, settings)
    return sorted(findings, key=lambda f: f.level != "error")


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == "error"]
