"""The small rules that read a bounce's words: where a status code may come from."""

from __future__ import annotations

import pytest

from mailer.feedback.classify import classify
from mailer.feedback.dsn import status_field
from mailer.feedback.events import Kind
from mailer.feedback.rules import find_status, reply_in


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("host mx[192.0.2.1] said: 550 5.1.1 <a@b>... User unknown", "5.1.1"),
        ("553 5.3.0 <user@example.net>... No such user here", "5.3.0"),
        ("Remote host said: 550-5.1.1 The email account does not exist", "5.1.1"),
        ("<<< 550 5.1.1 User unknown", "5.1.1"),
        ("Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1"),
        ("The error that the other server returned was: 550 550 5.7.1 denied", "5.7.1"),
        ("smtp; 421 4.4.1 try again later", "4.4.1"),
        ("Subject: [Mailman-Users] ANNOUNCE Mailman 2.0.12", ""),
        ("X-Mailer: Mailman v2.0.13 (101270)", ""),
        ("250 2.1.5 Ok", ""),  # success is never a failure's status
        ("550 4.1.1 mismatched class", ""),  # RFC 3463: the class must match the reply
        ("Received: from [192.0.2.5] by mx; Sun, 4 Nov 2001 07:45:31 +0000", ""),
    ],
)
def test_status_codes_come_only_from_reply_lines(line: str, status: str) -> None:
    assert find_status(line) == status


def test_the_reply_line_is_the_diagnostic() -> None:
    found = reply_in("  553 5.3.0 <x@example.net>... No such user here  ")
    assert found is not None and found.line == "553 5.3.0 <x@example.net>... No such user here"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("4.4.1 (Persistent transient failure - routing/network: no answer from host)", "4.4.1"),
        ("5.1.1", "5.1.1"),
        ("5.01.001", "5.1.1"),
        ("553 Exceeded maximum inbound message size", ""),
        ("2.0.0 (delivered)", "2.0.0"),
    ],
)
def test_dsn_status_comments_are_stripped(value: str, status: str) -> None:
    assert status_field(value) == status


@pytest.mark.parametrize(
    ("status", "diagnostic", "kind"),
    [
        ("2.1.5", "250 2.1.5 Ok", Kind.HARD),  # class 2 ignored: flufl's "permanent" decides
        ("5.3.0", "553 5.3.0 <u@example.net>... No such user here", Kind.HARD),
        ("", "552 Message would exceed mailbox quota", Kind.SOFT),
        ("", "500 Remote server does not support TLS", Kind.POLICY),
    ],
)
def test_classification_of_real_wordings(status: str, diagnostic: str, kind: Kind) -> None:
    assert classify(status, diagnostic, permanent=True) == kind
    assert classify("2.0.12", "Mailman 2.0.12") == Kind.SOFT  # no evidence of any failure
