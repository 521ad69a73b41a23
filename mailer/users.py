"""Staff and admin accounts and their personal API tokens.

Passwords are hashed with argon2 (argon2-cffi); API tokens are stored only as
a SHA-256 digest, so a leaked database reveals neither.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mailer.db import Base, utcnow


class Role(StrEnum):
    STAFF = "staff"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default=Role.STAFF)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Copied into the session cookie at login; bumping it ends every session of the
    # user (logout, a password change), since a cookie with an older number is refused.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ApiToken(Base):
    """A personal API token: named by its owner, shown once, stored as its SHA-256.

    A user may hold several (one per script or machine) and revoke one without
    breaking the others; ``users.api_token_hash`` is the older single token that
    ``mailer users token`` issues, still honoured.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
