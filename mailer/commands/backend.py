"""``mailer backend``: check the configured transport and send one test message through it.

An admin changing the SMTP relay or an API key wants to know now, not at the
next weekly digest, whether the password is right and the server reachable.
``check`` opens the backend the way a worker does (for SMTP: connect, TLS,
login on every connection) and closes it; ``send-test`` sends one short
message with the real envelope (VERP sender), headers and DKIM signature.
"""

from __future__ import annotations

import click

from mailer.config import Settings, get_settings
from mailer.delivery.backends import Backend, BackendError, OutgoingMessage, backend_from_url
from mailer.delivery.dkim import DkimError
from mailer.delivery.transactional import build_notice

URL_HELP = "Backend URL to use instead of the configured one (MAILER_BACKEND)."


def _redacted(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _open(settings: Settings, url: str) -> Backend:
    try:
        backend = backend_from_url(url, settings)
        backend.open()
    except (BackendError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    return backend


@click.group("backend", help=__doc__)
def command() -> None:
    pass


@command.command("check")
@click.option("--url", default=None, help=URL_HELP)
def check(url: str | None) -> None:
    """Open the backend as a worker would and check it can send, without sending.

    SMTP: connect, TLS and log in on every connection. APIs: a read-only request
    that needs the key (SendGrid: its scopes include mail.send; Mailgun: the
    domain is active; Postmark: the server token is valid).

    Example: mailer backend check --url 'smtp://user:pass@relay.example.org:587?starttls=1'
    """
    settings = get_settings()
    url = url or settings.backend
    backend = _open(settings, url)
    try:
        verify = getattr(backend, "verify", None)
        said = verify() if verify is not None else "opened and closed cleanly"
    except BackendError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        backend.close()
    click.echo(f"OK: {_redacted(url)}: {said}.")


def build_test_message(settings: Settings, recipient: str) -> OutgoingMessage:
    """A short message with the same envelope and headers as a real send."""
    subject = f"{settings.org_short_name} mailer: test message"
    text = (
        f"This is a test message from the {settings.org_name} mailer.\n"
        "If you can read it, the sending backend works.\n"
    )
    try:
        return build_notice(settings, recipient, subject, text)
    except DkimError as exc:
        raise click.ClickException(str(exc)) from None


@command.command("send-test")
@click.argument("recipient")
@click.option("--url", default=None, help=URL_HELP)
def send_test(recipient: str, url: str | None) -> None:
    """Send one test message to RECIPIENT and print the server's answer.

    Example: mailer backend send-test admin@example.org
    """
    settings = get_settings()
    url = url or settings.backend
    message = build_test_message(settings, recipient)
    backend = _open(settings, url)
    try:
        (result,) = backend.send([message])
    except BackendError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        backend.close()
    click.echo(f"{result.outcome.value}: {result.detail or 'no details given'}")
    if result.outcome.value != "sent":
        raise SystemExit(1)
