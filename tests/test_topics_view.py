""" "View in your browser": every digest and announcement starts with a link to its copy;
on a private list the signed link opens that edition only."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import session_scope
from mailer.delivery import campaigns
from mailer.delivery.instant import send_instant
from mailer.delivery.models import Campaign
from subscribers.topics import set_choices
from tests.topic_fixtures import EDITION, build, subscription

pytest_plugins = ["web_fixtures"]

VIEW = re.compile(r"https?://[^/]+(/view/\d+/[\w-]+\?t=\w+)")


def _first_link(html: str) -> str:
    body = lxml.html.document_fromstring(html).body
    first = next(body.iter("a"))
    assert first.text_content().strip() == "View in your browser"
    return str(first.get("href"))


def test_digest_and_announcement_start_with_a_view_link_that_opens_their_copy(
    client: Any, session_factory: sessionmaker[Session], web_settings: Settings
) -> None:
    with session_factory() as session:
        setup = build(session, {"ana@example.org": set(), "ivy@example.org": set()})
        setup.mailing_list.public = False  # private: only the signed link opens it
        sub = subscription(session, "ivy@example.org", setup.mailing_list.id)
        set_choices(session, sub, mode="instant", source="preferences")
        session.commit()
    with session_scope(session_factory) as session:
        send_instant(session, web_settings)
        ml = session.get(type(setup.mailing_list), setup.mailing_list.id)
        outcome = campaigns.create_digest(session, ml, EDITION, web_settings)
        assert outcome.campaign is not None
        campaigns.start(session, outcome.campaign)
    with session_factory() as session:
        sent = {c.kind: c for c in session.query(Campaign)}
    digest, note = sent["digest"], sent["announcement"]
    for campaign in (digest, note):
        link = _first_link(campaign.html)
        assert campaign.text.startswith(f"View in your browser: {link}")
        path = VIEW.fullmatch(link)
        assert path is not None, link
        page = client.get(path.group(1))
        assert page.status_code == 200, link
        body = page.get_data(as_text=True)
        assert "Call for MD mentors" in body  # the all-topics edition carries it
        assert "__MAILER_" not in body  # nothing personal
    digest_path = VIEW.fullmatch(_first_link(digest.html))
    assert digest_path is not None
    good = digest_path.group(1)
    token = good.split("?t=")[1]
    # The same signature names no other edition, and a forged one opens nothing.
    assert client.get(good.replace("2027-W10", "2027-W09")).status_code == 404
    assert client.get(good.replace(token, "0" * 32)).status_code == 404
    assert client.get(good.split("?")[0]).status_code == 404
