"""Password reset by a mailed one-time link.

An admin (console or ``mailer users reset-link``) sends a user a link to
``/reset/<token>``. The token is signed with the installation's secret
(itsdangerous, its own salt), expires after ``RESET_MAX_AGE`` and names the
user and their ``session_version`` at the time it was made. Setting the
password bumps that version (``auth.set_password``), so the link works once;
logging out, "end all sessions" and any later password change void it too.
Nothing derived from the password hash is in it. The mail goes through the
transactional path (``mailer.delivery.transactional.send_notice``): same
sender, Message-ID domain and DKIM as every other message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from mailer.config import Settings
from mailer.users import User

if TYPE_CHECKING:
    from mailer.delivery.backends import Backend

RESET_MAX_AGE = 2 * 3600  # seconds a link stays valid
SALT = "mailer.password-reset"


class ResetLinkError(ValueError):
    """The link is tampered, expired, already used or for a deactivated account."""


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key, salt=SALT)


def make_token(settings: Settings, user: User) -> str:
    return str(_serializer(settings).dumps([user.id, user.session_version]))


def reset_url(settings: Settings, user: User) -> str:
    return f"{settings.base_url.rstrip('/')}/reset/{make_token(settings, user)}"


def user_for_reset(session: Session, settings: Settings, token: str) -> User:
    """The user a still-valid, unused link is for; raises ``ResetLinkError``."""
    try:
        payload = _serializer(settings).loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise ResetLinkError("this link has expired; ask an admin for a new one") from None
    except (BadSignature, ValueError, TypeError):
        raise ResetLinkError("this link is not valid") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in payload)
        or not 0 < payload[0] < 2**31
    ):
        raise ResetLinkError("this link is not valid")
    user = session.get(User, payload[0])
    if user is None or not user.active or user.session_version != payload[1]:
        raise ResetLinkError("this link was used already or has been replaced; ask for a new one")
    return user


def reset_mail(settings: Settings, user: User) -> tuple[str, str, str]:
    """(recipient, subject, text) of the reset mail."""
    hours = RESET_MAX_AGE // 3600
    text = (
        f"Hello {user.name or user.email},\n\n"
        f"A password reset was asked for your account {user.email} on the "
        f"{settings.org_name or 'mailer'} console. To choose a new password, open this "
        f"link within {hours} hours:\n\n{reset_url(settings, user)}\n\n"
        "The link works once. Choosing a password logs you out everywhere else.\n"
        "If you did not expect this mail, ignore it: your password stays as it is.\n"
    )
    return user.email, "Choose a new password", text


def send_reset_link(settings: Settings, user: User, *, backend: Backend | None = None) -> str:
    """Mail ``user`` a reset link now; returns the backend's outcome ("sent", ...).

    Raises what the transport raises when the mail cannot go out.
    """
    from mailer.delivery.transactional import send_notice

    recipient, subject, text = reset_mail(settings, user)
    result = send_notice(settings, recipient, subject, text, backend=backend)
    return str(result.outcome)
