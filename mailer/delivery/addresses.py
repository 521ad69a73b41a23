"""Addresses as the wire needs them: the one home of the IDNA (punycode) rule.

Both the message builder (the To header) and the SMTP transport (RCPT TO,
for a server without SMTPUTF8) write a non-ASCII domain in its ASCII form.
It lives here, in delivery, rather than beside the audience's identity rules
in ``subscribers.addresses``: the transport needs nothing from the audience.
"""

from __future__ import annotations


def ascii_email(address: str) -> str:
    """The address with an IDNA (punycode) domain, for SMTP servers without SMTPUTF8.

    The local part is left as written: only SMTPUTF8 can carry a non-ASCII
    one, and the caller decides what to do when it is not ASCII.
    """
    local, _, domain = address.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address
