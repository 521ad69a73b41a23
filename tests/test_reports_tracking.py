"""The tracking rules one at a time: what is rewritten, what the redirect trusts, who counts,
and which send an unsubscribe is credited to."""

from __future__ import annotations

import time
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy.orm import Session

from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.compose.tracking import LinkError, LinkSigner, ReaderSigner, track_links
from mailer.db import utcnow
from mailer.delivery.models import Delivery
from mailer.feedback.clicks import is_scanner
from mailer.reports.campaign import campaign_report
from subscribers.service import unsubscribe
from tests.helpers import make_campaign, make_list, make_subscribers

BASE = "https://news.example.org"
P = PLACEHOLDERS


def _tracked(url: str) -> str:
    return f"{BASE}/l/T[{url}]/R"


def test_only_outside_links_are_rewritten_and_personal_ones_never() -> None:
    snap = Snapshot(
        subject="s",
        preheader="",
        html=(
            '<a href="https://a.example/x?y=1&amp;z=2">a</a>'
            f'<a href="{P["unsubscribe_url"]}">u</a><a href="{BASE}/u/tok">u2</a>'
            f'<a href="{BASE}/p/tok">p</a><a href="{BASE}/c/tok">c</a>'
            '<a href="mailto:office@example.org">m</a><img src="https://a.example/logo.png">'
            f'<a href="{BASE}/archive/x?who={P["email"]}">view</a>'
        ),
        text=f"See https://a.example/x?y=1&z=2. Leave: {P['unsubscribe_url']} {BASE}/p/tok\n",
    )
    out = track_links(snap, _tracked, BASE)
    assert 'href="https://news.example.org/l/T[https://a.example/x?y=1&amp;z=2]/R"' in out.html
    for kept in (
        P["unsubscribe_url"],
        f"{BASE}/u/tok",
        f"{BASE}/p/tok",
        f"{BASE}/c/tok",
        "mailto:office@example.org",
        'src="https://a.example/logo.png"',
        f"who={P['email']}",
    ):
        assert kept in out.html
    assert out.text.startswith(f"See {BASE}/l/T[https://a.example/x?y=1&z=2]/R. Leave:")
    assert f"{BASE}/p/tok" in out.text


def test_the_redirect_trusts_only_its_own_signature_and_only_web_addresses() -> None:
    signer = LinkSigner("secret")
    token = signer.make(7, "https://a.example/x")
    assert signer.read(token) == (7, "https://a.example/x")
    with pytest.raises(LinkError):
        signer.read(token[:-2] + "xx")
    with pytest.raises(LinkError):
        LinkSigner("other secret").read(token)
    # Even a correctly signed javascript: or data: target is refused (never a redirect there).
    forged = URLSafeSerializer("secret", salt="mailer.click").dumps([7, "javascript:alert(1)"])
    with pytest.raises(LinkError):
        signer.read(str(forged))


def test_the_reader_part_cannot_be_changed_to_another_reader() -> None:
    readers = ReaderSigner("secret")
    part = readers.part(41)
    assert readers.read(part) == 41
    assert readers.read(part.replace("41-", "42-", 1)) is None
    assert readers.read("41") is None and readers.read("") is None
    assert ReaderSigner("other").read(part) is None


@pytest.mark.parametrize(
    ("agent", "scanner"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0", False),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", False),
        ("", True),
        ("Mozilla/5.0 (compatible; Microsoft Office SafeLinks)", True),
        ("python-requests/2.32.3", True),
        ("Mozilla/5.0 (compatible; Googlebot/2.1)", True),
        ("Proofpoint URL Defense", True),
    ],
)
def test_scanner_agents(agent: str, scanner: bool) -> None:
    assert is_scanner(agent) is scanner


def test_an_unsubscribe_is_credited_to_the_last_send_the_reader_got(session: Session) -> None:
    ml = make_list(session)
    (reader, other) = make_subscribers(session, ml, 2)
    first = make_campaign(session, ml, "list-1:2027-W10")
    second = make_campaign(session, ml, "list-1:2027-W11")

    def send(campaign: Any) -> None:
        campaign.started_at = utcnow()
        for person in (reader, other):
            session.add(
                Delivery(
                    campaign_id=campaign.id,
                    subscriber_id=person.id,
                    email=person.email,
                    status="sent",
                    sent_at=utcnow(),
                )
            )
        session.flush()
        time.sleep(0.01)

    # other leaves between the two sends (the first's credit); reader after the second.
    send(first)
    unsubscribe(session, other.id, ml.id, via="one-click")
    session.flush()
    time.sleep(0.01)
    send(second)
    unsubscribe(session, reader.id, ml.id, via="one-click")
    session.commit()
    one, two = campaign_report(session, first.id), campaign_report(session, second.id)
    assert one is not None and two is not None
    assert (one.unsubscribed, two.unsubscribed) == (1, 1)


def test_api_backends_get_tracked_bodies_with_every_slot_filled() -> None:
    """Provider batch APIs substitute only PLACEHOLDERS: a tracked body goes to them filled,
    so no reader receives a raw reader-part slot, and each reader has their own part."""
    from mailer.compose.tracking import READER_PLACEHOLDER
    from mailer.config import Settings
    from mailer.delivery.message import MessageBuilder, Recipient
    from subscribers.models import MailingList

    settings = Settings(secret_key="k", base_url=BASE, bounce_domain="b.example")
    snap = Snapshot(
        subject="s",
        preheader="",
        html=f'<a href="https://a.example/x">x</a> Hi {P["name"]}',
        text=f"https://a.example/x Hi {P['name']}",
    )
    ml = MailingList(id=1, slug="weekly", name="Weekly", track_clicks=True)
    builder = MessageBuilder(snap, ml, settings, campaign_id=3, structured=True)
    one = builder.build(Recipient(10, 5, "a@example.org", "Ann"))
    two = builder.build(Recipient(11, 6, "b@example.org", "Bo"))
    assert one.merge is None and two.merge is None
    for message in (one, two):
        html, text = message.bodies()
        assert READER_PLACEHOLDER not in html + text and f"{BASE}/l/" in html
    reader_one = one.bodies()[1].split()[0].rsplit("/", 1)[1]
    assert ReaderSigner("k").read(reader_one) == 10
    assert one.bodies()[1].split()[0] != two.bodies()[1].split()[0]


def test_every_way_of_leaving_counts_once_and_a_complaint_counts_as_a_complaint(
    session: Session, settings: Any
) -> None:
    from mailer.feedback.apply import apply_feedback
    from mailer.feedback.events import FeedbackEvent, Kind
    from subscribers.service import unsubscribe_all, update_preferences

    ml = make_list(session, public=True)
    people = make_subscribers(session, ml, 6)
    campaign = make_campaign(session, ml, "list-1:2027-W12")
    campaign.started_at = utcnow()
    rows = []
    for person in people:
        row = Delivery(
            campaign_id=campaign.id,
            subscriber_id=person.id,
            email=person.email,
            status="sent",
            sent_at=utcnow(),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    time.sleep(0.01)
    unsubscribe(session, people[0].id, ml.id, via="one-click")  # the message's link
    update_preferences(session, people[1].id, set(), None)  # unticked on the preference page
    unsubscribe_all(session, people[2].id, via="preferences")  # "unsubscribe from everything"
    unsubscribe(session, people[2].id, ml.id, via="one-click")  # and again: still one reader
    apply_feedback(session, [FeedbackEvent(Kind.COMPLAINT, delivery_id=rows[3].id)], settings)
    update_preferences(session, people[4].id, {ml.id}, "Still Here")  # kept the list
    session.commit()
    report = campaign_report(session, campaign.id)
    assert report is not None
    assert (report.unsubscribed, report.complained) == (3, 1)
