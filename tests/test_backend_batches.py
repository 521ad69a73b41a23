"""Every API backend's batch path, with messages built by the real MessageBuilder.

A campaign's messages share one body (``MergeBody``) and carry each reader's
values; SendGrid sends them as personalizations with substitutions, Mailgun
with recipient-variables, Postmark as complete messages in 500-message
batches, each backend several requests at once. The fakes deliver each
message as the provider would (substitutions applied), so these tests read
what every reader would actually get.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from http_fakes import FakeApi, FakeMailgun, FakePostmark, FakeSendGrid, Reply, Slow
from sqlalchemy.orm import Session, sessionmaker

from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.config import Settings
from mailer.delivery.backends import backend_from_url
from mailer.delivery.backends.base import Outcome, OutgoingMessage
from mailer.delivery.backends.http_base import HttpApiBackend
from mailer.delivery.message import MessageBuilder, Recipient
from subscribers.models import MailingList

BASE = "https://news.example.org"
NAME, EMAIL = PLACEHOLDERS["name"], PLACEHOLDERS["email"]
UNSUB, PREFS = PLACEHOLDERS["unsubscribe_url"], PLACEHOLDERS["preferences_url"]
SNAPSHOT = Snapshot(
    "ODEI Weekly: Women's History Month",
    "",
    "<html><head><title>ODEI Weekly: Women's History Month</title></head><body>"
    f"<p>Hello {NAME},</p><p>This week the Office of Diversity, Equity and Inclusion "
    "celebrates Women's History Month.</p>"
    f'<p>Sent to {EMAIL}. <a href="{UNSUB}">Unsubscribe</a> or '
    f'<a href="{PREFS}">change your preferences</a>.</p></body></html>',
    f"Hello {NAME},\n\nThis week the Office of Diversity, Equity and Inclusion celebrates "
    f"Women's History Month.\n\nSent to {EMAIL}.\nUnsubscribe: {UNSUB}\nPreferences: {PREFS}\n",
)
PROVIDERS = {
    "sendgrid": (FakeSendGrid, "sendgrid://SG.test-key@"),
    "mailgun": (FakeMailgun, "mailgun://key-test@mg.example.org"),
    "postmark": (FakePostmark, "postmark://00000000-test-token@"),
}
_ADDRESS = re.compile(r"reader\d+@example\.org")
_LINK = re.compile(re.escape(BASE) + r"/[up]/[A-Za-z0-9._-]+")
_RAW_SLOT = re.compile(r"__MAILER_|-odei-(html|text)-|%recipient\.")


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> Iterator[tuple[FakeApi, str]]:
    fake_class, url = PROVIDERS[request.param]
    with fake_class() as fake:
        yield fake, url


def backend(provider: tuple[FakeApi, str], **query: object) -> HttpApiBackend:
    fake, url = provider
    qs = "".join(f"&{k}={v}" for k, v in query.items())
    b = backend_from_url(f"{url}?base_url={fake.url}{qs}", Settings())
    assert isinstance(b, HttpApiBackend) and b.structured
    b.open()
    return b


def campaign(count: int, names: str = "Reader {i}") -> list[OutgoingMessage]:
    """``count`` readers' messages of one campaign, built as the worker builds them."""
    settings = Settings(secret_key="k", base_url=BASE, from_name="WashU Med ODEI")
    ml = MailingList(
        id=3, slug="odei-weekly", name="ODEI Weekly", from_name="", from_email="", reply_to=""
    )
    builder = MessageBuilder(SNAPSHOT, ml, settings, campaign_id=7, structured=True)
    return [
        builder.build(Recipient(i, 1000 + i, f"reader{i}@example.org", names.format(i=i)))
        for i in range(1, count + 1)
    ]


def own_links(message: OutgoingMessage) -> set[str]:
    return {message.merge_text[UNSUB], message.merge_text[PREFS]}


def test_no_reader_sees_another_readers_address_or_links(provider: tuple[FakeApi, str]) -> None:
    """The anymail trap: batched readers each get their own message, and only their own data."""
    fake, _ = provider
    batch = campaign(450, names="Reader {i} Ñúñez-Ōkafor")
    results = backend(provider).send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT] * 450
    assert len(fake.requests) < 10  # batched: a few requests, not 450
    by_address = {m.recipient: m for m in batch}
    seen: set[str] = set()
    for delivered in fake.delivered:
        (address,) = delivered["to"]
        message = by_address[address]
        seen.add(address)
        headers = delivered["headers"]
        everything = " ".join(
            [delivered["subject"], delivered["text"], delivered["html"], *headers.values()]
        )
        assert set(_ADDRESS.findall(everything)) <= {address}, address
        assert set(_LINK.findall(everything.replace("&amp;", "&"))) <= own_links(message)
        assert not _RAW_SLOT.search(everything), "a placeholder reached a reader"
        # ...and their own values are all there, each where it belongs.
        unsubscribe = message.merge_text[UNSUB]
        assert f"Hello Reader {message.delivery_id} Ñúñez-Ōkafor," in delivered["text"]
        assert f"Sent to {address}." in delivered["text"]
        assert f"Unsubscribe: {unsubscribe}\n" in delivered["text"]
        assert f'href="{unsubscribe}"' in delivered["html"]
        assert headers["List-Unsubscribe"].startswith(f"<{unsubscribe}>")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["Message-ID"] == message.message_id
        assert headers.get("To", address) == address
        assert delivered["metadata"]["delivery_id"] == str(message.delivery_id)
    assert seen == set(by_address) and len(fake.delivered) == 450


def test_requests_run_at_once(provider: tuple[FakeApi, str]) -> None:
    fake, _ = provider
    fake.latency = 1.0
    b = backend(provider, concurrency=4)
    started = time.monotonic()
    results = b.send(campaign(800))
    elapsed = time.monotonic() - started
    assert {r.outcome for r in results} == {Outcome.SENT} and len(results) == 800
    assert len(fake.requests) == 4 and fake.max_in_flight == 4
    assert elapsed < 3.0  # waited together: one after another would take >= 4 x 1 s
    fake.latency, fake.max_in_flight = 0.1, 0
    fake.requests.clear()
    backend(provider, concurrency=1).send(campaign(1200))  # over one request's limit
    assert len(fake.requests) >= 2 and fake.max_in_flight == 1


def test_429_with_retry_after(provider: tuple[FakeApi, str]) -> None:
    fake, _ = provider
    fake.then(Reply(429, {"message": "Too many requests"}, {"Retry-After": "7"}))
    batch = campaign(60)  # one request
    results = backend(provider).send(batch)
    assert [r.outcome for r in results] == [Outcome.TRANSIENT] * 60
    assert all(r.retry_after == 7.0 for r in results)
    assert fake.delivered == []
    again = backend(provider).send(batch)
    assert [r.outcome for r in again] == [Outcome.SENT] * 60


def test_500_is_transient_for_that_requests_readers(provider: tuple[FakeApi, str]) -> None:
    fake, _ = provider
    fake.then(Reply(500, {"message": "Internal Server Error"}))
    results = backend(provider).send(campaign(400))  # four requests, one of them fails
    transient = [r for r in results if r.outcome is Outcome.TRANSIENT]
    assert len(transient) == 100 and all(r.detail.startswith("500") for r in transient)
    sent = {r.delivery_id for r in results if r.outcome is Outcome.SENT}
    assert len(sent) == 300
    assert {int(d["metadata"]["delivery_id"]) for d in fake.delivered} == sent


def test_400_for_one_reader_of_a_batch(provider: tuple[FakeApi, str]) -> None:
    """Only the refused reader fails; everyone else in the batch is sent, once."""
    fake, _ = provider
    batch = campaign(300)
    fake.invalid.add(batch[141].recipient)
    results = backend(provider).send(batch)
    outcomes = {r.delivery_id: r.outcome for r in results}
    assert outcomes.pop(batch[141].delivery_id) is Outcome.PERMANENT
    assert set(outcomes.values()) == {Outcome.SENT} and len(outcomes) == 299
    delivered = [d["to"][0] for d in fake.delivered]
    assert sorted(delivered) == sorted(m.recipient for m in batch if m is not batch[141])


def test_timeout_is_transient_for_that_requests_readers(provider: tuple[FakeApi, str]) -> None:
    fake, _ = provider
    fake.then(Slow(1.5))
    results = backend(provider, timeout="0.5").send(campaign(300))  # three requests
    transient = [r for r in results if r.outcome is Outcome.TRANSIENT]
    assert len(transient) == 100
    assert all("did not answer within 0.5 s" in r.detail for r in transient)
    sent = {r.delivery_id for r in results if r.outcome is Outcome.SENT}
    assert len(sent) == 200
    delivered = {int(d["metadata"]["delivery_id"]) for d in fake.delivered}
    assert sent <= delivered  # (the slow request may still be accepted: sent again later)


def test_every_reader_is_recorded_through_the_worker(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """Batched and concurrent, the engine still records one result per reader."""
    from helpers import started_campaign

    from mailer.delivery.models import Campaign, DeliveryStatus
    from mailer.delivery.worker import drain

    campaign_id = started_campaign(session, 230)
    with FakeSendGrid() as fake:
        fake.invalid.add("reader7@example.org")
        url = f"sendgrid://SG.test-key@?base_url={fake.url}"
        stats = drain(session_factory, settings.replace(backend=url, batch_size=1000))
        assert stats.sent == 229 and stats.failed == 1
        assert len(fake.requests) <= 4  # 230 readers: two requests, one posted again
    from delivery_fixtures import statuses

    session.expire_all()
    assert statuses(session, campaign_id) == {DeliveryStatus.SENT: 229, DeliveryStatus.FAILED: 1}
    c = session.get(Campaign, campaign_id)
    assert c is not None and c.sent_count == 229 and c.failed_count == 1
