"""Click tracking: rewrite an edition's links once, and sign what the redirect trusts.

Only for lists that track clicks (``MailingList.track_clicks``, off by default).
``track_links`` runs once per edition when its messages are built: every http(s)
link in the HTML (``href``) and text parts becomes ``<base>/l/<link token>/<reader>``,
where the link token signs the campaign and the original URL (so the redirect can
never send anyone elsewhere: an altered token is refused), and ``<reader>`` is a
placeholder that delivery fills with a short signed delivery id per message, as it
fills the reader's name: nothing is rendered per recipient.

Never rewritten: the personal links (unsubscribe, preferences: placeholders, not
URLs, at this point) and any link to this site's personal pages (``/u/``, ``/p/``,
``/c/`` confirmation), so leaving a list never depends on a redirect.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import html
import re
from collections.abc import Callable
from dataclasses import replace

from itsdangerous import BadSignature, URLSafeSerializer

from mailer.compose.snapshot import Snapshot

#: Filled per message with ``ReaderSigner.part(delivery_id)``.
READER_PLACEHOLDER = "__MAILER_CLICK_READER__"
#: The redirect's path on the web app: ``/l/<link token>/<reader part>``.
REDIRECT_PATH = "/l/"
#: The open pixel's path (lists that track opens): ``/o/<campaign id>/<reader part>.gif``.
PIXEL_PATH = "/o/"
#: This site's personal pages: never tracked.
PERSONAL_PATHS = ("/u/", "/p/", "/c/", REDIRECT_PATH, PIXEL_PATH)

_HREF = re.compile(r"""(\bhref\s*=\s*)(["'])(https?://[^"'\s>]+)\2""", re.IGNORECASE)
_TEXT_URL = re.compile(r"""https?://[^\s<>"'\]\[]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)"


class LinkError(ValueError):
    """A tracked link that is not ours (altered, unsigned or malformed)."""


class LinkSigner:
    """Signs (campaign id, URL) into the link token and reads it back; one per secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a signing secret is required")
        self._serializer = URLSafeSerializer(secret, salt="mailer.click")

    def make(self, campaign_id: int, url: str) -> str:
        return str(self._serializer.dumps([campaign_id, url]))

    def read(self, token: str) -> tuple[int, str]:
        try:
            payload = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError):
            raise LinkError("this link is not valid") from None
        if (
            not isinstance(payload, list)
            or len(payload) != 2
            or not isinstance(payload[0], int)
            or isinstance(payload[0], bool)
            or not isinstance(payload[1], str)
            or not re.match(r"https?://", payload[1], re.IGNORECASE)
        ):
            raise LinkError("this link is not valid")
        return payload[0], payload[1]


def _b64(data: bytes) -> str:
    return (
        binascii.b2a_base64(data, newline=False)
        .decode()
        .rstrip("=")
        .translate(str.maketrans("+/", "-_"))
    )


class ReaderSigner:
    """``<delivery id>-<MAC>``: names the message a click came from, unforgeably.

    One HMAC per message (not per link): the key is derived once and the state copied,
    so it costs about a microsecond on the build's hot path.
    """

    __slots__ = ("_mac",)

    def __init__(self, secret: str) -> None:
        key = hashlib.sha256(b"mailer.click.reader" + secret.encode("utf-8")).digest()
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def part(self, delivery_id: int) -> str:
        mac = self._mac.copy()
        mac.update(str(delivery_id).encode("ascii"))
        return f"{delivery_id}-{_b64(mac.digest()[:12])}"

    def read(self, part: str) -> int | None:
        """The delivery id, or None when the part is absent, altered or a stranger's."""
        number, _, _sig = part.partition("-")
        if not number.isdigit() or len(number) > 18:
            return None
        if not hmac.compare_digest(self.part(int(number)), part):
            return None
        return int(number)


def is_personal(url: str, base_url: str) -> bool:
    """A link to this site's personal pages (unsubscribe, preferences, confirmation),
    or one that carries a per-reader value (a placeholder): never tracked."""
    base = base_url.rstrip("/")
    return "__MAILER_" in url or url.startswith(tuple(base + p for p in PERSONAL_PATHS))


def track_links(snapshot: Snapshot, tracked_url: Callable[[str], str], base_url: str) -> Snapshot:
    """The snapshot with each http(s) link replaced by ``tracked_url(original)``.

    ``tracked_url`` is called once per distinct link (cache it per edition). The HTML
    keeps its escaping (``&amp;`` in an href is one ``&`` of the URL).
    """
    cache: dict[str, str] = {}

    def tracked(url: str) -> str:
        if is_personal(url, base_url):
            return url
        if url not in cache:
            cache[url] = tracked_url(url)
        return cache[url]

    def in_html(match: re.Match[str]) -> str:
        url = html.unescape(match.group(3))
        new = tracked(url)
        if new == url:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(new)}{match.group(2)}"

    def in_text(match: re.Match[str]) -> str:
        found = match.group(0)
        url = found.rstrip(_TRAILING)
        return tracked(url) + found[len(url) :]

    return replace(
        snapshot,
        html=_HREF.sub(in_html, snapshot.html),
        text=_TEXT_URL.sub(in_text, snapshot.text),
    )


_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def add_open_pixel(snapshot: Snapshot, base_url: str, campaign_id: int) -> Snapshot:
    """The HTML with a 1x1 image before ``</body>`` whose URL names the message (the
    reader part is the same placeholder as in tracked links). Only for lists that
    track opens; the text part has no pixel."""
    url = f"{base_url.rstrip('/')}{PIXEL_PATH}{campaign_id}/{READER_PLACEHOLDER}.gif"
    pixel = f'<img src="{url}" width="1" height="1" alt="" border="0">'
    html_part, found = _BODY_END.subn(lambda m: pixel + m.group(0), snapshot.html, count=1)
    return replace(snapshot, html=html_part if found else snapshot.html + pixel)


def redirect_url(base_url: str, signer: LinkSigner, campaign_id: int) -> Callable[[str], str]:
    """The ``tracked_url`` for one campaign: the signed redirect with the reader placeholder."""
    base = base_url.rstrip("/")

    def make(url: str) -> str:
        return f"{base}{REDIRECT_PATH}{signer.make(campaign_id, url)}/{READER_PLACEHOLDER}"

    return make
