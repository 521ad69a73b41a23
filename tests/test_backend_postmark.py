"""The Postmark backend against a local server speaking the batch API."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Iterator

import pytest
from backend_messages import make_batch, many
from http_fakes import FakePostmark, Reply, Slow

from mailer.config import Settings
from mailer.delivery.backends import backend_from_url
from mailer.delivery.backends.base import BackendError, Outcome
from mailer.delivery.backends.http_base import parse_retry_after
from mailer.delivery.backends.postmark import PostmarkBackend


@pytest.fixture
def api() -> Iterator[FakePostmark]:
    with FakePostmark() as fake:
        yield fake  # type: ignore[misc]


def backend(
    api: FakePostmark, key: str = "00000000-test-token", **query: object
) -> PostmarkBackend:
    qs = "".join(f"&{k}={v}" for k, v in query.items())
    b = backend_from_url(f"postmark://{key}@?base_url={api.url}{qs}", Settings())
    assert isinstance(b, PostmarkBackend)
    b.open()
    return b


def test_success_batches_personal_messages(api: FakePostmark) -> None:
    batch = make_batch(6)
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT] * 6
    assert len(api.requests) == 1  # every message complete in one batch request
    request = api.requests[0]
    assert request.headers["x-postmark-server-token"] == "00000000-test-token"
    for sent, message in zip(request.json, batch, strict=True):
        assert sent["To"] == message.recipient
        assert sent["HtmlBody"] == message.html and sent["TextBody"] == message.text
        assert sent["MessageStream"] == "broadcast"
        assert sent["Metadata"] == {"delivery_id": str(message.delivery_id)}
        headers = {h["Name"]: h["Value"] for h in sent["Headers"]}
        assert headers["List-Unsubscribe"] == message.headers["List-Unsubscribe"]
        assert headers["Feedback-ID"] == "weekly:odei:campaign7"
        assert "From" not in headers and "Subject" not in headers
    assert all(r.provider_id for r in results)


def test_batches_split_at_500(api: FakePostmark) -> None:
    results = backend(api, stream="odei-digest", concurrency=1).send(many(1001))
    assert sorted(len(r.json) for r in api.requests) == [333, 334, 334]  # <= 500, evenly
    assert all(m["MessageStream"] == "odei-digest" for r in api.requests for m in r.json)
    assert len(results) == 1001 and {r.outcome for r in results} == {Outcome.SENT}


def test_batches_split_by_size(api: FakePostmark) -> None:
    b = backend(api)
    batch = make_batch(6)
    one = len(json.dumps(b._payload(batch[0])))
    b.max_batch_bytes = 3 * one + 10  # room for three messages, not four
    results = b.send(batch)
    assert [len(r.json) for r in api.requests] == [3, 3]
    assert all(len(r.body) <= b.max_batch_bytes for r in api.requests)
    assert [r.delivery_id for r in results] == [m.delivery_id for m in batch]
    assert {r.outcome for r in results} == {Outcome.SENT}


def test_per_message_error_codes(api: FakePostmark) -> None:
    batch = make_batch(4)
    api.inactive.add(batch[1].recipient)
    api.invalid.add(batch[2].recipient)
    results = backend(api).send(batch)
    assert [r.outcome for r in results] == [
        Outcome.SENT,
        Outcome.HARD_BOUNCE,
        Outcome.PERMANENT,
        Outcome.SENT,
    ]
    assert results[1].detail.startswith("406 You tried to send to recipient(s)")
    assert results[2].detail == f"300 Invalid 'To' address: '{batch[2].recipient}'."
    assert len(api.accepted) == 2


def test_429_with_retry_after(api: FakePostmark) -> None:
    api.then(
        Reply(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"}, {"Retry-After": "12"})
    )
    results = backend(api).send(make_batch(3))
    assert [r.outcome for r in results] == [Outcome.TRANSIENT] * 3
    assert {r.retry_after for r in results} == {12.0}
    assert api.accepted == []


def test_500_is_transient(api: FakePostmark) -> None:
    api.then(Reply(500, {"ErrorCode": 500, "Message": "Internal Server Error"}))
    results = backend(api).send(make_batch(2))
    assert [r.outcome for r in results] == [Outcome.TRANSIENT] * 2
    assert results[0].detail == "500 ErrorCode 500: Internal Server Error"


def test_422_for_the_whole_request(api: FakePostmark) -> None:
    api.then(Reply(422, {"ErrorCode": 300, "Message": "Invalid email request"}))
    results = backend(api).send(make_batch(2))
    assert [r.outcome for r in results] == [Outcome.PERMANENT] * 2
    assert results[0].detail == "422 ErrorCode 300: Invalid email request"


def test_400_for_the_whole_request(api: FakePostmark) -> None:
    api.then(Reply(400, {"ErrorCode": 402, "Message": "Received invalid JSON input."}))
    results = backend(api).send(make_batch(1))
    assert results[0].outcome is Outcome.PERMANENT
    assert results[0].detail == "400 ErrorCode 402: Received invalid JSON input."


def test_sender_signature_problem_pauses(api: FakePostmark) -> None:
    api.then(
        Reply(
            422,
            {
                "ErrorCode": 400,
                "Message": "The 'From' address you supplied is not "
                "a Sender Signature on your account.",
            },
        )
    )
    with pytest.raises(BackendError, match="Sender Signature") as caught:
        backend(api).send(make_batch(2))
    assert caught.value.transient is False


def test_timeout_is_transient(api: FakePostmark) -> None:
    api.then(Slow(1.5))
    results = backend(api, timeout="0.3").send(make_batch(2))
    assert [r.outcome for r in results] == [Outcome.TRANSIENT] * 2
    assert "did not answer within 0.3 s" in results[0].detail


def test_wrong_token_pauses(api: FakePostmark) -> None:
    with pytest.raises(BackendError, match="Server Token") as caught:
        backend(api, key="wrong").send(make_batch(2))
    assert caught.value.transient is False
    assert api.accepted == []


def test_parse_retry_after() -> None:
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Mon, 02 Mar 2026 12:01:30 GMT", now) == 90.0
    assert parse_retry_after("Mon, 02 Mar 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None


def test_encoded_from_name_is_sent_as_plain_utf8(api: FakePostmark) -> None:
    message = make_batch(1)[0]
    message.from_header = email.utils.formataddr(
        ("WashU Med · ODEI, St. Louis", "odei-news@example.org")
    )
    assert message.from_header.startswith("=?utf-8?")
    assert backend(api).send([message])[0].outcome is Outcome.SENT
    assert api.requests[0].json[0]["From"] == (
        '"WashU Med · ODEI, St. Louis" <odei-news@example.org>'
    )


def test_api_backends_ask_for_structured_messages() -> None:
    from mailer.delivery.backends.mailgun import MailgunBackend
    from mailer.delivery.backends.sendgrid import SendGridBackend

    # The message builder fills subject/html/text/headers only when the backend says so.
    assert PostmarkBackend.structured is True
    assert SendGridBackend.structured is True
    assert MailgunBackend.structured is True  # batches use the shared body


def test_a_shared_body_spliced_as_json_equals_the_filled_message(api: FakePostmark) -> None:
    """The per-reader JSON built from pre-escaped pieces parses to the complete message."""
    from test_backend_batches import campaign

    b = backend(api)
    for message in campaign(3, names='Zoë "Zee" <Ōkafor> & co\\ {i}'):
        assert message.merge is not None
        assert json.loads(b._json(message)) == b._payload(message)
