"""SendGrid v3 Mail Send: ``sendgrid://API_KEY@`` (``?base_url=`` for tests or a proxy).

``POST /v3/mail/send`` with ``Authorization: Bearer KEY``; 202 means accepted.
Each recipient gets a personalization of its own (its own ``to``, ``subject``,
``headers`` such as List-Unsubscribe, and ``custom_args`` naming the
delivery), so no address or token is ever shared between recipients.

The API shares ``content`` among the personalizations of one request. A
campaign's messages carry the edition's body once (``MergeBody``) with a
substitution tag where each reader's values go (``-odei-html-name-``,
``-odei-text-unsubscribe_url-``, ...; one tag per part, because the HTML
part takes HTML-escaped values), and each personalization carries its own
reader's ``substitutions`` only: one request for up to 1,000 readers.
Messages without a shared body (built elsewhere) are grouped by identical
bodies; a personal one goes alone. Requests run ``concurrency`` at once
(see http_base). Click and open tracking are switched off so our signed
links reach readers unchanged.

Errors (``{"errors": [{"message", "field", "help"}]}``): a 400 that names
``personalizations.N`` fails those recipients and the rest of the request is
posted again once without them; any other 400/413 fails the request's
messages; 401/403 pause the campaign; 429 and 5xx are transient, with
``Retry-After`` or else ``X-RateLimit-Reset`` (a Unix time) as the wait.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from functools import lru_cache

import requests

from mailer.compose.snapshot import PLACEHOLDERS
from mailer.config import Settings
from mailer.delivery.backends.base import (
    BackendError,
    MergeBody,
    Outcome,
    OutgoingMessage,
    SendResult,
)
from mailer.delivery.backends.http_base import (
    ApiConfig,
    ApiRequest,
    HttpApiBackend,
    api_headers,
    parse_api_url,
    split_address,
)

DEFAULT_BASE = "https://api.sendgrid.com"
MAX_PERSONALIZATIONS = 1000
# SendGrid refuses these in "headers" (its docs' reserved list) besides the structured ones.
RESERVED = {"x-sg-id", "x-sg-eid", "received"}
_FIELD_RE = re.compile(r"^personalizations\.(\d+)\b")
# Substitution tags, one per placeholder and part; none is a prefix of another.
HTML_TAGS = {p: f"-odei-html-{key}-" for key, p in PLACEHOLDERS.items()}
TEXT_TAGS = {p: f"-odei-text-{key}-" for key, p in PLACEHOLDERS.items()}


@lru_cache(maxsize=8)
def tagged_content(body: MergeBody) -> tuple[str, str]:
    """The shared HTML and text with SendGrid substitution tags for the placeholders.

    Made once per campaign body (cached by identity), not per request.
    """
    from mailer.compose.personalise import fill

    return fill(body.html, HTML_TAGS), fill(body.text, TEXT_TAGS)


def substitutions(message: OutgoingMessage) -> dict[str, str]:
    """This reader's own values for the tags (and nobody else's)."""
    subs = {HTML_TAGS[p]: v for p, v in message.merge_html.items() if p in HTML_TAGS}
    subs.update({TEXT_TAGS[p]: v for p, v in message.merge_text.items() if p in TEXT_TAGS})
    return subs


def _address(value: str) -> dict[str, str]:
    """{"email", "name"} from a header value, the name as plain UTF-8."""
    name, addr = split_address(value)
    return {"email": addr, "name": name} if name else {"email": addr}


class SendGridBackend(HttpApiBackend):
    name = "SendGrid"
    per_request = MAX_PERSONALIZATIONS
    structured = True

    verify_path = "/v3/scopes"

    def configure(self, session: requests.Session) -> None:
        session.headers["Authorization"] = f"Bearer {self.config.key}"

    def verified(self, response: requests.Response) -> str:
        scopes = response.json().get("scopes") or []
        if "mail.send" not in scopes:
            raise BackendError(
                "the SendGrid key works but lacks the mail.send permission; "
                "give it Mail Send access in SendGrid's API key settings"
            )
        return "the key may send mail (mail.send)"

    def build_requests(self, messages: Sequence[OutgoingMessage]) -> list[ApiRequest]:
        groups: dict[tuple[object, ...], list[OutgoingMessage]] = {}
        for message in messages:
            body: object = (
                message.merge if message.merge is not None else (message.text, message.html)
            )
            groups.setdefault((message.from_header, message.reply_to, body), []).append(message)
        requests_: list[ApiRequest] = []
        for group in groups.values():
            size = self.per_request_for(len(group))
            for start in range(0, len(group), size):
                requests_.append(self._request(group[start : start + size]))
        return requests_

    @staticmethod
    def _personalization(message: OutgoingMessage) -> dict[str, object]:
        person: dict[str, object] = {
            "to": [{"email": message.recipient}],
            "subject": message.subject,
            "headers": {k: v for k, v in api_headers(message).items() if k.lower() not in RESERVED},
            "custom_args": {"delivery_id": str(message.delivery_id)},
        }
        if message.merge is not None:
            person["substitutions"] = substitutions(message)
        return person

    def _request(self, messages: Sequence[OutgoingMessage], retried: bool = False) -> ApiRequest:
        first = messages[0]
        if first.merge is not None:
            html, text = tagged_content(first.merge)
        else:
            html, text = first.html, first.text
        content = []
        if text:
            content.append({"type": "text/plain", "value": text})
        if html:
            content.append({"type": "text/html", "value": html})
        payload: dict[str, object] = {
            "personalizations": [self._personalization(m) for m in messages],
            "from": _address(first.from_header),
            "content": content,
            "tracking_settings": {
                "click_tracking": {"enable": False, "enable_text": False},
                "open_tracking": {"enable": False},
            },
        }
        if first.reply_to:
            payload["reply_to"] = _address(first.reply_to)
        return ApiRequest(messages, "/v3/mail/send", {"json": payload}, retried)

    def retry_after(self, response: requests.Response) -> float | None:
        seconds = super().retry_after(response)
        reset = response.headers.get("X-RateLimit-Reset", "")
        if seconds is None and reset.isdigit():
            seconds = max(0.0, int(reset) - time.time())
        return seconds

    def parse_success(self, response: requests.Response, request: ApiRequest) -> list[SendResult]:
        provider_id = response.headers.get("X-Message-Id", "")
        return [
            SendResult(m.delivery_id, Outcome.SENT, f"{response.status_code} accepted", provider_id)
            for m in request.messages
        ]

    def error_text(self, response: requests.Response) -> str:
        try:
            errors = response.json().get("errors") or []
            return "; ".join(
                f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
                for e in errors
            )
        except (ValueError, AttributeError):
            return super().error_text(response)

    def parse_client_error(
        self, response: requests.Response, request: ApiRequest
    ) -> list[SendResult] | None:
        if response.status_code != 400:
            return None
        try:
            errors = response.json().get("errors") or []
        except (ValueError, AttributeError):
            return None
        blamed: dict[int, list[str]] = {}
        for error in errors:
            match = _FIELD_RE.match(str(error.get("field") or ""))
            if not (match and int(match[1]) < len(request.messages)):
                return None  # the request as a whole is wrong: every message fails
            blamed.setdefault(int(match[1]), []).append(
                f"{error.get('field')}: {error.get('message')}"
            )
        if not blamed:
            return None
        results = [
            SendResult(request.messages[i].delivery_id, Outcome.PERMANENT, "400 " + "; ".join(why))
            for i, why in blamed.items()
        ]
        rest = [m for i, m in enumerate(request.messages) if i not in blamed]
        if rest and not request.retried:
            again = self._request(rest, retried=True)
            results += self._post(again, accepted_before=request.accepted_before)
        elif rest:
            results += [
                SendResult(m.delivery_id, Outcome.TRANSIENT, "request refused for other recipients")
                for m in rest
            ]
        return results


def from_url(url: str, settings: Settings) -> SendGridBackend:
    config: ApiConfig = parse_api_url(url, default_base=DEFAULT_BASE)
    return SendGridBackend(config)
