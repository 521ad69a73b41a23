"""Mailgun Messages API, MIME form: ``mailgun://API_KEY@mg.example.org`` (the sending domain).

``POST /v3/<domain>/messages.mime`` with HTTP basic auth ``api:KEY`` and a
multipart body: ``to`` (the one recipient) and ``message`` (our complete MIME
message, ``raw``). Sending our own MIME keeps every header exactly as built
and signed (List-Unsubscribe, Feedback-ID, our DKIM signature), which the
structured ``/messages`` form would rebuild.

One request per message, over one kept-alive HTTPS connection: batching
through ``recipient-variables`` needs the unrendered template with
``%recipient.x%`` slots, while the engine hands us finished personal
messages. ``v:delivery_id`` rides along so Mailgun's webhooks name the delivery.

Region: ``?region=eu`` uses api.eu.mailgun.net; ``?base_url=`` overrides both.
Errors (``{"message": "..."}``): 400 and 413 fail the message; 401/403 and 404
(unknown domain) pause the campaign; 429 and 5xx are transient.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import requests

from mailer.config import Settings
from mailer.delivery.backends.base import BackendError, Outcome, OutgoingMessage, SendResult
from mailer.delivery.backends.http_base import (
    ApiRequest,
    AuthRefused,
    HttpApiBackend,
    parse_api_url,
)

BASES = {"us": "https://api.mailgun.net", "eu": "https://api.eu.mailgun.net"}


class MailgunBackend(HttpApiBackend):
    name = "Mailgun"
    max_batch = 1000  # Mailgun's batch limit; each message is still its own request

    def configure(self, session: requests.Session) -> None:
        session.auth = ("api", self.config.key)

    @property
    def domain(self) -> str:
        return self.config.host

    @property
    def verify_path(self) -> str:  # type: ignore[override]
        return f"/v3/domains/{quote(self.domain)}"

    def verified(self, response: requests.Response) -> str:
        state = (response.json().get("domain") or {}).get("state", "?")
        if state != "active":
            raise BackendError(
                f"Mailgun domain {self.domain!r} is {state!r}, not active: "
                "finish its DNS verification in Mailgun first"
            )
        return f"domain {self.domain!r} is active"

    def build_requests(self, messages: Sequence[OutgoingMessage]) -> list[ApiRequest]:
        path = f"/v3/{quote(self.domain)}/messages.mime"
        return [
            ApiRequest(
                [m],
                path,
                {
                    "data": {"to": m.recipient, "v:delivery_id": str(m.delivery_id)},
                    "files": {"message": ("message.mime", m.raw, "message/rfc822")},
                },
            )
            for m in messages
        ]

    def parse_success(self, response: requests.Response, request: ApiRequest) -> list[SendResult]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        return [
            SendResult(
                m.delivery_id,
                Outcome.SENT,
                f"{response.status_code} {body.get('message', 'accepted')}",
                body.get("id", ""),
            )
            for m in request.messages
        ]

    def error_text(self, response: requests.Response) -> str:
        try:
            return str(response.json().get("message", ""))
        except (ValueError, AttributeError):
            return super().error_text(response)

    def parse_client_error(
        self, response: requests.Response, request: ApiRequest
    ) -> list[SendResult] | None:
        if response.status_code == 404:
            raise AuthRefused(
                f"404 {self.error_text(response)} (is {self.domain!r} a domain of this account?)"
            )
        return None


def from_url(url: str, settings: Settings) -> MailgunBackend:
    probe = parse_api_url(url, default_base=BASES["us"], extra_keys={"region"})
    region = probe.options.get("region", "us")
    if region not in BASES:
        raise BackendError(f"backend URL mailgun://...: region should be us or eu, not {region!r}")
    if not probe.host:
        raise BackendError(
            "backend URL mailgun://KEY@: the sending domain goes after the @, "
            "e.g. mailgun://KEY@mg.example.org"
        )
    if "base_url=" not in url:
        probe = parse_api_url(url, default_base=BASES[region], extra_keys={"region"})
    return MailgunBackend(probe)
