"""What every HTTP email API backend shares: URL form, session, timeouts, error mapping.

The shape follows django-anymail: the base class fixes the sequence once
(build the requests for a batch -> post -> read per-message results), and a
provider module fills in only its differences (payload, authentication, how
its success and error bodies read). The common rules live here, once:

- 429 and 5xx are transient, with the server's ``Retry-After`` (seconds or
  an HTTP date) passed on for the engine's backoff; a timeout waiting for the
  answer is transient too (the API may have taken the message, so the engine,
  not the backend, decides when to try again).
- 401/403 mean the key is wrong or lacks the right: a ``BackendError`` that
  pauses the campaign, raised only while nothing of the batch was accepted, so
  an accepted message is never reported as unsent.
- A refused connection before anything was accepted is a transient
  ``BackendError`` (the API is unreachable); later in a batch it makes the
  rest of the batch transient. A connection dropped mid-request is transient
  for that request's messages.

Overlap: a batch from the engine is split into requests of at most the
provider's limit, spread evenly over ``concurrency`` requests that run at once
(``?concurrency=4`` by default, each thread with its own kept-alive
connection), so one worker waits for one round trip per batch rather than
one per request. With requests in flight together, "nothing accepted yet"
is decided when all have answered: a whole-backend error is raised only if
no request of the batch was accepted, else it becomes transient results
for its own request's messages.

URL form: ``<provider>://KEY@[host]?base_url=http://127.0.0.1:8025&timeout=10&concurrency=4``;
``base_url`` replaces the provider's public address (tests, EU regions, proxies).
"""

from __future__ import annotations

import datetime as dt
import email.header
import email.utils
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import requests
from urllib3.exceptions import NewConnectionError

from mailer.delivery.backends.base import BackendError, Outcome, OutgoingMessage, SendResult

COMMON_KEYS = {"base_url", "timeout", "concurrency"}
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32
#: A batch is spread over the concurrent requests, but not into requests of fewer
#: messages than this (unless the provider's limit forces more requests).
MIN_PER_REQUEST = 100
# Headers the APIs set themselves from the structured fields (or refuse).
STRUCTURED_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "reply-to",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "return-path",
    "dkim-signature",
}


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are GMT
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def redact(url: str) -> str:
    """The URL with its key masked, for error messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


@dataclass(frozen=True)
class ApiConfig:
    """A parsed API backend URL."""

    key: str
    host: str  # the part after @ (Mailgun's sending domain), may be empty
    base_url: str
    timeout: float
    options: Mapping[str, str] = field(default_factory=dict)
    concurrency: int = DEFAULT_CONCURRENCY


def parse_api_url(
    url: str, *, default_base: str, extra_keys: Iterable[str] = (), default_timeout: float = 30.0
) -> ApiConfig:
    parts = urlsplit(url)
    shown = redact(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    known = COMMON_KEYS | set(extra_keys)
    unknown = set(query) - known
    if unknown:
        raise BackendError(
            f"backend URL {shown}: unknown option(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(known))})"
        )
    key = unquote(parts.username or "")
    if parts.password:  # "api:KEY@" is accepted too
        key = unquote(parts.password)
    if not key:
        raise BackendError(
            f"backend URL {shown}: no API key; write it before the @, "
            f"e.g. {parts.scheme}://YOUR_KEY@"
        )
    base_url = query.pop("base_url", "") or default_base
    if not base_url.startswith(("http://", "https://")):
        raise BackendError(f"backend URL {shown}: base_url should start with http:// or https://")
    try:
        timeout = float(query.pop("timeout", default_timeout))
    except ValueError:
        raise BackendError(f"backend URL {shown}: timeout should be seconds, e.g. 10") from None
    raw_concurrency = query.pop("concurrency", str(DEFAULT_CONCURRENCY))
    if not raw_concurrency.isdigit() or not 1 <= int(raw_concurrency) <= MAX_CONCURRENCY:
        raise BackendError(
            f"backend URL {shown}: concurrency should be a number of requests at once "
            f"from 1 to {MAX_CONCURRENCY}, e.g. concurrency=4"
        )
    return ApiConfig(
        key=key,
        host=parts.hostname or "",
        base_url=base_url.rstrip("/"),
        timeout=timeout,
        options=query,
        concurrency=int(raw_concurrency),
    )


@dataclass
class ApiRequest:
    """One HTTP request and the messages whose fate its answer decides."""

    messages: Sequence[OutgoingMessage]
    path: str
    kwargs: dict[str, Any]  # for requests.Session.post: json=, data=, files=
    retried: bool = False  # a provider re-posting part of a refused request sets this
    # Set by the base before posting: was anything of this batch accepted already?
    # (Whole-backend errors are raised only while nothing was.)
    accepted_before: bool = False


class AuthRefused(Exception):
    """The API refused the key or the account (raised by the parse hooks).

    It becomes a ``BackendError`` while nothing of the batch was accepted, and
    transient results for the request's messages after that.
    """


class HttpApiBackend:
    """Base of the API backends: a subclass sets ``name``/``max_batch`` and fills in hooks.

    ``build_requests`` is required; ``configure``, ``parse_success``,
    ``parse_client_error``, ``retry_after`` and ``error_text`` have defaults.
    """

    name = "HTTP API"
    #: The provider's limit of messages in one request.
    per_request = 1
    #: Largest batch ``send`` accepts: ``per_request`` for each concurrent request.
    max_batch = 1
    #: True when the API takes subject/html/text/headers rather than ``raw``: the
    #: message builder fills those fields only for backends that say so.
    structured = False

    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self.max_batch = self.per_request * config.concurrency
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @property
    def session(self) -> requests.Session | None:
        """This thread's session (one kept-alive connection per concurrent request)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None and self._pool is not None:
            session = self._new_session()
            self._local.session = session
        return session

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "odei-mailer"
        self.configure(session)
        with self._sessions_lock:
            self._sessions.append(session)
        return session

    def per_request_for(self, count: int) -> int:
        """Messages per request for a batch of ``count``: spread over the concurrent requests."""
        wanted = min(self.config.concurrency, max(1, count // MIN_PER_REQUEST))
        requests_ = max(-(-count // self.per_request), wanted)
        return max(1, -(-count // requests_))

    # hooks ----------------------------------------------------------------------
    def configure(self, session: requests.Session) -> None:
        """Set authentication and fixed headers on the session."""

    def build_requests(self, messages: Sequence[OutgoingMessage]) -> list[ApiRequest]:
        raise NotImplementedError

    def parse_success(self, response: requests.Response, request: ApiRequest) -> list[SendResult]:
        return [SendResult(m.delivery_id, Outcome.SENT) for m in request.messages]

    def parse_client_error(
        self, response: requests.Response, request: ApiRequest
    ) -> list[SendResult] | None:
        """Per-message results for a 4xx, or None for "all of them permanent"."""
        return None

    def retry_after(self, response: requests.Response) -> float | None:
        """How long the API asked us to wait (Retry-After), if it said."""
        return parse_retry_after(response.headers.get("Retry-After"))

    def error_text(self, response: requests.Response) -> str:
        """The API's own error words from a failed response, for the delivery log."""
        return " ".join(response.text.split())[:500]

    #: A GET endpoint that needs the key and sends nothing (for ``verify``).
    verify_path = ""

    def verified(self, response: requests.Response) -> str:
        """What a successful ``verify`` answer says, in a few words."""
        return f"{response.status_code} OK"

    def verify(self) -> str:
        """Check reachability and the key with a request that sends nothing.

        Used by ``mailer backend check``; raises BackendError as ``send`` would.
        """
        self.open()
        assert self.session is not None
        url = self.config.base_url + self.verify_path
        try:
            response = self.session.get(url, timeout=(min(self.config.timeout, 10.0), 30.0))
        except requests.RequestException as exc:
            raise BackendError(
                f"cannot reach the {self.name} API at {self.config.base_url}: {exc}",
                transient=True,
            ) from None
        detail = f"{response.status_code} {self.error_text(response)}".strip()
        if response.status_code in (401, 403):
            raise BackendError(
                f"the {self.name} API refused the key or its rights: {detail}; "
                "check the key in the backend URL and its permissions"
            )
        if not response.ok:
            raise BackendError(f"the {self.name} API answered {detail}")
        return self.verified(response)

    # the sequence ---------------------------------------------------------------
    def open(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.config.concurrency, thread_name_prefix=f"{self.name.lower()}-api"
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.open()
        assert self._pool is not None
        requests_ = self.build_requests(messages)
        outcomes = list(self._pool.map(self._post_or_error, requests_))
        results: list[SendResult] = []
        accepted = any(
            r.outcome is Outcome.SENT for o in outcomes if isinstance(o, list) for r in o
        )
        for request, outcome in zip(requests_, outcomes, strict=True):
            if isinstance(outcome, list):
                results.extend(outcome)
            elif not accepted:
                raise outcome  # nothing of the batch was accepted: the backend as a whole
            else:
                results.extend(self._all(request, Outcome.TRANSIENT, str(outcome)))
        order = {m.delivery_id: i for i, m in enumerate(messages)}
        results.sort(key=lambda r: order.get(r.delivery_id, len(order)))
        return results

    def _post_or_error(self, request: ApiRequest) -> list[SendResult] | BackendError:
        """One request on a pool thread; a whole-backend error is returned, not raised."""
        try:
            return self._post(request, accepted_before=False)
        except BackendError as exc:
            return exc

    @staticmethod
    def _all(
        request: ApiRequest, outcome: Outcome, detail: str, retry_after: float | None = None
    ) -> list[SendResult]:
        return [
            SendResult(m.delivery_id, outcome, detail, retry_after=retry_after)
            for m in request.messages
        ]

    def _post(self, request: ApiRequest, *, accepted_before: bool) -> list[SendResult]:
        assert self.session is not None
        request.accepted_before = accepted_before
        url = self.config.base_url + request.path
        timeout = self.config.timeout
        try:
            response = self.session.post(
                url, timeout=(min(timeout, 10.0), timeout), **request.kwargs
            )
        except requests.ConnectTimeout as exc:
            return self._unreachable(
                request, accepted_before, f"no connection within {timeout:g} s: {exc}"
            )
        except requests.Timeout:
            return self._all(
                request,
                Outcome.TRANSIENT,
                f"{self.name} did not answer within {timeout:g} s "
                "(it may have accepted the message)",
            )
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                return self._unreachable(request, accepted_before, str(exc))
            return self._all(  # connected, then dropped: like a timeout, try later
                request, Outcome.TRANSIENT, f"{self.name} dropped the connection: {exc}"
            )
        status = response.status_code
        if 200 <= status < 300:
            try:
                return self.parse_success(response, request)
            except AuthRefused as exc:
                return self._auth_refused(request, accepted_before, str(exc))
        detail = f"{status} {self.error_text(response)}".strip()
        retry_after = self.retry_after(response)
        if status == 429 or status >= 500:
            return self._all(request, Outcome.TRANSIENT, detail, retry_after=retry_after)
        if status in (401, 403):
            return self._auth_refused(request, accepted_before, detail)
        try:
            per_message = self.parse_client_error(response, request)
        except AuthRefused as exc:
            return self._auth_refused(request, accepted_before, str(exc))
        if per_message is not None:
            return per_message
        return self._all(request, Outcome.PERMANENT, detail)

    def _unreachable(
        self, request: ApiRequest, accepted_before: bool, why: str
    ) -> list[SendResult]:
        message = f"cannot reach the {self.name} API at {self.config.base_url}: {why}"
        if not accepted_before:
            raise BackendError(message, transient=True)
        return self._all(request, Outcome.TRANSIENT, message)

    def _auth_refused(
        self, request: ApiRequest, accepted_before: bool, detail: str
    ) -> list[SendResult]:
        message = (
            f"the {self.name} API refused the key or its rights: {detail}; "
            "check the key in the backend URL and its permissions"
        )
        if not accepted_before:
            raise BackendError(message)
        return self._all(request, Outcome.TRANSIENT, message)


def split_address(value: str) -> tuple[str, str]:
    """(display name, address) from a header value, the name decoded from RFC 2047.

    The builder writes From with ``formataddr``, which encodes non-ASCII names
    (``=?utf-8?q?...?=``); JSON APIs take the name as plain UTF-8 instead.
    """
    name, address = email.utils.parseaddr(value)
    if "=?" in name:
        name = str(email.header.make_header(email.header.decode_header(name)))
    return name, address


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when no connection was made (refused, no route, DNS), not a drop mid-request."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def api_headers(message: OutgoingMessage) -> dict[str, str]:
    """The message's extra headers that an API accepts as custom headers."""
    return {k: v for k, v in message.headers.items() if k.lower() not in STRUCTURED_HEADERS}
