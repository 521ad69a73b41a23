"""DKIM signing cost: signatures per second with a 2048-bit key, dkimpy alone against ours.

dkimpy alone (``dkim.sign``) does the RSA arithmetic in pure Python; ours
(mailer.delivery.dkim) keeps dkimpy's parsing, header canonicalisation,
hashing and folding and has OpenSSL (``cryptography``) make the signature.
Both sign the same message with the same key and header list, alternately,
and every signature of ours is checked by dkimpy first. Target: ours >=
2,000 signatures/s and >= 10x dkimpy alone. Ed25519 (RFC 8463) and the dual
RSA + Ed25519 signature are printed beside them for information, and so is
the bare OpenSSL RSA signature alone: no DKIM signer can beat that ceiling.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils

from mailer.delivery.dkim import DkimSigner, public_record

TARGET = 2_000


def _message() -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "WashU Med ODEI <odei-news@example.org>"
    msg["To"] = "member@example.org"
    msg["Subject"] = "ODEI Weekly: Women's History Month and upcoming events"
    msg["List-Unsubscribe"] = "<https://odei.example.org/u/TOKEN>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Feedback-ID"] = "weekly:odei:campaign7"
    msg.set_content(
        "The Office of Diversity, Equity and Inclusion celebrates Women's History Month.\n" * 200
    )
    return msg.as_bytes()


def _rate(sign: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        sign()
    return count / (time.perf_counter() - started)


def main(quick: bool) -> None:
    count, repeats = (20, 3) if quick else (100, 5)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_pem = ed_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    raw = _message()
    ours = DkimSigner("example.org", "odei2026", pem)
    dual = DkimSigner("example.org", "odei2026", pem, ed25519_selector="ed", ed25519_key=ed_pem)
    ed_only = DkimSigner("example.org", "odei2026", pem, ed25519_selector="ed", ed25519_key=ed_pem)
    ed_only.keys = ed_only.keys[1:]  # Ed25519 alone, to show its own cost
    records = {
        b"odei2026._domainkey.example.org.": public_record(key),
        b"ed._domainkey.example.org.": public_record(ed_key),
    }

    def dns(name: bytes, timeout: float = 5) -> bytes | None:
        return records.get(name)

    assert dkim.verify(ours.sign(raw), dnsfunc=dns)
    assert dkim.DKIM(dual.sign(raw)).verify(idx=1, dnsfunc=dns)
    include = ours.headers_to_sign(raw)

    def dkimpy_alone() -> bytes:
        return dkim.sign(
            raw,
            b"odei2026",
            b"example.org",
            pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=include,
            linesep=b"\r\n",
        )

    digest = hashlib.sha256(raw).digest()

    def bare_rsa() -> bytes:  # the ceiling: OpenSSL's RSA signature and nothing else
        return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))

    plans: list[tuple[str, Callable[[], object], int]] = [
        ("dkimpy alone, RSA", dkimpy_alone, max(5, count // 5)),
        ("bare OpenSSL RSA sign", bare_rsa, count * 10),
        ("ours, RSA (OpenSSL)", lambda: ours.sign(raw), count * 10),
        ("ours, Ed25519", lambda: ed_only.sign(raw), count * 10),
        ("ours, RSA + Ed25519", lambda: dual.sign(raw), count * 10),
    ]
    rates: dict[str, list[float]] = {label: [] for label, _, _ in plans}
    for _ in range(repeats):  # alternated, so the machine's load drifts over all alike
        for label, sign, n in plans:
            rates[label].append(_rate(sign, n))
    base = statistics.median(rates["dkimpy alone, RSA"])
    print(f"{len(raw):,}-byte message, 2048-bit RSA key, medians of {repeats} runs")
    for label, _, _ in plans:
        rate = statistics.median(rates[label])
        each = f"{1000 / rate:.2f} ms each, {rate / base:.1f}x"
        print(f"  {label:<22} {rate:>8,.0f} signatures/s ({each})")
    ours_rate = statistics.median(rates["ours, RSA (OpenSSL)"])
    ceiling = statistics.median(rates["bare OpenSSL RSA sign"])
    print(f"  ours reaches {ours_rate / ceiling:.0%} of this machine's bare OpenSSL RSA rate")
    verdict = "met" if ours_rate >= TARGET and ours_rate >= 10 * base else "NOT met"
    print(f"  target ours >= {TARGET:,}/s and >= 10x dkimpy alone: {verdict}")
