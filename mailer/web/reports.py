"""Report pages: a campaign's outcome, a list's health, and their CSV downloads.

For staff and admins (read-only numbers, no reader named). The numbers come from
``mailer.reports`` (the CLI and the JSON API call the same functions); the charts
are SVG made on the server (``mailer.reports.charts``) with the same numbers in a
table beside each.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template
from sqlalchemy import select

from mailer.reports import charts
from mailer.reports.campaign import (
    COMPLAINT_LIMIT,
    COMPLAINT_WARN,
    HARD_BOUNCE_WARN,
    CampaignReport,
    campaign_report,
)
from mailer.reports.export import campaign_csv, health_csv
from mailer.reports.health import ListHealth, list_health
from mailer.web.blueprints import reports_bp as bp
from mailer.web.db import db
from subscribers.models import MailingList


def _report(campaign_id: int) -> CampaignReport:
    found = campaign_report(db(), campaign_id)
    if found is None:
        abort(404)
    return found


def _list(list_id: int) -> MailingList:
    mailing_list = db().get(MailingList, list_id)
    if mailing_list is None:
        abort(404)
    return mailing_list


def _csv(body: str, name: str) -> Response:
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def campaign_charts(report: CampaignReport) -> dict[str, Any]:
    outcome = [
        ("Delivered", report.delivered),
        ("Bounced", report.bounced),
        ("Complained", report.complained),
        ("Unsubscribed", report.unsubscribed),
    ]
    if report.clicks_tracked or report.clicks_total:
        outcome.append(("Clicked", report.clicks_unique))
    chart = charts.bar_chart(
        "What happened to this send",
        [name for name, _ in outcome],
        [charts.Series("Readers", [n for _, n in outcome])],
        desc=", ".join(f"{name}: {n}" for name, n in outcome),
    )
    links = None
    if report.links:
        top = report.links[:10]
        links = charts.bar_chart(
            "Clicks per link",
            [f"Link {i + 1}" for i in range(len(top))],
            [
                charts.Series("Clicks", [link.total for link in top]),
                charts.Series("Readers who clicked", [link.unique for link in top]),
            ],
            desc="; ".join(f"link {i + 1} {link.url}: {link.total}" for i, link in enumerate(top)),
        )
    return {"outcome": outcome, "outcome_chart": chart, "links_chart": links}


def health_charts(health: ListHealth) -> dict[str, Any]:
    weeks = [w.start.strftime("%b %-d") for w in health.weeks]
    sends = [s.started_at.strftime("%b %-d") if s.started_at else str(s.id) for s in health.sends]
    return {
        "subscribers": charts.line_chart(
            "Confirmed subscribers at the end of each week",
            weeks,
            [w.subscribers for w in health.weeks],
            name="Subscribers",
        ),
        "movement": charts.bar_chart(
            "Readers who joined and left, per week",
            weeks,
            [
                charts.Series("Joined", [w.joined for w in health.weeks]),
                charts.Series("Left", [w.left for w in health.weeks]),
            ],
        ),
        "complaints": charts.bar_chart(
            "Complaint rate per send",
            sends,
            [charts.Series("Complaint rate", [s.rate(s.complained) for s in health.sends])],
            fmt=charts.percent,
            thresholds=[
                charts.Threshold(COMPLAINT_WARN, "0.1%: keep under", "6 4"),
                charts.Threshold(COMPLAINT_LIMIT, "0.3%: Gmail's limit", ""),
            ],
        ),
        "bounces": charts.bar_chart(
            "Bounce rate per send",
            sends,
            [
                charts.Series("All bounces", [s.share(s.bounced) for s in health.sends]),
                charts.Series("Hard bounces", [s.share(s.hard_bounced) for s in health.sends]),
            ],
            fmt=charts.percent,
            thresholds=[charts.Threshold(HARD_BOUNCE_WARN, "2% hard bounces", "6 4")],
        ),
    }


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    report = _report(campaign_id)
    mailing_list = _list(report.list_id)
    return render_template(
        "web/reports/campaign.html",
        report=report,
        mailing_list=mailing_list,
        percent=charts.percent,
        **campaign_charts(report),
    )


@bp.route("/campaigns/<int:campaign_id>.csv")
def campaign_download(campaign_id: int) -> Response:
    return _csv(campaign_csv(_report(campaign_id)), f"campaign-{campaign_id}-report.csv")


@bp.route("/lists/")
def lists() -> str:
    rows = list(db().scalars(select(MailingList).order_by(MailingList.name)))
    return render_template("web/reports/lists.html", lists=rows)


@bp.route("/lists/<int:list_id>")
def health(list_id: int) -> str:
    mailing_list = _list(list_id)
    found = list_health(db(), mailing_list)
    return render_template(
        "web/reports/health.html",
        health=found,
        mailing_list=mailing_list,
        percent=charts.percent,
        charts=health_charts(found),
    )


@bp.route("/lists/<int:list_id>.csv")
def health_download(list_id: int) -> Response:
    mailing_list = _list(list_id)
    return _csv(health_csv(list_health(db(), mailing_list)), f"{mailing_list.slug}-health.csv")


# The overview (the console's landing page) adds its route to ``bp``.
from mailer.web import overview  # noqa: E402

__all__ = ["bp", "overview"]
