"""Mailgun Messages API: ``mailgun://API_KEY@mg.example.org`` (the sending domain).

HTTP basic auth ``api:KEY``. A campaign's messages go in batches: ``POST
/v3/<domain>/messages`` with the edition's body once, one ``to`` per reader
(up to Mailgun's 1,000) and ``recipient-variables`` holding each reader's own
values, keyed by address. The body's placeholders become
``%recipient.html_name%``, ``%recipient.text_unsubscribe_url%`` and so on (one
per part, because the HTML part takes HTML-escaped values); every custom
header goes through the same indirection (``h:List-Unsubscribe:
%recipient.h:List-Unsubscribe%``), as does ``v:delivery_id`` so Mailgun's
webhooks name the delivery (django-anymail does the same for per-recipient
headers and metadata). ``recipient-variables`` is what makes Mailgun send
each reader a message of their own: without it every reader would see every
address in To. An address appears at most once per request.

Messages without a shared body (built elsewhere) go one each through
``/messages.mime`` with our complete MIME message (``raw``), headers and DKIM
signature exactly as built. Batches are signed by Mailgun with the domain's
own DKIM key instead of ours.

Region: ``?region=eu`` uses api.eu.mailgun.net; ``?base_url=`` overrides both.
Errors (``{"message": "..."}``): a 400 or 413 for a batch does not say which
reader was refused, so the batch is split in halves and each half posted
again, down to the one reader who fails (about 2 log2(n) extra requests per
bad address); for one message, 400 and 413 fail it. 401/403 and 404 (unknown
domain) pause the campaign; 429 and 5xx are transient. Requests run
``concurrency`` at once (see http_base).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote

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
    ApiRequest,
    AuthRefused,
    HttpApiBackend,
    api_headers,
    parse_api_url,
)

BASES = {"us": "https://api.mailgun.net", "eu": "https://api.eu.mailgun.net"}
MAX_RECIPIENTS = 1000
HTML_VARS = {p: f"html_{key}" for key, p in PLACEHOLDERS.items()}
TEXT_VARS = {p: f"text_{key}" for key, p in PLACEHOLDERS.items()}


@lru_cache(maxsize=8)
def templated(body: MergeBody) -> tuple[str, str]:
    """The shared HTML and text with ``%recipient.x%`` slots, once per campaign body."""
    from mailer.compose.personalise import fill

    return (
        fill(body.html, {p: f"%recipient.{v}%" for p, v in HTML_VARS.items()}),
        fill(body.text, {p: f"%recipient.{v}%" for p, v in TEXT_VARS.items()}),
    )


def recipient_variables(message: OutgoingMessage) -> dict[str, str]:
    """This reader's own values: body slots, headers and the delivery id."""
    values = {HTML_VARS[p]: v for p, v in message.merge_html.items() if p in HTML_VARS}
    values.update({TEXT_VARS[p]: v for p, v in message.merge_text.items() if p in TEXT_VARS})
    values.update({f"h:{name}": value for name, value in api_headers(message).items()})
    values["v:delivery_id"] = str(message.delivery_id)
    return values


class MailgunBackend(HttpApiBackend):
    name = "Mailgun"
    per_request = MAX_RECIPIENTS
    structured = True  # a campaign's messages carry the shared body and each reader's values

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
        requests_: list[ApiRequest] = []
        groups: dict[tuple[object, ...], list[OutgoingMessage]] = {}
        for m in messages:
            if m.merge is None:
                requests_.append(self._mime_request(m))
            else:
                groups.setdefault((m.from_header, m.reply_to, m.subject, m.merge), []).append(m)
        for group in groups.values():
            size = self.per_request_for(len(group))
            chunk: list[OutgoingMessage] = []
            seen: set[str] = set()
            for m in group:
                # recipient-variables is keyed by address: one reader per address per request
                if len(chunk) >= size or m.recipient in seen:
                    requests_.append(self._batch_request(chunk))
                    chunk, seen = [], set()
                chunk.append(m)
                seen.add(m.recipient)
            if chunk:
                requests_.append(self._batch_request(chunk))
        return requests_

    def _mime_request(self, m: OutgoingMessage) -> ApiRequest:
        return ApiRequest(
            [m],
            f"/v3/{quote(self.domain)}/messages.mime",
            {
                "data": {"to": m.recipient, "v:delivery_id": str(m.delivery_id)},
                "files": {"message": ("message.mime", m.raw, "message/rfc822")},
            },
        )

    def _batch_request(self, chunk: Sequence[OutgoingMessage]) -> ApiRequest:
        first = chunk[0]
        assert first.merge is not None
        html, text = templated(first.merge)
        fields: list[tuple[str, str]] = [("from", first.from_header), ("subject", first.subject)]
        fields += [("to", m.recipient) for m in chunk]
        if text:
            fields.append(("text", text))
        if html:
            fields.append(("html", html))
        if first.reply_to:
            fields.append(("h:Reply-To", first.reply_to))
        fields += [(f"h:{name}", f"%recipient.h:{name}%") for name in api_headers(first)]
        fields += [
            ("v:delivery_id", "%recipient.v:delivery_id%"),
            ("o:tracking", "no"),
            ("o:tracking-clicks", "no"),
            ("o:tracking-opens", "no"),
            (
                "recipient-variables",
                json.dumps({m.recipient: recipient_variables(m) for m in chunk}),
            ),
        ]
        # multipart/form-data: a 100 KB body would double in size URL-encoded
        files = [(name, (None, value.encode("utf-8"))) for name, value in fields]
        return ApiRequest(chunk, f"/v3/{quote(self.domain)}/messages", {"files": files})

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
        if response.status_code in (400, 413) and len(request.messages) > 1:
            # Mailgun does not say which reader it refused: find out by halves.
            half = len(request.messages) // 2
            results: list[SendResult] = []
            for part in (request.messages[:half], request.messages[half:]):
                again = self._batch_request(part)
                results += self._post(again, accepted_before=request.accepted_before)
            return results
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
