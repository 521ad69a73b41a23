"""`mailer users role`, `reset-link`, `revoke-sessions` and `tokens`: the console's user actions.

This module extends the ``users`` group (``extends = "users"``), with the same
functions the admin console uses: ``mailer.resets`` (a mailed one-time link),
``auth.end_sessions`` (every session ends at its next request) and the personal
API tokens of ``mailer.auth``. Every change is audited as done by the CLI user.
"""

from __future__ import annotations

import click
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer import auth
from mailer.cli_support import console, default_actor, session_factory, settings
from mailer.db import audit, session_scope
from mailer.users import Role, User

extends = "users"


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {email}; see `mailer users list`")
    return user


@click.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def role(email: str, role: str) -> None:
    """Give EMAIL the role ROLE (staff or admin)."""
    with session_scope(session_factory()) as session:
        user = _user(session, email)
        before = user.role
        user.role = role
        audit(
            session,
            default_actor(),
            "user.update",
            f"user:{user.email}",
            before={"role": before},
            after={"role": role},
        )
    console.print(f"{user.email} is {role} (was {before}).")


@click.command("reset-link")
@click.argument("email")
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="Print the link instead of mailing it (when mail is not set up yet).",
)
def reset_link(email: str, print_only: bool) -> None:
    """Mail EMAIL a one-time link to choose a new password (valid 2 hours, works once).

    \b
    Example:
      mailer users reset-link sam@example.org
    """
    from mailer import resets

    config = settings()
    with session_scope(session_factory()) as session:
        user = _user(session, email)
        if not user.active:
            raise click.ClickException(f"{user.email} is deactivated; reactivate it first")
        if print_only:
            audit(session, default_actor(), "user.reset_link", f"user:{user.email}", printed=True)
            click.echo(resets.reset_url(config, user))
            return
        try:
            outcome = resets.send_reset_link(config, user)
        except Exception as exc:
            raise click.ClickException(
                f"could not mail the link: {exc}; use --print to hand it over yourself"
            ) from None
        if outcome != "sent":
            raise click.ClickException(f"the mail backend answered {outcome}; use --print")
        audit(session, default_actor(), "user.reset_link", f"user:{user.email}")
    console.print(f"A reset link is on its way to {user.email}.")


@click.command("revoke-sessions")
@click.argument("email")
def revoke_sessions(email: str) -> None:
    """End every web session of EMAIL (a lost laptop); the password stays."""
    with session_scope(session_factory()) as session:
        user = _user(session, email)
        auth.end_sessions(user)
        audit(session, default_actor(), "user.sessions.end", f"user:{user.email}")
    console.print(f"Every session of {user.email} has ended.")


@click.group("tokens")
def tokens() -> None:
    """Personal API tokens: create (shown once), list, revoke."""


@tokens.command("create")
@click.argument("email")
@click.argument("name")
def tokens_create(email: str, name: str) -> None:
    """Make a new token NAME for EMAIL and print it once (only its SHA-256 is kept).

    \b
    Example:
      TOKEN=$(mailer users tokens create ada@example.org "sign-up sheet")
    """
    with session_scope(session_factory()) as session:
        user = _user(session, email)
        try:
            row, value = auth.create_personal_token(session, user, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        audit(session, default_actor(), "user.token.create", f"user:{user.email}", token=row.name)
    click.echo(value)


@tokens.command("list")
@click.argument("email")
def tokens_list(email: str) -> None:
    """EMAIL's tokens: id, name, created, last used (never the token itself)."""
    with session_scope(session_factory()) as session:
        user = _user(session, email)
        table = Table("id", "name", "created", "last used", title=f"API tokens of {user.email}")
        for t in auth.personal_tokens(session, user):
            table.add_row(
                str(t.id),
                t.name,
                t.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                t.last_used_at.strftime("%Y-%m-%d %H:%M UTC") if t.last_used_at else "never",
            )
        if user.api_token_hash:
            table.add_row("-", "(command-line token, `mailer users token`)", "", "")
    console.print(table)


@tokens.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
def tokens_revoke(email: str, token_id: int) -> None:
    """Revoke EMAIL's token TOKEN_ID (see `mailer users tokens list`)."""
    with session_scope(session_factory()) as session:
        user = _user(session, email)
        row = auth.revoke_personal_token(session, user, token_id)
        if row is None:
            raise click.ClickException(f"{user.email} has no token {token_id}")
        audit(session, default_actor(), "user.token.revoke", f"user:{user.email}", token=row.name)
    console.print(f"The token “{row.name}” of {user.email} no longer works.")


commands = [role, reset_link, revoke_sessions, tokens]
