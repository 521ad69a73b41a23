"""Signed tokens for personal links: unsubscribe, preferences, confirmation.

A token names one subscriber (and a list where it matters) and carries an
HMAC made with the installation's secret (itsdangerous), so it cannot be
forged, guessed or changed to reach somebody else. Each purpose has its own
salt: an unsubscribe token is not a confirmation token.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenError(ValueError):
    """Tampered, foreign, expired or malformed; callers reveal nothing more than that."""


PURPOSES = ("unsubscribe", "preferences", "confirm")


@dataclass(frozen=True)
class TokenData:
    purpose: str
    subscriber_id: int
    list_id: int | None


class TokenSigner:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a signing secret is required")
        self._serializers = {
            purpose: URLSafeTimedSerializer(secret, salt=f"mailer.{purpose}")
            for purpose in PURPOSES
        }

    def make(self, purpose: str, subscriber_id: int, list_id: int | None = None) -> str:
        payload = [subscriber_id] if list_id is None else [subscriber_id, list_id]
        return str(self._serializers[purpose].dumps(payload))

    def read(self, purpose: str, token: str, max_age: int | None = None) -> TokenData:
        """Check the signature (and age, for expiring tokens) and say who it names."""
        try:
            payload = self._serializers[purpose].loads(token, max_age=max_age)
        except SignatureExpired:
            raise TokenError("this link has expired") from None
        except (BadSignature, KeyError, ValueError, TypeError):
            raise TokenError("this link is not valid") from None
        if (
            not isinstance(payload, list)
            or not 1 <= len(payload) <= 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in payload)
        ):
            raise TokenError("this link is not valid")
        return TokenData(purpose, payload[0], payload[1] if len(payload) == 2 else None)
