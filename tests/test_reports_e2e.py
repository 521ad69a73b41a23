"""A real edition, sent through a real SMTP server, read back, clicked, bounced, complained
about and unsubscribed from through the real paths: the report equals what happened.

The messages come from the local SMTP server (tests/smtp_server.py); their tracked
links are followed against the running web app (GET counted, HEAD not, a scanner
not, a tampered link 400); the bounce and the complaint go through
``mailer bounces process`` on a Maildir; the unsubscribe is the message's own
List-Unsubscribe one-click POST. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import mailbox
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import requests
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer import auth
from mailer.commands.bounces import command as bounces_command
from mailer.compose.snapshot import PLACEHOLDERS
from mailer.db import utcnow
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignKind, Delivery
from mailer.delivery.verp import verp_address
from mailer.delivery.worker import Worker
from mailer.feedback.clicks import Click
from mailer.reports.campaign import campaign_report
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.service import forget
from tests.smtp_server import SmtpFaultServer

pytest_plugins = ["web_fixtures"]

DATA = Path(__file__).parent / "data" / "bounces"
P = PLACEHOLDERS
NEWS = "https://diversity.wustl.edu/news/1"
EVENTS = "https://diversity.wustl.edu/events?month=3&year=2027"
READERS = [f"reader{i}@example.org" for i in range(7)]
REJECTED = "reader6@example.org"  # the server refuses it: failed


def _snapshot_campaign(session: Session, track: bool) -> int:
    ml = MailingList(slug="odei-weekly", name="ODEI Weekly", track_clicks=track, track_opens=track)
    session.add(ml)
    session.flush()
    for address in READERS:
        person = Subscriber(email=address, name=address.split("@")[0])
        session.add(person)
        session.flush()
        session.add(Subscription(subscriber_id=person.id, list_id=ml.id, status="confirmed"))
    c = Campaign(
        kind=CampaignKind.DIGEST,
        list_id=ml.id,
        edition_key="list-1:2027-W10",
        subject="ODEI Weekly",
        html=(
            f"<html><body><p>Hi {P['name']}</p>"
            f'<p><a href="{NEWS}">News</a> <a href="{EVENTS.replace("&", "&amp;")}">Events</a></p>'
            f'<p><a href="{P["unsubscribe_url"]}">Unsubscribe</a> '
            f'<a href="{P["preferences_url"]}">Preferences</a></p></body></html>'
        ),
        text=(
            f"Hi {P['name']}\nNews: {NEWS}\nEvents: {EVENTS}.\n"
            f"Unsubscribe: {P['unsubscribe_url']}\n"
        ),
    )
    session.add(c)
    session.flush()
    campaigns.start(session, c)
    session.commit()
    return c.id


def _parts(raw: bytes) -> dict[str, str]:
    msg = email.message_from_bytes(raw)
    out = {}
    for part in msg.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out[part.get_content_type()] = payload.decode()
    out["List-Unsubscribe"] = str(msg["List-Unsubscribe"])
    out["Message-ID"] = str(msg["Message-ID"])
    return out


def _tracked(html: str, base: str) -> list[str]:
    found = re.findall(re.escape(base) + r"/l/[^\"'\s<>]+", html)
    return [url.rstrip(".,;:!?)") for url in found]  # a sentence's full stop is not the link


def _outbox(path: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(path, create=True)
    return [
        cast(EmailMessage, email.message_from_bytes(box.get_bytes(k), policy=email.policy.default))
        for k in box.iterkeys()
    ]


def _maildir(path: Path, messages: list[bytes]) -> None:
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)


def _bounce_for(delivery: Delivery, secret: str, bounce_domain: str) -> bytes:
    verp = verp_address(secret, delivery.id, bounce_domain)
    return (
        (DATA / "postfix_user_unknown.eml")
        .read_bytes()
        .replace(b"Delivered-To: bounces@bounces.example.org", f"Delivered-To: {verp}".encode())
    )


def _complaint_for(delivery: Delivery, secret: str, bounce_domain: str) -> bytes:
    verp = verp_address(secret, delivery.id, bounce_domain)
    return (
        (DATA / "arf_complaint.eml")
        .read_text()
        .replace("{{RETURN_PATH}}", verp)
        .replace("{{MESSAGE_ID}}", delivery.message_id.strip("<>"))
        .replace("{{UNSUBSCRIBE_TOKEN}}", "x")
        .encode()
    )


def _send(session_factory: sessionmaker[Session], live: Any, track: bool) -> tuple[int, dict]:
    """Start and send the edition through the SMTP server; each reader's decoded message."""
    with session_factory() as s:
        cid = _snapshot_campaign(s, track)
    with SmtpFaultServer() as server:
        server.script_rcpt(REJECTED, "550 5.1.1 No such user here")
        Worker(session_factory, live.settings.replace(backend=server.url())).run(once=True)
        received = {m.rcpt_tos[0]: _parts(m.data) for m in server.received}
    assert set(received) == set(READERS) - {REJECTED}
    return cid, received


def test_report_equals_what_happened(
    session_factory: sessionmaker[Session],
    live_server: Any,
    tmp_path: Path,
    cli_env: dict[str, str],
    outbox: Path,
) -> None:
    base = live_server.url
    cid, mail = _send(session_factory, live_server, track=True)

    # Right after delivery a gateway opens every link: not a person, not counted. (Its
    # sent time is made "now", so a slow machine cannot stretch the moment past 5 s.)
    with session_factory() as s:
        row = s.scalar(select(Delivery).where(Delivery.email == "reader2@example.org"))
        assert row is not None
        row.sent_at = utcnow()
        s.commit()
    first = _tracked(mail["reader2@example.org"]["text/html"], base)
    scan = requests.get(first[0], allow_redirects=False, timeout=10)
    assert scan.status_code == 302 and scan.headers["Location"] == NEWS
    # Time passes (the deliveries were sent a minute ago).
    with session_factory() as s:
        for row in s.scalars(select(Delivery).where(Delivery.sent_at.is_not(None))):
            assert row.sent_at is not None
            row.sent_at -= dt.timedelta(minutes=1)
        s.commit()

    browser = {"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15"}
    r0 = mail["reader0@example.org"]
    r1 = mail["reader1@example.org"]
    html_links, text_links = _tracked(r0["text/html"], base), _tracked(r0["text/plain"], base)
    # Both parts carry the same tracked links; personal links are never rewritten.
    assert len(html_links) == 2 and html_links == text_links
    assert "/u/" in r0["text/html"] and "/p/" in r0["text/html"]
    assert not re.search(r"/l/[^\"]*/u/", r0["text/html"])
    news0, events0 = html_links
    for url, target in ((news0, NEWS), (news0, NEWS), (events0, EVENTS)):
        answer = requests.get(url, headers=browser, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and answer.headers["Location"] == target
    news1 = _tracked(r1["text/plain"], base)[0]
    answer = requests.get(news1, headers=browser, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and answer.headers["Location"] == NEWS
    # A HEAD (link checkers, previews) is redirected the same and counts nothing.
    answer = requests.head(news1, headers=browser, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and answer.headers["Location"] == NEWS
    # A link scanner's agent is redirected, not counted.
    bot = {"User-Agent": "Mozilla/5.0 (compatible; Microsoft Office SafeLinks)"}
    requests.get(news1, headers=bot, allow_redirects=False, timeout=10)
    # The open pixel (this list also tracks opens): a GET counts, a HEAD does not.
    pixel = re.search(re.escape(base) + r"/o/[^\"]+\.gif", r0["text/html"])
    assert pixel is not None and "/o/" not in r0["text/plain"]
    seen = requests.get(pixel.group(0), timeout=10)
    assert seen.status_code == 200 and seen.headers["Content-Type"] == "image/gif"
    assert requests.head(pixel.group(0), timeout=10).status_code == 200
    requests.get(pixel.group(0), timeout=10)
    bad_pixel = pixel.group(0).replace("/o/", "/o/9", 1)  # another campaign's id
    requests.get(bad_pixel, timeout=10)
    # Tampered: another target, another reader, no reader part, garbage: 400, no redirect.
    token, reader = news0.split("/l/")[1].split("/")
    other_reader = _tracked(r1["text/html"], base)[0].split("/")[-1]
    forged_target = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (
        f"{base}/l/{forged_target}/{reader}",
        f"{base}/l/{token}/{reader[:-2]}xx",
        f"{base}/l/{token}/{other_reader.split('-')[0]}-{reader.split('-')[1]}",
        f"{base}/l/not-a-token/1-abc",
    ):
        answer = requests.get(bad, headers=browser, allow_redirects=False, timeout=10)
        assert answer.status_code == 400, bad
        assert "Location" not in answer.headers

    # reader3 bounces hard, reader4 complains: through the real bounce mailbox path.
    settings = live_server.settings
    with session_factory() as s:
        rows = {d.email: d for d in s.scalars(select(Delivery).where(Delivery.campaign_id == cid))}
        feedback = [
            _bounce_for(rows["reader3@example.org"], settings.signing_key, settings.bounce_domain),
            _complaint_for(
                rows["reader4@example.org"], settings.signing_key, settings.bounce_domain
            ),
        ]
    with session_factory() as s:
        auth.create_user(s, "ada.admin@wustl.example", "a long admin passphrase", "admin")
        s.commit()
    _maildir(tmp_path / "bounces", feedback)
    done = CliRunner().invoke(bounces_command, ["process", "--maildir", str(tmp_path / "bounces")])
    assert done.exit_code == 0, done.output
    # The admin is told once that the send crossed the complaint and hard-bounce lines.
    notices = [m for m in _outbox(outbox) if "Send needs attention" in str(m["Subject"])]
    assert len(notices) == 1 and "ada.admin@wustl.example" in str(notices[0]["To"])
    body = notices[0].get_content()
    assert "complaint rate" in body and "hard-bounce rate" in body
    again = CliRunner().invoke(bounces_command, ["process", "--maildir", str(tmp_path / "bounces")])
    assert again.exit_code == 0, again.output
    assert len([m for m in _outbox(outbox) if "Send needs attention" in str(m["Subject"])]) == 1
    # reader5 uses the one-click List-Unsubscribe of the message they got.
    one_click = re.search(r"<(http[^>]+/u/[^>]+)>", mail["reader5@example.org"]["List-Unsubscribe"])
    assert one_click is not None
    answer = requests.post(one_click.group(1), data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert answer.status_code == 200

    with session_factory() as s:
        report = campaign_report(s, cid)
        assert report is not None
        got = report.to_json()
    assert {k: got[k] for k in ("recipients", "sent", "failed", "bounced", "complained")} == {
        "recipients": 7,
        "sent": 6,
        "failed": 1,
        "bounced": 2,
        "complained": 1,
    }
    # reader6 was refused while sending (5.1.1), reader3 bounced later: both hard.
    assert got["rejected"] == 1 and got["hard_bounced"] == 2 and got["soft_bounced"] == 0
    assert got["delivered"] == 5
    assert got["unsubscribed"] == 1
    assert got["clicks"] == {"tracked": True, "total": 4, "unique": 2}
    assert got["opens"] == {"tracked": True, "total": 2, "unique": 1}
    assert got["links"] == [
        {"url": NEWS, "total": 3, "unique": 2},
        {"url": EVENTS, "total": 1, "unique": 1},
    ]
    # 1 complaint in 6 sent is far over Gmail's 0.1%; 1 hard bounce in 6 over 2%.
    assert len(got["warnings"]) == 2

    # The command prints the same numbers.
    from mailer.cli import cli

    printed = CliRunner().invoke(cli, ["campaigns", "report", str(cid), "--json"], env=cli_env)
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == got

    # Forgetting a reader removes their clicks and opens (and so their part of the counts).
    with session_factory() as s:
        forget(s, "reader0@example.org")
        s.commit()
        assert s.scalar(select(Click.id).where(Click.url == EVENTS)) is None
        after = campaign_report(s, cid)
        assert after is not None and after.clicks_total == 1 and after.clicks_unique == 1
        assert after.opens_total == 0  # reader0's opens went with them


def test_without_tracking_links_go_straight_to_their_targets(
    session_factory: sessionmaker[Session], live_server: Any
) -> None:
    _cid, mail = _send(session_factory, live_server, track=False)
    html = mail["reader0@example.org"]["text/html"]
    assert "/l/" not in html and "/o/" not in html
    assert f'href="{NEWS}"' in html
    assert NEWS in mail["reader0@example.org"]["text/plain"]
