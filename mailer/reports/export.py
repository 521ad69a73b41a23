"""Every report as CSV, written through the spreadsheet-formula guard (subscribers.csvsafe).

A subject or a link is text someone else chose: a cell starting with ``=`` must not
become a formula in the office's spreadsheet.
"""

from __future__ import annotations

import io

from mailer.reports.campaign import COUNTS, CampaignReport
from mailer.reports.health import ListHealth
from subscribers.csvsafe import SafeWriter


def campaign_csv(report: CampaignReport) -> str:
    out = io.StringIO()
    w = SafeWriter(out)
    w.writerow(["measure", "count", "rate"])
    data = report.to_json()
    rates = report.rates
    for key in COUNTS:
        rate = rates.get(key)
        w.writerow([key, data[key], "" if rate is None else f"{rate:.6f}"])
    w.writerow(["clicks", report.clicks_total, ""])
    w.writerow(["readers who clicked", report.clicks_unique, ""])
    if report.opens_tracked or report.opens_total:
        w.writerow(["opens (upper bound)", report.opens_total, ""])
        w.writerow(["readers whose mail was opened", report.opens_unique, ""])
    if report.links:
        w.writerow([])
        w.writerow(["link", "clicks", "readers who clicked"])
        for link in report.links:
            w.writerow([link.url, link.total, link.unique])
    return out.getvalue()


def health_csv(health: ListHealth) -> str:
    out = io.StringIO()
    w = SafeWriter(out)
    sources = sorted(health.joined_by_source)
    w.writerow(
        ["week starting", "subscribers", "joined", "left", *(f"joined ({s})" for s in sources)]
    )
    for week in health.weeks:
        w.writerow(
            [
                week.start.isoformat(),
                week.subscribers,
                week.joined,
                week.left,
                *(week.by_source.get(s, 0) for s in sources),
            ]
        )
    w.writerow([])
    w.writerow(
        [
            "campaign",
            "subject",
            "started",
            "sent",
            "bounce rate",
            "hard-bounce rate",
            "complaint rate",
            "warnings",
        ]
    )
    for send in health.sends:
        w.writerow(
            [
                send.id,
                send.subject,
                send.started_at.isoformat() if send.started_at else "",
                send.sent,
                f"{send.share(send.bounced):.6f}",
                f"{send.share(send.hard_bounced):.6f}",
                f"{send.rate(send.complained):.6f}",
                "; ".join(send.warnings),
            ]
        )
    return out.getvalue()
