"""A backend that accepts everything and keeps nothing: for benchmarks and dry runs."""

from __future__ import annotations

from collections.abc import Sequence

from mailer.config import Settings
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult


class NullBackend:
    max_batch = 10_000

    def __init__(self) -> None:
        self.count = 0

    def open(self) -> None:
        pass

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.count += len(messages)
        return [SendResult(m.delivery_id, Outcome.SENT) for m in messages]

    def close(self) -> None:
        pass


def from_url(url: str, settings: Settings) -> NullBackend:
    return NullBackend()
