"""The SMTP backend against a real aiosmtpd server that fails on cue."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from backend_messages import make_batch, make_message
from smtp_server import DROP, HANG_UP, HOST, Slow, SmtpFaultServer

from mailer.config import Settings
from mailer.delivery.backends import backend_from_url
from mailer.delivery.backends.base import BackendError, Outcome
from mailer.delivery.backends.smtp import SmtpBackend, parse_smtp_url, smtp_path, wire_data
from mailer.delivery.backends.smtp_replies import classify_reply, enhanced_status

SETTINGS = Settings()


@pytest.fixture
def server() -> Iterator[SmtpFaultServer]:
    with SmtpFaultServer() as s:
        yield s


def backend(url: str) -> SmtpBackend:
    b = backend_from_url(url + ("&" if "?" in url else "?") + "helo=test.local", SETTINGS)
    assert isinstance(b, SmtpBackend)
    return b


def outcomes(results: list) -> Counter[Outcome]:
    return Counter(r.outcome for r in results)


def test_success_reuses_one_connection_across_batches(server: SmtpFaultServer) -> None:
    b = backend(server.url())
    b.open()
    first, second = make_batch(3), make_batch(4, start=10)
    results = b.send(first) + b.send(second)
    b.close()
    assert [r.outcome for r in results] == [Outcome.SENT] * 7
    assert [r.delivery_id for r in results] == [m.delivery_id for m in first + second]
    assert all(r.detail.startswith("250") for r in results)
    assert len(server.received) == 7
    assert len(server.peers) == 1  # one connection for everything
    by_rcpt = {r.rcpt_tos[0]: r for r in server.received}
    for message in first + second:
        got = by_rcpt[message.recipient]
        assert got.mail_from == message.envelope_from  # VERP envelope sender per delivery
        assert got.mail_from.startswith(f"bounces+{message.delivery_id}.")
        assert got.data.replace(b"\r\n", b"\n") == message.raw.replace(b"\r\n", b"\n")
        assert b"Return-Path" not in got.data
        assert f"SIZE={len(message.raw)}" in got.mail_options


BODIES = [
    b".first line is a dot\r\nmiddle\r\n.\r\n..two dots\r\nlast",  # no final CRLF
    b"plain\r\n.\r\n",
    b"bare LF\n.dot after it\nend\n",
    b"bare CR\r.dot\r\nend\r\n",
    b"",
]


@pytest.mark.parametrize("body", BODIES)
def test_dots_reach_the_server_as_smtplib_would_send_them(
    server: SmtpFaultServer, body: bytes
) -> None:
    """DATA's stuffing (wire_data, a bytes.replace) gives smtplib's own payload, and the
    server, undoing it, gets the message."""
    import smtplib

    raw = b"From: ODEI <odei-news@example.org>\r\nSubject: dots\r\n\r\n" + body
    # smtplib.SMTP.data for bytes: _quote_periods, a final CRLF if missing, then ".".
    expected = smtplib._quote_periods(raw)  # type: ignore[attr-defined]
    expected += b"" if expected.endswith(b"\r\n") else b"\r\n"
    assert wire_data(raw) == expected + b".\r\n"
    message = dataclasses.replace(make_message(1, "member1@example.org"), raw=raw)
    b = backend(server.url())
    b.open()
    assert [r.outcome for r in b.send([message])] == [Outcome.SENT]
    b.close()
    # A message of ours (CRLF throughout) comes back from the server as written.
    if b"\n" not in body.replace(b"\r\n", b"") and b"\r" not in body.replace(b"\r\n", b""):
        assert server.received[0].data.rstrip(b"\r\n") == raw.rstrip(b"\r\n")


def test_4xx_then_success(server: SmtpFaultServer) -> None:
    server.script_rcpt("member2@example.org", "451 4.3.0 Mailbox busy, try later")
    server.script_data("member3@example.org", "452 4.3.1 Insufficient storage")
    b = backend(server.url())
    b.open()
    batch = make_batch(4)
    results = b.send(batch)
    assert [r.outcome for r in results] == [
        Outcome.SENT,
        Outcome.TRANSIENT,
        Outcome.TRANSIENT,
        Outcome.SENT,
    ]
    assert results[1].detail == "451 4.3.0 Mailbox busy, try later"
    assert results[2].detail.startswith("452 4.3.1")
    # The engine retries later: the same connection now succeeds (RSET left it clean).
    retry = b.send([batch[1], batch[2]])
    b.close()
    assert [r.outcome for r in retry] == [Outcome.SENT, Outcome.SENT]
    assert sorted(r.rcpt_tos[0] for r in server.received) == sorted(m.recipient for m in batch)
    assert len(server.peers) == 1


def test_5xx_for_some_recipients(server: SmtpFaultServer) -> None:
    server.script_rcpt("member2@example.org", "550 5.1.1 No such user here")
    server.script_rcpt("member3@example.org", "554 5.7.1 Relay access denied")
    server.script_data("member4@example.org", "552 5.3.4 Message too big")
    server.script_rcpt("member5@example.org", "550 Mailbox unavailable")
    b = backend(server.url())
    results = b.send(make_batch(6))  # send without open: opens on demand
    b.close()
    assert [r.outcome for r in results] == [
        Outcome.SENT,
        Outcome.HARD_BOUNCE,
        Outcome.PERMANENT,
        Outcome.PERMANENT,
        Outcome.PERMANENT,
        Outcome.SENT,
    ]
    assert results[1].detail == "550 5.1.1 No such user here"
    assert results[3].detail == "552 5.3.4 Message too big"
    assert sorted(r.rcpt_tos[0] for r in server.received) == [
        "member1@example.org",
        "member6@example.org",
    ]


def test_refused_sender_is_never_a_hard_bounce(server: SmtpFaultServer) -> None:
    batch = make_batch(2)
    server.script_mail(batch[0].envelope_from, "553 5.1.8 Sender address domain not found")
    server.script_mail(batch[1].envelope_from, "550 5.1.1 Sender rejected")
    results = backend(server.url()).send(batch)
    assert [r.outcome for r in results] == [Outcome.PERMANENT, Outcome.PERMANENT]
    assert results[0].detail == "553 5.1.8 Sender address domain not found"
    assert server.received == []


def test_refusal_followed_by_hang_up_stays_a_refusal(server: SmtpFaultServer) -> None:
    server.script_rcpt("member1@example.org", "554 5.7.1 Client host rejected" + HANG_UP)
    b = backend(server.url())
    results = b.send(make_batch(2))
    b.close()
    assert [r.outcome for r in results] == [Outcome.PERMANENT, Outcome.SENT]
    assert results[0].detail == "554 5.7.1 Client host rejected"
    assert len(server.received) == 1 and len(server.peers) == 2


def test_connection_dropped_during_data(server: SmtpFaultServer) -> None:
    server.script_data("member2@example.org", DROP)  # once: reconnect and retry succeeds
    server.script_data("member4@example.org", DROP, DROP)  # twice: transient for the engine
    b = backend(server.url())
    b.open()
    results = b.send(make_batch(5))
    b.close()
    assert [r.outcome for r in results] == [
        Outcome.SENT,
        Outcome.SENT,
        Outcome.SENT,
        Outcome.TRANSIENT,
        Outcome.SENT,
    ]
    assert "lost" in results[3].detail
    assert len(server.received) == 4
    assert "member4@example.org" not in {r.rcpt_tos[0] for r in server.received}
    assert len(server.peers) == 4  # the first connection plus one reconnect per drop


def test_421_reconnects_once(server: SmtpFaultServer) -> None:
    server.script_rcpt("member1@example.org", "421 4.3.2 Service shutting down")
    b = backend(server.url())
    b.open()
    results = b.send(make_batch(2))
    b.close()
    assert outcomes(results) == {Outcome.SENT: 2}
    assert len(server.received) == 2


def test_connection_closed_by_the_server_while_idle_is_reopened() -> None:
    with SmtpFaultServer(idle_timeout=1.0) as server:
        b = backend(server.url())
        b.open()
        assert outcomes(b.send(make_batch(2))) == {Outcome.SENT: 2}
        time.sleep(1.5)  # the server says 421 and hangs up, as Postfix does after 300 s
        assert outcomes(b.send(make_batch(2, start=3))) == {Outcome.SENT: 2}
        b.close()
        assert len(server.received) == 4
        assert len(server.peers) == 2


def test_server_slower_than_timeout(server: SmtpFaultServer) -> None:
    server.script_data("member1@example.org", Slow(1.5))
    b = backend(server.url(timeout="0.4"))
    b.open()
    results = b.send(make_batch(3))
    b.close()
    assert results[0].outcome is Outcome.TRANSIENT
    assert "did not answer within 0.4 s" in results[0].detail
    assert [r.outcome for r in results[1:]] == [Outcome.SENT, Outcome.SENT]
    # The slow message may still be accepted after the client gave up; the others once each.
    others = [r for r in server.received if r.rcpt_tos[0] != "member1@example.org"]
    assert len(others) == 2


def test_a_server_that_keeps_timing_out_is_given_up_for_the_batch(server: SmtpFaultServer) -> None:
    for i in range(1, 5):
        server.script_data(f"member{i}@example.org", Slow(1.5))
    b = backend(server.url(timeout="0.3"))
    b.open()
    results = b.send(make_batch(6))  # three timeouts, then the connection stops
    assert outcomes(results) == {Outcome.TRANSIENT: 6}
    assert all("did not answer within 0.3 s" in r.detail for r in results[:3])
    assert "did not answer 3 times in a row" in results[3].detail
    # The next batch tries afresh (member4 is still slow, the others are fine).
    again = b.send(make_batch(2, start=5))
    b.close()
    assert outcomes(again) == {Outcome.SENT: 2}


def test_authentication_failure_stops_before_sending() -> None:
    with SmtpFaultServer(auth=("odei", "right-password")) as server:
        b = backend(server.url(userinfo="odei:wrong-password"))
        with pytest.raises(BackendError) as caught:
            b.open()
        assert caught.value.transient is False
        assert "refused the login of 'odei'" in str(caught.value)
        assert "535" in str(caught.value)
        with pytest.raises(BackendError):
            b.send(make_batch(2))
        assert server.received == []


def test_authentication_success_with_quoted_password() -> None:
    with SmtpFaultServer(auth=("odei@example.org", "p@ss:w/rd")) as server:
        b = backend(server.url(userinfo="odei%40example.org:p%40ss%3Aw%2Frd"))
        b.open()
        results = b.send(make_batch(2))
        b.close()
        assert outcomes(results) == {Outcome.SENT: 2}
        assert server.logins == ["odei@example.org"]


def test_unreachable_server_is_a_transient_backend_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connection refused
        b = backend(f"smtp://127.0.0.1:{port}?timeout=2")
        with pytest.raises(BackendError) as caught:
            b.open()
    assert caught.value.transient is True
    assert f"cannot reach SMTP server 127.0.0.1:{port}" in str(caught.value)


def test_server_gone_between_batches_raises_before_anyone_is_sent() -> None:
    server = SmtpFaultServer().start()
    b = backend(server.url())
    b.open()
    assert outcomes(b.send(make_batch(1))) == {Outcome.SENT: 1}
    server.stop()
    with pytest.raises(BackendError) as caught:
        b.send(make_batch(3, start=5))
    assert caught.value.transient is True
    b.close()


@pytest.mark.parametrize("scheme,query", [("smtp", {"starttls": 1}), ("smtp+starttls", {})])
def test_starttls_with_auth(scheme: str, query: dict[str, object]) -> None:
    with SmtpFaultServer(auth=("odei", "secret"), tls="starttls") as server:
        b = backend(server.url(scheme, "odei:secret", verify=0, **query))
        b.open()
        results = b.send(make_batch(3))
        b.close()
        assert outcomes(results) == {Outcome.SENT: 3}
        assert len(server.received) == 3
        assert server.logins == ["odei"]


def test_starttls_required_but_not_offered(server: SmtpFaultServer) -> None:
    b = backend(server.url("smtp+starttls", verify=0))
    with pytest.raises(BackendError, match="does not offer STARTTLS") as caught:
        b.open()
    assert caught.value.transient is False


def test_implicit_tls() -> None:
    with SmtpFaultServer(tls="implicit") as server:
        b = backend(server.url("smtps", verify=0))
        b.open()
        results = b.send(make_batch(2))
        b.close()
        assert outcomes(results) == {Outcome.SENT: 2}


@pytest.mark.parametrize("tls,scheme", [("implicit", "smtps"), ("starttls", "smtp+starttls")])
def test_tls_certificate_checked_by_default(tls: str, scheme: str) -> None:
    with SmtpFaultServer(tls=tls) as server:
        b = backend(server.url(scheme))
        with pytest.raises(BackendError, match="TLS with SMTP server") as caught:
            b.open()
        assert caught.value.transient is False
        assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
        assert server.received == []


def test_parallel_connections_share_a_batch(server: SmtpFaultServer) -> None:
    server.script_rcpt("member7@example.org", "550 5.1.1 No such user")
    server.script_rcpt("member8@example.org", "450 4.2.0 Greylisted")
    server.script_data("member9@example.org", DROP)
    b = backend(server.url(connections=4))
    b.open()
    batch = make_batch(40)
    results = b.send(batch)
    results += b.send(make_batch(20, start=100))
    b.close()
    assert [r.delivery_id for r in results[:40]] == [m.delivery_id for m in batch]
    assert outcomes(results) == {Outcome.SENT: 58, Outcome.HARD_BOUNCE: 1, Outcome.TRANSIENT: 1}
    assert len(server.received) == 58
    assert 2 <= len(server.peers) <= 5  # four connections (+1 reconnect), all reused


#: Addresses as people and RFC 3696 section 3 write them: plain ones take smtp_path's
#: short way, the rest smtplib's parser.
ADDRESSES = [
    "reader@example.org",
    "first.last+odei-weekly@med.example.edu",
    "o'brien@example.org",
    "user%relay@example.org",
    "customer/department=shipping@example.com",
    "!def!xyz%abc@example.com",
    "_somename@example.com",
    "UPPER.Case@Example.ORG",
    "a@localhost",
    '"Abc@def"@example.com',
    '"Fred Bloggs"@example.com',
    "Joe Q. Public <john.q.public@example.com>",
    "john..doe@example.org",
    ".leading@example.org",
    "<angled@example.org>",
    "trailing@example.org.",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_smtp_path_is_smtplibs_quoteaddr(address: str) -> None:
    import smtplib

    assert smtp_path(address) == smtplib.quoteaddr(address)


def test_mail_and_rcpt_reach_the_server_as_smtplib_sends_them(server: SmtpFaultServer) -> None:
    """The envelope the server records is the same whether smtplib's sendmail or the
    backend (smtp_path, its own MAIL and RCPT) sent it."""
    import smtplib

    sendable = [a for a in ADDRESSES if "<" not in a]
    client = smtplib.SMTP(HOST, server.port, "test.local")
    raw = make_message(1, "x@example.org").raw
    accepted = []
    for address in sendable:
        try:
            client.sendmail(address, [address], raw)
        except smtplib.SMTPResponseException:  # aiosmtpd refuses some as malformed
            accepted.append(False)
        else:
            accepted.append(True)
    client.quit()
    assert accepted.count(True) >= 10
    theirs = [(r.mail_from, r.rcpt_tos, r.mail_options) for r in server.received]
    server.received.clear()
    b = backend(server.url())
    messages = [
        dataclasses.replace(make_message(i, address), envelope_from=address, raw=raw)
        for i, address in enumerate(sendable, 1)
    ]
    results = b.send(messages)
    b.close()
    assert [r.outcome is Outcome.SENT for r in results] == accepted
    ours = [(r.mail_from, r.rcpt_tos, r.mail_options) for r in server.received]
    assert ours == theirs
    assert all(any(o.startswith("SIZE=") for o in options) for _, _, options in ours)


def test_international_recipient_idna_without_smtputf8(server: SmtpFaultServer) -> None:
    b = backend(server.url())
    results = b.send(
        [make_message(1, "ana@bücher.example"), make_message(2, "josé@bücher.example")]
    )
    b.close()
    assert results[0].outcome is Outcome.SENT
    assert results[1].outcome is Outcome.PERMANENT
    assert "SMTPUTF8" in results[1].detail
    assert [r.rcpt_tos for r in server.received] == [["ana@xn--bcher-kva.example"]]


def test_international_recipient_with_smtputf8() -> None:
    with SmtpFaultServer(smtputf8=True) as server:
        b = backend(server.url())
        results = b.send([make_message(1, "josé@bücher.example"), make_message(2, "a@b.example")])
        b.close()
        assert outcomes(results) == {Outcome.SENT: 2}
        assert server.received[0].rcpt_tos == ["josé@bücher.example"]
        assert "SMTPUTF8" in server.received[0].mail_options
        assert "SMTPUTF8" not in server.received[1].mail_options


def test_url_parsing() -> None:
    cfg = parse_smtp_url("smtps://u%40x:p%2Fw@mail.example.org?connections=3&timeout=5", SETTINGS)
    assert (cfg.host, cfg.port, cfg.security) == ("mail.example.org", 465, "tls")
    assert (cfg.username, cfg.password, cfg.connections, cfg.timeout) == ("u@x", "p/w", 3, 5.0)
    assert cfg.verify is True
    cfg = parse_smtp_url(
        "smtp://relay.example.org?starttls=1", SETTINGS.replace(smtp_connections=2)
    )
    assert (cfg.port, cfg.security, cfg.connections) == (587, "starttls", 2)
    assert parse_smtp_url("smtp://relay", SETTINGS).port == 25
    with pytest.raises(BackendError, match="unknown option"):
        parse_smtp_url("smtp://relay?conections=2", SETTINGS)
    with pytest.raises(BackendError, match="no host"):
        parse_smtp_url("smtp://", SETTINGS)
    with pytest.raises(BackendError, match="starttls='maybe' should be 1 or 0"):
        parse_smtp_url("smtp://relay?starttls=maybe", SETTINGS)
    with pytest.raises(BackendError, match=r"smtp://u:\*\*\*@relay"):
        parse_smtp_url("smtp://u:hunter2@relay?connections=0", SETTINGS)


@pytest.mark.parametrize(
    "code,text,outcome",
    [
        (250, "2.0.0 OK", Outcome.SENT),
        (450, "4.2.0 Greylisted", Outcome.TRANSIENT),
        (421, "4.7.0 Too many connections", Outcome.TRANSIENT),
        (550, "5.1.1 User unknown", Outcome.HARD_BOUNCE),
        (550, "5.1.10 Null MX", Outcome.HARD_BOUNCE),
        (550, "5.2.1 Mailbox disabled", Outcome.HARD_BOUNCE),
        (553, "5.1.8 Bad sender's system address", Outcome.PERMANENT),
        (552, "5.2.2 Mailbox full", Outcome.PERMANENT),
        (550, "5.7.1 Rejected by policy", Outcome.PERMANENT),
        (550, "Mailbox unavailable", Outcome.PERMANENT),
        (550, "4.2.2 Over quota", Outcome.TRANSIENT),
    ],
)
def test_reply_classification(code: int, text: str, outcome: Outcome) -> None:
    assert classify_reply(code, text) is outcome


def test_enhanced_status() -> None:
    assert enhanced_status("5.1.1 No such user") == "5.1.1"
    assert enhanced_status("No such user") is None
