"""Ending a command that has finished without Python's own teardown.

After ``mailer worker --once`` has sent, recorded and closed everything, the
interpreter's shutdown (the final collection, then every module torn down,
SQLAlchemy's graph of mappers and compiled statements with it) kept the
process alive another 0.2 to 0.35 s. That is a measurable share of a whole
send, which is what an operator waits for (issue 16 times the command from
start to exit against a bare smtplib loop). So a command whose work is done and
whose connections are closed may ask for a prompt exit: ``mailer.cli.main``
then flushes logging and the standard streams and ends with ``os._exit``.

Only a command that has already closed what it opened may ask, because
atexit handlers do not run. A command run any other way (click's test runner,
``mailer.cli.cli`` called directly) is unaffected: only ``main`` acts on it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn

_requested = False


def request() -> None:
    """The command's work is done and everything it opened is closed."""
    global _requested
    _requested = True


def reset() -> None:
    """Forget an earlier command's request (``main`` runs once per process, tests more)."""
    global _requested
    _requested = False


def requested() -> bool:
    return _requested


def leave(code: int) -> NoReturn:
    """Flush what is buffered, then end the process at once with ``code``."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
