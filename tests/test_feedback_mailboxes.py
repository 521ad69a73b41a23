"""IMAP and POP3 bounce mailboxes, against small IMAP4rev1 and POP3 servers on loopback.

The fakes speak just the commands imaplib and poplib send here (RFC 3501:
CAPABILITY, LOGIN, SELECT, CREATE, UID SEARCH/FETCH/COPY/STORE, EXPUNGE,
LOGOUT; RFC 1939: USER, PASS, LIST, RETR, DELE, QUIT), keep their mail in
memory, and are shut down by each test.
"""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bounce_helpers import sent_to
from click.testing import CliRunner
from smtp_server import make_self_signed
from sqlalchemy.orm import Session

from mailer.commands.bounces import command as bounces_command
from mailer.config import Settings
from mailer.db import make_engine, make_sessionmaker
from mailer.feedback.mailboxes import MailboxError, open_mailbox
from mailer.feedback.process import process_mailbox
from subscribers.service import is_suppressed

DATA = Path(__file__).parent / "data" / "bounces"
USER, PASSWORD = "bounces", 'pa ss"word'
SAMPLES = ["postfix_user_unknown.eml", "exim_failed.eml"]
# The deliveries those two bounces answer: their quoted Message-IDs are in our delivery log.
SENT = [
    ("priya.patel@wustl.example", "<173000000001.41.2715@mailer.example.org>"),
    ("kofi.mensah@example.net", "<173000000002.42.2715@mailer.example.org>"),
]
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|\([^)]*\)|\S+')


def _unquote(token: bytes) -> str:
    text = token.decode()
    if text.startswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


class FakeImap(socketserver.StreamRequestHandler):
    folders: dict[str, list[list]]  # name -> [uid, bytes, flags]

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text.encode() if isinstance(text, str) else text)

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] fake IMAP ready\r\n")
        selected: list[list] = []
        while line := self.rfile.readline():
            tag, command, *args = _TOKEN.findall(line.strip())
            name = command.decode().upper()
            t = tag.decode()
            if name == "UID":
                name = "UID " + args.pop(0).decode().upper()
            if name == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1 UIDPLUS\r\n{t} OK done\r\n")
            elif name == "LOGIN":
                if (_unquote(args[0]), _unquote(args[1])) == (USER, PASSWORD):
                    self.send(f"{t} OK LOGIN completed\r\n")
                else:
                    self.send(f"{t} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
            elif name == "SELECT":
                selected = self.folders.setdefault(_unquote(args[0]), [])
                self.send(
                    f"* {len(selected)} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n"
                    f"{t} OK [READ-WRITE] SELECT completed\r\n"
                )
            elif name == "CREATE":
                folder = _unquote(args[0])
                if folder in self.folders:
                    self.send(f"{t} NO [ALREADYEXISTS] exists\r\n")
                else:
                    self.folders[folder] = []
                    self.send(f"{t} OK CREATE completed\r\n")
            elif name == "UID SEARCH":
                uids = " ".join(str(m[0]) for m in selected)
                self.send(f"* SEARCH {uids}\r\n{t} OK SEARCH completed\r\n")
            elif name == "UID FETCH":
                for seq, m in enumerate(selected, 1):
                    if str(m[0]) == args[0].decode():
                        head = f"* {seq} FETCH (UID {m[0]} RFC822 {{{len(m[1])}}}\r\n"
                        self.send(head.encode() + m[1] + b")\r\n")
                self.send(f"{t} OK FETCH completed\r\n")
            elif name == "UID COPY":
                target = self.folders.get(_unquote(args[1]))
                found = [m for m in selected if str(m[0]) == args[0].decode()]
                if target is None or not found:
                    self.send(f"{t} NO [TRYCREATE] no such folder\r\n")
                else:
                    target.append([len(target) + 1, found[0][1], set()])
                    self.send(f"{t} OK COPY completed\r\n")
            elif name == "UID STORE":
                for m in selected:
                    if str(m[0]) == args[0].decode():
                        m[2].add("\\Deleted")
                self.send(f"{t} OK STORE completed\r\n")
            elif name == "EXPUNGE":
                selected[:] = [m for m in selected if "\\Deleted" not in m[2]]
                self.send(f"{t} OK EXPUNGE completed\r\n")
            elif name == "LOGOUT":
                self.send(f"* BYE logging out\r\n{t} OK LOGOUT completed\r\n")
                return
            else:
                self.send(f"{t} BAD unknown command\r\n")


class FakePop3(socketserver.StreamRequestHandler):
    messages: list[bytes]

    def handle(self) -> None:
        self.wfile.write(b"+OK fake POP3 ready\r\n")
        deleted: set[int] = set()
        authed = False
        while line := self.rfile.readline():
            command, _, arg = line.strip().decode().partition(" ")
            command = command.upper()
            if command == "USER":
                self.wfile.write(b"+OK\r\n")
            elif command == "PASS":
                authed = arg == PASSWORD
                self.wfile.write(b"+OK logged in\r\n" if authed else b"-ERR [AUTH] invalid\r\n")
            elif not authed:
                self.wfile.write(b"-ERR log in first\r\n")
            elif command == "LIST":
                live = [(i, m) for i, m in enumerate(self.messages, 1) if i not in deleted]
                body = "".join(f"{i} {len(m)}\r\n" for i, m in live)
                self.wfile.write(f"+OK {len(live)} messages\r\n{body}.\r\n".encode())
            elif command == "RETR":
                raw = self.messages[int(arg) - 1].replace(b"\r\n", b"\n").split(b"\n")
                stuffed = b"".join((b"." + x if x.startswith(b".") else x) + b"\r\n" for x in raw)
                self.wfile.write(b"+OK message follows\r\n" + stuffed + b".\r\n")
            elif command == "DELE":
                deleted.add(int(arg))
                self.wfile.write(b"+OK marked\r\n")
            elif command == "QUIT":
                self.messages[:] = [m for i, m in enumerate(self.messages, 1) if i not in deleted]
                self.wfile.write(b"+OK bye\r\n")
                return
            else:
                self.wfile.write(b"-ERR unknown\r\n")


def _serve(handler: type[socketserver.BaseRequestHandler]) -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def imap() -> Iterator[tuple[int, dict[str, list[list]]]]:
    folders = {"INBOX": [[i, (DATA / n).read_bytes(), set()] for i, n in enumerate(SAMPLES, 1)]}
    handler = type("Handler", (FakeImap,), {"folders": folders})
    for port in _serve(handler):
        yield port, folders


@pytest.fixture
def pop3() -> Iterator[tuple[int, list[bytes]]]:
    messages = [(DATA / n).read_bytes() for n in SAMPLES]
    handler = type("Handler", (FakePop3,), {"messages": messages})
    for port in _serve(handler):
        yield port, messages


QUOTED_PASSWORD = "pa%20ss%22word"


def test_imap_messages_are_recorded_then_moved_to_processed(
    session: Session, settings: Settings, imap: tuple[int, dict]
) -> None:
    port, folders = imap
    sent_to(session, *SENT)
    session.rollback()
    url = f"imap://{USER}:{QUOTED_PASSWORD}@127.0.0.1:{port}/INBOX"
    result = CliRunner().invoke(bounces_command, ["process", "--mailbox", url])
    assert result.exit_code == 0, result.output
    assert "2 messages" in result.output and "hard 2" in result.output
    assert folders["INBOX"] == []
    assert len(folders["Processed"]) == 2
    assert is_suppressed(session, "priya.patel@wustl.example")
    assert is_suppressed(session, "kofi.mensah@example.net")


def test_imap_message_stays_when_recording_fails(
    settings: Settings, imap: tuple[int, dict], tmp_path: Path
) -> None:
    port, folders = imap
    broken = make_engine(f"sqlite:///{tmp_path}/missing/dir/mailer.db")
    box = open_mailbox(f"imap://{USER}:{QUOTED_PASSWORD}@127.0.0.1:{port}/INBOX")
    try:
        with pytest.raises(Exception, match="unable to open database"):
            process_mailbox(box, make_sessionmaker(broken), settings)
    finally:
        box.close()
        broken.dispose()
    assert len(folders["INBOX"]) == 2 and folders["Processed"] == []


def test_imap_wrong_password_is_a_clear_error(imap: tuple[int, dict]) -> None:
    port, _ = imap
    with pytest.raises(MailboxError, match="Invalid credentials"):
        open_mailbox(f"imap://{USER}:nope@127.0.0.1:{port}/INBOX")


def test_pop3_messages_are_archived_then_deleted(
    session: Session, settings: Settings, pop3: tuple[int, list[bytes]], tmp_path: Path
) -> None:
    port, messages = pop3
    sent_to(session, *SENT)
    session.rollback()
    url = f"pop3://{USER}:{QUOTED_PASSWORD}@127.0.0.1:{port}"
    archive = tmp_path / "archive"
    result = CliRunner().invoke(
        bounces_command, ["process", "--mailbox", url, "--archive", str(archive)]
    )
    assert result.exit_code == 0, result.output
    assert "2 messages" in result.output and "hard 2" in result.output
    assert messages == []
    assert len(list((archive / ".processed" / "new").iterdir())) == 2
    assert is_suppressed(session, "priya.patel@wustl.example")


def test_pop3_wrong_password_is_a_clear_error(
    pop3: tuple[int, list[bytes]], tmp_path: Path
) -> None:
    port, _ = pop3
    with pytest.raises(MailboxError, match="POP3"):
        open_mailbox(f"pop3://{USER}:nope@127.0.0.1:{port}", archive=str(tmp_path / "a"))


def test_unknown_mailbox_scheme_is_refused_without_echoing_secrets() -> None:
    with pytest.raises(MailboxError, match="unknown mailbox scheme 'ftp'") as caught:
        open_mailbox("ftp://bounce:hunter2@example.org/bounces")
    assert "hunter2" not in str(caught.value)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made here (no files from outside)."""
    return make_self_signed(tmp_path_factory.mktemp("tls"))


def _serve_tls(
    handler: type[socketserver.BaseRequestHandler], files: tuple[Path, Path]
) -> Iterator[int]:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*files)

    class TlsServer(socketserver.ThreadingTCPServer):
        daemon_threads = True

        def get_request(self):  # type: ignore[no-untyped-def]
            sock, address = self.socket.accept()
            sock.settimeout(10)
            return context.wrap_socket(sock, server_side=True), address

        def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
            pass  # a client refusing our certificate is what one test wants

    server = TlsServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_imaps_checks_the_certificate_and_works_when_trusted(
    session: Session,
    settings: Settings,
    tls_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folders = {"INBOX": [[1, (DATA / SAMPLES[0]).read_bytes(), set()]]}
    handler = type("Handler", (FakeImap,), {"folders": folders})
    for port in _serve_tls(handler, tls_files):
        url = f"imaps://{USER}:{QUOTED_PASSWORD}@127.0.0.1:{port}/INBOX"
        monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[1].parent / "nothing.pem"))
        with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
            open_mailbox(url)
        monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))
        session.rollback()
        result = CliRunner().invoke(bounces_command, ["process", "--mailbox", url])
        assert result.exit_code == 0, result.output
        assert "hard 1" in result.output and folders["INBOX"] == []


def test_pop3s_checks_the_certificate_and_works_when_trusted(
    session: Session,
    settings: Settings,
    tls_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    messages = [(DATA / SAMPLES[1]).read_bytes()]
    handler = type("Handler", (FakePop3,), {"messages": messages})
    for port in _serve_tls(handler, tls_files):
        url = f"pop3s://{USER}:{QUOTED_PASSWORD}@127.0.0.1:{port}"
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing.pem"))
        with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
            open_mailbox(url, archive=str(tmp_path / "a"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))
        session.rollback()
        result = CliRunner().invoke(
            bounces_command, ["process", "--mailbox", url, "--archive", str(tmp_path / "a")]
        )
        assert result.exit_code == 0, result.output
        assert "hard 1" in result.output and messages == []
