"""The web app: public pages, the staff desk, the admin console and a JSON API."""

from mailer.web.app import create_app

__all__ = ["create_app"]
