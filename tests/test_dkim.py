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
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dkim.canonicalization import Relaxed
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery.dkim import DkimError, DkimSigner, public_record, relaxed_body, split_message

CORPUS = Path(__file__).parent / "data" / "bounces"  # real-world messages (see its README)


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


@cache
def ed25519_keypair() -> tuple[bytes, bytes]:
    """(private PEM, DNS TXT record) for a fresh Ed25519 key."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, public_record(key)


def dns_for(record: bytes, name: bytes = b"odei2026._domainkey.example.org.", **more: bytes):
    """A dnsfunc for dkimpy answering ``name`` (and ``more``: {selector: record})."""
    records = {name: record}
    records.update({f"{s}._domainkey.example.org.".encode(): r for s, r in more.items()})

    def dnsfunc(query: bytes, timeout: float = 5) -> bytes | None:
        return records.get(query)

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


def random_bodies(count: int) -> list[bytes]:
    """Bodies made of the bytes the relaxed rules care about, in every combination."""
    import random

    rng = random.Random(8463)
    atoms = [b"a", b"b", b" ", b"  ", b"\t", b" \t ", b"\r\n", b"\n", b"\r", b"=20", b"\r\n\r\n"]
    return [b"".join(rng.choices(atoms, k=rng.randint(0, 60))) for _ in range(count)]


def test_relaxed_body_is_dkimpys_byte_for_byte() -> None:
    """The faster restatement of the relaxed body rule gives dkimpy's exact bytes."""
    bodies = [b"", b"\r\n", b"\r\n\r\n", b" \r\n", b"\t", b"a  b\t\tc \r\n\r\n"]
    bodies += random_bodies(3000)
    bodies += [split_message(p.read_bytes())[1] for p in sorted(CORPUS.glob("*.eml"))]
    bodies += [make_message(9, "e@example.org").raw.split(b"\r\n\r\n", 1)[1]]
    for body in bodies:
        crlf = b"\r\n".join(re.split(b"\r?\n", body))  # the bodies dkimpy's parser hands on
        assert relaxed_body(crlf) == Relaxed.canonicalize_body(crlf), crlf


def test_split_message_is_dkimpys_parse() -> None:
    messages = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    messages += [make_message(10, "f@example.org").raw, b"Subject: x\n\nbody\nline\r\nend\n"]
    for raw in messages:
        assert split_message(raw) == dkim.rfc822_parse(raw)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.stem)
def test_real_world_messages_verify(path: Path) -> None:
    """Messages written by other software (Exchange, Gmail, Postfix...): dkimpy verifies ours."""
    pem, record = keypair()
    ed_pem, ed_record = ed25519_keypair()
    signer = DkimSigner("example.org", "odei2026", pem, ed25519_selector="ed", ed25519_key=ed_pem)
    signed = signer.sign(path.read_bytes())
    dns = dns_for(record, ed=ed_record)
    assert dkim.verify(signed, dnsfunc=dns)
    assert dkim.DKIM(signed).verify(idx=1, dnsfunc=dns)


def test_non_ascii_headers_and_long_folded_lines_verify(tmp_path: Path) -> None:
    """RFC 2047 names and subjects, long folded headers, long QP lines: dkimpy verifies."""
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
    subject = (
        "Mes de la Herencia Hispana: ¡celebremos juntos! Семинар, 研讨会 and a talk by "
        "Dr. Zoë Ångström-Nguyễn on equity in medicine, with a subject long enough to fold"
    )
    long_line = "Ramadan Mubarak — رمضان مبارك — " * 40
    snapshot = Snapshot(
        subject,
        "",
        f"<html><body><p>Hi {PLACEHOLDERS['name']}</p><p>{long_line}</p></body></html>",
        f"Hi {PLACEHOLDERS['name']}\n{long_line}\n  indented\tline  \n"
        f"{PLACEHOLDERS['unsubscribe_url']}\n\n\n",
    )
    ml = MailingList(
        id=1,
        slug="odei-weekly",
        name="ODEI Weekly",
        from_name="Oficina de Diversidad · ODEI",
        from_email="odei@example.org",
        reply_to="",
    )
    builder = MessageBuilder(snapshot, ml, settings, campaign_id=5)
    raw = builder.build(Recipient(1, 2, "zoe@example.org", "Zoë Ångström-Nguyễn")).raw
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head and b"\r\n " in head  # encoded words, folded lines
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert dkim.verify(raw, dnsfunc=dns_for(record))
    refolded = raw.replace(b"\r\nSubject: ", b"\r\nSubject:    ", 1)
    assert dkim.verify(refolded, dnsfunc=dns_for(record))


def test_dual_signatures_rsa_and_ed25519(tmp_path: Path) -> None:
    """RFC 8463: an Ed25519 signature beside the RSA one; dkimpy verifies each."""
    pem, record = keypair()
    ed_pem, ed_record = ed25519_keypair()
    (tmp_path / "rsa.pem").write_bytes(pem)
    (tmp_path / "ed.pem").write_bytes(ed_pem)
    settings = Settings(
        dkim_domain="example.org",
        dkim_selector="odei2026",
        dkim_private_key_path=str(tmp_path / "rsa.pem"),
        dkim_ed25519_selector="odei2026e",
        dkim_ed25519_key_path=str(tmp_path / "ed.pem"),
    )
    signer = DkimSigner.from_settings(settings)
    assert signer is not None
    signed = signer.sign(make_message(11, "g@example.org").raw)
    assert signed.count(b"DKIM-Signature:") == 2
    first, second = dkim.DKIM(signed), dkim.DKIM(signed)
    dns = dns_for(record, odei2026e=ed_record)
    assert first.verify(idx=0, dnsfunc=dns) and first.signature_fields[b"a"] == b"rsa-sha256"
    assert second.verify(idx=1, dnsfunc=dns)
    assert second.signature_fields[b"a"] == b"ed25519-sha256"
    assert b"list-unsubscribe-post" in second.signature_fields[b"h"]
    # The Ed25519 signature alone fails with the wrong key, and after tampering.
    other_pem = ed25519.Ed25519PrivateKey.generate()
    assert not dkim.DKIM(signed).verify(
        idx=1, dnsfunc=dns_for(record, odei2026e=public_record(other_pem))
    )
    tampered = signed.replace(b"Precedence: bulk", b"Precedence: list")
    assert not dkim.DKIM(tampered).verify(idx=1, dnsfunc=dns)


def test_ed25519_key_forms_and_errors(tmp_path: Path) -> None:
    """dknewkey's base64 seed works as well as a PEM key; half a setting is refused."""
    pem, record = keypair()
    key = ed25519.Ed25519PrivateKey.generate()
    seed = base64.b64encode(
        key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    )
    signer = DkimSigner("example.org", "odei2026", pem, ed25519_selector="ed", ed25519_key=seed)
    signed = signer.sign(make_message(12, "h@example.org").raw)
    assert dkim.DKIM(signed).verify(idx=1, dnsfunc=dns_for(record, ed=public_record(key)))
    with pytest.raises(DkimError, match="needs both dkim_ed25519_selector"):
        DkimSigner("example.org", "odei2026", pem, ed25519_key=seed)
    with pytest.raises(DkimError, match="Ed25519 key cannot be read"):
        DkimSigner("example.org", "odei2026", pem, ed25519_selector="ed", ed25519_key=b"nope!")
    with pytest.raises(DkimError, match="not an Ed25519 key"):
        DkimSigner("example.org", "odei2026", pem, ed25519_selector="ed", ed25519_key=pem)
    settings = Settings(
        dkim_domain="example.org",
        dkim_selector="odei2026",
        dkim_private_key_path=str(tmp_path / "missing.pem"),
    )
    with pytest.raises(DkimError, match=r"dkim_private_key_path .* cannot be read"):
        DkimSigner.from_settings(settings)


def test_a_whole_send_with_dkim_verifies_for_every_reader(
    session: Session, session_factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    """Worker -> builder (signing) -> SMTP -> server: dkimpy verifies every reader's, dual too."""
    from delivery_fixtures import statuses
    from helpers import started_campaign
    from smtp_server import SmtpFaultServer

    from mailer.delivery.worker import drain

    pem, record = keypair()
    ed_pem, ed_record = ed25519_keypair()
    (tmp_path / "rsa.pem").write_bytes(pem)
    (tmp_path / "ed.pem").write_bytes(ed_pem)
    campaign_id = started_campaign(session, 40)
    with SmtpFaultServer() as server:
        signed_settings = settings.replace(
            backend=f"smtp://127.0.0.1:{server.port}?helo=test.local",
            batch_size=16,
            dkim_domain="example.org",
            dkim_selector="odei2026",
            dkim_private_key_path=str(tmp_path / "rsa.pem"),
            dkim_ed25519_selector="odei2026e",
            dkim_ed25519_key_path=str(tmp_path / "ed.pem"),
        )
        stats = drain(session_factory, signed_settings)
        received = list(server.received)
    assert stats.sent == 40 and len(received) == 40
    dns = dns_for(record, odei2026e=ed_record)
    for got in received:
        assert dkim.verify(got.data, dnsfunc=dns), got.rcpt_tos
        assert dkim.DKIM(got.data).verify(idx=1, dnsfunc=dns), got.rcpt_tos
        assert b"list-unsubscribe-post" in got.data.split(b"\r\n\r\n", 1)[0].lower()
    session.expire_all()
    assert statuses(session, campaign_id) == {"sent": 40}
