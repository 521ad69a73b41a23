"""The engine's pure decisions (mailer.delivery.policy), table by table: no database."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mailer.delivery.backends.base import Outcome
from mailer.delivery.policy import MAX_BACKOFF, Action, PauseWatch, backoff_seconds, decide

LOW = lambda a, b: a  # noqa: E731  (the jitter's lowest draw)
HIGH = lambda a, b: b  # noqa: E731  (its highest)

T, P, H, S = Outcome.TRANSIENT, Outcome.PERMANENT, Outcome.HARD_BOUNCE, Outcome.SENT


@pytest.mark.parametrize(
    ("outcome", "attempts", "max_attempts", "detail", "retry_after", "expected"),
    [
        (S, 1, 5, "", None, (Action.SENT, "", None)),
        (T, 1, 5, "451 4.7.1 greylisted", None, (Action.RETRY, "451 4.7.1 greylisted", 30.0)),
        (T, 3, 5, "421 4.3.2 busy", None, (Action.RETRY, "421 4.3.2 busy", 30.0)),
        (T, 1, 5, "429", 900.0, (Action.RETRY, "429", 900.0)),  # Retry-After wins
        (T, 1, 5, "429", 10**9, (Action.RETRY, "429", MAX_BACKOFF)),  # but never > 6 h
        (T, 5, 5, "451 again", None, (Action.FAIL, "gave up after 5 attempts: 451 again", None)),
        (P, 1, 5, "554 5.7.1 policy", None, (Action.FAIL, "554 5.7.1 policy", None)),
        (P, 1, 5, "", None, (Action.FAIL, "permanent", None)),
        (H, 1, 5, "550 5.1.1 no such user", None, (Action.BOUNCE, "550 5.1.1 no such user", None)),
        (H, 9, 5, "550 5.1.1", None, (Action.BOUNCE, "550 5.1.1", None)),
    ],
)
def test_decide(
    outcome: Outcome,
    attempts: int,
    max_attempts: int,
    detail: str,
    retry_after: float | None,
    expected: tuple[Action, str, float | None],
) -> None:
    d = decide(outcome, attempts, max_attempts, detail, retry_after, uniform=LOW)
    assert (d.action, d.detail, d.delay) == expected


@pytest.mark.parametrize(
    ("attempts", "draw", "expected"),
    [
        (1, LOW, 30.0),
        (1, HIGH, 60.0),
        (3, HIGH, 240.0),
        (10, HIGH, 30.0 * 1024),
        (40, HIGH, MAX_BACKOFF),
    ],
)
def test_backoff_doubles_with_jitter_up_to_a_cap(
    attempts: int, draw: Callable[[float, float], float], expected: float
) -> None:
    assert backoff_seconds(attempts, None, uniform=draw) == min(expected, MAX_BACKOFF)


def _feed(watch: PauseWatch, answers: list[tuple[Outcome, int]]) -> str | None:
    return watch.feed((o, n, f"{o.value} #{i}") for i, (o, n) in enumerate(answers))


@pytest.mark.parametrize(
    ("answers", "pauses"),
    [
        ([(T, 1)] * 500, False),  # greylisting: every first try deferred
        ([(P, 1)] * 4, False),
        ([(P, 1)] * 5, True),  # five permanent failures in a row
        ([(P, 1)] * 4 + [(S, 1)] + [(P, 1)] * 4, False),  # a success breaks the row
        ([(P, 1), (T, 1)] * 4 + [(P, 1)], True),  # first-try 4xx neither count nor break it
        ([(H, 1)] * 5, True),  # every address unknown: something is wrong with the list
        ([(T, 2)] * 9, False),  # the window (twice the row) is not full yet
        ([(T, 2)] * 10, True),  # retries refused again, the whole window
        ([(T, 2), (S, 2)] * 10, False),  # half the retries go through
        ([(T, 2)] * 9 + [(S, 1)], True),  # 9 of 10 is the share
    ],
)
def test_pause_watch(answers: list[tuple[Outcome, int]], pauses: bool) -> None:
    assert (_feed(PauseWatch(max_in_a_row=5), answers) is not None) is pauses


def test_pause_reason_names_the_last_counted_error_and_the_watch_starts_again() -> None:
    watch = PauseWatch(max_in_a_row=3)
    reason = watch.feed(
        [(P, 1, "550 5.7.26 unauthenticated"), (T, 1, "451 grey")] + [(P, 1, "554 no")] * 2
    )
    assert reason == "3 failures in a row; last: 554 no"
    assert watch.feed([(P, 1, "554 no")]) is None  # counting starts afresh after a pause
