"""Admin: find subscribers, page through them, and see one person's record.

Import, export, suppress and forget are in ``mailer.web.admin.people``.
"""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailer.delivery.models import Campaign, Delivery
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.forms import ForgetForm, SuppressForm
from mailer.web.pagination import keyset_page, subscriber_search
from mailer.web.params import int_arg
from subscribers.models import (
    BounceRecord,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
)

HISTORY_LIMIT = 100


@bp.route("/subscribers/")
def subscribers() -> str:
    session = db()
    q = request.args.get("q", "")[:320]
    lists = list(session.scalars(select(MailingList).order_by(MailingList.name)))
    slug = request.args.get("list", "")
    status = request.args.get("status", "")
    if status not in {s.value for s in SubscriptionStatus}:
        status = ""
    mlist = next((m for m in lists if m.slug == slug), None)
    query = subscriber_search(select(Subscriber), q)
    if mlist is not None:
        # EXISTS on (list_id, status): the subscriptions index answers it per row.
        member = select(Subscription.id).where(
            Subscription.subscriber_id == Subscriber.id, Subscription.list_id == mlist.id
        )
        if status:
            member = member.where(Subscription.status == status)
        query = query.where(member.exists())
    page = keyset_page(
        session, query, Subscriber.id, after=int_arg("after"), before=int_arg("before")
    )
    return render_template(
        "web/admin/subscribers.html",
        page=page,
        q=q,
        lists=lists,
        list_slug=mlist.slug if mlist else "",
        status=status,
        statuses=[s.value for s in SubscriptionStatus],
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
