"""Pages behind the personal links in every message: confirm, unsubscribe, preferences.

``/c/<token>``: the double opt-in link. A GET shows a button and changes
nothing (mail scanners follow links); the button's POST confirms and sends
the welcome, once.

``/u/<token>``: the List-Unsubscribe URL. A GET shows the list and one
button; a POST whose body is ``List-Unsubscribe=One-Click`` (RFC 8058, form
or multipart) unsubscribes at once and answers 200, without a redirect and
without a cookie or CSRF token (mail providers send none; the signed token
in the URL is the authority). The page's button sends that same body.

``/p/<token>``: the preference page (lists, name, "unsubscribe from
everything"), a normal CSRF-protected form.

The rules are in ``subscribers.links`` and ``subscribers.service``; a
tampered, foreign or expired token changes nothing and gets the same
"this link is not valid" page whatever is wrong with it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from werkzeug.wrappers import Response

from mailer.config import Settings
from mailer.web import integration
from mailer.web.blueprints import public_bp as bp
from mailer.web.db import db
from mailer.web.extensions import csrf
from mailer.web.forms import EmptyForm, PreferencesForm
from mailer.web.params import ids_from
from subscribers import links, topic_prefs
from subscribers.tokens import TokenError

#: Methods that only read: link checkers and mail scanners send HEAD as often as GET,
#: and it must answer the same way and change nothing (Flask answers HEAD from GET views).
SAFE_METHODS = ("GET", "HEAD")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["mailer.settings"]
    return settings


def _private(body: Any, status: int = 200) -> Response:
    """Personal pages are never cached (a shared cache would show one person's page to another)."""
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _bad_link(error: TokenError) -> Response:
    message = str(error)
    return _private(
        render_template(
            "web/error.html",
            code=400,
            title="This link does not work",
            message=f"Sorry, {message}. Use the link in the most recent message from us, "
            "or subscribe again from the home page.",
        ),
        400,
    )


@bp.route("/c/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Response:
    form = EmptyForm()
    if request.method in SAFE_METHODS or not form.validate_on_submit():
        try:
            integration.signer(_settings()).read(
                "confirm", token, max_age=_settings().confirm_token_max_age
            )
        except TokenError as exc:
            return _bad_link(exc)
        return _private(render_template("web/public/confirm.html", form=form, token=token))
    session = db()
    try:
        sub = integration.confirm(session, _settings(), token)
    except TokenError as exc:
        session.rollback()
        return _bad_link(exc)
    name = sub.mailing_list.name
    session.commit()
    return _private(render_template("web/public/confirmed.html", list_name=name))


@csrf.exempt
@bp.route("/u/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response:
    session = db()
    settings = _settings()
    signer = integration.signer(settings)
    if request.method in SAFE_METHODS:
        try:
            page = links.unsubscribe_page(session, signer, token)
        except TokenError as exc:
            return _bad_link(exc)
        return _private(render_template("web/public/unsubscribe.html", page=page, token=token))
    if not links.is_one_click(request.content_type or "", request.get_data(cache=True)):
        return _private(
            render_template(
                "web/error.html",
                code=400,
                title="Bad request",
                message="An unsubscribe request must carry List-Unsubscribe=One-Click "
                "(RFC 8058). Use the button on this page.",
            ),
            400,
        )
    from_page = request.form.get("from") == "page"
    try:
        data = signer.read("unsubscribe", token)
        page = links.unsubscribe_page(session, signer, token)
        changed = links.unsubscribe_with_token(
            session, signer, token, via="page" if from_page else "one-click"
        )
    except TokenError as exc:
        session.rollback()
        return _bad_link(exc)
    session.commit()
    if changed and from_page and data.list_id is not None:
        # A person pressed the button: one goodbye message (never for the one-click POST,
        # which mail providers send on the reader's behalf).
        integration.send_unsubscribed(session, settings, data.subscriber_id, data.list_id)
        session.commit()
    return _private(
        render_template("web/public/unsubscribed.html", list_name=page.list_name, token=token)
    )


@bp.route("/p/<token>", methods=["GET", "POST"])
def preferences(token: str) -> Response:
    session = db()
    signer = integration.signer(_settings())
    try:
        prefs = links.preferences_page(session, signer, token)
    except TokenError as exc:
        return _bad_link(exc)
    form = PreferencesForm()
    mine = topic_prefs.reader_lists(session, prefs.subscriber_id)
    if request.method in SAFE_METHODS:
        form.name.data = prefs.name
        return _private(
            render_template("web/public/preferences.html", form=form, prefs=prefs, mine=mine)
        )
    if not form.validate_on_submit():
        page = render_template("web/public/preferences.html", form=form, prefs=prefs, mine=mine)
        return _private(page, 400)
    known = {c.list_id for c in prefs.lists}
    chosen = ids_from(request.form.getlist("lists")) & known
    everything = bool(form.unsubscribe_all.data)
    try:
        links.save_preferences(
            session,
            signer,
            token,
            list_ids=chosen,
            name=form.name.data or "",
            unsubscribe_everything=everything,
        )
        if not everything:
            # Topics and mode of the reader's lists (as they stand after the ticks).
            topic_prefs.save_reader_lists(
                session,
                prefs.subscriber_id,
                {m.list_id: ids_from(request.form.getlist(f"topics-{m.list_id}")) for m in mine},
                {m.list_id: request.form.get(f"mode-{m.list_id}", "") for m in mine},
            )
    except TokenError as exc:
        session.rollback()
        return _bad_link(exc)
    session.commit()
    prefs = links.preferences_page(session, signer, token)
    mine = topic_prefs.reader_lists(session, prefs.subscriber_id)
    message = (
        "You are unsubscribed from every list and will get no more mail from us."
        if everything
        else "Your preferences are saved."
    )
    return _private(
        render_template(
            "web/public/preferences.html",
            form=PreferencesForm(formdata=None, name=prefs.name),
            prefs=prefs,
            mine=mine,
            saved=message,
        )
    )
