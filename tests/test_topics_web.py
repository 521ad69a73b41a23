"""Readers choose topics and mode: at subscribe time and on the preference page (Chromium)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import Visitor

from mailer.db import AuditLog
from subscribers.models import Subscriber, Subscription
from subscribers.tokens import TokenSigner
from subscribers.topic_models import ReaderChoice
from subscribers.topics import choices_of, create_topic
from tests.helpers import make_list
from tests.topic_fixtures import DIVISIONS

pytest_plugins = ["web_fixtures"]


def _list_with_topics(session: Session, **kw: Any) -> tuple[int, dict[str, int]]:
    ml = make_list(session, "odei-weekly", **kw)
    ids = {key: create_topic(session, ml, key, name).id for key, name in DIVISIONS.items()}
    session.commit()
    return ml.id, ids


def _subscription(session: Session, email: str) -> Subscription:
    sub = session.scalar(select(Subscription).join(Subscriber).where(Subscriber.email == email))
    assert sub is not None
    return sub


def test_subscribe_form_takes_topics(client: Any, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        list_id, ids = _list_with_topics(session)
    page = client.get("/subscribe/odei-weekly")
    assert "Academic Pathway Programs" in page.get_data(as_text=True)
    done = client.post(
        "/subscribe/odei-weekly",
        data={
            "csrf_token": client.token("/subscribe"),
            "email": "ana@example.org",
            "mailing_list": "odei-weekly",
            f"topics-{list_id}": [str(ids["pathways"]), str(ids["ppd"]), "99999"],
        },
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    with session_factory() as session:
        sub = _subscription(session, "ana@example.org")
        assert choices_of(session, sub.id).topics == {ids["pathways"], ids["ppd"]}
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "reader.topics"))
        assert entry is not None and entry.note == "form" and entry.at is not None
        # A stranger typing the address again cannot change a confirmed reader's topics.
        sub.status = "confirmed"
        session.commit()
    client.post(
        "/subscribe/odei-weekly",
        data={"csrf_token": client.token("/subscribe"),
              "email": "ana@example.org", "mailing_list": "odei-weekly",
              f"topics-{list_id}": [str(ids["md"])]},
    )  # fmt: skip
    with session_factory() as session:
        sub = _subscription(session, "ana@example.org")
        assert choices_of(session, sub.id).topics == {ids["pathways"], ids["ppd"]}


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_preference_page_changes_topics_and_mode_in_chromium(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    axe_source: str,
    artifacts_dir: Path,
) -> None:
    with session_factory() as session:
        list_id, ids = _list_with_topics(session)
        person = Subscriber(email="dee@example.org", name="Dee Reader")
        session.add(person)
        session.flush()
        session.add(Subscription(subscriber_id=person.id, list_id=list_id, status="confirmed"))
        session.commit()
        token = TokenSigner(live_server.settings.signing_key).make("preferences", person.id)
    out = artifacts_dir / "topics"
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    page = v.page
    try:
        v.visit(f"/p/{token}", "preferences")
        assert page.get_by_label("The weekly digest").is_checked()
        page.get_by_label("Academic Pathway Programs").check()
        page.get_by_label("MD Diversity Programs").check()
        page.get_by_label("Each announcement as it is approved", exact=False).check()
        page.get_by_role("button", name="Save preferences").click()
        v.check("preferences-saved")
        assert page.get_by_role("status").inner_text() == "Your preferences are saved."
        assert page.get_by_label("Academic Pathway Programs").is_checked()
        assert not page.get_by_label("Programming and Professional Development").is_checked()
        with session_factory() as session:
            sub = _subscription(session, "dee@example.org")
            assert choices_of(session, sub.id).topics == {ids["pathways"], ids["md"]}
            choice = session.get(ReaderChoice, sub.id)
            assert choice is not None and choice.mode == "instant"
            assert choice.source == "preferences"
        # Back to everything, weekly.
        page.get_by_label("Academic Pathway Programs").uncheck()
        page.get_by_label("MD Diversity Programs").uncheck()
        page.get_by_label("The weekly digest").check()
        page.get_by_role("button", name="Save preferences").click()
        page.wait_for_load_state("load")
        with session_factory() as session:
            sub = _subscription(session, "dee@example.org")
            assert choices_of(session, sub.id).topics == frozenset()
            assert choices_of(session, sub.id).mode == "digest"
            modes = session.scalars(
                select(AuditLog.detail).where(AuditLog.action == "reader.mode")
            ).all()
            assert [m["after"] for m in modes] == ["instant", "digest"]
        assert v.violations == {}, v.violations
        assert v.console_errors == []
    finally:
        context.close()


def test_admin_defines_topics_and_source_topics_in_the_console(
    admin_client: Any, session_factory: sessionmaker[Session]
) -> None:
    from mailer.content.models import Source
    from mailer.content.topic_tags import tags_of
    from subscribers.topics import list_topics

    with session_factory() as session:
        ml = make_list(session, "odei-weekly")
        source = Source(kind="events", name="Pathways calendar", url="https://example.org/c.ics")
        session.add(source)
        session.commit()
        list_id, source_id = ml.id, source.id
    path = f"/admin/lists/{list_id}/topics"
    assert "Topics of this list" in admin_client.get(f"/admin/lists/{list_id}").get_data(True)

    def post(**data: str) -> Any:
        return admin_client.post(path, data={"csrf_token": admin_client.token(path), **data})

    assert post(action="add", slug="pathways", name="Academic Pathway Programs").status_code == 302
    assert post(action="add", slug="md", name="MD Diversity Programs").status_code == 302
    taken = post(action="add", slug="md", name="Again")
    assert taken.status_code == 400 and "already has a topic" in taken.get_data(True)
    assert post(action="update", slug="md", name="MD Diversity").status_code == 302
    with session_factory() as session:
        topics = {t.slug: t for t in list_topics(session, list_id)}
        assert topics["md"].name == "MD Diversity"
        pathways = topics["pathways"].id
    done = admin_client.post(
        path,
        data={"csrf_token": admin_client.token(path), "action": "sources",
              f"source-{source_id}": [str(pathways)]},
    )  # fmt: skip
    assert done.status_code == 302
    assert post(action="delete", slug="md").status_code == 302
    with session_factory() as session:
        assert [t.slug for t in list_topics(session, list_id)] == ["pathways"]
        assert tags_of(session, "source", source_id) == {pathways}
        actions = list(
            session.scalars(select(AuditLog.action).where(AuditLog.action.like("topic.%")))
        )
        assert actions.count("topic.create") == 2 and "topic.delete" in actions
    page = admin_client.get(path).get_data(True)
    assert "Academic Pathway Programs" in page and "Pathways calendar" in page


def test_staff_announcement_carries_topics(
    staff_client: Any, session_factory: sessionmaker[Session]
) -> None:
    from mailer.content.models import Announcement
    from mailer.content.topic_tags import tags_of

    with session_factory() as session:
        list_id, ids = _list_with_topics(session)
    path = "/staff/announcements/new"
    assert "Topics on ODEI Weekly" in staff_client.get(path).get_data(True)
    done = staff_client.post(
        path,
        data={
            "csrf_token": staff_client.token(path),
            "title": "Pathways open house",
            "body_md": "Come and meet the scholars.",
            "mode": "digest",
            "timezone": "America/Chicago",
            "lists": [str(list_id)],
            "topics": [str(ids["pathways"]), "99999"],
        },
    )
    assert done.status_code == 302, done.get_data(True)
    with session_factory() as session:
        ann = session.scalar(select(Announcement))
        assert ann is not None
        assert tags_of(session, "announcement", ann.id) == {ids["pathways"]}
    page = staff_client.get(f"/staff/announcements/{ann.id}").get_data(True)
    assert re.search(rf'value="{ids["pathways"]}" id="ann-topic-\d+" checked', page)


def test_staff_preview_shows_every_variant_in_use(
    staff_client: Any, session_factory: sessionmaker[Session]
) -> None:
    from tests.topic_fixtures import EDITION, build, expected_titles, titles_in

    with session_factory() as session:
        setup = build(session, {"ana@example.org": set(), "ben@example.org": {"md"}})
        session.commit()
        md = str(setup.topics["md"])
    page = staff_client.get(f"/staff/digest/weekly?date={EDITION.isoformat()}").get_data(True)
    assert "MD Diversity Programs" in page and f"variant={md}" in page
    base = f"/staff/digest/weekly/content?date={EDITION.isoformat()}"
    assert titles_in(staff_client.get(base).get_data(True)) == expected_titles(set())
    framed = staff_client.get(f"{base}&variant={md}").get_data(True)
    assert titles_in(framed) == expected_titles({"md"})


def test_api_subscribe_takes_topic_slugs(
    client: Any, admin: Any, session_factory: sessionmaker[Session]
) -> None:
    from mailer import auth
    from mailer.users import User

    with session_factory() as session:
        _list_id, ids = _list_with_topics(session)
        token = auth.issue_api_token(session.get(User, admin.id))  # type: ignore[arg-type]
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"list": "odei-weekly", "email": "kim@example.org", "topics": ["md", "ppd"]}
    bad = client.post("/api/v1/subscribe", json={**body, "topics": ["nope"]}, headers=headers)
    assert bad.status_code == 400 and "nope" in bad.get_data(True)
    done = client.post("/api/v1/subscribe", json=body, headers=headers)
    assert done.status_code == 200, done.get_data(True)
    with session_factory() as session:
        sub = _subscription(session, "kim@example.org")
        assert choices_of(session, sub.id).topics == {ids["md"], ids["ppd"]}
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "reader.topics"))
        assert entry is not None and entry.note == "api"
    schema = client.get("/api/openapi.json").get_json()
    assert "topics" in str(schema)
