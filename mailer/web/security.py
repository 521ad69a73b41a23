"""Response headers and cookie settings that every page gets.

The policy allows only our own origin: no inline script or style, no
framing. The archive shows a sent email (inline styles by necessity) inside a
sandboxed frame served by one route with its own, stricter-still policy
(``EDITION_CSP``: no script at all, styles inline only, images from anywhere).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

PRIVATE_BLUEPRINTS = frozenset({"admin", "staff", "api", "reports"})

# For the email document shown inside the archive page's <iframe sandbox>.
EDITION_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-popups "
    "allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.blueprint in PRIVATE_BLUEPRINTS or request.endpoint == "auth.login":
        # Subscriber data and session pages: never kept by a shared or browser cache.
        headers["Cache-Control"] = "no-store"
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def configure_cookies(app: Flask, base_url: str) -> None:
    """HttpOnly and SameSite=Lax always; Secure when the site is served over https."""
    secure = base_url.lower().startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="mailer_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        PREFERRED_URL_SCHEME="https" if secure else "http",
    )
