"""Admin console: lists, subscribers, campaigns and users, through the test client."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_announcement, add_campaign, add_list

from mailer.db import AuditLog, utcnow
from mailer.delivery.models import Delivery
from mailer.users import User
from subscribers.models import BounceRecord, MailingList, Subscriber, Subscription

LIST_FORM = {
    "slug": "grand-rounds",
    "name": "Diversity Grand Rounds",
    "description": "Talks on health equity at WashU Med.",
    "public": "y",
    "double_opt_in": "y",
    "from_name": "WashU Med ODEI",
    "from_email": "odei@example.org",
    "reply_to": "",
    "timezone": "America/Chicago",
    "digest_enabled": "y",
    "digest_weekday": "2",
    "digest_time": "08:30",
    "archive": "y",
}

pytest_plugins = ["web_fixtures"]


def test_create_and_edit_a_list(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    r = admin_client.post_form("/admin/lists/new", LIST_FORM)
    assert r.status_code == 302
    page = admin_client.get("/admin/lists/").get_data(as_text=True)
    assert "Diversity Grand Rounds" in page and "Wednesday 08:30 (America/Chicago)" in page
    with session_factory() as s:
        m = s.scalar(select(MailingList).where(MailingList.slug == "grand-rounds"))
        assert m is not None and m.digest_weekday == 2 and m.public and m.double_opt_in
        list_id = m.id
    # Make it private, single opt-in, another zone; unchecked boxes are sent as absent.
    edit = {**LIST_FORM, "timezone": "Europe/Berlin", "digest_time": "18:00"}
    del edit["public"], edit["double_opt_in"]
    assert admin_client.post_form(f"/admin/lists/{list_id}", edit).status_code == 302
    with session_factory() as s:
        m = s.get(MailingList, list_id)
        assert m is not None
        assert (m.public, m.double_opt_in, m.timezone, m.digest_time) == (
            False,
            False,
            "Europe/Berlin",
            "18:00",
        )
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "list.update"))
        assert entry is not None and entry.actor == "ada.admin@example.org"
        assert entry.detail["changes"]["public"] == [True, False]


def test_the_list_form_sets_the_digest_title(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    form = {**LIST_FORM, "digest_title": "Grand Rounds Weekly"}
    assert admin_client.post_form("/admin/lists/new", form).status_code == 302
    with session_factory() as s:
        m = s.scalar(select(MailingList).where(MailingList.slug == "grand-rounds"))
        assert m is not None and m.digest_title == "Grand Rounds Weekly"
        list_id = m.id
    page = admin_client.get(f"/admin/lists/{list_id}").get_data(as_text=True)
    assert 'value="Grand Rounds Weekly"' in page
    bad = {**form, "digest_title": "two\nlines"}
    assert admin_client.post_form(f"/admin/lists/{list_id}", bad).status_code == 400


def test_bad_list_input_gets_errors_next_to_the_fields(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    bad = {
        **LIST_FORM,
        "slug": "Not A Slug",
        "timezone": "Mars/Olympus_Mons",
        "digest_time": "25:00",
        "from_email": "not-an-address",
        "name": "",
    }
    r = admin_client.post_form("/admin/lists/new", bad)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    for field, words in {
        "slug": "lower-case letters",
        "timezone": "Unknown time zone",
        "digest_time": "Use 24-hour HH:MM",
        "from_email": "not a usable email address",
        "name": "Give the list a name",
    }.items():
        start = page.index(f'id="{field}-error"')
        assert words in page[start : start + 300], field
        assert f'aria-describedby="{field}-' in page or f'{field}-error"' in page
    assert "Traceback" not in page
    with session_factory() as s:
        assert s.scalar(select(func.count(MailingList.id))) == 0


def test_duplicate_slug_is_a_field_error(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        add_list(s, "grand-rounds")
        s.commit()
    r = admin_client.post_form("/admin/lists/new", LIST_FORM)
    assert r.status_code == 400
    assert "Another list already uses the slug &#39;grand-rounds&#39;." in r.get_data(as_text=True)


def _people(s: Session, n: int) -> list[Subscriber]:
    people = [
        Subscriber(email=f"member{i:03d}@wustl.example", name=f"Member {i:03d}") for i in range(n)
    ]
    people.append(Subscriber(email="jakayla.folarin@wustl.example", name="Jakayla Folarin-Hines"))
    people.append(Subscriber(email="victora.brings@wustl.example", name="Victora Brings"))
    s.add_all(people)
    s.flush()
    return people


def test_subscriber_search_and_keyset_pages(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _people(s, 120)
        s.commit()
    first = admin_client.get("/admin/subscribers/").get_data(as_text=True)
    assert "member000@wustl.example" in first and "member049@wustl.example" in first
    assert "member050@wustl.example" not in first
    assert 'rel="next" href="/admin/subscribers/?after=50"' in first
    second = admin_client.get("/admin/subscribers/?after=50").get_data(as_text=True)
    assert "member050@wustl.example" in second and "member049@" not in second
    assert 'rel="prev" href="/admin/subscribers/?before=51"' in second
    back = admin_client.get("/admin/subscribers/?before=51").get_data(as_text=True)
    assert "member000@wustl.example" in back and "member050@" not in back
    found = admin_client.get("/admin/subscribers/?q=Victora").get_data(as_text=True)
    assert "victora.brings@wustl.example" in found and "member0" not in found
    by_email = admin_client.get("/admin/subscribers/?q=JAKAYLA").get_data(as_text=True)
    assert "jakayla.folarin@wustl.example" in by_email
    # Wildcards are literal: "%" matches nobody.
    none = admin_client.get("/admin/subscribers/?q=%25").get_data(as_text=True)
    assert "No subscriber matches." in none


def test_subscriber_page_shows_subscriptions_and_delivery_history(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        mlist = add_list(s)
        person = Subscriber(email="jakayla.folarin@wustl.example", name="Jakayla Folarin-Hines")
        s.add(person)
        s.flush()
        s.add(
            Subscription(
                subscriber_id=person.id, list_id=mlist.id, status="confirmed", source="form"
            )
        )
        campaign = add_campaign(s, mlist, "odei-weekly:2026-W10")
        s.add(
            Delivery(
                campaign_id=campaign.id,
                subscriber_id=person.id,
                email=person.email,
                status="sent",
                attempts=1,
                sent_at=utcnow(),
            )
        )
        s.commit()
        pid = person.id
    page = admin_client.get(f"/admin/subscribers/{pid}").get_data(as_text=True)
    assert "Jakayla Folarin-Hines" in page
    assert "ODEI Weekly" in page and "confirmed" in page
    assert "Commemorate Women’s History Month" in page and ">sent<" in page
    assert admin_client.get("/admin/subscribers/999999").status_code == 404


def test_subscriber_page_shows_unverified_bounces_as_not_acted_on(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        person = Subscriber(email="Jakayla.Folarin@wustl.example", name="Jakayla")
        s.add(person)
        s.flush()
        s.add(
            BounceRecord(
                address="jakayla.folarin@wustl.example",
                kind="hard",
                status_code="5.1.1",
                diagnostic="550 5.1.1 forged by a stranger",
                verified=False,
            )
        )
        s.commit()
        pid = person.id
    page = admin_client.get(f"/admin/subscribers/{pid}").get_data(as_text=True)
    assert "550 5.1.1 forged by a stranger" in page and "unverified: not acted on" in page


def test_campaign_detail_counts_come_from_deliveries(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    now = utcnow()
    with session_factory() as s:
        mlist = add_list(s)
        people = _people(s, 8)
        campaign = add_campaign(
            s, mlist, "odei-weekly:2026-W11", status="sending", started_at=now, sent_count=0
        )
        statuses = ["sent"] * 5 + ["failed", "queued", "queued", "sending", "bounced"]
        for person, status in zip(people, statuses, strict=True):
            s.add(
                Delivery(
                    campaign_id=campaign.id,
                    subscriber_id=person.id,
                    email=person.email,
                    status=status,
                    last_error="550 5.1.1 user unknown" if status == "bounced" else "",
                    sent_at=now - dt.timedelta(seconds=10) if status == "sent" else None,
                )
            )
        s.commit()
        cid = campaign.id
    progress = admin_client.get(f"/admin/campaigns/{cid}/progress.json").get_json()
    assert progress["counts"] == {
        "queued": 2,
        "sending": 1,
        "sent": 5,
        "failed": 1,
        "bounced": 1,
        "skipped": 0,
    }
    assert progress["total"] == 10 and progress["done"] == 7 and progress["percent"] == 70.0
    assert progress["rate_per_minute"] == 5 and progress["live"] is True
    page = admin_client.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    assert 'data-count="sent">5<' in page and "550 5.1.1 user unknown" in page
    assert 'src="/static/progress.js"' in page
    listing = admin_client.get("/admin/campaigns/").get_data(as_text=True)
    assert "Commemorate Women’s History Month" in listing and "sending" in listing
    assert admin_client.get("/admin/campaigns/424242").status_code == 404


def test_users_create_edit_and_no_self_demotion(
    admin_client: WebClient, admin: User, session_factory: sessionmaker[Session]
) -> None:
    r = admin_client.post_form(
        "/admin/users/new",
        {"email": "Kim.Staff@Example.org", "name": "Kim", "role": "staff", "password": "short"},
    )
    assert r.status_code == 400
    assert "at least 10 characters" in r.get_data(as_text=True)
    r = admin_client.post_form(
        "/admin/users/new",
        {
            "email": "Kim.Staff@Example.org",
            "name": "Kim",
            "role": "staff",
            "password": "a long enough passphrase",
        },
    )
    assert r.status_code == 302
    with session_factory() as s:
        kim = s.scalar(select(User).where(User.email == "kim.staff@example.org"))
        assert kim is not None and kim.role == "staff"
        kim_id = kim.id
    r = admin_client.post_form(
        "/admin/users/new",
        {"email": "kim.staff@example.org", "role": "staff", "password": "another passphrase"},
    )
    assert "already exists" in r.get_data(as_text=True)
    r = admin_client.post_form(
        f"/admin/users/{kim_id}", {"name": "Kim", "role": "admin", "active": "y"}
    )
    assert r.status_code == 302
    r = admin_client.post_form(f"/admin/users/{admin.id}", {"name": "Ada", "role": "staff"})
    assert r.status_code == 400
    assert "cannot remove your own admin role" in r.get_data(as_text=True)
    with session_factory() as s:
        assert s.get(User, kim_id).role == "admin"  # type: ignore[union-attr]
        assert s.get(User, admin.id).role == "admin"  # type: ignore[union-attr]


def test_subscribers_filtered_by_list_and_state(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        rounds = add_list(s, "grand-rounds", name="Diversity Grand Rounds")
        people = _people(s, 3)  # member000..002, jakayla, victora
        for person, (mlist, status) in zip(
            people,
            [
                (weekly, "confirmed"),
                (weekly, "pending"),
                (rounds, "confirmed"),
                (weekly, "unsubscribed"),
                (rounds, "confirmed"),
            ],
            strict=True,
        ):
            s.add(Subscription(subscriber_id=person.id, list_id=mlist.id, status=status))
        s.commit()

    def emails(query: str) -> set[str]:
        page = admin_client.get("/admin/subscribers/?" + query).get_data(as_text=True)
        return set(re.findall(r">([a-z0-9.]+@wustl\.example)<", page))

    assert emails("list=odei-weekly") == {
        "member000@wustl.example",
        "member001@wustl.example",
        "jakayla.folarin@wustl.example",
    }
    assert emails("list=odei-weekly&status=confirmed") == {"member000@wustl.example"}
    assert emails("list=grand-rounds&q=vic") == {"victora.brings@wustl.example"}
    assert len(emails("list=no-such-list")) == 5  # unknown filter: everybody


def test_announcement_queue_shows_sanitised_text(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        mlist = add_list(s)
        queued = add_announcement(s, "sam.staff@example.org", "Heritage month lunch", [mlist])
        add_announcement(s, "sam.staff@example.org", "Old news", [mlist], status="sent")
        s.commit()
        qid = queued.id
    page = admin_client.get("/admin/announcements/").get_data(as_text=True)
    assert "Heritage month lunch" in page and "Old news" not in page
    assert "Old news" in admin_client.get("/admin/announcements/?status=all").get_data(True)
    detail = admin_client.get(f"/admin/announcements/{qid}").get_data(as_text=True)
    assert "<strong>Diversity Grand Rounds</strong>" in detail
    assert "<script>alert" not in detail
    assert "1</strong> announcement waiting" in admin_client.get("/admin/").get_data(True)


def test_nul_bytes_get_a_plain_400(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    r = admin_client.post_form("/admin/lists/new", {**LIST_FORM, "name": "Grand\x00Rounds"})
    assert r.status_code == 400
    assert "NUL character" in r.get_data(as_text=True)
    assert admin_client.get("/admin/subscribers/?q=a%00b").status_code == 400
    with session_factory() as s:
        assert s.scalar(select(func.count(MailingList.id))) == 0
