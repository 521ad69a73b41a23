"""The memoised fast path of normalise_email answers exactly as email-validator does."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email

from subscribers.addresses import InvalidAddress, normalise_email

CASES = [
    "ana.ruiz@example.org",
    "Ana.Ruiz@WUSTL.Example",
    "kofi+digest@example.org",
    "Postmaster@Example.org",
    "o'brien@example.org",
    "a@b.co",
    "x" * 64 + "@example.org",
    "x" * 65 + "@example.org",
    "ana@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 50 + ".org",
    "ana..ruiz@example.org",
    ".ana@example.org",
    "ana.@example.org",
    "ana@",
    "@example.org",
    "ana@localhost",
    "ana@example",
    "ana@example.invalid",
    "ana@exa_mple.org",
    "ana@-example.org",
    "ana@example..org",
    "ana@example.org.",
    "ana@123.456",
    "ana@[127.0.0.1]",
    '"ana ruiz"@example.org',
    "zoë@example.org",
    "ana@bücher.example",
    "ana@XN--BCHER-KVA.example",
    "ana ruiz@example.org",
    "ana@example.org ",
]


def _reference(address: str) -> str | None:
    try:
        result = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    local, _, domain = result.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


@pytest.mark.parametrize("address", CASES)
def test_same_answer_as_email_validator(address: str) -> None:
    expected = _reference(address)
    try:
        got: str | None = normalise_email(address)
    except InvalidAddress:
        got = None
    assert got == expected
