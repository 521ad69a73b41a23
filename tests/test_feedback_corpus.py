"""Real bounces (tests/data/bounces/real): read right, acted on only when they are ours.

Every message here was written by a real mail system (see the README there).
A bounce is ours when it comes back to our VERP envelope sender: the tests
add the ``Delivered-To`` line the receiving MTA writes for such a bounce. The
same files unsigned, or signed with a wrong signature, play forged ones.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from bounce_helpers import delivered_to, sent_to
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailer.commands.bounces import command as bounces_command
from mailer.config import Settings
from mailer.feedback.apply import apply_feedback
from mailer.feedback.events import Kind
from mailer.feedback.parse import load, parse_message
from subscribers.models import BounceRecord, Suppression

REAL = Path(__file__).parent / "data" / "bounces" / "real"
SECRET = "test-secret-key-not-for-production"

H, S, P = Kind.HARD, Kind.SOFT, Kind.POLICY
#: file -> what it must yield: (kind, address, status code) per failed recipient.
CORPUS: dict[str, list[tuple[Kind, str, str]]] = {
    # Permanent: the address does not exist (unknown user, disabled account).
    "flufl-postfix_01.eml": [(H, "xxxxx@local.ie", "5.1.1")],
    "flufl-exim_01.eml": [(H, "delangen@its.tudelft.nl", "5.1.1")],
    "flufl-sendmail_02.eml": [(H, "foo@rbd.spb.ru", "5.1.1")],
    "flufl-qmail_03.eml": [(H, "crown@hbc.co.jp", "5.1.1")],
    "flufl-qmail_04.eml": [(H, "merotiia@tennisnsw.com.au", "")],
    "flufl-simple_15.eml": [(H, "isam@kviv.be", "5.1.1")],
    "flufl-smtp32_04.eml": [
        (H, "after_another@pacbell.net", "5.3.0"),
        (H, "one_bad_address@pacbell.net", "5.3.0"),
    ],
    "flufl-groupwise_01.eml": [(H, "thoff@MAINEX1.ASU.EDU", "")],
    "flufl-groupwise_02.eml": [(H, "omarmo@thebas.com", "")],
    "flufl-microsoft_02.eml": [(H, "MDMOORE@BALL.COM", "")],
    "flufl-yahoo_03.eml": [(H, "cresus22@yahoo.com", "")],
    "flufl-dsn_10.eml": [(H, "anne.person@dom.ain", "5.0.0")],
    "flufl-dsn_11.eml": [(H, "joem@example.com", "5.1.1")],
    "flufl-dsn_14.eml": [(H, "artboardregistration@home.dk", "5.1.1")],
    "flufl-simple_05.eml": [(H, "rlosardo@sbcglobal.net", "")],
    "flufl-bounce_03.eml": [(H, "james@jeborall.demon.co.uk", "")],  # never collected
    "sisimai-lhost-gmail-01.eml": [(H, "userunknown@example.jp", "5.1.1")],
    "sisimai-lhost-exchange2007-01.eml": [(H, "mikeneko@example.co.jp", "5.1.1")],
    "sisimai-lhost-yahoo-01.eml": [(H, "kijitora@example.org", "5.1.1")],
    "sisimai-lhost-postfix-01.eml": [(H, "kijitora@example.org", "5.1.1")],
    "sisimai-lhost-postfix-02.eml": [
        (H, "filtered@example.co.jp", "5.2.1"),
        (H, "userunknown@example.co.jp", "5.1.1"),
    ],
    "sisimai-rfc3464-01.eml": [(H, "userunknown@bouncehammer.jp", "5.1.1")],
    # Delays, warnings and full mailboxes: the reader still exists.
    "flufl-dsn_03.eml": [(S, "ddd.kkk@advalvas.be", "")],  # "553 Exceeded ... size"
    "flufl-dsn_05.eml": [(S, "pkocmid@atlas.cz", "4.4.1")],
    "flufl-dsn_07.eml": [(S, "david.farrar@parliament.govt.nz", "4.4.1")],
    "flufl-simple_03.eml": [(S, "jacobus@geo.co.za", "")],
    "flufl-simple_21.eml": [(S, "assumpeatman@dsgmfg.com", "")],
    "flufl-simple_28.eml": [(S, "luis.hiam@gmail.com", "")],
    "flufl-simple_07.eml": [(S, "william.xxxx@sbcglobal.net", "")],
    "sisimai-lhost-gmail-06.eml": [(S, "kijitora@example.jp", "4.2.2")],
    "sisimai-lhost-yahoo-04.eml": [(S, "kijitora@example.co.jp", "5.2.2")],
    # Policy: the sender's problem, never the reader's.
    "sisimai-lhost-gmail-05.eml": [(P, "shironeko@example.jp", "5.7.1")],
    "sisimai-lhost-exim-03.eml": [(P, "kijitora@example.jp", "5.7.0")],
    # Autoreplies (RFC 3834): nothing.
    "sisimai-rfc3834-01.eml": [],
    "sisimai-rfc3834-02.eml": [],
    "sisimai-rfc3834-03.eml": [],
}
UNKNOWN_USER = sorted(n for n, want in CORPUS.items() if want and want[0][0] == H)
HARMLESS = sorted(n for n, want in CORPUS.items() if all(k != H for k, _, _ in want))


def test_the_corpus_is_the_folder() -> None:
    assert sorted(CORPUS) == sorted(p.name for p in REAL.glob("*.eml"))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_real_bounce_is_read_as_its_mta_meant(name: str) -> None:
    events = parse_message(load((REAL / name).read_bytes()), SECRET)
    got = sorted((e.kind, e.address, e.status_code) for e in events)
    assert got == sorted(CORPUS[name])
    for event in events:
        # Never a version number or a success code taken for a failure's status.
        assert not event.status_code.startswith("2")
        assert "Mailman" not in event.diagnostic


def test_the_diagnostic_is_the_reply_line_that_carries_the_code() -> None:
    events = parse_message(load((REAL / "flufl-smtp32_04.eml").read_bytes()), SECRET)
    by_address = {e.address: e.diagnostic for e in events}
    assert by_address["after_another@pacbell.net"].startswith(
        "553 5.3.0 <after_another@pacbell.net>... Addressee unknown"
    )


def test_a_dsn_with_whitespace_separator_lines_still_yields_its_recipient() -> None:
    raw = (REAL / "flufl-dsn_03.eml").read_bytes()
    assert b"Reporting-MTA: dns;pigeon.net7.be\n \nFinal-Recipient" in raw
    (event,) = parse_message(load(raw), SECRET)
    assert event.address == "ddd.kkk@advalvas.be" and event.kind == Kind.SOFT


def test_status_comments_are_stripped() -> None:
    raw = (REAL / "flufl-dsn_05.eml").read_bytes()
    assert b"Status: 4.4.1 (Persistent transient failure" in raw
    (event,) = parse_message(load(raw), SECRET)
    assert event.status_code == "4.4.1"


def _ours(session: Session, name: str) -> tuple[bytes, list[str]]:
    """The file as it arrives when it answers our delivery to its first address."""
    address = CORPUS[name][0][1] if CORPUS[name] else "reader@example.org"
    (delivery,) = sent_to(session, (address, f"<{name}@mailer.example.org>")).values()
    return delivered_to((REAL / name).read_bytes(), delivery.id), [address]


def _suppressed(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Suppression.address)))


@pytest.mark.parametrize("name", UNKNOWN_USER)
def test_every_unknown_user_bounce_that_is_ours_suppresses_its_address(
    session: Session, settings: Settings, name: str
) -> None:
    raw, (address,) = _ours(session, name)
    events = parse_message(load(raw), settings.signing_key)
    report = apply_feedback(session, events, settings)
    session.commit()
    assert report.unverified == 0
    assert _suppressed(session) == {address.lower()}


@pytest.mark.parametrize("name", HARMLESS)
def test_no_warning_policy_block_or_autoreply_suppresses_anyone(
    session: Session, settings: Settings, name: str
) -> None:
    raw, _ = _ours(session, name)
    apply_feedback(session, parse_message(load(raw), settings.signing_key), settings)
    session.commit()
    assert _suppressed(session) == set()


def test_original_recipient_that_is_a_subscriber_wins_over_the_forwarded_final_one(
    session: Session, settings: Settings
) -> None:
    """Verified by the Message-ID we sent to the Original-Recipient, not by VERP.

    sisimai blanked the returned original; a real one carries our headers, put back here.
    """
    raw = (REAL / "sisimai-lhost-postfix-01.eml").read_bytes()
    ours = b"Message-ID: <postfix-01@mailer.example.org>\nTo: kijitora@example.org\n\nHello\n"
    raw = raw.replace(b"Content-Type: message/rfc822\n", b"Content-Type: message/rfc822\n\n" + ours)
    sent_to(session, ("kijitora@example.org", "<postfix-01@mailer.example.org>"))
    (event,) = parse_message(load(raw), settings.signing_key)
    assert (event.address, event.also) == (
        "kijitora@example.org",
        ("r@p351355.pool.example.ne.jp",),
    )
    apply_feedback(session, parse_message(load(raw), settings.signing_key), settings)
    session.commit()
    assert _suppressed(session) == {"kijitora@example.org"}


@pytest.mark.parametrize("name", UNKNOWN_USER)
def test_forged_bounces_suppress_nobody(session: Session, settings: Settings, name: str) -> None:
    """The victim is a subscriber; the bounce is unsigned, or signed for someone else."""
    victims = [address for _, address, _ in CORPUS[name]]
    sent = sent_to(
        session, *((a, f"<{i}.{name}@mailer.example.org>") for i, a in enumerate(victims))
    )
    bystander = sent_to(session, ("bystander@example.org", "<bystander@mailer.example.org>"))
    raw = (REAL / name).read_bytes()
    forged_verp = f"Delivered-To: bounces+{sent[victims[0]].id}.aaaaaaaaaa@bounces.example.org\n"
    wrong_signature = forged_verp.encode() + raw
    for message in (raw, wrong_signature):
        events = parse_message(load(message), settings.signing_key)
        report = apply_feedback(session, events, settings)
        session.commit()
        assert report.unverified == len(events) and report.suppressed == 0
    assert _suppressed(session) == set()
    assert bystander  # a real delivery to someone else exists and is untouched
    kept = session.scalars(select(BounceRecord.verified)).all()
    assert kept and not any(kept)  # stored, for admins to see, as unverified


def test_a_stranger_is_never_suppressed_even_by_a_verified_webhook(
    session: Session, settings: Settings
) -> None:
    from mailer.feedback.events import FeedbackEvent

    event = FeedbackEvent(Kind.HARD, "not.yet.subscribed@example.org", signed=True)
    apply_feedback(session, [event], settings)
    session.commit()
    assert _suppressed(session) == set()


def test_the_whole_corpus_through_the_cli_crashes_nothing_and_loses_nothing(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for name in sorted(CORPUS):
        box.add((REAL / name).read_bytes())
    box.add(b"From: someone@example.org\nSubject: hello\n\nJust a note, no bounce here.\n")
    box.add(b"Subject: Undelivered Mail Returned to Sender\n\n\xff\xfe garbage without From\n")
    session.rollback()
    result = CliRunner().invoke(bounces_command, ["process", "--maildir", str(box._path)])
    assert result.exit_code == 0, result.output
    assert f"{len(CORPUS) + 2} messages" in result.output
    processed = len(box.get_folder("processed"))
    failed = box.get_folder("failed")
    assert len(box) == 0 and processed + len(failed) == len(CORPUS) + 2
    reasons = [m["X-Mailer-Unreadable"] for m in failed]
    assert reasons and all(reasons), reasons
    # None of these is ours: every record is unverified and nobody is suppressed.
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Suppression)) == 0
    assert session.scalar(select(func.count()).where(BounceRecord.verified.is_(True))) == 0
    session.rollback()
    listed = CliRunner().invoke(bounces_command, ["list", "--unverified"])
    assert listed.exit_code == 0, listed.output
    events = sum(len(want) for want in CORPUS.values())
    assert f"{events} unverified records" in listed.output
