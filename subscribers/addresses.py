"""Email address validation, normalisation and identity: one rule each, used by every way in.

email-validator checks syntax (and deliverability only when asked: DNS is
slow and the network may be closed). The normal form (``normalise_email``)
keeps the local part as written, lower-cases the domain and turns a punycode
domain into its Unicode form: it is what we show and send to.

Identity (``email_key``) is that form lower-cased as a whole. The RFCs let a
local part be case-sensitive, but no mail system we send to treats
``Grace.Hopper@`` and ``grace.hopper@`` as two people, and treating them so
gave one person two subscriptions and let a suppression miss a spelling.
The key feeds the unique index on subscribers and is what every lookup
compares: import, add, the public form, the API, suppression, forget, bounce
and complaint matching.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mailer.rfc5322 import DOT_ATOM

# email-validator is imported where it is used: its import compiles its grammar (about
# 30 ms), and processes that never read an address (a sending worker) need none of it.

# RFC 5322 dot-atom of ASCII atext: the shape of nearly every real address.
_PLAIN_LOCAL = re.compile(DOT_ATOM + r"\Z")


class InvalidAddress(ValueError):
    """The address cannot be used; the message says why in words a person understands."""


def normalise_email(address: str, *, check_deliverability: bool = False) -> str:
    if address is None or not address.strip():
        raise InvalidAddress("the address is empty")
    if "\n" in address or "\r" in address:
        raise InvalidAddress("the address contains a line break")
    address = address.strip()
    if not check_deliverability:
        fast = _plain(address)
        if fast is not None:
            return fast
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(
            address,
            check_deliverability=check_deliverability,
            allow_smtputf8=True,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    local, _, domain = result.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


@lru_cache(maxsize=65536)
def _ascii_domain(domain: str) -> str:
    from email_validator import EmailNotValidError
    from email_validator.syntax import validate_email_domain_name

    try:
        return validate_email_domain_name(domain)["domain"].lower()
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None


@lru_cache(maxsize=1)
def _case_insensitive_mailboxes() -> frozenset[str]:
    """postmaster, abuse, ...: the names email-validator lower-cases (RFC 2142, RFC 5321)."""
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    return frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def _plain(address: str) -> str | None:
    """The same answer as email-validator for plain ASCII addresses, with the domain memoised.

    A large import has millions of addresses but few domains; the domain
    check (IDNA, special-use names) is the costly half, so it runs once per
    domain. Anything unusual (quoted or non-ASCII local part, non-ASCII domain,
    a domain literal, a long address) returns None and takes the full path.
    """
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not domain
        or len(address) > 254
        or len(local) > 64
        or not domain.isascii()
        or domain.startswith("[")
        or not _PLAIN_LOCAL.match(local)
    ):
        return None
    if local.lower() in _case_insensitive_mailboxes():
        local = local.lower()
    return f"{local}@{_ascii_domain(domain)}"


def email_key(address: str) -> str:
    """Who an address belongs to: the normal form, lower-cased; one key per person.

    An address email-validator refuses (a bounce can name anything) still gets
    a key, its trimmed text lower-cased, so a lookup never fails: it just
    finds nobody.
    """
    try:
        normal = normalise_email(address)
    except InvalidAddress:
        normal = (address or "").strip()
    return key_of_normal(normal)


def key_of_normal(normal: str) -> str:
    """The key of an address already in ``normalise_email``'s form (imports: no second check)."""
    return normal.lower()
