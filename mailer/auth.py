"""Passwords and API tokens for staff and admin accounts.

One argon2 ``PasswordHasher`` (argon2-cffi's defaults follow RFC 9106's
recommendation) serves the web login and ``mailer users``. API tokens are
random, shown once, and stored only as their SHA-256: a token has 256 bits of
entropy, so a fast hash is enough and lets us look the user up by the digest.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.db import utcnow
from mailer.users import Role, User

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when the account does not exist, so a wrong address costs
# the same time as a wrong password and does not reveal who has an account.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class PasswordPolicyError(ValueError):
    """The password is too weak; the message says what is needed."""


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    if password.strip() != password or not password.strip():
        raise PasswordPolicyError("the password must not start or end with spaces")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises for a bad or missing hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password (policy checked) and end every session they have."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Every session cookie issued to ``user`` so far stops working at its next request."""
    user.session_version = (user.session_version or 0) + 1


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost either way)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_api_token(user: User) -> str:
    """Give ``user`` a new API token (replacing any old one); returns it once."""
    token = "mlr_" + secrets.token_urlsafe(32)
    user.api_token_hash = token_digest(token)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == token_digest(token)))
    return user if user is not None and user.active else None


def create_user(session: Session, email: str, password: str, role: str, name: str = "") -> User:
    """Add an account; raises ValueError naming the bad field."""
    from subscribers.addresses import InvalidAddress, normalise_email

    try:
        email = normalise_email(email).lower()
    except InvalidAddress as exc:
        raise ValueError(f"email: {exc}") from None
    if role not in {r.value for r in Role}:
        raise ValueError(f"role: must be one of {', '.join(r.value for r in Role)}")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValueError(f"email: a user {email} already exists")
    try:
        password_hash = hash_password(password)
    except PasswordPolicyError as exc:
        raise ValueError(f"password: {exc}") from None
    user = User(email=email, name=name.strip(), password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user
