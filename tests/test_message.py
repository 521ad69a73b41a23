"""Messages built from a snapshot: valid MIME, the bulk-sender headers, safe personalisation."""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.config import Settings
from mailer.delivery.message import HeaderInjection, MessageBuilder, Recipient
from mailer.delivery.verp import parse_verp
from subscribers.models import MailingList
from subscribers.tokens import TokenSigner

P = PLACEHOLDERS
SETTINGS = Settings(secret_key="k", base_url="https://news.example.org")


def _builder(html: str | None = None, text: str | None = None, **list_kw: str) -> MessageBuilder:
    html = html or (
        "<!DOCTYPE html><html lang='en'><head><title>Weekly</title></head><body>"
        + "<p>Women’s History Month — a long line of text " * 30
        + f'<p>Hello {P["name"]}</p><a href="{P["unsubscribe_url"]}">Unsubscribe</a>'
        + f'<a href="{P["preferences_url"]}">Preferences</a></body></html>'
    )
    text = text or f"Hello {P['name']},\nUnsubscribe: {P['unsubscribe_url']}\n"
    ml = MailingList(
        id=3,
        slug="odei-weekly",
        name="ODEI Weekly",
        from_name="",
        from_email="",
        reply_to="",
        **list_kw,
    )
    return MessageBuilder(
        Snapshot("ODEI Weekly — Women’s History Month", "pre", html, text),
        ml,
        SETTINGS,
        campaign_id=9,
    )


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_multipart_alternative_with_text_first_and_html_last() -> None:
    msg = _parse(_builder().build(Recipient(1, 2, "ana@example.org", "Ana")).raw)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert "Hello Ana" in msg.get_body(("plain",)).get_content()
    assert "<p>Hello Ana</p>" in msg.get_body(("html",)).get_content()


def test_bulk_sender_headers_once_each() -> None:
    raw = _builder().build(Recipient(1, 2, "ana@example.org", "Ana")).raw
    msg = _parse(raw)
    for name in (
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Precedence",
        "Auto-Submitted",
        "Feedback-ID",
    ):
        assert len(msg.get_all(name) or []) == 1, name
    assert msg["Subject"] == "ODEI Weekly — Women’s History Month"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Id"] == '"ODEI Weekly" <odei-weekly.news.example.org>'
    assert "Return-Path" not in msg
    unsub = str(msg["List-Unsubscribe"])
    assert unsub.isascii()
    https, mailto = re.findall(r"<([^>]+)>", unsub)
    assert https.startswith("https://news.example.org/u/")
    assert mailto.startswith("mailto:unsubscribe@example.org?subject=")
    token = https.rsplit("/", 1)[1]
    data = TokenSigner("k").read("unsubscribe", token)
    assert (data.subscriber_id, data.list_id) == (2, 3)
    assert msg["Message-ID"].endswith("@mailer.example.org>")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_each_message_is_personal() -> None:
    b = _builder()
    one = b.build(Recipient(1, 11, "a@example.org", "A"))
    two = b.build(Recipient(2, 12, "b@example.org", "B"))
    assert one.message_id != two.message_id
    assert parse_verp("k", one.envelope_from) == 1
    assert parse_verp("k", two.envelope_from) == 2
    assert _parse(one.raw)["Feedback-ID"] == _parse(two.raw)["Feedback-ID"]
    assert _parse(one.raw)["List-Unsubscribe"] != _parse(two.raw)["List-Unsubscribe"]


def test_names_are_escaped_in_html_and_encoded_in_headers() -> None:
    msg = _parse(_builder().build(Recipient(1, 2, "x@example.org", '<b>Zoë & "Co"</b>')).raw)
    html_part = msg.get_body(("html",)).get_content()
    assert "&lt;b&gt;Zoë &amp; &quot;Co&quot;&lt;/b&gt;" in html_part
    assert "<b>Zoë" not in html_part
    assert msg["To"].addresses[0].display_name == '<b>Zoë & "Co"</b>'


def test_internationalised_domain_is_punycode_in_headers() -> None:
    raw = _builder().build(Recipient(1, 2, "sofia@correo-médico.example", "Sofía")).raw
    to_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"To:"))
    assert b"xn--correo-mdico-" in to_line
    assert _parse(raw)["To"].addresses[0].display_name == "Sofía"


def test_header_injection_is_refused() -> None:
    with pytest.raises(HeaderInjection):
        _builder().build(Recipient(1, 2, "a@example.org", "Ana\r\nBcc: victim@example.org"))


def test_missing_name_uses_the_fallback() -> None:
    msg = _parse(_builder().build(Recipient(1, 2, "a@example.org", "")).raw)
    assert "Hello friend" in msg.get_body(("plain",)).get_content()


def test_quoted_printable_lines_stay_short_and_decode_exactly() -> None:
    long_html = "<p>" + "é" * 5000 + P["name"] + "x" * 3000 + "</p>"
    b = _builder(html=long_html, text="t " + P["name"])
    msg = _parse(b.build(Recipient(1, 2, "a@example.org", "Ana")).raw)
    assert msg.get_body(("html",)).get_content() == "<p>" + "é" * 5000 + "Ana" + "x" * 3000 + "</p>"
    body = b.build(Recipient(1, 2, "a@example.org", "Ana")).raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76


def test_fast_tokens_are_exactly_the_signers_tokens() -> None:
    import time_machine

    from mailer.delivery.message import FastTokens

    for secret in ("k", "ünïcode secret", "x" * 90):
        slow, fast = TokenSigner(secret), FastTokens(secret)
        for when in (1_800_000_000, 1_800_000_001.7):
            with time_machine.travel(when, tick=False):
                for args in (("unsubscribe", 5, 1), ("preferences", 123456789), ("confirm", 1, 2)):
                    assert fast.make(*args) == slow.make(*args)
                    assert slow.read(args[0], fast.make(*args)).subscriber_id == args[1]


def test_verp_signature_is_the_base32_hmac_prefix() -> None:
    import base64
    import hashlib
    import hmac

    from mailer.delivery.verp import _signature, verp_address

    for i in (0, 1, 7, 12345, 2**40):
        digest = hmac.new(b"k", f"verp:{i}".encode(), hashlib.sha256).digest()
        assert _signature("k", i) == base64.b32encode(digest)[:10].decode().lower()
        assert parse_verp("k", verp_address("k", i, "b.example.org")) == i
    assert parse_verp("other", verp_address("k", 5, "b.example.org")) is None


def test_date_is_stamped_when_the_message_is_built() -> None:
    import time_machine

    b = _builder()
    with time_machine.travel(1_800_000_000, tick=False):
        first = _parse(b.build(Recipient(1, 2, "a@example.org", "A")).raw)
    with time_machine.travel(1_800_003_600, tick=False):
        later = _parse(b.build(Recipient(2, 3, "b@example.org", "B")).raw)
    assert (later["Date"].datetime - first["Date"].datetime).total_seconds() == 3600
