"""Pages for everybody: the list directory, the subscribe form and the archive.

Personal pages (confirmation, preferences, unsubscribe with its RFC 8058
one-click POST) are in ``mailer.web.personal``; they authenticate by the
signed token in the link, so they need no login and reach only the
subscriber the token names.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, render_template, request, url_for
from sqlalchemy import select

from mailer.compose.formatting import event_when
from mailer.compose.links import web_link
from mailer.content.selection import EVENT_DAYS, upcoming_events
from mailer.delivery.models import Campaign, CampaignStatus
from mailer.web import integration, ratelimit
from mailer.web.archive import public_html
from mailer.web.auth import client_ip
from mailer.web.blueprints import public_bp
from mailer.web.db import db
from mailer.web.forms import SubscribeForm, choices
from mailer.web.params import ids_from
from mailer.web.security import EDITION_CSP
from subscribers import lists as list_rules
from subscribers.models import MailingList
from subscribers.topic_prefs import list_topic_options

bp = public_bp

ARCHIVE_PAGE_SIZE = 50


def _public_lists() -> list[MailingList]:
    return list(
        db().scalars(select(MailingList).where(MailingList.public).order_by(MailingList.name))
    )


def _archive_list(slug: str) -> MailingList:
    mlist = db().scalar(
        select(MailingList).where(MailingList.slug == slug, MailingList.archive, MailingList.public)
    )
    if mlist is None:
        abort(404)
    return mlist


def _sent_editions(mlist: MailingList, limit: int) -> list[Campaign]:
    return list(
        db().scalars(
            select(Campaign)
            .where(Campaign.list_id == mlist.id, Campaign.status == CampaignStatus.SENT)
            .order_by(Campaign.finished_at.desc().nulls_last(), Campaign.id.desc())
            .limit(limit)
        )
    )


def _edition(mlist: MailingList, campaign_id: int) -> Campaign:
    campaign = db().get(Campaign, campaign_id)
    if campaign is None or campaign.list_id != mlist.id or campaign.status != CampaignStatus.SENT:
        abort(404)
    return campaign


@bp.route("/")
def index() -> str:
    return render_template("web/public/index.html", lists=_public_lists())


@bp.route("/subscribe", methods=["GET", "POST"])
@bp.route("/subscribe/<slug>", methods=["GET", "POST"])
def subscribe(slug: str | None = None) -> Any:
    lists = _public_lists()
    form = SubscribeForm()
    form.mailing_list.choices = choices([(m.slug, m.name) for m in lists])
    if request.method == "GET" and slug:
        if slug not in {m.slug for m in lists}:
            abort(404)
        form.mailing_list.data = slug
    if not lists:
        return render_template("web/public/subscribe.html", form=form, lists=lists)
    topic_groups = [
        (m, options)
        for m in lists
        if (not slug or m.slug == slug) and (options := list_topic_options(db(), m.id))
    ]
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        page = render_template(
            "web/public/subscribe.html", form=form, lists=lists, topic_groups=topic_groups
        )
        return page, status
    mlist = next(m for m in lists if m.slug == form.mailing_list.data)
    if form.website.data:
        # A bot filled the honeypot: answer as if all went well, do nothing.
        return render_template("web/public/subscribe_done.html", mailing_list=mlist, result="")
    session = db()
    ip = client_ip()
    email = form.email.data or ""
    if ratelimit.SUBSCRIBE.blocked(session, ip, email):
        form.email.errors = [
            "Too many sign-ups from here or for this address. Try again in an hour."
        ]
        return render_template("web/public/subscribe.html", form=form, lists=lists), 429
    ratelimit.SUBSCRIBE.record(session, ip, email, note=mlist.slug)
    session.commit()
    req = integration.SubscribeRequest(
        mailing_list=mlist,
        email=email,
        name=(form.name.data or "").strip(),
        ip=ip,
        topics=frozenset(ids_from(request.form.getlist(f"topics-{mlist.id}"))),
    )
    settings = current_app.extensions["mailer.settings"]
    outcome = integration.subscribe(session, settings, req)
    session.commit()
    return render_template(
        "web/public/subscribe_done.html",
        mailing_list=mlist,
        result=outcome.result,
        mail_failed=outcome.mail_failed,
    ), 503 if outcome.mail_failed else 200


@bp.route("/archive/")
def archive_index() -> str:
    lists = list(
        db().scalars(
            select(MailingList)
            .where(MailingList.archive, MailingList.public)
            .order_by(MailingList.name)
        )
    )
    return render_template("web/public/archive_index.html", lists=lists)


@bp.route("/archive/<slug>/")
def archive_list(slug: str) -> str:
    mlist = _archive_list(slug)
    return render_template(
        "web/public/archive_list.html",
        mailing_list=mlist,
        editions=_sent_editions(mlist, ARCHIVE_PAGE_SIZE),
    )


@bp.route("/archive/<slug>/<int:campaign_id>")
def archive_edition(slug: str, campaign_id: int) -> str:
    mlist = _archive_list(slug)
    return render_template(
        "web/public/edition.html", mailing_list=mlist, edition=_edition(mlist, campaign_id)
    )


@bp.route("/archive/<slug>/<int:campaign_id>/content")
def archive_edition_content(slug: str, campaign_id: int) -> Response:
    """The email document itself, shown in the edition page's sandboxed frame."""
    mlist = _archive_list(slug)
    campaign = _edition(mlist, campaign_id)
    settings = current_app.extensions["mailer.settings"]
    html = public_html(campaign.html, settings.greeting_fallback)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = EDITION_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/archive/<slug>/feed.atom")
def archive_feed(slug: str) -> Response:
    mlist = _archive_list(slug)
    editions = _sent_editions(mlist, 20)
    settings = current_app.extensions["mailer.settings"]
    base = settings.base_url.rstrip("/")
    body = render_template(
        "web/public/feed.xml",
        mailing_list=mlist,
        editions=editions,
        base=base,
        feed_url=base + url_for("public.archive_feed", slug=slug),
        updated=max((e.finished_at or e.created_at for e in editions), default=mlist.created_at),
    )
    return Response(body, mimetype="application/atom+xml")


@bp.route("/lists/<slug>/events")
def list_events(slug: str) -> str:
    """The list's upcoming events: where a digest's "N more events" link leads.

    Any list's page is shown (a private list's readers follow the link too);
    the events are those its next edition may carry, soonest first.
    """
    mlist = db().scalar(select(MailingList).where(MailingList.slug == slug))
    if mlist is None:
        abort(404)
    settings = current_app.extensions["mailer.settings"]
    tz = list_rules.list_zone(mlist, settings.default_timezone)
    today = list_rules.list_today(mlist, default=settings.default_timezone)
    events = upcoming_events(db(), mlist, today, settings)
    return render_template(
        "web/public/events.html",
        mailing_list=mlist,
        # A source's link is shown only when it is a web link (mailer.compose.links).
        events=[(event, event_when(event, tz.key), web_link(event.url)) for event in events],
        days=EVENT_DAYS,
    )


# The personal link pages add their routes to ``bp``.
from mailer.web import calendar, personal, view  # noqa: E402

__all__ = ["bp", "calendar", "personal", "view"]
