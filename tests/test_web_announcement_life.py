"""Staff see their announcements through: edit or withdraw until approved, and once it went
out the state reads "sent in <edition> on <date>" with a link to the archive copy (issue 13)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient, add_announcement, add_list, start_digest

from mailer.content.models import Announcement
from mailer.db import AuditLog
from mailer.users import User
from tests.helpers import make_subscribers

pytest_plugins = ["web_fixtures"]


def _form(list_id: int, title: str, **extra: str) -> dict[str, object]:
    return {
        "title": title,
        "body_md": "Join us for **Diversity Grand Rounds**.",
        "lists": [str(list_id)],
        "mode": "digest",
        "timezone": "America/Chicago",
        **extra,
    }


def test_staff_edit_a_submitted_announcement_until_it_is_approved(
    staff_client: WebClient, staff: User, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        item = add_announcement(s, staff.email, "Heritage month lunch", [weekly])
        s.commit()
        item_id, list_id = item.id, weekly.id
    path = f"/staff/announcements/{item_id}"
    page = staff_client.get(path).get_data(as_text=True)
    assert "can no longer be changed" not in page and 'name="title"' in page
    r = staff_client.post(
        path,
        data={
            "csrf_token": staff_client.token(path),
            **_form(list_id, "Heritage month lunch, room 301", submit="1"),
        },
    )
    assert r.status_code == 302
    with session_factory() as s:
        changed = s.get(Announcement, item_id)
        assert changed is not None
        assert (changed.title, changed.status) == ("Heritage month lunch, room 301", "submitted")
        # Approved: from now on it is the reviewer's, not the author's, to change.
        changed.status = "approved"
        s.commit()
    page = staff_client.get(path).get_data(as_text=True)
    assert "can no longer be changed" in page and "Withdraw" not in page
    r = staff_client.post(
        path, data={"csrf_token": staff_client.token(path), **_form(list_id, "Sneaky edit")}
    )
    with session_factory() as s:
        assert s.get(Announcement, item_id).title == "Heritage month lunch, room 301"  # type: ignore[union-attr]


def test_staff_withdraw_an_announcement_until_it_is_approved(
    staff_client: WebClient,
    admin_client: WebClient,
    staff: User,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        weekly = add_list(s)
        item = add_announcement(s, staff.email, "Heritage month lunch", [weekly])
        other = add_announcement(s, "someone.else@example.org", "Not yours", [weekly])
        s.commit()
        item_id, other_id = item.id, other.id
    path = f"/staff/announcements/{item_id}"
    assert "Withdraw" in staff_client.get(path).get_data(as_text=True)
    # Without the CSRF token: refused.
    assert staff_client.post(f"{path}/withdraw").status_code == 400
    r = staff_client.post(f"{path}/withdraw", data={"csrf_token": staff_client.token(path)})
    assert r.status_code == 302
    with session_factory() as s:
        assert s.get(Announcement, item_id).status == "withdrawn"  # type: ignore[union-attr]
        assert (
            s.scalar(select(AuditLog.actor).where(AuditLog.action == "announcement.withdraw"))
            == staff.email
        )
    # It has left the reviewers' queue, and cannot be approved.
    queue = admin_client.get("/admin/announcements/").get_data(as_text=True)
    assert "Heritage month lunch" not in queue
    # Someone else's announcement is not the staff member's to withdraw.
    foreign = f"/staff/announcements/{other_id}/withdraw"
    r = staff_client.post(foreign, data={"csrf_token": staff_client.token(path)})
    assert r.status_code == 404
    # An approved one can no longer be withdrawn.
    with session_factory() as s:
        s.get(Announcement, other_id).status = "approved"  # type: ignore[union-attr]
        s.get(Announcement, item_id).status = "approved"  # type: ignore[union-attr]
        s.commit()
    r = staff_client.post(f"{path}/withdraw", data={"csrf_token": staff_client.token(path)})
    assert r.status_code == 302
    with session_factory() as s:
        assert s.get(Announcement, item_id).status == "approved"  # type: ignore[union-attr]


def test_after_it_went_out_it_reads_sent_in_the_edition_with_the_archive_link(
    staff_client: WebClient,
    admin_client: WebClient,
    staff: User,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        weekly = add_list(s, timezone="America/Chicago")
        make_subscribers(s, weekly, 2)
        item = add_announcement(s, staff.email, "Heritage month lunch", [weekly], status="approved")
        s.commit()
        item_id, list_id = item.id, weekly.id
    assert "approved" in staff_client.get("/staff/announcements/").get_data(as_text=True)
    start_digest(admin_client, list_id)
    from mailer.delivery.models import Campaign

    with session_factory() as s:
        campaign = s.scalar(select(Campaign))
        assert campaign is not None
        campaign.status = "sent"
        campaign.started_at = dt.datetime(2026, 12, 7, 13, 0, tzinfo=dt.UTC)
        s.commit()
        cid, subject = campaign.id, campaign.subject
    for path in ("/staff/announcements/", f"/staff/announcements/{item_id}", "/staff/"):
        page = staff_client.get(path).get_data(as_text=True)
        assert "sent in" in page, path
        assert "Dec 7, 2026" in page, path
        assert f'href="/archive/odei-weekly/{cid}"' in page, path
    one = staff_client.get(f"/staff/announcements/{item_id}").get_data(as_text=True)
    assert subject.split(":")[0] in one
    assert ">approved<" not in one
    admin_page = admin_client.get(f"/admin/announcements/{item_id}").get_data(as_text=True)
    assert "sent in" in admin_page
