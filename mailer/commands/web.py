"""``mailer web``: serve the web console, subscriber pages and API."""

from __future__ import annotations

import click

from mailer.config import get_settings


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads/--no-threads", default=True, help="Serve requests in threads.")
def command(host: str, port: int, threads: bool) -> None:
    """Serve the web app with Werkzeug's server (small installations, trying it out).

    In production run it under gunicorn instead, e.g.
    `gunicorn -w 4 -b 127.0.0.1:8000 'mailer.web.wsgi:app'` behind an https
    proxy. No scheduler runs in here: start `mailer scheduler` and
    `mailer worker` separately.
    """
    from werkzeug.serving import run_simple

    from mailer.web import create_app

    settings = get_settings()
    app = create_app(settings)
    click.echo(f"Serving {settings.base_url} on http://{host}:{port}/ (Ctrl-C to stop)")
    run_simple(host, port, app, threaded=threads, use_reloader=False, use_debugger=False)
