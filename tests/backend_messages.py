"""Test messages for the transport tests, built with the standard library.

The real message builder lives elsewhere; these carry the same kind of
headers (List-*, Feedback-ID, a VERP envelope sender) and ODEI seed content.
"""

from __future__ import annotations

import dataclasses
import email.policy
import email.utils
from email.message import EmailMessage

from mailer.delivery.backends.base import OutgoingMessage
from mailer.delivery.verp import verp_address

SECRET = "test-secret"
BOUNCE_DOMAIN = "bounces.example.org"


def make_message(delivery_id: int, recipient: str, name: str = "Friend") -> OutgoingMessage:
    subject = "ODEI Weekly: Women's History Month and upcoming events"
    text = (
        f"Hello {name},\n\nThis week the Office of Diversity, Equity and Inclusion celebrates "
        "Women's History Month.\n\nUnsubscribe: https://odei.example.org/u/TOKEN"
        f"{delivery_id}\n"
    )
    html = (
        f"<html><head><title>{subject}</title></head><body><p>Hello {name},</p>"
        "<p>This week the Office of Diversity, Equity and Inclusion celebrates "
        "Women's History Month.</p>"
        f'<p><a href="https://odei.example.org/u/TOKEN{delivery_id}">Unsubscribe</a></p>'
        "</body></html>"
    )
    headers = {
        "Message-ID": email.utils.make_msgid(domain="mailer.example.org"),
        "List-Id": "ODEI Weekly <weekly.odei.example.org>",
        "List-Unsubscribe": (
            f"<https://odei.example.org/u/TOKEN{delivery_id}>, "
            f"<mailto:unsubscribe@example.org?subject=TOKEN{delivery_id}>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "bulk",
        "Auto-Submitted": "auto-generated",
        "Feedback-ID": "weekly:odei:campaign7",
    }
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "WashU Med ODEI <odei-news@example.org>"
    msg["To"] = f"{name} <{recipient}>"
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    for key, value in headers.items():
        msg[key] = value
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return OutgoingMessage(
        delivery_id=delivery_id,
        envelope_from=verp_address(SECRET, delivery_id, BOUNCE_DOMAIN),
        recipient=recipient,
        raw=msg.as_bytes(),
        subject=subject,
        from_header="WashU Med ODEI <odei-news@example.org>",
        reply_to="odei@example.org",
        html=html,
        text=text,
        headers=headers,
        message_id=headers["Message-ID"],
    )


def make_batch(count: int, start: int = 1, domain: str = "example.org") -> list[OutgoingMessage]:
    return [make_message(i, f"member{i}@{domain}") for i in range(start, start + count)]


def many(count: int) -> list[OutgoingMessage]:
    """``count`` messages cheaply: one built message copied with other recipients and ids."""
    base = make_message(1, "member1@example.org")
    return [
        dataclasses.replace(base, delivery_id=i, recipient=f"member{i}@example.org")
        for i in range(1, count + 1)
    ]
