"""Small helpers shared by the content commands (sources, news, events, ...)."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import ConfigError, Settings, get_settings
from mailer.db import make_engine, make_sessionmaker, session_scope
from subscribers.models import MailingList

console = Console(highlight=False, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])
_factories: dict[str, sessionmaker[Session]] = {}


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def factory() -> sessionmaker[Session]:
    s = settings()
    if s.database_url not in _factories:
        _factories[s.database_url] = make_sessionmaker(make_engine(s.database_url))
    return _factories[s.database_url]


@contextmanager
def unit_of_work() -> Iterator[Session]:
    with session_scope(factory()) as session:
        yield session


def friendly_errors(func: F) -> F:
    """Our ValueErrors name the field; show them as a one-line error, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return func(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            text = str(getattr(exc, "orig", exc))
            if "no such table" in text or "does not exist" in text:
                raise click.ClickException(
                    "the database has no mailer tables yet; run `mailer init` first"
                ) from None
            raise
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def get_list(session: Session, slug: str) -> MailingList:
    ml = session.scalars(select(MailingList).where(MailingList.slug == slug)).first()
    if ml is None:
        known = ", ".join(session.scalars(select(MailingList.slug).order_by(MailingList.slug)))
        raise click.BadParameter(
            f"no list with slug {slug!r} (known: {known or 'none yet'})", param_hint="--list"
        )
    return ml


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


def parse_day(value: str | None, param: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-03-02", param_hint=param
        ) from None


def local(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""
