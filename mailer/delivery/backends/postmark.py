"""Postmark batch API: ``postmark://SERVER_TOKEN@?stream=broadcast``.

``POST /email/batch`` with ``X-Postmark-Server-Token``, up to 500 messages
and 50 MB per request, each a complete message of its own (From, To, Subject,
HtmlBody, TextBody, Headers, Metadata), so personal bodies batch fully; the
requests of a batch run ``concurrency`` at once (see http_base).
Bulk mail belongs on a broadcast message stream (``stream=``, default
"broadcast"); link and open tracking stay off so our signed links reach
readers unchanged.

The answer to a batch is 200 with one result per message, in order:
``ErrorCode`` 0 is accepted; 406 (inactive recipient: it bounced hard or
complained before) is a hard bounce; 300 (invalid email request) and other
per-message codes fail that message; the account-level codes (10 bad token,
400/401 sender signature, 405 not allowed to send, 412 pending account, 413
account may not send) pause the campaign when nothing was accepted. A 422
carries one ``{"ErrorCode", "Message"}`` for the whole request, mapped the
same way; 401 is a bad token; 429 and 5xx are transient.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import requests

from mailer.compose.snapshot import PLACEHOLDERS
from mailer.config import Settings
from mailer.delivery.backends.base import MergeBody, Outcome, OutgoingMessage, SendResult
from mailer.delivery.backends.http_base import (
    ApiRequest,
    AuthRefused,
    HttpApiBackend,
    api_headers,
    parse_api_url,
    split_address,
)

DEFAULT_BASE = "https://api.postmarkapp.com"
MAX_BATCH = 500
MAX_BATCH_BYTES = 45_000_000  # under the documented 50 MB, with room for HTTP overhead
INACTIVE_RECIPIENT = 406
ACCOUNT_CODES = {10, 400, 401, 405, 412, 413}
_SLOTS = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS.values()) + ")")


def _json_chars(text: str) -> str:
    """``text`` as the inside of a JSON string (escaping is per character, so pieces join)."""
    return json.dumps(text)[1:-1]


@lru_cache(maxsize=8)
def _json_template(body: MergeBody) -> tuple[list[bytes | str], list[bytes | str]]:
    """The shared HTML and text cut at their placeholders, each static piece JSON-escaped
    and encoded (even places; the placeholders stay at odd places).

    Once per campaign body: a reader's HtmlBody is then these pieces with
    their own escaped values between them, not a 100 KB document filled and
    JSON-encoded again for every reader.
    """

    def cut(text: str) -> list[bytes | str]:
        return [p if i % 2 else _json_chars(p).encode() for i, p in enumerate(_SLOTS.split(text))]

    return cut(body.html), cut(body.text)


def _fill_into(out: list[bytes], pieces: list[bytes | str], values: Mapping[str, str]) -> None:
    """Append one part's JSON string: the static pieces and this reader's values."""
    for piece in pieces:
        out.append(piece if isinstance(piece, bytes) else _json_chars(values[piece]).encode())


def _plain_address(value: str) -> str:
    """``Name <address>`` with the name in plain UTF-8 (quoted when it needs it)."""
    name, address = split_address(value)
    if not name:
        return address
    if any(c in name for c in '()<>@,;:\\".[]'):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


class PostmarkBackend(HttpApiBackend):
    name = "Postmark"
    per_request = MAX_BATCH
    structured = True
    # Postmark refuses batch requests over 50 MB: 500 digests of 100 KB can exceed that.
    max_batch_bytes = MAX_BATCH_BYTES

    @property
    def stream(self) -> str:
        return self.config.options.get("stream") or "broadcast"

    verify_path = "/server"

    def verified(self, response: requests.Response) -> str:
        return f"server {response.json().get('Name', '?')!r}, stream {self.stream!r}"

    def configure(self, session: requests.Session) -> None:
        session.headers["X-Postmark-Server-Token"] = self.config.key
        session.headers["Accept"] = "application/json"

    def _payload(self, message: OutgoingMessage, bodies: bool = True) -> dict[str, object]:
        payload: dict[str, object] = {
            "From": _plain_address(message.from_header),
            "To": message.recipient,
            "Subject": message.subject,
            "Headers": [{"Name": k, "Value": v} for k, v in api_headers(message).items()],
            "MessageStream": self.stream,
            "Metadata": {"delivery_id": str(message.delivery_id)},
            "TrackOpens": False,
            "TrackLinks": "None",
        }
        if bodies:  # each message complete: Postmark's batch API has no substitution
            html, text = message.bodies()
            if html:
                payload["HtmlBody"] = html
            if text:
                payload["TextBody"] = text
        if message.reply_to:
            payload["ReplyTo"] = message.reply_to
        return payload

    def _json(self, message: OutgoingMessage) -> bytes:
        """One message of the batch as JSON; a shared body is spliced in from its pieces."""
        out: list[bytes] = []
        self._json_into(out, message)
        return b"".join(out)

    def _json_into(self, out: list[bytes], message: OutgoingMessage) -> None:
        """Append one message's JSON as fragments, so a request's body is joined (copied)
        once: 125 digests are 16 MB, and every extra copy of that shows."""
        if message.merge is None:
            out.append(json.dumps(self._payload(message)).encode())
            return
        head = json.dumps(self._payload(message, bodies=False)).encode()
        html_pieces, text_pieces = _json_template(message.merge)
        out.append(head[:-1])
        if message.merge.html:
            out.append(b', "HtmlBody": "')
            _fill_into(out, html_pieces, message.merge_html)
            out.append(b'"')
        if message.merge.text:
            out.append(b', "TextBody": "')
            _fill_into(out, text_pieces, message.merge_text)
            out.append(b'"')
        out.append(b"}")

    def build_requests(self, messages: Sequence[OutgoingMessage]) -> list[ApiRequest]:
        """Batches of at most 500 messages and ``max_batch_bytes`` of JSON each.

        A batch is spread over the concurrent requests (see ``per_request_for``).
        """
        limit = self.per_request_for(len(messages))
        requests_: list[ApiRequest] = []
        chunk: list[OutgoingMessage] = []
        fragments: list[bytes] = [b"["]
        size = 2
        for message in messages:
            part: list[bytes] = [b","] if chunk else []
            self._json_into(part, message)
            length = sum(map(len, part))
            if chunk and (len(chunk) >= limit or size + length > self.max_batch_bytes):
                requests_.append(self._request(chunk, fragments))
                chunk, fragments, size = [], [b"["], 2
                part = part[1:]  # no comma before the first message
                length -= 1
            chunk.append(message)
            fragments += part
            size += length
        if chunk:
            requests_.append(self._request(chunk, fragments))
        return requests_

    @staticmethod
    def _request(chunk: list[OutgoingMessage], fragments: list[bytes]) -> ApiRequest:
        fragments.append(b"]")
        body = b"".join(fragments)
        headers = {"Content-Type": "application/json"}
        return ApiRequest(chunk, "/email/batch", {"data": body, "headers": headers})

    @staticmethod
    def _outcome(code: int) -> Outcome:
        if code == 0:
            return Outcome.SENT
        if code == INACTIVE_RECIPIENT:
            return Outcome.HARD_BOUNCE
        return Outcome.PERMANENT

    def parse_success(self, response: requests.Response, request: ApiRequest) -> list[SendResult]:
        try:
            answers = response.json()
            assert isinstance(answers, list) and len(answers) == len(request.messages)
        except (ValueError, AssertionError):
            return [
                SendResult(
                    m.delivery_id,
                    Outcome.TRANSIENT,
                    f"{response.status_code} unreadable batch answer: {response.text[:200]}",
                )
                for m in request.messages
            ]
        results = []
        account_problem = ""
        for message, answer in zip(request.messages, answers, strict=True):
            code = int(answer.get("ErrorCode", 0))
            detail = f"{code} {answer.get('Message', '')}".strip()
            outcome = self._outcome(code)
            if code in ACCOUNT_CODES:
                account_problem = account_problem or detail
                outcome = Outcome.TRANSIENT
            results.append(
                SendResult(message.delivery_id, outcome, detail, answer.get("MessageID", ""))
            )
        if account_problem and not any(r.outcome is Outcome.SENT for r in results):
            raise AuthRefused(account_problem)
        return results

    def error_text(self, response: requests.Response) -> str:
        try:
            body = response.json()
            return f"ErrorCode {body.get('ErrorCode')}: {body.get('Message')}"
        except (ValueError, AttributeError):
            return super().error_text(response)

    def parse_client_error(
        self, response: requests.Response, request: ApiRequest
    ) -> list[SendResult] | None:
        try:
            code = int(response.json().get("ErrorCode", -1))
        except (ValueError, AttributeError, TypeError):
            return None
        detail = f"{response.status_code} {self.error_text(response)}"
        if code in ACCOUNT_CODES:
            raise AuthRefused(detail)
        outcome = self._outcome(code) if code > 0 else Outcome.PERMANENT
        return [SendResult(m.delivery_id, outcome, detail) for m in request.messages]


def from_url(url: str, settings: Settings) -> PostmarkBackend:
    return PostmarkBackend(parse_api_url(url, default_base=DEFAULT_BASE, extra_keys={"stream"}))
