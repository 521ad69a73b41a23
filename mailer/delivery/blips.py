"""Database blips are weather: a lost connection is waited out, never a reason to exit.

A PostgreSQL restart, a failover or an administrator's ``pg_terminate_backend``
drops the worker's connections in the middle of a batch; SQLite answers
"database is locked" under a long writer. Both are ``OperationalError``s (or
an invalidated connection). The worker retries the step with exponential
backoff and carries on where it was; the connection pool's pre-ping replaces
the dead connections. Anything else is a bug and is raised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from itertools import count
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: First wait after a blip and the longest wait between tries (seconds).
FIRST_WAIT = 0.5
MAX_WAIT = 30.0
#: Tries still made once the worker is asked to stop (to record what was sent).
TRIES_WHEN_STOPPING = 3


def is_blip(exc: BaseException) -> bool:
    """Did the database connection fail (rather than the statement or our code)?"""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)


def wait_for(attempt: int) -> float:
    """Seconds to wait before try ``attempt + 1`` (1-based): 0.5, 1, 2, ... up to 30."""
    return min(FIRST_WAIT * 2 ** (attempt - 1), MAX_WAIT)


def describe(exc: BaseException) -> str:
    """The driver's first line, without SQLAlchemy's statement dump."""
    origin = getattr(exc, "orig", None) or exc
    lines = str(origin).strip().splitlines()
    return f"{type(origin).__name__}: {lines[0] if lines else ''}"


def retrying(fn: Callable[[], T], stop: threading.Event, what: str) -> T:
    """``fn()``, tried again after each blip until it succeeds (a few tries once stopping)."""
    for attempt in count(1):
        try:
            return fn()
        except Exception as exc:
            if not is_blip(exc) or (stop.is_set() and attempt >= TRIES_WHEN_STOPPING):
                raise
            delay = wait_for(attempt)
            log.warning(
                "%s: database unreachable (%s); retrying in %.1fs", what, describe(exc), delay
            )
            if stop.wait(delay):
                time.sleep(min(delay, 1.0))
    raise AssertionError("unreachable")
