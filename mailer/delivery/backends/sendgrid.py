"""SendGrid v3 Mail Send: ``sendgrid://API_KEY@`` (``?base_url=`` for tests or a proxy).

``POST /v3/mail/send`` with ``Authorization: Bearer KEY``; 202 means accepted.
Each recipient gets a personalization of its own (its own ``to``, ``subject``,
``headers`` such as List-Unsubscribe, and ``custom_args`` naming the
delivery), so no address or token is ever shared between recipients.

The API shares ``content`` among the personalizations of one request, so a
request carries the messages of a batch whose bodies are identical, up to
SendGrid's 1,000 personalizations; messages with personal bodies (a
personal unsubscribe link in the text, as ours have) go one request each.
Click and open tracking are switched off so our signed links reach readers
unchanged.

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

import requests

from mailer.config import Settings
from mailer.delivery.backends.base import BackendError, Outcome, OutgoingMessage, SendResult
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


def _address(value: str) -> dict[str, str]:
    """{"email", "name"} from a header value, the name as plain UTF-8."""
    name, addr = split_address(value)
    return {"email": addr, "name": name} if name else {"email": addr}


class SendGridBackend(HttpApiBackend):
    name = "SendGrid"
    max_batch = MAX_PERSONALIZATIONS
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
        groups: dict[tuple[str, str, str, str], list[OutgoingMessage]] = {}
        for message in messages:
            key = (message.from_header, message.reply_to, message.text, message.html)
            groups.setdefault(key, []).append(message)
        requests_: list[ApiRequest] = []
        for group in groups.values():
            for start in range(0, len(group), MAX_PERSONALIZATIONS):
                requests_.append(self._request(group[start : start + MAX_PERSONALIZATIONS]))
        return requests_

    def _request(self, messages: Sequence[OutgoingMessage], retried: bool = False) -> ApiRequest:
        first = messages[0]
        content = []
        if first.text:
            content.append({"type": "text/plain", "value": first.text})
        if first.html:
            content.append({"type": "text/html", "value": first.html})
        payload: dict[str, object] = {
            "personalizations": [
                {
                    "to": [{"email": m.recipient}],
                    "subject": m.subject,
                    "headers": {
                        k: v for k, v in api_headers(m).items() if k.lower() not in RESERVED
                    },
                    "custom_args": {"delivery_id": str(m.delivery_id)},
                }
                for m in messages
            ],
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
