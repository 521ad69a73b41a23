"""A real aiosmtpd server on 127.0.0.1 that misbehaves on cue, for transport tests.

Tests script what the server answers per recipient and attempt::

    server.script_rcpt("b@example.org", "451 4.3.0 Try again later")  # 1st RCPT, then accept
    server.script_data("c@example.org", DROP, DROP)  # drop the connection in DATA twice
    server.script_data("d@example.org", Slow(2.0))  # answer DATA after 2 s

Once a recipient's script is used up the server accepts. A reply starting
with 421 also closes the connection, as real servers do; so does any reply
ending in ``HANG_UP`` (``"554 5.7.1 Go away" + HANG_UP``). ``received`` holds
every accepted message (envelope and bytes), ``peers`` every client
connection that sent a MAIL command, so tests check exact counts.

Use as a context manager: ``with SmtpFaultServer(auth=("u", "p"), tls="starttls") as s``.
TLS uses a self-signed certificate for 127.0.0.1 made with ``cryptography``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import tempfile
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
DROP = "DROP"  # close the connection instead of answering
HANG_UP = " +HANGUP"  # appended to a reply: answer, then close the connection


@dataclass(frozen=True)
class Slow:
    """Wait this long before answering (then accept, or give ``reply``)."""

    seconds: float
    reply: str = ""


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]
    peer: Any


@dataclass
class _Scripts:
    mail: dict[str, deque[str | Slow]] = field(default_factory=lambda: defaultdict(deque))
    rcpt: dict[str, deque[str | Slow]] = field(default_factory=lambda: defaultdict(deque))
    data: dict[str, deque[str | Slow]] = field(default_factory=lambda: defaultdict(deque))


def make_self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for 127.0.0.1 (PEM files in ``directory``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailer test server")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        # Its own CA, so a client can trust exactly this certificate as a cafile.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _PortZeroController(Controller):
    """aiosmtpd's Controller, but bound to a free port chosen by the kernel."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    def __init__(self, owner: SmtpFaultServer) -> None:
        self.owner = owner

    async def _play(self, server: SMTP, step: str | Slow) -> str | None:
        """Act out one scripted step; returns the reply, or None to accept."""
        if isinstance(step, Slow):
            await asyncio.sleep(step.seconds)
            return step.reply or None
        if step == DROP:
            cast(asyncio.Transport, server.transport).abort()
            return "421 4.4.2 dropped"  # never reaches the client
        if step.startswith("421") or step.endswith(HANG_UP):
            assert server.transport is not None
            asyncio.get_running_loop().call_soon(server.transport.close)
        return step.removesuffix(HANG_UP)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.owner.peers.add(session.peer)
        script = self.owner.scripts.mail.get(address.lower())
        if script:
            reply = await self._play(server, script.popleft())
            if reply:
                return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        script = self.owner.scripts.rcpt.get(address.lower())
        if script:
            reply = await self._play(server, script.popleft())
            if reply:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        first = envelope.rcpt_tos[0].lower() if envelope.rcpt_tos else ""
        script = self.owner.scripts.data.get(first)
        if script:
            reply = await self._play(server, script.popleft())
            if reply:
                return reply
        data = envelope.original_content or envelope.content or b""
        assert isinstance(data, bytes)
        with self.owner.lock:
            self.owner.received.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    data,
                    list(envelope.mail_options),
                    session.peer,
                )
            )
        return "250 2.0.0 Message accepted"


class SmtpFaultServer:
    """The fault-injecting server; see the module docstring."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        tls: str | None = None,  # None, "starttls" or "implicit"
        smtputf8: bool = False,
        idle_timeout: float = 300.0,  # the server hangs up on a client idle this long
    ) -> None:
        self.idle_timeout = idle_timeout
        self.auth = auth
        self.tls = tls
        self.smtputf8 = smtputf8
        self.scripts = _Scripts()
        self.received: list[Received] = []
        self.peers: set[Any] = set()
        self.logins: list[str] = []
        self.lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._controller: Controller | None = None

    # scripting ---------------------------------------------------------------
    def script_mail(self, sender: str, *steps: str | Slow) -> None:
        self.scripts.mail[sender.lower()].extend(steps)

    def script_rcpt(self, address: str, *steps: str | Slow) -> None:
        self.scripts.rcpt[address.lower()].extend(steps)

    def script_data(self, address: str, *steps: str | Slow) -> None:
        self.scripts.data[address.lower()].extend(steps)

    # lifecycle -----------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._controller is not None
        return int(self._controller.port)

    def url(self, scheme: str = "smtp", userinfo: str = "", **query: object) -> str:
        at = f"{userinfo}@" if userinfo else ""
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{scheme}://{at}{HOST}:{self.port}" + (f"?{qs}" if qs else "")

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            self.auth is not None
            and isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == self.auth
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpFaultServer:
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": self.smtputf8, "timeout": self.idle_timeout}
        if self.auth:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory()
            cert, key = make_self_signed(Path(self._tmp.name))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            self.cert_path = cert
            if self.tls == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            elif self.tls == "implicit":
                kwargs.update(ssl_context=context)
            else:
                raise ValueError(f"tls should be 'starttls' or 'implicit', not {self.tls!r}")
        self._controller = _PortZeroController(_Handler(self), hostname=HOST, port=0, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SmtpFaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
