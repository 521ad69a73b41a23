"""One batch's messages: build each, hand them to the backend, never let one row stop the rest.

An unexpected exception while building or sending one message (a bug, data
nobody foresaw) fails that delivery with the error recorded, and the batch
goes on. Were it allowed to end the worker, the batch would be recovered
and sent again, the part already sent twice, for ever (the poison loop the
recovery cap in ``outbox.recover_orphans`` also guards against).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from mailer.delivery.backends.base import (
    Backend,
    BackendError,
    Outcome,
    OutgoingMessage,
    SendResult,
)
from mailer.delivery.message import MessageBuilder, Recipient
from mailer.delivery.outbox import Claimed
from mailer.delivery.variants import VariantBuilder

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """A ValueError is our own refusal and says why; anything else also names its type."""
    if isinstance(exc, ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def build(
    builder: MessageBuilder | VariantBuilder,
    claimed: Sequence[Claimed],
    *,
    yield_to: Future[Any] | None = None,
) -> tuple[list[OutgoingMessage], list[SendResult]]:
    """The messages of a batch, and a permanent failure for each that could not be built.

    ``yield_to``: the batch another thread of this process is sending
    meanwhile (the worker's transport). Until it is done, this thread lets go
    of the GIL after each message, so a sending thread whose SMTP reply has
    arrived runs at once instead of waiting out the switch interval while a
    whole batch is built: the server, which is what limits a send, is
    answered sooner. ``time.sleep(0)`` is what hands the GIL over (a bare
    ``os.sched_yield`` takes it straight back); on Linux it pauses this
    thread for the timer slack, about 50 microseconds without using the CPU.
    Once the batch is sent nobody waits, and the rest is built at full speed.
    """
    messages: list[OutgoingMessage] = []
    unbuildable: list[SendResult] = []
    for c in claimed:
        recipient = Recipient(c.delivery_id, c.subscriber_id or 0, c.email, c.name)
        try:
            messages.append(builder.build(recipient, c.message_id))
        except Exception as exc:  # e.g. a header injection attempt in a stored name
            log.warning("delivery %s not built", c.delivery_id, exc_info=True)
            unbuildable.append(
                SendResult(c.delivery_id, Outcome.PERMANENT, f"not built: {describe(exc)}")
            )
        if yield_to is not None and not yield_to.done():
            time.sleep(0)  # releases the GIL: a waiting sender thread runs now
    return messages, unbuildable


def send(backend: Backend, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
    """The backend's answers; ``BackendError`` (the transport as a whole) is raised.

    Any other exception leaves unknown which message caused it, so the batch is
    tried again one message at a time and only the one that raises again fails.
    A message the backend had accepted before the exception may go out twice:
    the same bound as a crash, the batch in flight.
    """
    try:
        return list(backend.send(messages))
    except BackendError:
        raise
    except Exception as exc:
        if len(messages) == 1:
            log.warning("delivery %s not sent", messages[0].delivery_id, exc_info=True)
            return [
                SendResult(messages[0].delivery_id, Outcome.PERMANENT, f"not sent: {describe(exc)}")
            ]
        log.warning("a batch of %d raised %s; sending one by one", len(messages), describe(exc))
        results: list[SendResult] = []
        for message in messages:
            results.extend(send(backend, [message]))
        return results
