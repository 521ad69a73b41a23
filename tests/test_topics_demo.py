"""`mailer demo` shows topics: its readers chose divisions and get differently filled digests."""

from __future__ import annotations

import email
import email.policy
import mailbox
from pathlib import Path

import pytest
from test_demo import _run

from mailer.demo import EVENTS
from mailer.demo_topics import EVENT_TOPICS, READER_TOPICS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_readers_get_their_divisions(db_url: str, tmp_path: Path) -> None:
    result = _run(["demo", "--date", "2027-03-05"], tmp_path, db_url)
    assert result.returncode == 0, result.stderr
    assert "topic sets in use" in result.stdout
    titles = {guid: title for guid, title, *_ in EVENTS}
    got: dict[str, str] = {}
    box = mailbox.Maildir(tmp_path / "outbox", create=False)
    for key in box.iterkeys():
        with box.get_file(key) as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        html = msg.get_body(preferencelist=("html",))
        assert html is not None
        got[str(msg["To"]).split("<")[-1].rstrip(">")] = html.get_content()
    for address, chosen in READER_TOPICS.items():
        for guid, topics in EVENT_TOPICS.items():
            assert (titles[guid] in got[address]) == bool(set(topics) & set(chosen)), (
                address,
                guid,
            )
        assert "Women" in got[address]  # the month's feature reaches everyone
    everything = got["kwame.mensah@example.org"]  # chose nothing: gets every event
    assert all(title in everything for title in titles.values())
