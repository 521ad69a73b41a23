"""Public pages: the list directory, the subscribe form and the archive with its feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_campaign, add_list

from mailer.compose.snapshot import PLACEHOLDERS
from mailer.config import Settings
from mailer.db import AuditLog, utcnow
from mailer.web.archive import public_html
from subscribers.models import Subscriber

ATOM = "{http://www.w3.org/2005/Atom}"

EDITION_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ODEI Weekly</title></head>
<body style="margin:0">
<p style="color:#1d1d1f">Dear {PLACEHOLDERS["name"]},</p>
<h1 style="color:#a51417">Commemorate Women’s History Month</h1>
<p>Recognizing and celebrating women’s contributions in medicine helps to shatter gender bias.</p>
<p><a href="https://diversity.wustl.edu/news/ramadan">Happy Ramadan!</a></p>
<p>Sent to {PLACEHOLDERS["email"]}.
<a href="{PLACEHOLDERS["preferences_url"]}">Change your preferences</a> or
<a href="{PLACEHOLDERS["unsubscribe_url"]}">unsubscribe</a>.</p>
</body></html>"""

pytest_plugins = ["web_fixtures"]


@pytest.fixture
def archive(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as s:
        weekly = add_list(s)
        private = add_list(s, "board", name="Board only", public=False)
        no_archive = add_list(s, "pathways", name="Academic Pathway Programs", archive=False)
        sent = add_campaign(
            s, weekly, "odei-weekly:2026-W10", html=EDITION_HTML, finished_at=utcnow()
        )
        draft = add_campaign(
            s, weekly, "odei-weekly:2026-W11", status="sending", subject="Not yet sent"
        )
        secret = add_campaign(s, private, "board:2026-W10", subject="Board minutes")
        hidden = add_campaign(s, no_archive, "pathways:2026-W10", subject="Pathways")
        s.commit()
        return {
            "sent": sent.id,
            "draft": draft.id,
            "secret": secret.id,
            "hidden": hidden.id,
        }


def test_home_lists_public_lists_only(client: WebClient, archive: dict[str, int]) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "ODEI Weekly" in page and "Academic Pathway Programs" in page
    assert "Board only" not in page


def test_archive_shows_sent_editions_of_archived_public_lists(
    client: WebClient, archive: dict[str, int]
) -> None:
    index = client.get("/archive/").get_data(as_text=True)
    assert "ODEI Weekly" in index and "Board only" not in index and "Pathways" not in index
    page = client.get("/archive/odei-weekly/").get_data(as_text=True)
    assert "Commemorate Women’s History Month" in page
    assert "Not yet sent" not in page
    assert client.get("/archive/board/").status_code == 404
    assert client.get("/archive/pathways/").status_code == 404
    assert client.get(f"/archive/odei-weekly/{archive['draft']}").status_code == 404
    assert client.get(f"/archive/odei-weekly/{archive['secret']}").status_code == 404
    assert client.get(f"/archive/board/{archive['secret']}/content").status_code == 404


def test_archived_edition_has_no_personal_links_or_fields(
    client: WebClient, archive: dict[str, int]
) -> None:
    page = client.get(f"/archive/odei-weekly/{archive['sent']}")
    assert page.status_code == 200
    assert f'src="/archive/odei-weekly/{archive["sent"]}/content"' in page.get_data(as_text=True)
    r = client.get(f"/archive/odei-weekly/{archive['sent']}/content")
    html = r.get_data(as_text=True)
    for placeholder in PLACEHOLDERS.values():
        assert placeholder not in html
    assert "Dear friend," in html and "Sent to your address." in html
    assert "unsubscribe" in html and "Change your preferences" in html  # the words stay
    assert html.count("<a ") == 1  # only the news link is left
    assert 'href="https://diversity.wustl.edu/news/ramadan"' in html
    assert 'style="color:#a51417"' in html  # inline styles kept for the frame
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp


def test_public_html_keeps_text_of_dropped_links() -> None:
    html = public_html(
        f'<html><body><p>Hi {PLACEHOLDERS["name"]}: <a href="{PLACEHOLDERS["unsubscribe_url"]}">'
        "<b>leave</b></a> now</p></body></html>",
        "reader",
    )
    assert "Hi reader: <b>leave</b> now" in html
    assert public_html("   ", "reader") == ""


def test_atom_feed(client: WebClient, archive: dict[str, int]) -> None:
    r = client.get("/archive/odei-weekly/feed.atom")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    feed = ET.fromstring(r.data)
    assert feed.findtext(f"{ATOM}title") == "ODEI Weekly"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == "ODEI Weekly: Commemorate Women’s History Month"
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"http://localhost/archive/odei-weekly/{archive['sent']}"
    assert "Happy Ramadan" in (entry.findtext(f"{ATOM}summary") or "")
    assert client.get("/archive/board/feed.atom").status_code == 404


def _subscribe(client: WebClient, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "name": "Victora Brings",
        "email": "victora@wustl.example",
        "mailing_list": "odei-weekly",
    }
    data.update(fields)
    return client.post("/subscribe", data={"csrf_token": client.token("/subscribe"), **data})


def test_subscribe_form_shows_errors_next_to_fields(
    client: WebClient, archive: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    page = client.get("/subscribe/odei-weekly").get_data(as_text=True)
    assert '<option selected value="odei-weekly">' in page or 'selected value="odei-weekly"' in page
    assert "Board only" not in page
    assert client.get("/subscribe/board").status_code == 404
    r = _subscribe(client, email="not an address")
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    start = body.index('id="email-error"')
    assert "not a usable email address" in body[start : start + 300]
    assert 'aria-invalid="true"' in body
    r = _subscribe(client, mailing_list="board")
    assert r.status_code == 400
    assert 'id="mailing_list-error"' in r.get_data(as_text=True)
    r = _subscribe(client, email="")
    assert "Enter your email address." in r.get_data(as_text=True)
    with session_factory() as s:
        assert s.scalar(select(func.count(Subscriber.id))) == 0


def test_honeypot_looks_like_success_and_does_nothing(
    client: WebClient, archive: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    r = _subscribe(client, website="http://spam.example")
    assert r.status_code == 200
    assert "Check your inbox" in r.get_data(as_text=True)
    with session_factory() as s:
        assert s.scalar(select(func.count(Subscriber.id))) == 0
        assert s.scalar(select(func.count(AuditLog.id))) == 0


def test_subscribe_is_rate_limited_per_address_and_ip(
    client: WebClient, archive: dict[str, int]
) -> None:
    for _ in range(3):
        assert _subscribe(client).status_code == 200
    r = _subscribe(client)
    assert r.status_code == 429
    assert "Too many sign-ups" in r.get_data(as_text=True)
    for i in range(7):
        assert _subscribe(client, email=f"other{i}@wustl.example").status_code == 200
    assert _subscribe(client, email="fresh@wustl.example").status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_ip_limit(
    web_settings: Settings, archive: dict[str, int]
) -> None:
    """With trusted_proxies set, X-Forwarded-For names the client; without it, it is ignored."""
    from mailer.web import create_app

    def sign_ups(app_settings: Settings, forwarded: list[str]) -> list[int]:
        app = create_app(app_settings)
        app.test_client_class = WebClient
        client = app.test_client()
        assert isinstance(client, WebClient)
        codes = []
        for i, address in enumerate(forwarded):
            client.environ_base["HTTP_X_FORWARDED_FOR"] = address
            codes.append(_subscribe(client, email=f"reader{i}@wustl.example").status_code)
        app.extensions["mailer.engine"].dispose()
        return codes

    ten_from_one = ["192.0.2.10"] * 10
    # Trusted: the 11th sign-up from one client is refused, another client is not.
    proxied = sign_ups(
        web_settings.replace(trusted_proxies=1), [*ten_from_one, "192.0.2.10", "192.0.2.11"]
    )
    assert proxied == [200] * 10 + [429, 200]


def test_forwarded_for_is_ignored_without_trusted_proxies(
    web_settings: Settings, archive: dict[str, int]
) -> None:
    from mailer.web import create_app

    app = create_app(web_settings)
    app.test_client_class = WebClient
    client = app.test_client()
    assert isinstance(client, WebClient)
    codes = []
    for i in range(11):
        # A client cannot dodge the per-IP limit by claiming another address.
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{i}"
        codes.append(_subscribe(client, email=f"reader{i}@wustl.example").status_code)
    app.extensions["mailer.engine"].dispose()
    assert codes == [200] * 10 + [429]
