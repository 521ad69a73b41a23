"""RFC 5322's dot-atom (section 3.2.3) of ASCII atext: the shape of nearly every real address.

One pattern for two fast paths that skip a full parser when an address has
this plain shape: the audience's normal form (``subscribers.addresses``,
instead of email-validator) and the SMTP envelope (``smtp_path``, instead of
``email.utils.parseaddr``). It sits outside both packages, importing
nothing, because the transport takes nothing from the audience.
"""

from __future__ import annotations

#: One or more atext runs joined by single dots; compose with anchors where used.
DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
