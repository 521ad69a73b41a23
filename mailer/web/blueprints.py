"""The browser blueprints and their role checks, defined before any view.

View modules add routes to these objects; the modules that gather the views
(``staff``, ``public``, ``admin``) import the view modules. Keeping the
objects here means no view imports the module that imports it.
The role check is each blueprint's ``before_request``, so no route can forget it.
"""

from __future__ import annotations

from flask import Blueprint

from mailer.users import Role
from mailer.web.auth import require_role

public_bp = Blueprint("public", "mailer.web.public")

staff_bp = Blueprint("staff", "mailer.web.staff")
staff_bp.before_request(require_role(Role.STAFF))

admin_bp = Blueprint("admin", "mailer.web.admin")
admin_bp.before_request(require_role(Role.ADMIN))

# Reports and the overview: numbers for staff and admins, no reader named.
reports_bp = Blueprint("reports", "mailer.web.reports")
reports_bp.before_request(require_role(Role.STAFF))
