"""``mailer users``: staff and admin accounts, roles and API tokens."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from mailer import auth
from mailer.cli_support import session_factory
from mailer.db import audit, session_scope
from mailer.users import Role, User

ROLES = [r.value for r in Role]


@click.group("users", help="Manage staff and admin accounts of the web console and API.")
def command() -> None:
    pass


@command.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="staff: queue announcements, preview digests; admin: everything.",
)
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
def create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create an account with a password (argon2-hashed).

    Example: mailer users create ada@example.org --role admin --name "Ada"
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope(session_factory()) as session:
        try:
            user = auth.create_user(session, email, password, role, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        audit(session, "cli", "user.create", f"user:{user.email}", role=role)
        click.echo(f"Created {user.role} {user.email}.")


@command.command("list")
def list_users() -> None:
    """Show every account, its role and whether it has an API token."""
    with session_scope(session_factory()) as session:
        users = list(session.scalars(select(User).order_by(User.email)))
        table = Table("email", "name", "role", "active", "API token", "last login")
        for u in users:
            table.add_row(
                u.email,
                u.name,
                u.role,
                "yes" if u.active else "no",
                "yes" if u.api_token_hash else "no",
                u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else "never",
            )
        Console().print(table)


@command.command("token")
@click.argument("email")
def token(email: str) -> None:
    """Issue a new API token for EMAIL, replacing the old one; it is printed only once.

    Use it as `Authorization: Bearer <token>`. Only its SHA-256 is stored.
    """
    with session_scope(session_factory()) as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user {email}; create one with `mailer users create`")
        if not user.active:
            raise click.ClickException(f"{user.email} is deactivated; reactivate it first")
        value = auth.issue_api_token(user)
        audit(session, "cli", "user.token", f"user:{user.email}")
    click.echo(value)


@command.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL (a forgotten one); their web sessions end."""
    if password_stdin:
        new = sys.stdin.readline().rstrip("\r\n")
    else:
        new = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with session_scope(session_factory()) as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user {email}; see `mailer users list`")
        try:
            auth.set_password(user, new)
        except auth.PasswordPolicyError as exc:
            raise click.ClickException(f"password: {exc}") from None
        audit(session, "cli", "user.password", f"user:{user.email}")
    click.echo(f"Password of {user.email} changed.")
