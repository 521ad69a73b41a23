"""Passwords and API tokens for staff and admin accounts.

One argon2 ``PasswordHasher`` (argon2-cffi's defaults follow RFC 9106's
recommendation) serves the web login and ``mailer users``. API tokens are
random, shown once, and stored only as their SHA-256: a token has 256 bits of
entropy, so a fast hash is enough and lets us look the user up by the digest.
A user may hold any number of named personal tokens (``api_tokens``) besides
the single one ``mailer users token`` issues (``users.api_token_hash``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.db import utcnow
from mailer.users import ApiToken, Role, User

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
    token = new_token()
    user.api_token_hash = token_digest(token)
    return token


#: A token's ``last_used_at`` is written at most this often (not one write per request).
TOKEN_USE_GRANULARITY = dt.timedelta(minutes=10)


def new_token() -> str:
    return "mlr_" + secrets.token_urlsafe(32)


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token belongs to (personal or the old single one), or None.

    A personal token's last use is recorded (committed here, when due: the API's
    requests only read, so nothing else is pending in the session).
    """
    if not token:
        return None
    digest = token_digest(token)
    user = session.scalar(select(User).where(User.api_token_hash == digest))
    if user is None:
        personal = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if personal is not None:
            user = session.get(User, personal.user_id)
            now = utcnow()
            last = personal.last_used_at
            if (
                user is not None
                and user.active
                and (last is None or now - last > TOKEN_USE_GRANULARITY)
            ):
                personal.last_used_at = now
                session.commit()
    return user if user is not None and user.active else None


def create_personal_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new named token for ``user``: the row, and the token itself (shown once, never stored).

    Raises ValueError for an empty or too long name, or for a deactivated user.
    """
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ValueError("name: give the token a name of 1 to 100 characters")
    if not user.active:
        raise ValueError(f"user: {user.email} is deactivated")
    value = new_token()
    row = ApiToken(user_id=user.id, name=name, token_hash=token_digest(value))
    session.add(row)
    session.flush()
    return row, value


def personal_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def revoke_personal_token(session: Session, user: User, token_id: int) -> ApiToken | None:
    """Delete ``user``'s token ``token_id``; the revoked row (detached), or None if not theirs."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if row is not None:
        session.delete(row)
        session.flush()
    return row


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
