"""Personalised messages from an edition's snapshot, without rendering anything again.

The snapshot is rendered and inlined once. Here it is cut, once per
campaign, at its placeholders into static pieces, and each piece is encoded
as quoted-printable ahead of time, ending in a soft line break. A message is
then the campaign's prebuilt header block, a few per-recipient headers, and
the pre-encoded pieces joined with the recipient's values (encoded the same
way): quoted-printable soft breaks vanish when decoded, so the join is a
valid body and costs a few microseconds instead of a render, an inline and a
MIME serialisation per recipient.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid
from typing import TYPE_CHECKING

from mailer.compose.personalise import recipient_values
from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.compose.tracking import (
    READER_PLACEHOLDER,
    LinkSigner,
    ReaderSigner,
    add_open_pixel,
    redirect_url,
    track_links,
)
from mailer.config import Settings
from mailer.delivery.addresses import ascii_email
from mailer.delivery.backends.base import MergeBody, OutgoingMessage
from mailer.delivery.verp import verp_address
from subscribers.models import MailingList
from subscribers.tokens import TokenSigner

if TYPE_CHECKING:
    from mailer.delivery.dkim import DkimSigner

CRLF = b"\r\n"
SOFT_BREAK = b"=\r\n"
# The reader part of tracked links is one more slot, filled only when the list tracks clicks.
_PLACEHOLDER_RE = re.compile(
    "|".join(re.escape(v) for v in (*PLACEHOLDERS.values(), READER_PLACEHOLDER))
)


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> bytes:
    """URL-safe base64 without padding (itsdangerous' encoding), with fewer calls."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


class FastTokens:
    """Byte for byte the tokens of ``TokenSigner.make``, made about three times faster.

    ``TokenSigner`` (itsdangerous' URLSafeTimedSerializer, django-concat key,
    HMAC-SHA1) spends most of its time on generic work: JSON, a zlib attempt
    that never wins for two small ints, key derivation per call. Here the
    keys are derived once, the timestamp once per second, and the HMAC state
    is copied. The output is the same token, read by ``TokenSigner.read``;
    tests/test_message.py pins the equality so an itsdangerous change shows.
    """

    __slots__ = ("_macs", "_second", "_stamp")

    def __init__(self, secret: str) -> None:
        key = secret.encode("utf-8")
        self._macs = {
            purpose: hmac.new(
                hashlib.sha1(f"mailer.{purpose}".encode() + b"signer" + key).digest(),
                digestmod=hashlib.sha1,
            )
            for purpose in ("unsubscribe", "preferences", "confirm")
        }
        self._second = -1
        self._stamp = b""

    def make(self, purpose: str, subscriber_id: int, list_id: int | None = None) -> str:
        ids = f"[{subscriber_id}]" if list_id is None else f"[{subscriber_id},{list_id}]"
        now = int(time.time())
        if now != self._second:
            self._stamp = _b64(now.to_bytes((now.bit_length() + 7) // 8, "big"))
            self._second = now
        value = _b64(ids.encode("ascii")) + b"." + self._stamp
        mac = self._macs[purpose].copy()
        mac.update(value)
        return (value + b"." + _b64(mac.digest())).decode("ascii")


def _dkim_signer(settings: Settings) -> DkimSigner | None:
    """The DKIM signer, imported only when DKIM is on: dkimpy (with dnspython and
    asyncio) and OpenSSL's bindings cost a worker a fifth of a second to load."""
    if not settings.dkim_domain:
        return None
    from mailer.delivery.dkim import DkimSigner

    return DkimSigner.from_settings(settings)


class HeaderInjection(ValueError):
    """A header value carried CR or LF: refused rather than letting it add headers."""


@dataclass(frozen=True, slots=True)
class Recipient:
    delivery_id: int
    subscriber_id: int
    email: str
    name: str = ""


def _qp(text: str) -> bytes:
    """Quoted-printable with CRLF line ends, ending on a line boundary or a soft break."""
    if (
        len(text) < 70
        and text.isascii()
        and text.isprintable()
        and "=" not in text
        and not text.endswith(" ")
    ):
        # Short printable ASCII is its own encoding (the common name or address).
        return text.encode("ascii") + SOFT_BREAK if text else b""
    data = text.replace("\r\n", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    encoded = encoded.replace(b"\n", CRLF)
    if encoded and not encoded.endswith(CRLF):
        encoded += SOFT_BREAK
    return encoded


def _safe(value: str, field: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection(f"{field} contains a line break: {value!r}")
    return value


def _header(name: str, value: str) -> bytes:
    """One header line, RFC 2047-encoded when the value is not ASCII, folded for length."""
    _safe(value, name)
    if value.isascii() and len(name) + len(value) + 2 <= 998:
        return f"{name}: {value}\r\n".encode("ascii")
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def _address_header(name: str, display: str, address: str) -> bytes:
    _safe(display, name)
    _safe(address, name)
    try:
        address.encode("ascii")
    except UnicodeEncodeError:
        address = ascii_email(address)
    if not address.isascii():
        # A non-ASCII local part: only SMTPUTF8 can carry it, as raw UTF-8 (RFC 6532).
        value = f"{display} <{address}>" if display else address
        return f"{name}: {value}\r\n".encode()
    return f"{name}: {formataddr((display, address), charset='utf-8')}\r\n".encode("ascii")


def _fill(source: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(0)], source)


class _Template:
    """A part's body cut at its placeholders, static pieces pre-encoded."""

    __slots__ = ("keys", "pieces")

    def __init__(self, source: str) -> None:
        self.pieces: list[bytes] = []
        self.keys: list[str] = []
        position = 0
        for match in _PLACEHOLDER_RE.finditer(source):
            self.pieces.append(_qp(source[position : match.start()]))
            self.keys.append(match.group())
            position = match.end()
        self.pieces.append(_qp(source[position:]))

    def fill(self, encoded_values: dict[str, bytes]) -> bytes:
        out: list[bytes] = []
        self.fill_into(out, encoded_values)
        return b"".join(out)

    def fill_into(self, out: list[bytes], encoded_values: dict[str, bytes]) -> None:
        """Append the pieces and values to ``out``, so a message is joined (copied) once."""
        out.append(self.pieces[0])
        for key, piece in zip(self.keys, self.pieces[1:], strict=True):
            out.append(encoded_values[key])
            out.append(piece)


class MessageBuilder:
    """Builds every message of one campaign; create one per campaign and worker."""

    def __init__(
        self,
        snapshot: Snapshot,
        mailing_list: MailingList,
        settings: Settings,
        *,
        campaign_id: int,
        structured: bool = False,
        mime: bool | None = None,
        signer: TokenSigner | FastTokens | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.campaign_id = campaign_id
        self.structured = structured
        # The complete (DKIM-signed) MIME message is what SMTP and Maildir send. An API
        # backend that takes the structured fields never reads it, so by default it is
        # not built for one (nor signed: the provider signs what it assembles).
        self.mime = not structured if mime is None else mime
        self._secret = settings.signing_key
        self.signer = signer or FastTokens(self._secret)
        self.list_id = mailing_list.id
        self.base_url = settings.base_url.rstrip("/")
        self.from_name = mailing_list.from_name or settings.from_name
        self.from_email = mailing_list.from_email or settings.from_email
        self.reply_to = mailing_list.reply_to or settings.reply_to
        self.msgid_domain = settings.message_id_domain
        self.boundary = f"=_odei_{campaign_id}_{int(time.time())}"
        # Click tracking: the links are rewritten here, once per campaign; each message
        # then costs one HMAC for its reader part (mailer.compose.tracking).
        self._reader: ReaderSigner | None = None
        # Only a campaign's messages: one-off mail (confirmation, welcome: campaign 0) never.
        if campaign_id > 0 and getattr(mailing_list, "track_clicks", False):
            snapshot = track_links(
                snapshot,
                redirect_url(self.base_url, LinkSigner(self._secret), campaign_id),
                self.base_url,
            )
            self._reader = ReaderSigner(self._secret)
        if campaign_id > 0 and getattr(mailing_list, "track_opens", False):
            snapshot = add_open_pixel(snapshot, self.base_url, campaign_id)
            self._reader = ReaderSigner(self._secret)
        self.snapshot = snapshot
        self._static_headers = self._build_static_headers(mailing_list)
        self._merge = MergeBody(snapshot.html, snapshot.text)
        self._html = _Template(snapshot.html)
        self._text = _Template(snapshot.text)
        self._part_text = (
            f"--{self.boundary}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode("ascii")
        self._part_html = (
            f"\r\n--{self.boundary}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode("ascii")
        self._closing = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        self._date_second = -1
        self._date_header = b""
        self._dkim = _dkim_signer(settings)

    def _build_static_headers(self, mailing_list: MailingList) -> bytes:
        host = self.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        # RFC 2919: a human-readable phrase and an id under a domain we control; ASCII only.
        list_name = mailing_list.name.encode("ascii", "replace").decode().replace('"', "'")
        self.list_id_value = f'"{list_name}" <{mailing_list.slug}.{host}>'
        # Stable per campaign and list, never per message (Gmail's feedback loop aggregates it).
        self.feedback_id = (
            f"{self.campaign_id}:{mailing_list.slug}:{self.settings.feedback_id_sender}"
        )
        parts = [
            _address_header("From", self.from_name, self.from_email),
            _header("Subject", self.snapshot.subject),
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'.encode(),
            _header("List-Id", self.list_id_value),
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            b"Precedence: bulk\r\n",
            b"Auto-Submitted: auto-generated\r\n",
            _header("Feedback-ID", self.feedback_id),
        ]
        if self.reply_to:
            parts.append(_address_header("Reply-To", "", self.reply_to))
        return b"".join(parts)

    def _date(self) -> bytes:
        now = time.time()
        second = int(now)
        if second != self._date_second:
            stamp = format_datetime(dt.datetime.fromtimestamp(second, dt.UTC).astimezone())
            self._date_header = f"Date: {stamp}\r\n".encode("ascii")
            self._date_second = second
        return self._date_header

    def values(self, recipient: Recipient) -> dict[str, str]:
        """The recipient's placeholder values, unescaped."""
        unsubscribe = self.signer.make("unsubscribe", recipient.subscriber_id, self.list_id)
        preferences = self.signer.make("preferences", recipient.subscriber_id)
        return {
            "name": recipient.name,
            "email": recipient.email,
            "unsubscribe_url": f"{self.base_url}/u/{unsubscribe}",
            "preferences_url": f"{self.base_url}/p/{preferences}",
            "_unsubscribe_token": unsubscribe,
        }

    def _mime(
        self,
        to_header: bytes,
        message_id: str,
        folded_unsubscribe: str,
        for_html: dict[str, str],
        for_text: dict[str, str],
    ) -> bytes:
        """The complete message: prebuilt pieces and this reader's encoded values, signed."""
        text_values = {p: _qp(v) for p, v in for_text.items()}
        html_values = {
            p: text_values[p] if v == for_text[p] else _qp(v) for p, v in for_html.items()
        }
        out = [
            self._static_headers,
            to_header,
            self._date(),
            f"Message-ID: {message_id}\r\n".encode("ascii"),
            f"List-Unsubscribe: {folded_unsubscribe}\r\n".encode("ascii"),
            b"\r\n",
            self._part_text,
        ]
        self._text.fill_into(out, text_values)
        out.append(self._part_html)
        self._html.fill_into(out, html_values)
        out.append(self._closing)
        raw = b"".join(out)
        if self._dkim is not None:
            raw = self._dkim.sign(raw)
        return raw

    def build(self, recipient: Recipient, message_id: str = "") -> OutgoingMessage:
        """The recipient's message; ``message_id`` is the one stored on its delivery
        (kept across retries and resends), a new one only when there is none."""
        values = self.values(recipient)
        token = values.pop("_unsubscribe_token")
        message_id = message_id or make_msgid(domain=self.msgid_domain)
        list_unsubscribe = (
            f"<{values['unsubscribe_url']}>, "
            f"<mailto:{self.settings.unsubscribe_mailto}?subject={token}>"
        )
        # Folded between its two URIs to keep header lines short.
        folded_unsubscribe = list_unsubscribe.replace(", ", ",\r\n ")
        # Escaped once, by the one rule compose uses for previews (HTML, URL-safe links).
        for_html, for_text = recipient_values(values, self.settings.greeting_fallback)
        if self._reader is not None:
            for_html[READER_PLACEHOLDER] = for_text[READER_PLACEHOLDER] = self._reader.part(
                recipient.delivery_id
            )
        to_header = _address_header("To", recipient.name, recipient.email)  # refuses CR/LF
        raw = b""
        if self.mime:
            raw = self._mime(to_header, message_id, folded_unsubscribe, for_html, for_text)
        message = OutgoingMessage(
            delivery_id=recipient.delivery_id,
            envelope_from=verp_address(
                self._secret, recipient.delivery_id, self.settings.bounce_domain
            ),
            recipient=recipient.email,
            raw=raw,
            message_id=message_id,
        )
        if self.structured:
            message.subject = self.snapshot.subject
            message.from_header = formataddr((self.from_name, self.from_email))
            message.reply_to = self.reply_to
            # The shared body and this reader's values, not a filled copy: backends that
            # batch send the body once per request (OutgoingMessage.bodies fills it).
            if self._reader is None:
                message.merge = self._merge
                message.merge_html = for_html
                message.merge_text = for_text
            else:
                # API backends substitute only PLACEHOLDERS: a tracked body goes filled.
                message.html = _fill(self.snapshot.html, for_html)
                message.text = _fill(self.snapshot.text, for_text)
            message.headers = {
                "List-Unsubscribe": list_unsubscribe,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": self.list_id_value,
                "Precedence": "bulk",
                "Auto-Submitted": "auto-generated",
                "Feedback-ID": self.feedback_id,
                "Message-ID": message_id,
            }
        return message
