"""WSGI entry point: ``gunicorn 'mailer.web.wsgi:app'``.

Settings come from the environment and ``mailer.toml`` as for every command.
Only pages are served here: run ``mailer scheduler`` and ``mailer worker``
as their own processes, never inside web workers.
"""

from mailer.config import get_settings
from mailer.web.app import create_app

app = create_app(get_settings())
