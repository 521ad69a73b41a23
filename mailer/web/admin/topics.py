"""Admin: a list's topics (add, rename, remove), how many readers chose each,
and which sources carry them.

The rules are ``subscribers.topics``'; this page is one more way in, like
``mailer topics``. Removing a topic untags content and gives readers who had
only it everything again.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from mailer.content.models import Source
from mailer.content.topic_tags import set_tags, source_topics
from mailer.web.auth import actor
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.display import sentence
from mailer.web.forms import EmptyForm
from mailer.web.params import ids_from
from subscribers.models import MailingList
from subscribers.topic_models import subscription_topics
from subscribers.topics import TopicError, create_topic, delete_topic, list_topics, update_topic


def _page(mlist: MailingList, status: int = 200, **values: Any) -> Any:
    session = db()
    topics = list_topics(session, mlist.id)
    ids = [t.id for t in topics]
    readers: dict[int, int] = dict(
        session.execute(
            select(subscription_topics.c.topic_id, func.count())
            .where(subscription_topics.c.topic_id.in_(ids))
            .group_by(subscription_topics.c.topic_id)
        ).all()
    )
    sources = list(
        session.scalars(select(Source).where(Source.name != "manual").order_by(Source.name))
    )
    tagged: dict[int, set[int]] = {}
    for source_id, topic_id in session.execute(
        select(source_topics.c.source_id, source_topics.c.topic_id).where(
            source_topics.c.topic_id.in_(ids)
        )
    ):
        tagged.setdefault(source_id, set()).add(topic_id)
    page = render_template(
        "web/admin/topics.html",
        mailing_list=mlist,
        topics=topics,
        readers=readers,
        sources=sources,
        tagged=tagged,
        form=EmptyForm(),
        **values,
    )
    return page, status


@bp.route("/lists/<int:list_id>/topics", methods=["GET", "POST"])
def list_topics_page(list_id: int) -> Any:
    session = db()
    mlist = session.get(MailingList, list_id)
    if mlist is None:
        abort(404)
    if request.method == "GET":
        return _page(mlist)
    if not EmptyForm().validate_on_submit():
        return _page(mlist, 400, error="The form expired; reload the page and try again.")
    action = request.form.get("action", "")
    slug = request.form.get("slug", "").strip()
    try:
        if action == "add":
            create_topic(
                session,
                mlist,
                slug,
                request.form.get("name", ""),
                description=request.form.get("description", ""),
                actor=actor(),
            )
            message = f"Topic “{request.form.get('name', '').strip()}” added."
        elif action == "update":
            update_topic(
                session,
                mlist,
                slug,
                name=request.form.get("name"),
                description=request.form.get("description"),
                actor=actor(),
            )
            message = "Topic saved."
        elif action == "delete":
            delete_topic(session, mlist, slug, actor=actor())
            message = "Topic removed; readers who had only it now get everything."
        elif action == "sources":
            within = [t.id for t in list_topics(session, mlist.id)]
            for source in session.scalars(select(Source).where(Source.name != "manual")):
                chosen = ids_from(request.form.getlist(f"source-{source.id}")) & set(within)
                set_tags(session, "source", source.id, sorted(chosen), within=within)
            message = "Source topics saved."
        else:
            abort(400)
    except TopicError as exc:
        session.rollback()
        return _page(mlist, 400, error=sentence(exc))
    session.commit()
    flash(message, "success")
    return redirect(url_for("admin.list_topics_page", list_id=mlist.id))
