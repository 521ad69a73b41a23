"""What every command needs: settings, a database session, a console, clean errors."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import ConfigError, Settings, get_settings
from mailer.db import make_engine, make_sessionmaker, session_scope

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich ``Console`` made on first use.

    Loading rich costs a command about a tenth of a second of start-up; a
    command that prints plain lines (``mailer worker``) never needs it.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __enter__(self) -> Console:  # special methods are not looked up by __getattr__
        return self._real().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._real().__exit__(*exc)


console = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))
err_console = cast("Console", _LazyConsole(stderr=True, highlight=False))

F = TypeVar("F", bound=Callable[..., Any])

_factories: dict[str, sessionmaker[Session]] = {}


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def session_factory(s: Settings | None = None) -> sessionmaker[Session]:
    """One engine per database URL per process, reused by every command.

    Every table is registered first: a command loads only its own modules
    (see mailer.cli), and foreign keys must still find their tables.
    """
    import mailer.models  # noqa: F401

    s = s or settings()
    if s.database_url not in _factories:
        _factories[s.database_url] = make_sessionmaker(make_engine(s.database_url))
    return _factories[s.database_url]


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session committed when the command's work succeeds."""
    with session_scope(session_factory()) as session:
        yield session


def default_actor() -> str:
    """Who the audit log names for a command: the CLI trusts whoever runs it, as Mailman's does."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def get_list(session: Session, slug: str) -> Any:
    from subscribers.models import MailingList

    mailing_list = session.scalar(select(MailingList).where(MailingList.slug == slug))
    if mailing_list is None:
        known = ", ".join(session.scalars(select(MailingList.slug).order_by(MailingList.slug)))
        known = known or "none; create one with `mailer lists create`"
        raise click.BadParameter(
            f"no list with slug {slug!r} (known: {known})",
            param_hint="--list",
        )
    return mailing_list


def parse_day(value: str | None, param: str = "--date") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2027-03-01", param_hint=param
        ) from None


def zone(name: str | None) -> ZoneInfo:
    name = name or settings().default_timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{name!r} is not a time zone like America/Chicago") from None


def parse_when(value: str | None, param: str, tz: ZoneInfo) -> dt.datetime | None:
    """ISO date-time; without an offset it is read in ``tz``."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date and time like 2026-03-10T17:30 or 2026-03-10T17:30-06:00",
            param_hint=param,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def local(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def needs_schema(func: F) -> F:
    """Turn 'no such table' into advice to run `mailer init` instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return func(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
            if "no such table" in text or "does not exist" in text:
                raise click.ClickException(
                    f"the database has no mailer tables yet ({text.splitlines()[0]}); "
                    "run `mailer init` first"
                ) from None
            raise

    return wrapper  # type: ignore[return-value]


def friendly_errors(func: F) -> F:
    """Like ``needs_schema``, and our ValueErrors (which name the field) become one-line errors."""
    checked = needs_schema(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return checked(*args, **kwargs)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]
