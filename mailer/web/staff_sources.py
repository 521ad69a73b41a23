"""Staff: the feeds the digest is made from, read only.

Staff write news and events beside what the feeds bring, so they see which
feed is failing and why; enabling, disabling and fetching stay with admins
(``mailer.web.admin.sources``). The page is the admin's template without
its controls.
"""

from __future__ import annotations

from flask import current_app, render_template

from mailer.content.sources import list_sources
from mailer.web.blueprints import staff_bp as bp
from mailer.web.db import db


@bp.route("/sources/")
def sources() -> str:
    return render_template(
        "web/admin/sources.html",
        sources=list_sources(db()),
        zone=current_app.extensions["mailer.settings"].default_timezone,
        read_only=True,
    )
