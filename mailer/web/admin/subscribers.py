"""Admin: find subscribers, page through them, and see one person's record.

The search (substring of address or name, list, status, source, date joined) is
``subscribers.search``'s; the same criteria, carried in the bulk form, pick the
people a bulk action on "the whole search" touches (``mailer.web.admin.subscriber_bulk``).
Adding and editing one person is ``mailer.web.admin.subscriber_edit``; import,
export, suppress and forget are in ``mailer.web.admin.people``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailer.delivery.models import Campaign, Delivery
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.forms import ForgetForm, SuppressForm
from mailer.web.pagination import keyset_page
from mailer.web.params import int_arg
from subscribers import search
from subscribers.models import (
    BounceRecord,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    Suppression,
)

HISTORY_LIMIT = 100
SEARCH_FIELDS = ("q", "list", "status", "source", "joined_from", "joined_to")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class Search:
    """The search form's values as typed, and the criteria they mean."""

    values: dict[str, str] = field(default_factory=dict)
    criteria: search.Criteria = field(default_factory=search.Criteria)
    mailing_list: MailingList | None = None

    def args(self, **extra: Any) -> dict[str, Any]:
        """Query arguments to repeat this search (empty ones left out)."""
        return {**{k: v for k, v in self.values.items() if v}, **extra}


def _day(name: str, value: str) -> dt.date | None:
    """A YYYY-MM-DD day from the form, or None; anything else answers 400 naming it."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None or day.year < 1970:
        abort(400, f"{name}: use a date like 2026-03-01.")
    return day


def read_search(values: Mapping[str, str], lists: list[MailingList]) -> Search:
    """The search in ``values`` (query string or the bulk form); a malformed date answers 400.

    An unknown list, status or source is dropped (an old bookmark still works).
    """
    raw = {k: str(values.get(k, ""))[:320] for k in SEARCH_FIELDS}
    mlist = next((m for m in lists if m.slug == raw["list"]), None)
    if raw["status"] not in {s.value for s in SubscriptionStatus}:
        raw["status"] = ""
    if raw["source"] not in {s.value for s in SubscriptionSource}:
        raw["source"] = ""
    raw["list"] = mlist.slug if mlist else ""
    joined = search.joined_between(
        _day("joined_from", raw["joined_from"]),
        _day("joined_to", raw["joined_to"]),
        current_app.extensions["mailer.settings"].default_timezone,
    )
    criteria = search.Criteria(
        text=raw["q"],
        list_id=mlist.id if mlist else None,
        status=raw["status"],
        source=raw["source"],
        joined_from=joined[0],
        joined_to=joined[1],
    )
    return Search(raw, search.with_id_bounds(db(), criteria), mlist)


def all_lists() -> list[MailingList]:
    return list(db().scalars(select(MailingList).order_by(MailingList.name)))


@bp.route("/subscribers/")
def subscribers() -> str:
    session = db()
    lists = all_lists()
    found = read_search(request.args, lists)
    query = search.apply(select(Subscriber), found.criteria)
    after, before = int_arg("after"), int_arg("before")
    page = keyset_page(session, query, Subscriber.id, after=after, before=before)
    # The Status column: the subscription on the chosen list, else every list the
    # person is on with its state (one query for the page's rows).
    memberships: dict[int, list[Subscription]] = defaultdict(list)
    ids = [s.id for s in page.rows]
    if ids:
        rows = session.scalars(
            select(Subscription)
            .where(Subscription.subscriber_id.in_(ids))
            .options(selectinload(Subscription.mailing_list))
        )
        for sub in rows:
            if found.mailing_list is None or sub.list_id == found.mailing_list.id:
                memberships[sub.subscriber_id].append(sub)
    if after is None and before is None and page.next_after is None:
        total = search.Count(len(page.rows), True)  # the first page holds them all
    else:
        total = search.count(session, found.criteria)
    return render_template(
        "web/admin/subscribers.html",
        page=page,
        found=found,
        total=total,
        lists=lists,
        memberships=memberships,
        statuses=[s.value for s in SubscriptionStatus],
        sources=[s.value for s in SubscriptionSource],
    )


@bp.route("/subscribers/<int:subscriber_id>")
def subscriber(subscriber_id: int) -> str:
    session = db()
    person = session.scalar(
        select(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .options(selectinload(Subscriber.subscriptions).selectinload(Subscription.mailing_list))
    )
    if person is None:
        abort(404)
    return subscriber_page(person)


def subscriber_page(person: Subscriber, forget_form: ForgetForm | None = None) -> str:
    session = db()
    history = session.execute(
        select(Delivery, Campaign)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(Delivery.subscriber_id == person.id)
        .order_by(Delivery.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    suppression = session.scalar(select(Suppression).where(Suppression.address == person.email_key))
    # Every bounce and complaint naming this address, ours or not (unverified ones acted on
    # nothing; an admin decides whether they are real).
    bounces = session.scalars(
        select(BounceRecord)
        .where(BounceRecord.address == person.email_key)
        .order_by(BounceRecord.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return render_template(
        "web/admin/subscriber.html",
        person=person,
        history=history,
        bounces=bounces,
        suppression=suppression,
        history_limit=HISTORY_LIMIT,
        suppress_form=SuppressForm(formdata=None),
        forget_form=forget_form or ForgetForm(formdata=None),
    )
