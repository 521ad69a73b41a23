"""Helpers for the web tests (no fixtures here: those are in ``web_fixtures``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class WebClient(FlaskClient):
    """A test client that can fetch a CSRF token and log in."""

    def token(self, path: str = "/login") -> str:
        return csrf_from(self.get(path).get_data(as_text=True))

    def post_form(self, path: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
        return self.post(path, data={"csrf_token": self.token(), **data}, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
        return response


def start_digest(client: WebClient, list_id: int) -> TestResponse:
    """Create and send this week's digest the way an admin does: read the confirm page, confirm."""
    path = f"/admin/lists/{list_id}/digest"
    page = client.get(path).get_data(as_text=True)
    edition = re.search(r'name="edition" value="([^"]+)"', page)
    assert edition, "the confirm page offers no send"
    return client.post(path, data={"csrf_token": csrf_from(page), "edition": edition.group(1)})


def axe_check(page: Any, axe_source: str, name: str, artifacts: Path) -> list[dict[str, Any]]:
    """Run axe-core in the page; return serious and critical violations (report saved)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Injected through the DevTools protocol, so the page's CSP does not apply.
        page.evaluate(axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / f"{name}.axe.json").write_text(json.dumps(result["violations"], indent=1))
    return [v for v in result["violations"] if v.get("impact") in {"serious", "critical"}]


# --- data ------------------------------------------------------------------------------


def overflow(page: Any) -> int:
    """How many px the document is wider than the viewport (0: it fits)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth,"
            " document.body.scrollWidth) - window.innerWidth"
        )
    )


def add_list(s: Session, slug: str = "odei-weekly", **kw: Any) -> Any:
    from subscribers.models import MailingList

    values: dict[str, Any] = {
        "name": "ODEI Weekly",
        "description": "News, heritage-month features and upcoming events from the "
        "Office of Diversity, Equity and Inclusion.",
        **kw,
    }
    mlist = MailingList(slug=slug, **values)
    s.add(mlist)
    s.flush()
    return mlist


def add_campaign(s: Session, mlist: Any, key: str, **kw: Any) -> Any:
    from mailer.delivery.models import Campaign

    values: dict[str, Any] = {
        "kind": "digest",
        "subject": "ODEI Weekly: Commemorate Women’s History Month",
        "preheader": "Happy Ramadan, Black History & The Arts, and the Desegregation History Wall.",
        "status": "sent",
        **kw,
    }
    campaign = Campaign(list_id=mlist.id, edition_key=key, **values)
    s.add(campaign)
    s.flush()
    return campaign


def add_announcement(s: Session, author: str, title: str, lists: list[Any], **kw: Any) -> Any:
    from mailer.content.models import Announcement

    values: dict[str, Any] = {
        "body_md": "Join us for **Diversity Grand Rounds**. [Register](https://diversity.wustl.edu/events)"
        "\n\n<script>alert('x')</script>",
        "status": "submitted",
        **kw,
    }
    item = Announcement(author_email=author, title=title, **values)
    item.lists = list(lists)
    s.add(item)
    s.flush()
    return item


# --- the browser ------------------------------------------------------------------------


class Visitor:
    """One browser tab that screenshots and axe-checks every page it opens."""

    def __init__(self, page: Any, base: str, axe: str, out: Path) -> None:
        self.page, self.base, self.axe, self.out = page, base, axe, out
        self.console_errors: list[str] = []
        self.violations: dict[str, list[str]] = {}
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.page.screenshot(path=str(self.out / f"{name}.png"), full_page=True)
        bad = axe_check(self.page, self.axe, name, self.out)
        if bad:
            self.violations[name] = [f"{v['id']}: {v['help']}" for v in bad]

    def visit(self, path: str, name: str) -> Any:
        response = self.page.goto(self.base + path)
        self.check(name)
        return response

    def login(self, email: str) -> None:
        self.page.goto(self.base + "/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state("load")

    def logout(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        self.page.wait_for_load_state("load")


# --- mail in the Maildir outbox ----------------------------------------------------------


def outbox_mails(outbox: Path) -> list[Any]:
    """Every message in the test's Maildir outbox, oldest first, parsed."""
    import email
    import email.policy
    import mailbox

    if not outbox.exists():
        return []
    import re

    box = mailbox.Maildir(outbox, create=False)

    def delivered(key: str) -> tuple[int, int, str]:
        # Python's Maildir names files "<seconds>.M<microseconds>P<pid>Q<n>.<host>":
        # the arrival order, finer than the Date header's whole seconds.
        match = re.match(r"(\d+)\.M(\d+)P", key)
        return (int(match[1]), int(match[2]), key) if match else (0, 0, key)

    return [
        email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        for key in sorted(box.keys(), key=delivered)
    ]


def mail_to(outbox: Path, address: str, subject_has: str = "") -> Any:
    """The newest message to ``address`` (whose subject contains ``subject_has``)."""
    found = [
        m
        for m in outbox_mails(outbox)
        if address in str(m["To"]) and subject_has.lower() in str(m["Subject"]).lower()
    ]
    assert found, f"no mail to {address} ({subject_has!r}) in {outbox}"
    return found[-1]


def link_in(message: Any, path_prefix: str) -> str:
    """The first URL in the message's text part whose path starts with ``path_prefix``."""
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://[^\s<>\"]+" + re.escape(path_prefix) + r"[^\s<>\")\]]+", text)
    assert match, f"no {path_prefix} link in:\n{text}"
    return match.group(0)
