"""Admin: the audit log, filtered by actor, action and day, newest first, paged.

The query is ``mailer.audit_log.audit_entries`` (the same as ``mailer audit
list``). Days are the office's (``default_timezone``): "since Monday" means
from Monday's midnight where the office is, and every time is shown there.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, render_template, request

from mailer.audit_log import audit_actions, audit_entries
from mailer.db import AuditLog, utcnow
from mailer.web.admin.newest import newest_first
from mailer.web.blueprints import admin_bp as bp
from mailer.web.db import db
from mailer.web.params import date_arg, int_arg

# How far back (or ahead) a filter's day may be: the log is kept for years.
LOG_YEARS = dt.timedelta(days=20 * 366)


@bp.route("/audit/")
def audit() -> str:
    zone = current_app.extensions["mailer.settings"].default_timezone
    today = utcnow().date()
    actor = request.args.get("actor", "")[:320]
    action = request.args.get("action", "")[:64]
    since = date_arg("since", today, LOG_YEARS)
    until = date_arg("until", today, LOG_YEARS)
    session = db()
    query = audit_entries(actor=actor, action=action, since=since, until=until, zone=zone)
    page = newest_first(session, query, AuditLog.id, int_arg("before"))
    return render_template(
        "web/admin/audit.html",
        page=page,
        actor=actor,
        action=action,
        since=since,
        until=until,
        actions=audit_actions(session),
        zone=zone,
    )
