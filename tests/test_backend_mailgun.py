"""The Mailgun backend's one-message path (messages.mime) against a local server.

These messages carry no shared body (as messages built outside a campaign),
so each goes alone with its complete MIME. The tests script the fake's
replies in order, so they send one request at a time (``concurrency=1``);
the batch path is in test_backend_batches.py.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator

import pytest
from backend_messages import make_batch
from http_fakes import FakeMailgun, HangUp, Reply, Slow

from mailer.config import Settings
from mailer.delivery.backends import backend_from_url
from mailer.delivery.backends.base import BackendError, Outcome
from mailer.delivery.backends.mailgun import MailgunBackend


@pytest.fixture
def api() -> Iterator[FakeMailgun]:
    with FakeMailgun() as fake:
        yield fake  # type: ignore[misc]


def backend(
    api: FakeMailgun, key: str = "key-test", domain: str = "mg.example.org", **query: object
) -> MailgunBackend:
    query.setdefault("concurrency", 1)
    qs = "".join(f"&{k}={v}" for k, v in query.items())
    b = backend_from_url(f"mailgun://{key}@{domain}?base_url={api.url}{qs}", Settings())
    assert isinstance(b, MailgunBackend)
    b.open()
    return b


def test_success_sends_our_mime_unchanged(api: FakeMailgun) -> None:
    batch = make_batch(3)
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert all(r.provider_id.endswith("@mg.example.org>") for r in results)
    assert results[0].detail == "200 Queued. Thank you."
    assert len(api.requests) == 3
    for form, message in zip(api.accepted, batch, strict=True):
        assert form["to"].decode() == message.recipient
        assert form["v:delivery_id"].decode() == str(message.delivery_id)
        assert form["message"] == message.raw
        parsed = email.message_from_bytes(form["message"], policy=email.policy.default)
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_429_with_retry_after_date(api: FakeMailgun) -> None:
    api.then(
        Reply(
            429, {"message": "Too many requests"}, {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}
        )
    )
    results = backend(api).send(make_batch(2))
    assert results[0].outcome is Outcome.TRANSIENT
    assert results[0].retry_after is not None and results[0].retry_after > 86400
    assert results[0].detail == "429 Too many requests"
    assert results[1].outcome is Outcome.SENT  # one request per message
    assert len(api.accepted) == 1


def test_500_is_transient(api: FakeMailgun) -> None:
    api.then(Reply(500, {"message": "Internal Server Error"}))
    assert backend(api).send(make_batch(1))[0].outcome is Outcome.TRANSIENT
    api.then(Reply(503, "Service Unavailable", {"Content-Type": "text/plain", "Retry-After": "2"}))
    results = backend(api).send(make_batch(1))
    assert results[0].outcome is Outcome.TRANSIENT
    assert results[0].retry_after == 2.0
    assert results[0].detail == "503 Service Unavailable"


def test_400_fails_that_message(api: FakeMailgun) -> None:
    batch = make_batch(3)
    api.invalid.add(batch[1].recipient)
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.PERMANENT, Outcome.SENT]
    assert results[1].detail == (
        "400 to parameter is not a valid address. please check documentation"
    )
    assert len(api.accepted) == 2


def test_timeout_is_transient(api: FakeMailgun) -> None:
    api.then(Slow(1.5))
    results = backend(api, timeout="0.3").send(make_batch(2))
    assert results[0].outcome is Outcome.TRANSIENT
    assert "did not answer within 0.3 s" in results[0].detail
    assert results[1].outcome is Outcome.SENT


def test_wrong_key_pauses(api: FakeMailgun) -> None:
    with pytest.raises(BackendError, match="Forbidden") as caught:
        backend(api, key="key-wrong").send(make_batch(2))
    assert caught.value.transient is False
    assert api.accepted == []


def test_unknown_domain_pauses(api: FakeMailgun) -> None:
    with pytest.raises(BackendError, match=r"is 'other\.example\.org' a domain of this account"):
        backend(api, domain="other.example.org").send(make_batch(1))


def test_wrong_key_after_some_were_accepted_keeps_their_results(api: FakeMailgun) -> None:
    api.then(Reply(200, {"id": "<1@mg>", "message": "Queued. Thank you."}), Reply(401, "Forbidden"))
    results = backend(api).send(make_batch(3))
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.TRANSIENT, Outcome.SENT]


def test_url_forms() -> None:
    b = backend_from_url("mailgun://key-abc@mg.example.org?region=eu", Settings())
    assert isinstance(b, MailgunBackend)
    assert b.config.base_url == "https://api.eu.mailgun.net" and b.domain == "mg.example.org"
    b = backend_from_url("mailgun://api:key-abc@mg.example.org", Settings())
    assert isinstance(b, MailgunBackend)
    assert b.config.key == "key-abc" and b.config.base_url == "https://api.mailgun.net"
    with pytest.raises(BackendError, match="sending domain goes after the @"):
        backend_from_url("mailgun://key-abc@", Settings())
    with pytest.raises(BackendError) as caught:
        backend_from_url("mailgun://a@mg.example.org?regio=eu", Settings())
    assert str(caught.value).startswith("backend URL mailgun://***@mg.example.org?regio=eu:")
    with pytest.raises(BackendError, match="region should be us or eu"):
        backend_from_url("mailgun://key-abc@mg.example.org?region=ap", Settings())


def test_dropped_connection_is_transient_for_that_message(api: FakeMailgun) -> None:
    api.then(Reply(200, {"id": "<1@mg>", "message": "Queued. Thank you."}), HangUp())
    results = backend(api).send(make_batch(3))
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.TRANSIENT, Outcome.SENT]
    assert "Mailgun dropped the connection" in results[1].detail
