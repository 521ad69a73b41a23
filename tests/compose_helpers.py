"""Shared pieces of the compose tests: a list, settings and the two sample editions."""

from __future__ import annotations

import functools

from mailer.compose.render import render_digest
from mailer.compose.samples import demo_edition, maximal_edition
from mailer.compose.snapshot import Snapshot
from mailer.config import Settings
from subscribers.models import MailingList

SETTINGS = Settings(
    base_url="https://news.example.org",
    secret_key="test-secret-key-not-for-production",
)


def odei_list() -> MailingList:
    return MailingList(
        id=1,
        slug="odei-weekly",
        name="ODEI Weekly",
        description=(
            "news, heritage-month features and events from the Office of Diversity, "
            "Equity and Inclusion"
        ),
        timezone="America/Chicago",
    )


@functools.cache
def demo_snapshot() -> Snapshot:
    return render_digest(demo_edition(), odei_list(), SETTINGS)


@functools.cache
def maximal_snapshot() -> Snapshot:
    return render_digest(maximal_edition(), odei_list(), SETTINGS)
