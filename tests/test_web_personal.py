"""Subscribing from the form, the confirmation link, unsubscribe (RFC 8058) and preferences.

Mail is read from the test's Maildir outbox, so the links followed are the
ones a reader gets.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_list, link_in, mail_to, outbox_mails

from mailer.config import Settings
from subscribers.models import Subscriber, Subscription, Suppression
from subscribers.tokens import TokenSigner

pytest_plugins = ["web_fixtures"]

ADDRESS = "victora.brings@wustl.example"


@pytest.fixture
def lists(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as s:
        weekly = add_list(s)
        rounds = add_list(s, "grand-rounds", name="Diversity Grand Rounds", double_opt_in=False)
        board = add_list(s, "board", name="Board only", public=False)
        s.commit()
        return {"weekly": weekly.id, "rounds": rounds.id, "board": board.id}


def _path(url: str) -> str:
    return urlsplit(url).path


def _subscribe(client: WebClient, slug: str = "odei-weekly", email: str = ADDRESS):  # type: ignore[no-untyped-def]
    return client.post(
        "/subscribe",
        data={
            "csrf_token": client.token("/subscribe"),
            "name": "Victora Brings",
            "email": email,
            "mailing_list": slug,
        },
    )


def _status(session_factory: sessionmaker[Session], list_id: int, email: str = ADDRESS) -> str:
    with session_factory() as s:
        sub = s.scalar(
            select(Subscription)
            .join(Subscriber)
            .where(Subscriber.email == email, Subscription.list_id == list_id)
        )
        return sub.status if sub else "none"


def test_double_opt_in_from_form_to_confirmed_with_welcome(
    client: WebClient,
    lists: dict[str, int],
    session_factory: sessionmaker[Session],
    outbox: Path,
) -> None:
    r = _subscribe(client)
    assert r.status_code == 200 and "Check your inbox" in r.get_data(as_text=True)
    assert _status(session_factory, lists["weekly"]) == "pending"
    with session_factory() as s:
        sub = s.scalar(select(Subscription))
        assert sub is not None and sub.source == "form" and sub.consent_ip == "127.0.0.1"
    url = link_in(mail_to(outbox, ADDRESS), "/c/")
    # A GET (a mail scanner) changes nothing.
    page = client.get(_path(url))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert _status(session_factory, lists["weekly"]) == "pending"
    r = client.post(_path(url), data={"csrf_token": client.token(_path(url))})
    assert r.status_code == 200 and "You are subscribed" in r.get_data(as_text=True)
    assert _status(session_factory, lists["weekly"]) == "confirmed"
    assert len(outbox_mails(outbox)) == 2
    welcome = outbox_mails(outbox)[-1]
    assert "/u/" in welcome["List-Unsubscribe"]
    # A second click is harmless and sends no second welcome.
    client.post(_path(url), data={"csrf_token": client.token(_path(url))})
    assert len(outbox_mails(outbox)) == 2


def test_confirmation_post_needs_csrf_and_a_real_token(
    client: WebClient, lists: dict[str, int], session_factory: sessionmaker[Session], outbox: Path
) -> None:
    _subscribe(client)
    url = link_in(mail_to(outbox, ADDRESS), "/c/")
    assert client.post(_path(url)).status_code == 400  # no CSRF token
    assert _status(session_factory, lists["weekly"]) == "pending"
    forged = _path(url)[:-3] + "xyz"
    r = client.post(forged, data={"csrf_token": client.token("/subscribe")})
    assert r.status_code == 400 and "not valid" in r.get_data(as_text=True)
    assert _status(session_factory, lists["weekly"]) == "pending"


def test_single_opt_in_gets_welcome_at_once_and_page_says_nothing_more(
    client: WebClient, lists: dict[str, int], session_factory: sessionmaker[Session], outbox: Path
) -> None:
    first = _subscribe(client, "grand-rounds").get_data(as_text=True)
    assert _status(session_factory, lists["rounds"]) == "confirmed"
    assert len(outbox_mails(outbox)) == 1
    again = _subscribe(client, "grand-rounds").get_data(as_text=True)
    assert len(outbox_mails(outbox)) == 1  # no second welcome
    strip = lambda html: html.split('name="csrf_token"')[0]  # noqa: E731
    assert strip(first) == strip(again)


def _confirmed(client: WebClient, outbox: Path) -> str:
    _subscribe(client)
    url = link_in(mail_to(outbox, ADDRESS), "/c/")
    client.post(_path(url), data={"csrf_token": client.token(_path(url))})
    return str(mail_to(outbox, ADDRESS, "welcome"))


@pytest.mark.parametrize("encoding", ["form", "multipart"])
def test_one_click_unsubscribe_rfc8058(
    client: WebClient,
    lists: dict[str, int],
    session_factory: sessionmaker[Session],
    outbox: Path,
    encoding: str,
) -> None:
    _confirmed(client, outbox)
    welcome = mail_to(outbox, ADDRESS, "welcome")
    header = str(welcome["List-Unsubscribe"])
    url = header.split("<", 1)[1].split(">", 1)[0]
    path = _path(url)
    assert path.startswith("/u/")
    assert client.get(path).status_code == 200
    assert _status(session_factory, lists["weekly"]) == "confirmed"
    fresh = WebClient(client.application)  # no cookie, as a mail provider
    assert fresh.post(path, data={"List-Unsubscribe": "Nope"}).status_code == 400
    assert _status(session_factory, lists["weekly"]) == "confirmed"
    if encoding == "form":
        r = fresh.post(path, data={"List-Unsubscribe": "One-Click"})
    else:
        boundary = "----odei"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            f"One-Click\r\n--{boundary}--\r\n"
        )
        r = fresh.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 200 and "Location" not in r.headers
    assert _status(session_factory, lists["weekly"]) == "unsubscribed"
    mails = len(outbox_mails(outbox))
    assert fresh.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert len(outbox_mails(outbox)) == mails  # one-click sends no goodbye


def test_unsubscribe_button_sends_one_goodbye(
    client: WebClient, lists: dict[str, int], session_factory: sessionmaker[Session], outbox: Path
) -> None:
    _confirmed(client, outbox)
    path = _path(link_in(mail_to(outbox, ADDRESS, "welcome"), "/u/"))
    r = client.post(path, data={"List-Unsubscribe": "One-Click", "from": "page"})
    assert r.status_code == 200 and "You are unsubscribed" in r.get_data(as_text=True)
    assert _status(session_factory, lists["weekly"]) == "unsubscribed"
    assert len(outbox_mails(outbox)) == 3
    assert "already unsubscribed" in client.get(path).get_data(as_text=True)
    forged = WebClient(client.application).post(
        "/u/" + "x" * 40, data={"List-Unsubscribe": "One-Click"}
    )
    assert forged.status_code == 400


def test_preferences_change_lists_and_name(
    client: WebClient,
    lists: dict[str, int],
    session_factory: sessionmaker[Session],
    outbox: Path,
) -> None:
    _confirmed(client, outbox)
    path = _path(link_in(mail_to(outbox, ADDRESS, "welcome"), "/p/"))
    page = client.get(path).get_data(as_text=True)
    assert "Diversity Grand Rounds" in page and "Board only" not in page
    r = client.post(
        path,
        data={
            "csrf_token": client.token(path),
            "name": "Victora B.",
            "lists": [str(lists["rounds"]), str(lists["board"])],
        },
    )
    assert r.status_code == 200 and "saved" in r.get_data(as_text=True)
    assert _status(session_factory, lists["weekly"]) == "unsubscribed"
    assert _status(session_factory, lists["rounds"]) == "confirmed"
    assert _status(session_factory, lists["board"]) == "none"  # private lists untouched
    r = client.post(
        path,
        data={"csrf_token": client.token(path), "name": "Victora B.", "unsubscribe_all": "y"},
    )
    assert _status(session_factory, lists["rounds"]) == "unsubscribed"
    with session_factory() as s:
        assert s.scalar(select(Suppression.reason).where(Suppression.address == ADDRESS))
        assert s.scalar(select(Subscriber.name).where(Subscriber.email == ADDRESS)) == "Victora B."


def test_forged_preference_token_changes_nothing(
    client: WebClient,
    lists: dict[str, int],
    session_factory: sessionmaker[Session],
    outbox: Path,
    web_settings: Settings,
) -> None:
    _confirmed(client, outbox)
    with session_factory() as s:
        person_id = s.scalar(select(Subscriber.id).where(Subscriber.email == ADDRESS))
    assert person_id is not None
    forged = [
        TokenSigner("not-our-secret").make("preferences", person_id),  # wrong key
        TokenSigner(web_settings.signing_key).make("unsubscribe", person_id, lists["weekly"]),
        TokenSigner(web_settings.signing_key).make("preferences", person_id) + "x",
        "garbage",
    ]
    for token in forged:
        path = f"/p/{token}"
        assert client.get(path).status_code == 400
        r = client.post(
            path,
            data={
                "csrf_token": client.token("/subscribe"),
                "lists": [str(lists["rounds"])],
                "unsubscribe_all": "y",
                "name": "Mallory",
            },
        )
        assert r.status_code == 400
    assert _status(session_factory, lists["weekly"]) == "confirmed"
    assert _status(session_factory, lists["rounds"]) == "none"
    with session_factory() as s:
        assert (
            s.scalar(select(Subscriber.name).where(Subscriber.id == person_id)) == "Victora Brings"
        )
        assert s.scalar(select(Suppression.id)) is None


def test_head_on_personal_links_answers_like_get_and_changes_nothing(
    client: WebClient, lists: dict[str, int], session_factory: sessionmaker[Session], outbox: Path
) -> None:
    """Link checkers and mail scanners send HEAD: it must answer like GET and change nothing."""
    _confirmed(client, outbox)
    welcome = mail_to(outbox, ADDRESS, "welcome")
    fresh = WebClient(client.application)  # no cookie, as a scanner
    for prefix in ("/u/", "/p/"):
        path = _path(link_in(welcome, prefix))
        get = fresh.get(path)
        head = fresh.head(path)
        assert (head.status_code, head.headers["Cache-Control"]) == (200, "no-store"), prefix
        assert head.headers["Content-Type"] == get.headers["Content-Type"]
        assert head.get_data() == b""
    _subscribe(client, email="second." + ADDRESS)
    confirm = _path(link_in(mail_to(outbox, "second." + ADDRESS), "/c/"))
    assert fresh.head(confirm).status_code == 200
    assert _status(session_factory, lists["weekly"]) == "confirmed"
    assert _status(session_factory, lists["weekly"], "second." + ADDRESS) == "pending"
    assert fresh.head("/u/" + "x" * 40).status_code == fresh.get("/u/" + "x" * 40).status_code
    assert len(outbox_mails(outbox)) == 3  # welcome, confirmation ... and no goodbye
