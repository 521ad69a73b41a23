"""The SendGrid backend against a local server speaking v3 Mail Send."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator

import pytest
from backend_messages import make_batch, many
from http_fakes import FakeSendGrid, Reply, Slow

from mailer.config import Settings
from mailer.delivery.backends import backend_from_url
from mailer.delivery.backends.base import BackendError, Outcome, OutgoingMessage
from mailer.delivery.backends.sendgrid import SendGridBackend


@pytest.fixture
def api() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as fake:
        yield fake  # type: ignore[misc]


def backend(api: FakeSendGrid, key: str = "SG.test-key", **query: object) -> SendGridBackend:
    qs = "".join(f"&{k}={v}" for k, v in query.items())
    b = backend_from_url(f"sendgrid://{key}@?base_url={api.url}{qs}", Settings())
    assert isinstance(b, SendGridBackend)
    b.open()
    return b


def shared_body(messages: list[OutgoingMessage]) -> list[OutgoingMessage]:
    """The same batch with one body for all (a digest without personal links in the body)."""
    first = messages[0]
    return [dataclasses.replace(m, html=first.html, text=first.text) for m in messages]


def test_success_one_personalization_per_recipient(api: FakeSendGrid) -> None:
    batch = shared_body(make_batch(5))
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT] * 5
    assert len(api.requests) == 1  # same body: one request, five personalizations
    request = api.requests[0]
    assert request.headers["authorization"] == "Bearer SG.test-key"
    body = request.json
    assert [p["to"] for p in body["personalizations"]] == [[{"email": m.recipient}] for m in batch]
    for person, message in zip(body["personalizations"], batch, strict=True):
        assert person["custom_args"] == {"delivery_id": str(message.delivery_id)}
        assert person["headers"]["List-Unsubscribe"] == message.headers["List-Unsubscribe"]
        assert person["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert person["headers"]["Feedback-ID"] == "weekly:odei:campaign7"
        assert person["subject"] == message.subject
    assert body["from"] == {"email": "odei-news@example.org", "name": "WashU Med ODEI"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["tracking_settings"]["click_tracking"]["enable"] is False
    assert results[0].provider_id and len(api.accepted) == 5


def test_personal_bodies_go_one_request_each(api: FakeSendGrid) -> None:
    batch = make_batch(3)  # each body has its own unsubscribe link
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert len(api.requests) == 3  # sent concurrently, so in any order
    by_recipient = {m.recipient: m for m in batch}
    for request in api.requests:
        (person,) = request.json["personalizations"]
        assert request.json["content"][1]["value"] == by_recipient[person["to"][0]["email"]].html


def test_429_with_retry_after(api: FakeSendGrid) -> None:
    api.then(
        Reply(
            429, {"errors": [{"message": "too many requests", "field": None}]}, {"Retry-After": "7"}
        )
    )
    b = backend(api)
    results = b.send(shared_body(make_batch(3)))
    assert {r.outcome for r in results} == {Outcome.TRANSIENT}
    assert all(r.retry_after == 7.0 for r in results)
    assert results[0].detail == "429 too many requests"
    assert api.accepted == []
    assert [r.outcome for r in b.send(shared_body(make_batch(3)))] == [Outcome.SENT] * 3


def test_429_with_rate_limit_reset(api: FakeSendGrid) -> None:
    reset = int(time.time()) + 30
    api.then(
        Reply(
            429, {"errors": [{"message": "too many requests"}]}, {"X-RateLimit-Reset": str(reset)}
        )
    )
    results = backend(api).send(make_batch(1))
    assert results[0].outcome is Outcome.TRANSIENT
    assert results[0].retry_after is not None and 25 <= results[0].retry_after <= 31


def test_500_is_transient(api: FakeSendGrid) -> None:
    api.then(Reply(500, {"errors": [{"message": "internal error", "field": None}]}))
    results = backend(api).send(shared_body(make_batch(2)))
    assert [r.outcome for r in results] == [Outcome.TRANSIENT] * 2
    assert results[0].detail == "500 internal error" and results[0].retry_after is None


def test_400_blames_one_recipient_and_reposts_the_rest(api: FakeSendGrid) -> None:
    batch = shared_body(make_batch(4))
    api.invalid.add(batch[2].recipient)
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [
        Outcome.SENT,
        Outcome.SENT,
        Outcome.PERMANENT,
        Outcome.SENT,
    ]
    assert "personalizations.2.to.0.email: Does not contain a valid address." in results[2].detail
    assert len(api.requests) == 2
    assert sorted(p["to"][0]["email"] for p in api.accepted) == sorted(
        m.recipient for i, m in enumerate(batch) if i != 2
    )


def test_400_for_the_whole_request(api: FakeSendGrid) -> None:
    api.then(FakeSendGrid.error(400, "The from email does not contain a valid address.", "from"))
    results = backend(api).send(make_batch(1))
    assert results[0].outcome is Outcome.PERMANENT
    assert results[0].detail == "400 from: The from email does not contain a valid address."


def test_timeout_is_transient(api: FakeSendGrid) -> None:
    api.then(Slow(1.5))
    results = backend(api, timeout="0.3").send(make_batch(1))
    assert results[0].outcome is Outcome.TRANSIENT
    assert "did not answer within 0.3 s" in results[0].detail


def test_wrong_key_pauses_before_anyone_is_sent(api: FakeSendGrid) -> None:
    with pytest.raises(BackendError, match="refused the key") as caught:
        backend(api, key="SG.wrong").send(make_batch(2))
    assert caught.value.transient is False
    assert api.accepted == []


def test_unreachable_api_is_a_transient_backend_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        b = backend_from_url(f"sendgrid://k@?base_url=http://127.0.0.1:{port}", Settings())
        with pytest.raises(BackendError, match="cannot reach the SendGrid API") as caught:
            b.send(make_batch(1))
    assert caught.value.transient is True


def test_url_errors() -> None:
    with pytest.raises(BackendError, match="no API key"):
        backend_from_url("sendgrid://@", Settings())
    with pytest.raises(BackendError, match="unknown option"):
        backend_from_url("sendgrid://k@?base=http://x", Settings())
    b = backend_from_url("sendgrid://SG.abc@", Settings())
    assert isinstance(b, SendGridBackend)
    assert b.config.base_url == "https://api.sendgrid.com" and b.max_batch == 4 * 1000


def test_personalizations_split_at_1000(api: FakeSendGrid) -> None:
    batch = many(2001)
    results = backend(api, concurrency=2).send(batch)
    sizes = sorted(len(r.json["personalizations"]) for r in api.requests)
    assert sizes == [667, 667, 667]  # 2,001 needs 3 requests of <= 1,000: evenly
    assert len(results) == 2001 and {r.outcome for r in results} == {Outcome.SENT}
    assert len({p["to"][0]["email"] for p in api.accepted}) == 2001


def test_a_batch_is_spread_over_the_concurrent_requests(api: FakeSendGrid) -> None:
    batch = many(1001)
    results = backend(api).send(batch)  # concurrency 4 by default
    assert sorted(len(r.json["personalizations"]) for r in api.requests) == [248, 251, 251, 251]
    assert len(results) == 1001 and {r.outcome for r in results} == {Outcome.SENT}
    api.requests.clear()
    backend(api).send(many(150))  # not cut into requests of fewer than 100
    assert sorted(len(r.json["personalizations"]) for r in api.requests) == [150]
    assert len(results) == 1001 and {r.outcome for r in results} == {Outcome.SENT}
    assert len({p["to"][0]["email"] for p in api.accepted}) == 1001


def test_encoded_display_names_are_decoded(api: FakeSendGrid) -> None:
    message = dataclasses.replace(
        make_batch(1)[0],
        from_header="=?utf-8?q?Oficina_de_Diversidad_=C2=B7_ODEI?= <odei-news@example.org>",
    )
    assert backend(api).send([message])[0].outcome is Outcome.SENT
    assert api.requests[0].json["from"] == {
        "email": "odei-news@example.org",
        "name": "Oficina de Diversidad · ODEI",
    }


def test_400_naming_one_recipient_twice(api: FakeSendGrid) -> None:
    batch = shared_body(make_batch(3))
    api.then(
        Reply(
            400,
            {
                "errors": [
                    {"message": "Invalid type.", "field": "personalizations.1.to.0.email"},
                    {"message": "Too long.", "field": "personalizations.1.subject"},
                ]
            },
        )
    )
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.PERMANENT, Outcome.SENT]
    assert results[1].detail == (
        "400 personalizations.1.to.0.email: Invalid type.; personalizations.1.subject: Too long."
    )
