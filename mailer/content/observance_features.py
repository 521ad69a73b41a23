"""Admins' feature texts and custom observances (rows of the ``observances`` table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailer.content.models import Observance
from mailer.content.observance_rules import validate_rule
from mailer.content.observance_texts import BUILTIN_BY_SLUG
from mailer.db import audit, utcnow


class ObservanceError(ValueError):
    """A bad feature or rule; the message names the field."""


def get_row(session: Session, slug: str) -> Observance | None:
    return session.scalars(select(Observance).where(Observance.slug == slug)).first()


def set_feature(
    session: Session,
    slug: str,
    *,
    actor: str,
    name: str | None = None,
    rule: dict[str, Any] | None = None,
    title: str | None = None,
    body_md: str | None = None,
    image_url: str | None = None,
    image_alt: str | None = None,
    links: Sequence[tuple[str, str]] | None = None,
    enabled: bool | None = None,
) -> Observance:
    """Create or update the admin's row for ``slug``; ``None`` leaves a field as it is.

    A slug that is not built in is a custom observance and needs a name and a rule.
    """
    builtin = BUILTIN_BY_SLUG.get(slug)
    row = get_row(session, slug)
    if row is None:
        if builtin is None and (not name or not rule):
            raise ObservanceError(
                f"{slug!r} is not a built-in observance; a custom one needs --name and --rule"
            )
        row = Observance(slug=slug, name=name or (builtin.name if builtin else slug), rule={})
        session.add(row)
    if rule is not None:
        try:
            validate_rule(rule)
        except ValueError as exc:
            raise ObservanceError(f"rule: {exc}") from None
        row.rule = dict(rule)
    if name is not None:
        row.name = name
    if title is not None:
        row.feature_title = title
    if body_md is not None:
        row.feature_body_md = body_md
    if image_url is not None:
        if image_url and not image_url.startswith(("https://", "http://")):
            raise ObservanceError(f"image_url: {image_url!r} must be an http(s) address")
        row.image_url = image_url
    if image_alt is not None:
        row.image_alt = image_alt
    if row.image_url and not row.image_alt.strip():
        raise ObservanceError("image_alt: describe the image for people who cannot see it")
    if links is not None:
        for label, url in links:
            if not url.startswith(("https://", "http://")):
                raise ObservanceError(f"links: {url!r} ({label}) must be an http(s) address")
        row.links = [{"label": label, "url": url} for label, url in links]
    if enabled is not None:
        row.enabled = enabled
    row.updated_at = utcnow()
    session.flush()
    audit(session, actor, "observance.set", f"observance:{slug}")
    return row


def reset_feature(session: Session, slug: str, *, actor: str) -> bool:
    """Drop the admin's row: a built-in observance goes back to its built-in text."""
    row = get_row(session, slug)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    audit(session, actor, "observance.reset", f"observance:{slug}")
    return True
