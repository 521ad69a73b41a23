"""The Flask application factory: ``create_app(settings)``.

One engine and session factory per app; one session per request. No
scheduler or worker starts here: web workers only serve pages (several
gunicorn workers each starting APScheduler would send every mail N times).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import jinja2
from flask import Flask, abort, g, render_template, request
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException

from mailer.config import Settings, get_settings
from mailer.db import make_engine, make_sessionmaker
from mailer.resources import STATIC_DIR, TEMPLATES_DIR
from mailer.web import auth as web_auth
from mailer.web import display
from mailer.web.db import close_db
from mailer.web.extensions import csrf
from mailer.web.params import IdConverter
from mailer.web.security import add_security_headers, configure_cookies

log = logging.getLogger(__name__)

# Views that read the request body as bytes as well as the parsed form.
RAW_BODY_ENDPOINTS = frozenset({"public.unsubscribe", "hooks.receive"})

ERROR_TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Not available yet",
}


def _flask_secret(settings: Settings) -> str:
    # Derived, so the session key differs from the key that signs personal links.
    return hmac.new(
        settings.signing_key.encode(), b"mailer.web.session", hashlib.sha256
    ).hexdigest()


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app for ``settings`` (default: the process settings)."""
    # Every table's module, so the erasers they register (subscribers.erasure) run.
    import mailer.models  # noqa: F401

    settings = settings or get_settings()
    app = Flask(
        "mailer.web",
        static_folder=str(STATIC_DIR),
        static_url_path="/static",
        template_folder=None,
    )
    loaders: list[jinja2.BaseLoader] = []
    if settings.templates_dir:
        loaders.append(jinja2.FileSystemLoader(settings.templates_dir))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES_DIR)))
    app.jinja_loader = jinja2.ChoiceLoader(loaders)
    app.config.update(
        SECRET_KEY=_flask_secret(settings),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    # Ids in paths are checked before a query sees them (a huge one is a 404, not a 500).
    app.url_map.converters["int"] = IdConverter
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep OpenAPI's order
    if settings.trusted_proxies:
        # Behind nginx or a load balancer the peer is the proxy: take the client's
        # address (rate limits, consent IP) and scheme from its X-Forwarded-* headers,
        # trusting exactly that many hops and no more.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    configure_cookies(app, settings.base_url)
    app.extensions["mailer.settings"] = settings
    engine = make_engine(settings.database_url)
    app.extensions["mailer.engine"] = engine
    app.extensions["mailer.sessionmaker"] = make_sessionmaker(engine)

    app.before_request(_refuse_nul_bytes)
    csrf.init_app(app)
    app.before_request(web_auth.load_user)
    app.after_request(add_security_headers)
    app.teardown_appcontext(close_db)
    _register_blueprints(app)
    _register_errors(app)

    app.jinja_env.filters["local_time"] = display.local_time

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "settings": settings,
            "current_user": g.get("user"),
            "csrf_token": generate_csrf,
            "is_admin": web_auth.has_role(g.get("user"), "admin"),
        }

    return app


def _refuse_nul_bytes() -> None:
    """No text field has a use for NUL, and PostgreSQL refuses it in strings: say so early."""
    if request.endpoint in RAW_BODY_ENDPOINTS:
        # Keep the raw body readable after form parsing (RFC 8058 checks the body itself).
        request.get_data(cache=True)
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400, "The request contains a NUL character. Remove it and try again.")


def _register_blueprints(app: Flask) -> None:
    from mailer.web.admin import bp as admin_bp
    from mailer.web.api import bp as api_bp
    from mailer.web.hooks import bp as hooks_bp
    from mailer.web.public import bp as public_bp
    from mailer.web.reports import bp as reports_bp
    from mailer.web.reset import bp as reset_bp
    from mailer.web.staff import bp as staff_bp
    from mailer.web.track import bp as track_bp

    app.register_blueprint(web_auth.bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(reset_bp)
    app.register_blueprint(track_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    # Reports and the overview: staff and admins (mailer.web.reports, mailer.web.overview).
    app.register_blueprint(reports_bp, url_prefix="/reports")
    # Token auth, no cookies: CSRF cannot apply (a forged cross-site request carries no token).
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    # Signed by the provider (or basic auth), no cookie read: CSRF does not apply.
    csrf.exempt(hooks_bp)
    app.register_blueprint(hooks_bp, url_prefix="/hooks")


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/hooks/"))


def _register_errors(app: Flask) -> None:
    def render(code: int, message: str) -> Any:
        if _wants_json():
            return {"error": ERROR_TITLES.get(code, "Error"), "detail": message}, code
        return render_template(
            "web/error.html", code=code, title=ERROR_TITLES.get(code, "Error"), message=message
        ), code

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        return render(
            400,
            "This form has expired or was not sent from this site. "
            "Go back, reload the page and submit it again.",
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = exc.code or 500
        default = type(exc).description
        message = exc.description if exc.description != default else ""
        return render(code, message or _default_message(code))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        # Logged with its traceback for the operator; the visitor sees a plain page.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(500, _default_message(500))


def _default_message(code: int) -> str:
    return {
        401: "This needs you to log in.",
        403: "Your account does not have the role this page needs.",
        404: "There is nothing at this address. Check the link or start from the home page.",
        405: "This address does not accept that kind of request.",
        429: "Too many requests in a short time. Wait a while and try again.",
        500: "The error has been logged. Try again in a moment.",
    }.get(code, "The request could not be completed.")
