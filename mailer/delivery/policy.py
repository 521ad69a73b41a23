"""The engine's decisions, as pure functions of what happened: no database, no clock.

Two questions, answered once each:

- ``decide``: what becomes of one delivery after the backend's answer
  (sent; retried later with backoff; failed; bounced);
- ``PauseWatch``: when a campaign's answers say the fault is ours or the
  server's rather than the readers', so sending must stop (pause).

Greylisting is normal: many servers answer 4xx to the first try from an
unknown sender and accept the retry. So a first-try transient answer is
retried and does not count towards the pause; the pause reacts to permanent
failures in a row, or to transient failures of *retries* taking most of a
window (the server keeps refusing even what it asked us to send again).
Backend errors (the transport as a whole) are counted by the worker.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from mailer.delivery.backends.base import Outcome

#: The longest any retry waits, whatever the attempt number or the server's Retry-After.
MAX_BACKOFF = 6 * 3600.0


class Action(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # back to the queue, due after ``delay`` seconds
    FAIL = "fail"
    BOUNCE = "bounce"  # failed, and the address is suppressed (5.1.x)


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    detail: str = ""
    delay: float | None = None


def backoff_seconds(
    attempts: int,
    retry_after: float | None,
    base: float = 30.0,
    uniform: Callable[[float, float], float] = random.uniform,
) -> float:
    """Exponential backoff with full jitter, never sooner than the server asked."""
    delay = uniform(base, base * 2 ** min(attempts, 10))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, MAX_BACKOFF)


def decide(
    outcome: Outcome,
    attempts: int,
    max_attempts: int,
    detail: str = "",
    retry_after: float | None = None,
    *,
    base: float = 30.0,
    uniform: Callable[[float, float], float] = random.uniform,
) -> Decision:
    """The fate of one delivery that has now been tried ``attempts`` times."""
    if outcome is Outcome.SENT:
        return Decision(Action.SENT)
    detail = detail or outcome.value
    if outcome is Outcome.TRANSIENT:
        if attempts < max_attempts:
            return Decision(
                Action.RETRY, detail, backoff_seconds(attempts, retry_after, base, uniform)
            )
        return Decision(Action.FAIL, f"gave up after {attempts} attempts: {detail}")
    if outcome is Outcome.HARD_BOUNCE:
        return Decision(Action.BOUNCE, detail)
    return Decision(Action.FAIL, detail)


@dataclass
class PauseWatch:
    """One campaign's failure pattern, fed every answer in order; says when to pause.

    ``max_in_a_row`` permanent failures with no success between them pause
    (a policy block, a broken template, an unauthenticated sender); so does a
    window of ``window`` counted answers (twice ``max_in_a_row`` unless given)
    in which retries that failed again make up ``transient_share`` or more.
    First-try transient answers count for nothing either way (greylisting).
    """

    max_in_a_row: int
    window: int = 0
    transient_share: float = 0.9
    in_a_row: int = 0
    recent: deque[bool] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.window = self.window or max(2 * self.max_in_a_row, 2)

    def observe(self, outcome: Outcome, attempts: int) -> None:
        if outcome is Outcome.TRANSIENT and attempts <= 1:
            return  # greylisting, or a blip: the retry will tell
        if outcome is Outcome.SENT:
            self.in_a_row = 0
        elif outcome is not Outcome.TRANSIENT:
            self.in_a_row += 1
        self.recent.append(outcome is Outcome.TRANSIENT)
        if len(self.recent) > self.window:
            self.recent.popleft()

    def reason(self, last_error: str = "") -> str | None:
        """Why the campaign must pause now, or None."""
        if self.in_a_row >= self.max_in_a_row:
            return f"{self.in_a_row} failures in a row; last: {last_error}"
        retried = sum(self.recent)
        if len(self.recent) >= self.window and retried >= self.transient_share * self.window:
            return (
                f"{retried} of the last {len(self.recent)} answers were retries refused "
                f"again; last: {last_error}"
            )
        return None

    def feed(self, answers: Iterable[tuple[Outcome, int, str]]) -> str | None:
        """Observe a batch's answers (outcome, attempts, detail); the pause reason, if any."""
        last = ""
        for outcome, attempts, detail in answers:
            self.observe(outcome, attempts)
            if outcome is not Outcome.SENT and not (outcome is Outcome.TRANSIENT and attempts <= 1):
                last = detail
        reason = self.reason(last)
        if reason is not None:
            self.reset()
        return reason

    def reset(self) -> None:
        self.in_a_row = 0
        self.recent.clear()
