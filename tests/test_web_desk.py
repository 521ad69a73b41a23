"""Staff queue announcements (errors by the field, live preview as mailed); admins review
them; the digest preview shows what will be sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_announcement, add_list, start_digest

from mailer.content.models import Announcement
from mailer.delivery.models import Campaign
from mailer.users import User

pytest_plugins = ["web_fixtures"]

BODY = (
    "Join us for **Diversity Grand Rounds** on Thursday. "
    "[Register](https://diversity.wustl.edu/events)\n\n<script>alert('x')</script>"
)


def _lists(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as s:
        weekly = add_list(s)
        rounds = add_list(s, "grand-rounds", name="Diversity Grand Rounds")
        s.commit()
        return {"weekly": weekly.id, "rounds": rounds.id}


def _form(client: WebClient, path: str, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": client.token(path),
        "title": "Heritage month lunch",
        "body_md": BODY,
        "mode": "digest",
        "timezone": "America/Chicago",
    }
    data.update(fields)
    return data


def test_staff_queue_an_announcement_and_see_its_state(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    ids = _lists(session_factory)
    path = "/staff/announcements/new"
    assert staff_client.get(path).status_code == 200
    # Errors are shown next to their field.
    r = staff_client.post(path, data=_form(staff_client, path, title="", lists=[]))
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'id="title-error"' in page and "Choose at least one list." in page
    r = staff_client.post(
        path,
        data=_form(staff_client, path, mode="standalone", lists=[str(ids["weekly"])]),
    )
    assert r.status_code == 400 and "Give the day to send it." in r.get_data(as_text=True)
    r = staff_client.post(
        path,
        data=_form(staff_client, path, lists=[str(ids["weekly"]), str(ids["rounds"])], submit="1"),
    )
    assert r.status_code == 302
    with session_factory() as s:
        item = s.scalar(select(Announcement))
        assert item is not None and item.status == "submitted"
        assert item.author_email == "sam.staff@example.org"
        assert {m.slug for m in item.lists} == {"odei-weekly", "grand-rounds"}
    listing = staff_client.get("/staff/announcements/").get_data(as_text=True)
    assert "Heritage month lunch" in listing and "submitted" in listing
    # Approved: no more changes (until then, see tests/test_web_announcement_life.py).
    with session_factory() as s:
        s.get(Announcement, item.id).status = "approved"  # type: ignore[union-attr]
        s.commit()
    r = staff_client.post(
        f"/staff/announcements/{item.id}",
        data=_form(
            staff_client,
            f"/staff/announcements/{item.id}",
            title="Changed",
            lists=[str(ids["weekly"])],
        ),
    )
    assert r.status_code == 302
    with session_factory() as s:
        assert s.get(Announcement, item.id).title == "Heritage month lunch"  # type: ignore[union-attr]


def test_a_standalone_announcement_in_the_past_is_refused_by_the_field(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    ids = _lists(session_factory)
    path = "/staff/announcements/new"
    r = staff_client.post(
        path,
        data=_form(
            staff_client,
            path,
            mode="standalone",
            send_on="2099-03-12",
            send_time="09:30",
            lists=[str(ids["weekly"])],
        ),
    )
    assert r.status_code == 302
    with session_factory() as s:
        item = s.scalar(select(Announcement))
        assert item is not None and item.status == "draft" and item.mode == "standalone"
        assert item.send_at is not None and item.send_at.hour == 14  # 09:30 CDT


def test_live_preview_renders_sanitised_markdown_in_the_mail(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    ids = _lists(session_factory)
    path = "/staff/announcements/preview"
    r = staff_client.post(
        path,
        data={
            "csrf_token": staff_client.token("/staff/announcements/new"),
            "title": "Heritage month lunch",
            "body_md": BODY,
            "lists": [str(ids["rounds"])],
        },
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<strong>Diversity Grand Rounds</strong>" in html
    assert 'href="https://diversity.wustl.edu/events"' in html
    assert "<script" not in html and "Heritage month lunch" in html
    assert "Sample Reader" in html or "friend" in html
    csp = r.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    # The preview is a form post: without its CSRF token it is refused.
    assert staff_client.post(path, data={"body_md": BODY}).status_code == 400


def test_staff_see_only_their_own_announcements(
    staff_client: WebClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        other = add_announcement(s, "someone.else@example.org", "Not yours", [weekly])
        s.commit()
        other_id = other.id
    assert staff_client.get(f"/staff/announcements/{other_id}").status_code == 404
    assert staff_client.get(f"/staff/announcements/preview?id={other_id}").status_code == 404
    assert "Not yours" not in staff_client.get("/staff/announcements/").get_data(as_text=True)


def test_admin_approves_with_a_note_and_the_digest_preview_carries_it(
    admin_client: WebClient,
    staff_client: WebClient,
    staff: User,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        item = add_announcement(s, staff.email, "Heritage month lunch", [weekly], body_md=BODY)
        bad = add_announcement(s, staff.email, "Too vague", [weekly])
        s.commit()
        item_id, bad_id = item.id, bad.id
    path = f"/admin/announcements/{bad_id}"
    r = admin_client.post(path, data={"csrf_token": admin_client.token(path), "decision": "reject"})
    assert r.status_code == 400 and 'id="note-error"' in r.get_data(as_text=True)
    r = admin_client.post(
        path,
        data={
            "csrf_token": admin_client.token(path),
            "decision": "reject",
            "note": "Please add the date and the room.",
        },
    )
    assert r.status_code == 302
    path = f"/admin/announcements/{item_id}"
    r = admin_client.post(
        path,
        data={"csrf_token": admin_client.token(path), "decision": "approve", "note": "Lovely."},
    )
    assert r.status_code == 302
    with session_factory() as s:
        assert s.get(Announcement, item_id).status == "approved"  # type: ignore[union-attr]
        rejected = s.get(Announcement, bad_id)
        assert rejected is not None and rejected.status == "rejected"
        assert rejected.review_note == "Please add the date and the room."
    # A second review is refused by the state machine, shown on the page.
    r = admin_client.post(
        path, data={"csrf_token": admin_client.token(path), "decision": "reject", "note": "x"}
    )
    assert r.status_code == 302
    assert "only submitted ones can be reviewed" in admin_client.get(path).get_data(as_text=True)
    with session_factory() as s:
        assert s.get(Announcement, item_id).status == "approved"  # type: ignore[union-attr]
    desk = staff_client.get("/staff/announcements/").get_data(as_text=True)
    assert "Please add the date and the room." in desk
    page = staff_client.get("/staff/digest/odei-weekly")
    assert page.status_code == 200 and "rendered now" in page.get_data(as_text=True)
    content = staff_client.get("/staff/digest/odei-weekly/content")
    html = content.get_data(as_text=True)
    assert "Heritage month lunch" in html and "<strong>Diversity Grand Rounds</strong>" in html
    assert "Too vague" not in html
    assert "default-src 'none'" in content.headers["Content-Security-Policy"]


def test_a_week_whose_edition_exists_is_previewed_from_its_stored_snapshot(
    admin_client: WebClient,
    staff: User,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        add_announcement(
            s, staff.email, "Heritage month lunch", [weekly], body_md=BODY, status="approved"
        )
        s.commit()
        list_id = weekly.id
    before = admin_client.get("/staff/digest/odei-weekly/content").get_data(as_text=True)
    assert "Heritage month lunch" in before
    r = start_digest(admin_client, list_id)
    assert r.status_code == 302 and "/admin/campaigns/" in r.headers["Location"]
    with session_factory() as s:
        campaign = s.scalar(select(Campaign))
        assert campaign is not None and campaign.status == "sending"
        # The stored snapshot is what is sent: make it recognisable.
        campaign.html = campaign.html.replace(
            "Heritage month lunch", "Heritage month lunch (as sent)"
        )
        s.commit()
    # That week, picked by date, is previewed from its stored snapshot (what was sent);
    # the coming digest has moved on to the next week (tests/test_web_preview.py).
    week = f"?date={campaign.edition_date.isoformat()}"
    page = admin_client.get(f"/staff/digest/odei-weekly{week}").get_data(as_text=True)
    assert f"stored campaign {campaign.id} (sending)" in page
    after = admin_client.get(f"/staff/digest/odei-weekly/content{week}").get_data(as_text=True)
    assert "Heritage month lunch (as sent)" in after
    coming = admin_client.get("/staff/digest/odei-weekly").get_data(as_text=True)
    assert "stored campaign" not in coming
