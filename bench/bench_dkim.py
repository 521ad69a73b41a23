"""DKIM signing cost: signatures per second with a 2048-bit key (dkimpy, pure-Python RSA).

Printed so that anyone sizing workers sees what DKIM costs next to the SMTP
rate of bench_smtp: with DKIM on, signing bounds a worker's rate.
"""

from __future__ import annotations

import statistics
import time
from email.message import EmailMessage
from email.policy import SMTP

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailer.delivery.dkim import DkimSigner


def main(quick: bool) -> None:
    count, repeats = (20, 3) if quick else (100, 5)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
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
    raw = msg.as_bytes()
    signer = DkimSigner("example.org", "odei2026", pem)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(count):
            signer.sign(raw)
        rates.append(count / (time.perf_counter() - started))
    rate = statistics.median(rates)
    print(
        f"{len(raw):,}-byte message, 2048-bit key: {rate:,.0f} signatures/s "
        f"({1000 / rate:.1f} ms each), median of {repeats} x {count}"
    )
