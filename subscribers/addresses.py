"""Email address validation and normalisation: one rule, used by every way in.

email-validator checks syntax (and deliverability only when asked: DNS is
slow and the network may be closed). The normal form keeps the local part as
written (it is case-sensitive by the RFCs, though rarely in practice), lower-
cases the domain and turns a punycode domain into its Unicode form, so
``Ana@XN--BCHER-KVA.example`` and ``Ana@bücher.example`` are one subscriber.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """The address cannot be used; the message says why in words a person understands."""


def normalise_email(address: str, *, check_deliverability: bool = False) -> str:
    if address is None or not address.strip():
        raise InvalidAddress("the address is empty")
    if any(c in address for c in "\r\n"):
        raise InvalidAddress("the address contains a line break")
    try:
        result = validate_email(
            address.strip(),
            check_deliverability=check_deliverability,
            allow_smtputf8=True,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    local, _, domain = result.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def ascii_email(address: str) -> str:
    """The address with an IDNA (punycode) domain, for SMTP servers without SMTPUTF8."""
    local, _, domain = address.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address
