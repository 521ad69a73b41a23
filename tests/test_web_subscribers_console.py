"""Issue 13, item 2: the Subscribers console: substring and domain search, filters, a
total, the Status column of the chosen list, adding and editing one person, and bulk
actions on a selection or a whole search, each audited, role-checked and CSRF-protected.
Request-level, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_list

from mailer.db import AuditLog
from subscribers import search
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.suppression import address_hash

pytest_plugins = ["web_fixtures"]

PEOPLE = [
    # email, name, created (UTC), {list slug: (status, source)}
    ("ana.smith@gmail.com", "Ana Smith", "2025-01-10", {"odei-weekly": ("confirmed", "form")}),
    ("j.smithers@wustl.edu", "Jo Smithers", "2025-06-01", {"odei-weekly": ("pending", "import")}),
    ("kwame.osei@gmail.com", "Kwame Osei", "2026-02-03", {"grand-rounds": ("confirmed", "api")}),
    ("li.wei@bjc.org", "Li Wei", "2026-03-04", {"odei-weekly": ("unsubscribed", "form")}),
    ("pat_o%brien@wustl.edu", "Pat O'Brien", "2026-04-05", {}),
]


def _seed(s: Session) -> dict[str, int]:
    lists = {"odei-weekly": add_list(s), "grand-rounds": add_list(s, "grand-rounds", name="GR")}
    ids = {}
    for email, name, created, subs in PEOPLE:
        when = dt.datetime.fromisoformat(created + "T15:00:00+00:00")
        p = Subscriber(email=email, name=name, created_at=when, attributes={})
        s.add(p)
        s.flush()
        ids[email] = p.id
        for slug, (status, source) in subs.items():
            s.add(
                Subscription(
                    subscriber_id=p.id, list_id=lists[slug].id, status=status, source=source
                )
            )
    s.commit()
    return ids


def _emails(client: WebClient, query: str) -> list[str]:
    page = client.get("/admin/subscribers/?" + query)
    assert page.status_code == 200, query
    return re.findall(r'/admin/subscribers/\d+">([^<]+)</a>', page.get_data(as_text=True))


def test_substring_and_domain_search_with_a_total(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _seed(s)
    assert _emails(admin_client, "q=smith") == ["ana.smith@gmail.com", "j.smithers@wustl.edu"]
    assert _emails(admin_client, "q=%40gmail.com") == [
        "ana.smith@gmail.com",
        "kwame.osei@gmail.com",
    ]
    assert _emails(admin_client, "q=OSEI") == ["kwame.osei@gmail.com"]  # the name, any case
    assert _emails(admin_client, "q=wustl.edu") == ["j.smithers@wustl.edu", "pat_o%brien@wustl.edu"]
    # Wildcards typed are literal: "_" and "%" match only themselves.
    assert _emails(admin_client, "q=o%25b") == ["pat_o%brien@wustl.edu"]
    assert _emails(admin_client, "q=t_o") == ["pat_o%brien@wustl.edu"]
    page = admin_client.get("/admin/subscribers/?q=%40gmail.com").get_data(as_text=True)
    assert re.search(r'data-field="total">\s*2 subscribers match', page)
    page = admin_client.get("/admin/subscribers/").get_data(as_text=True)
    assert re.search(r'data-field="total">\s*5 subscribers\.', page)


def test_filters_by_list_status_source_and_date_joined(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _seed(s)
    assert _emails(admin_client, "list=odei-weekly") == [
        "ana.smith@gmail.com",
        "j.smithers@wustl.edu",
        "li.wei@bjc.org",
    ]
    assert _emails(admin_client, "list=odei-weekly&status=pending") == ["j.smithers@wustl.edu"]
    assert _emails(admin_client, "status=confirmed") == [
        "ana.smith@gmail.com",
        "kwame.osei@gmail.com",
    ]
    assert _emails(admin_client, "source=api") == ["kwame.osei@gmail.com"]
    assert _emails(admin_client, "list=odei-weekly&source=api") == []
    assert _emails(admin_client, "joined_from=2026-01-01") == [
        "kwame.osei@gmail.com",
        "li.wei@bjc.org",
        "pat_o%brien@wustl.edu",
    ]
    assert _emails(admin_client, "joined_from=2026-02-03&joined_to=2026-03-04") == [
        "kwame.osei@gmail.com",
        "li.wei@bjc.org",
    ]
    # Both ends are whole local days: 15:00 UTC on Jan 10 is that day in Chicago.
    assert _emails(admin_client, "joined_to=2025-01-10") == ["ana.smith@gmail.com"]
    assert admin_client.get("/admin/subscribers/?joined_from=2026-13-01").status_code == 400
    assert admin_client.get("/admin/subscribers/?joined_to=yesterday").status_code == 400


def test_the_status_column_is_the_chosen_lists(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _seed(s)
        rounds = s.scalar(select(MailingList).where(MailingList.slug == "grand-rounds"))
        ana = s.scalar(select(Subscriber).where(Subscriber.email == "ana.smith@gmail.com"))
        assert rounds is not None and ana is not None
        s.add(Subscription(subscriber_id=ana.id, list_id=rounds.id, status="unsubscribed"))
        s.commit()

    def status_of(query: str) -> str:
        html = admin_client.get("/admin/subscribers/?" + query).get_data(as_text=True)
        row = re.search(r"ana\.smith@gmail\.com</a>.*?data-field=\"status\">([^<]*)<", html, re.S)
        assert row is not None
        return row.group(1)

    assert status_of("list=odei-weekly") == "confirmed"
    assert status_of("list=grand-rounds") == "unsubscribed"
    assert status_of("q=ana") == "ODEI Weekly: confirmed; GR: unsubscribed"


def test_the_count_is_exact_up_to_the_cap_then_an_estimate_on_postgres(
    session_factory: sessionmaker[Session], db_url: str
) -> None:
    with session_factory() as s:
        _seed(s)
        s.execute(text_analyze()) if db_url.startswith("postgresql") else None
        everyone = search.count(s, search.Criteria(), cap=3)
        gmail = search.count(s, search.Criteria(text="@gmail.com"), cap=3)
        exact = search.count(s, search.Criteria(text="smith"), cap=3)
    assert (exact.value, exact.exact) == (2, True)
    assert (gmail.value, gmail.exact) == (2, True)
    if db_url.startswith("postgresql"):
        assert not everyone.exact and everyone.value >= 4  # "about": the planner's figure
    else:
        assert (everyone.value, everyone.exact) == (5, True)
    assert search.Count(1234, True).text == "1,234"
    assert search.Count(39_600, False).text == "about 39,600"
    assert search.Count(1000, False, at_least=True).text == "more than 1,000"


def text_analyze() -> object:
    from sqlalchemy import text

    return text("ANALYZE subscribers")


def test_add_one_subscriber_with_lists_and_attributes(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _seed(s)
    form = {
        "email": "Maria.Gonzalez@WUSTL.edu",
        "name": "María González",
        "attributes": "department = Surgery\nyear = PGY-2",
        "lists": ["odei-weekly", "grand-rounds"],
        "confirmed": "y",
    }
    assert admin_client.post("/admin/subscribers/new", data=form).status_code == 400  # no CSRF
    r = admin_client.post_form("/admin/subscribers/new", form)
    assert r.status_code == 302, r.get_data(as_text=True)
    with session_factory() as s:
        p = s.scalar(select(Subscriber).where(Subscriber.email_key == "maria.gonzalez@wustl.edu"))
        assert p is not None
        assert p.name == "María González"
        assert p.attributes == {"department": "Surgery", "year": "PGY-2"}
        subs = {sub.mailing_list.slug: (sub.status, sub.source) for sub in p.subscriptions}
        assert subs == {
            "odei-weekly": ("confirmed", "admin"),
            "grand-rounds": ("confirmed", "admin"),
        }
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "subscriber.add"))
        assert entry is not None and entry.actor == "ada.admin@example.org"
        assert entry.detail["source"] == "admin"
    # Someone who left a list comes back only with an override reason.
    back = {"email": "li.wei@bjc.org", "lists": ["odei-weekly"], "confirmed": "y"}
    r = admin_client.post_form("/admin/subscribers/new", back)
    assert r.status_code == 400 and "override reason" in r.get_data(as_text=True)
    r = admin_client.post_form(
        "/admin/subscribers/new", {**back, "override_reason": "asked at the front desk"}
    )
    assert r.status_code == 302
    bad = admin_client.post_form(
        "/admin/subscribers/new", {"email": "x@example.org", "attributes": "no equals"}
    )
    assert bad.status_code == 400 and "Line 1 is not" in bad.get_data(as_text=True)
    assert (
        admin_client.post_form("/admin/subscribers/new", {"email": "not an address"}).status_code
        == 400
    )


def test_edit_name_attributes_lists_and_status(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    pid = ids["j.smithers@wustl.edu"]
    path = f"/admin/subscribers/{pid}/edit"
    page = admin_client.get(path).get_data(as_text=True)
    assert 'value="Jo Smithers"' in page
    form = {
        "name": "Joanna Smithers",
        "attributes": "department = Pediatrics",
        "status": "active",
        "list-odei-weekly": "confirmed",
        "list-grand-rounds": "pending",
    }
    assert admin_client.post(path, data=form).status_code == 400  # no CSRF token
    r = admin_client.post(path, data={**form, "csrf_token": admin_client.token(path)})
    assert r.status_code == 302, r.get_data(as_text=True)
    with session_factory() as s:
        p = s.get(Subscriber, pid)
        assert p is not None and p.name == "Joanna Smithers"
        assert p.attributes == {"department": "Pediatrics"}
        subs = {sub.mailing_list.slug: (sub.status, sub.source) for sub in p.subscriptions}
        assert subs == {
            "odei-weekly": ("confirmed", "import"),
            "grand-rounds": ("pending", "admin"),
        }
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "subscriber.update"))
        assert entry is not None
        assert entry.detail["changes"]["list:odei-weekly"] == ["pending", "confirmed"]
    # Unsubscribe from one list and blocklist the person.
    form = {**form, "list-odei-weekly": "", "status": "blocklisted"}
    r = admin_client.post(path, data={**form, "csrf_token": admin_client.token(path)})
    assert r.status_code == 302
    with session_factory() as s:
        p = s.get(Subscriber, pid)
        assert p is not None and p.status == "blocklisted"
        subs = {sub.mailing_list.slug: sub.status for sub in p.subscriptions}
        assert subs["odei-weekly"] == "unsubscribed"
    # Re-joining a list they left needs an override reason; nothing is saved without it.
    form = {**form, "status": "active", "name": "Changed", "list-odei-weekly": "confirmed"}
    r = admin_client.post(path, data={**form, "csrf_token": admin_client.token(path)})
    assert r.status_code == 400 and "override reason" in r.get_data(as_text=True)
    with session_factory() as s:
        p = s.get(Subscriber, pid)
        assert p is not None and p.name == "Joanna Smithers" and p.status == "blocklisted"
    forged = {**form, "list-odei-weekly": "owner", "csrf_token": admin_client.token(path)}
    assert admin_client.post(path, data=forged).status_code == 400
    assert admin_client.get("/admin/subscribers/99999/edit").status_code == 404


def _bulk(client: WebClient, data: dict[str, object]) -> object:
    return client.post(
        "/admin/subscribers/bulk",
        data={"csrf_token": client.token("/admin/subscribers/"), **data},
    )


def test_bulk_actions_on_ticked_subscribers(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    ana, jo, li = ids["ana.smith@gmail.com"], ids["j.smithers@wustl.edu"], ids["li.wei@bjc.org"]
    assert (
        admin_client.post(
            "/admin/subscribers/bulk", data={"action": "add", "scope": "selected", "ids": [ana]}
        ).status_code
        == 400
    )
    r = _bulk(
        admin_client,
        {"action": "add", "scope": "selected", "target": "grand-rounds", "ids": [ana, jo, li]},
    )
    assert r.status_code == 302  # type: ignore[attr-defined]
    r = _bulk(
        admin_client,
        {
            "action": "add",
            "scope": "selected",
            "target": "odei-weekly",
            "ids": [ana, jo, li],
            "confirmed": "y",
        },
    )
    with session_factory() as s:

        def status(pid: int, slug: str) -> str | None:
            return s.scalar(
                select(Subscription.status)
                .join(MailingList)
                .where(Subscription.subscriber_id == pid, MailingList.slug == slug)
            )

        assert [status(p, "grand-rounds") for p in (ana, jo, li)] == ["pending"] * 3
        # Confirmed with consent; Li unsubscribed from the weekly and stays so.
        assert [status(p, "odei-weekly") for p in (ana, jo, li)] == [
            "confirmed",
            "confirmed",
            "unsubscribed",
        ]
        entries = s.scalars(
            select(AuditLog).where(AuditLog.action == "subscribers.bulk.add").order_by(AuditLog.id)
        ).all()
        assert [e.detail["changed"] for e in entries] == [3, 1]
        assert entries[1].detail["skipped"] == 1 and entries[1].detail["ids"] == sorted(
            [ana, jo, li]
        )
    r = _bulk(
        admin_client,
        {"action": "unsubscribe", "scope": "selected", "target": "grand-rounds", "ids": [jo]},
    )
    r = _bulk(
        admin_client, {"action": "suppress", "scope": "selected", "ids": [ana], "note": "asked"}
    )
    with session_factory() as s:
        assert status(jo, "grand-rounds") == "unsubscribed"
        row = s.scalar(select(Suppression).where(Suppression.address == "ana.smith@gmail.com"))
        assert row is not None and (row.reason, row.note) == ("manual", "asked")
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action.like("subscribers.bulk.%"))
            )
            == 4
        )
    # A list action without a list does nothing and says so.
    r = _bulk(admin_client, {"action": "add", "scope": "selected", "ids": [ana]})
    assert r.status_code == 302  # type: ignore[attr-defined]
    assert "Choose the list" in admin_client.get("/admin/subscribers/").get_data(as_text=True)
    assert _bulk(admin_client, {"action": "explode", "scope": "selected"}).status_code == 400  # type: ignore[attr-defined]


def test_forget_asks_first_then_forgets_the_whole_search(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _seed(s)
    ask = _bulk(admin_client, {"action": "forget", "scope": "all", "q": "@gmail.com"})
    html = ask.get_data(as_text=True)  # type: ignore[attr-defined]
    assert ask.status_code == 200  # type: ignore[attr-defined]
    assert "Forget: 2 subscribers?" in html and "cannot be undone" in html
    assert "ana.smith@gmail.com" in html and "kwame.osei@gmail.com" in html
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Subscriber)) == 5  # nothing yet
    done = _bulk(
        admin_client, {"action": "forget", "scope": "all", "q": "@gmail.com", "confirm": "yes"}
    )
    assert done.status_code == 302  # type: ignore[attr-defined]
    with session_factory() as s:
        left = set(s.scalars(select(Subscriber.email)))
        assert left == {"j.smithers@wustl.edu", "li.wei@bjc.org", "pat_o%brien@wustl.edu"}
        hashed = set(s.scalars(select(Suppression.address)))
        assert address_hash("ana.smith@gmail.com") in hashed
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "subscribers.bulk.forget"))
        assert entry is not None and entry.detail["search"] == {"text": "@gmail.com"}
        assert entry.detail["changed"] == 2


def test_a_whole_search_action_is_confirmed_before_it_runs(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _seed(s)
    data = {"action": "unsubscribe", "scope": "all", "target": "odei-weekly", "list": "odei-weekly"}
    ask = _bulk(admin_client, data)
    assert "Unsubscribe from ODEI Weekly: 3 subscribers?" in ask.get_data(as_text=True)  # type: ignore[attr-defined]
    _bulk(admin_client, {**data, "confirm": "yes"})
    with session_factory() as s:
        states = set(
            s.scalars(
                select(Subscription.status)
                .join(MailingList)
                .where(MailingList.slug == "odei-weekly")
            )
        )
        assert states == {"unsubscribed"}


def test_staff_cannot_reach_any_of_it(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        ids = _seed(s)
    pid = ids["ana.smith@gmail.com"]
    token = staff_client.token("/staff/account")
    assert staff_client.get("/admin/subscribers/new").status_code == 403
    assert staff_client.get(f"/admin/subscribers/{pid}/edit").status_code == 403
    assert (
        staff_client.post(
            "/admin/subscribers/new", data={"csrf_token": token, "email": "a@b.org"}
        ).status_code
        == 403
    )
    r = staff_client.post(
        "/admin/subscribers/bulk",
        data={"csrf_token": token, "action": "forget", "scope": "all", "confirm": "yes"},
    )
    assert r.status_code == 403
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Subscriber)) == 5


def test_malformed_bulk_and_edit_forms_answer_400_or_a_message_never_500(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    from tests.test_web_security import OUR_OWN

    with session_factory() as s:
        ids = _seed(s)
    pid = ids["ana.smith@gmail.com"]
    edit = f"/admin/subscribers/{pid}/edit"
    fields = ("action", "scope", "target", "ids", "joined_from", "joined_to", "q", "list")
    for value in OUR_OWN:
        for name in fields:
            data = {"action": "suppress", "scope": "selected", "ids": str(pid), name: value}
            r = _bulk(admin_client, data)
            assert r.status_code in {200, 302, 400}, (name, value[:20], r.status_code)  # type: ignore[attr-defined]
        for name in ("status", "list-odei-weekly", "attributes", "name"):
            r = admin_client.post(
                edit, data={"csrf_token": admin_client.token(edit), "status": "active", name: value}
            )
            assert r.status_code in {302, 400}, (name, value[:20], r.status_code)
    assert (
        _bulk(admin_client, {"action": "forget", "scope": "selected", "ids": "12abc"}).status_code
        == 302
    )  # type: ignore[attr-defined]


def test_a_date_range_finds_people_whose_ids_are_out_of_date_order(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    """The dates become an id range (for speed); it must still be exact when an import
    or a merge left a late id with an early join date."""
    with session_factory() as s:
        _seed(s)
        when = dt.datetime(2025, 3, 1, 15, tzinfo=dt.UTC)
        s.add(Subscriber(email="late.id@example.org", name="Late Id", created_at=when))
        s.commit()
    assert _emails(admin_client, "joined_from=2025-02-01&joined_to=2025-04-01") == [
        "late.id@example.org"
    ]
    assert _emails(admin_client, "joined_from=2025-01-01&joined_to=2025-07-01") == [
        "ana.smith@gmail.com",
        "j.smithers@wustl.edu",
        "late.id@example.org",
    ]
    assert _emails(admin_client, "joined_from=2030-01-01") == []
    with session_factory() as s:
        bounded = search.with_id_bounds(
            s, search.Criteria(joined_from=when - dt.timedelta(days=1), list_id=None)
        )
        assert bounded.id_from is not None and bounded.id_to is not None
        found = s.scalars(search.apply(select(Subscriber.email), bounded)).all()
    assert set(found) == {
        "j.smithers@wustl.edu",
        "kwame.osei@gmail.com",
        "li.wei@bjc.org",
        "pat_o%brien@wustl.edu",
        "late.id@example.org",
    }


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has none: it scans
def test_substring_search_can_use_the_trigram_indexes_on_postgres(
    session_factory: sessionmaker[Session], db_url: str
) -> None:
    """Migration 0004_people's pg_trgm GIN indexes serve `LIKE '%…%'` on the address and
    the name (the planner picks them at scale; a tiny table is told to avoid a scan)."""
    from sqlalchemy import text

    with session_factory() as s:
        _seed(s)
        s.execute(text("SET LOCAL enable_seqscan = off"))
        query = search.apply(select(Subscriber.id), search.Criteria(text="@gmail.com"))
        compiled = query.compile(dialect=s.get_bind().dialect)
        plan = "\n".join(
            s.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars()
        )
    assert "ix_subscribers_email_trgm" in plan and "ix_subscribers_name_trgm" in plan, plan


def test_add_without_lists_keeps_the_person_and_their_attributes(
    admin_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        add_list(s)
        s.commit()
    r = admin_client.post_form(
        "/admin/subscribers/new",
        {"email": "Omar.Haddad@Example.org", "name": "Omar", "attributes": "cohort = 2027"},
    )
    assert r.status_code == 302
    with session_factory() as s:
        p = s.scalar(select(Subscriber).where(Subscriber.email_key == "omar.haddad@example.org"))
        assert p is not None and p.attributes == {"cohort": "2027"} and p.subscriptions == []
    # Adding the same address again (any case) updates that person, never a second one.
    r = admin_client.post_form(
        "/admin/subscribers/new", {"email": "OMAR.HADDAD@example.org", "lists": ["odei-weekly"]}
    )
    assert r.status_code == 302
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Subscriber)) == 1
        p = s.scalar(select(Subscriber))
        assert p is not None and [x.status for x in p.subscriptions] == ["pending"]
        assert p.attributes == {"cohort": "2027"}
