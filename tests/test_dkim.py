"""DKIM signatures made by DkimSigner verify with dkimpy and cover the RFC 8058 headers."""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

import dkim
import pytest
from backend_messages import make_message
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailer.config import Settings
from mailer.delivery.dkim import DkimError, DkimSigner


@cache
def keypair(bits: int = 2048) -> tuple[bytes, bytes]:
    """(private PEM, DNS TXT record) for a fresh RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def dns_for(record: bytes, name: bytes = b"odei2026._domainkey.example.org."):
    def dnsfunc(query: bytes, timeout: float = 5) -> bytes | None:
        return record if query == name else None

    return dnsfunc


def signed_headers(signed: bytes) -> list[str]:
    header = signed.split(b"\r\n\r\n", 1)[0].decode()
    h = re.search(r"\bh=([^;]+)", header.replace("\r\n", ""))
    assert h
    return [name.strip() for name in h.group(1).split(":")]


def test_sign_and_verify() -> None:
    pem, record = keypair()
    signer = DkimSigner("example.org", "odei2026", pem)
    raw = make_message(1, "member@example.org").raw
    signed = signer.sign(raw)
    assert signed.startswith(b"DKIM-Signature: ")
    assert signed.endswith(raw)
    assert dkim.verify(signed, dnsfunc=dns_for(record))
    names = signed_headers(signed)
    for needed in (
        "list-unsubscribe",
        "list-unsubscribe-post",
        "feedback-id",
        "list-id",
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
    ):
        assert needed in names
    assert "return-path" not in names
    assert names.count("from") == 2  # oversigned: a second From cannot be added
    assert b"c=relaxed/relaxed" in signed.replace(b"\r\n", b"").replace(b" ", b"")


def test_tampering_breaks_the_signature() -> None:
    pem, record = keypair()
    signed = DkimSigner("example.org", "odei2026", pem).sign(make_message(2, "a@example.org").raw)
    tampered = signed.replace(
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: nothing"
    )
    assert tampered != signed
    assert not dkim.verify(tampered, dnsfunc=dns_for(record))
    added_from = signed.replace(b"\r\nFrom: ", b"\r\nFrom: Mallory <m@evil.example>\r\nFrom: ", 1)
    assert not dkim.verify(added_from, dnsfunc=dns_for(record))


def test_relaxed_survives_refolding() -> None:
    pem, record = keypair()
    signed = DkimSigner("example.org", "odei2026", pem).sign(make_message(3, "b@example.org").raw)
    refolded = signed.replace(b"Precedence: bulk", b"Precedence:    bulk  ")
    assert dkim.verify(refolded, dnsfunc=dns_for(record))


def test_only_present_headers_are_listed() -> None:
    pem, _record = keypair()
    raw = (
        b"From: ODEI <odei@example.org>\r\nTo: a@example.org\r\nSubject: Hello\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\nHello\r\n"
    )
    signed = DkimSigner("example.org", "odei2026", pem).sign(raw)
    assert signed_headers(signed) == ["from", "to", "subject", "date", "from"]


def test_short_keys_and_bad_keys_are_refused(tmp_path: Path) -> None:
    short, _ = keypair(1024)
    with pytest.raises(DkimError, match="1024 bits; use at least 2048"):
        DkimSigner("example.org", "s", short)
    with pytest.raises(DkimError, match="not an RSA key in PEM form"):
        DkimSigner("example.org", "s", b"-----BEGIN X-----\nnope\n-----END X-----\n")
    settings = Settings(
        dkim_domain="example.org",
        dkim_selector="s",
        dkim_private_key_path=str(tmp_path / "missing.pem"),
    )
    with pytest.raises(DkimError, match="cannot be read"):
        DkimSigner.from_settings(settings)


def test_from_settings(tmp_path: Path) -> None:
    assert DkimSigner.from_settings(Settings()) is None
    pem, record = keypair()
    path = tmp_path / "dkim.pem"
    path.write_bytes(pem)
    settings = Settings(
        dkim_domain="example.org", dkim_selector="odei2026", dkim_private_key_path=str(path)
    )
    signer = DkimSigner.from_settings(settings)
    assert signer is not None
    assert dkim.verify(signer.sign(make_message(4, "c@example.org").raw), dnsfunc=dns_for(record))


def test_signed_message_survives_smtp_delivery() -> None:
    from smtp_server import SmtpFaultServer

    from mailer.delivery.backends.base import Outcome
    from mailer.delivery.backends.smtp import SmtpBackend, SmtpConfig

    pem, record = keypair()
    signer = DkimSigner("example.org", "odei2026", pem)
    message = make_message(5, "d@example.org")
    message.raw = signer.sign(message.raw)
    with SmtpFaultServer() as server:
        backend = SmtpBackend(SmtpConfig("127.0.0.1", server.port, "plain", helo="test.local"))
        (result,) = backend.send([message])
        backend.close()
        assert result.outcome is Outcome.SENT
        (received,) = server.received
    assert dkim.verify(received.data, dnsfunc=dns_for(record))


def test_every_campaign_message_is_signed_when_configured(tmp_path: Path) -> None:
    """The builder signs what it builds, List-Unsubscribe and Feedback-ID included (RFC 8058)."""
    from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
    from mailer.delivery.message import MessageBuilder, Recipient
    from subscribers.models import MailingList

    pem, record = keypair()
    path = tmp_path / "dkim.pem"
    path.write_bytes(pem)
    settings = Settings(
        secret_key="k",
        dkim_domain="example.org",
        dkim_selector="odei2026",
        dkim_private_key_path=str(path),
    )
    snapshot = Snapshot(
        "ODEI Weekly",
        "",
        f"<html><body><p>Hi {PLACEHOLDERS['name']}</p></body></html>",
        f"Hi {PLACEHOLDERS['name']}\n{PLACEHOLDERS['unsubscribe_url']}\n",
    )
    ml = MailingList(
        id=1, slug="odei-weekly", name="ODEI Weekly", from_name="", from_email="", reply_to=""
    )
    builder = MessageBuilder(snapshot, ml, settings, campaign_id=5)
    raw = builder.build(Recipient(1, 2, "amara.okafor@example.org", "Amara Okafor")).raw
    assert raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(raw, dnsfunc=dns_for(record))
    names = {n.lower() for n in signed_headers(raw)}
    assert {"list-unsubscribe", "list-unsubscribe-post", "feedback-id", "list-id"} <= names
