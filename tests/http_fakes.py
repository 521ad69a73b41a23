"""Local HTTP servers that speak SendGrid's, Mailgun's and Postmark's sending APIs.

Each fake checks what the real API checks for our use (path, authentication,
batch limits, request shape), answers in the provider's documented format
(success bodies, error bodies, per-message results) and records every
request. Tests script failures on cue::

    api.then(Reply(429, {...}, {"Retry-After": "3"}))  # the next request gets this
    api.then(Slow(2.0))                                 # the next request waits 2 s first
    api.then(HangUp())                                  # the next request gets no answer
    api.invalid.add("bad@example.org")                  # the provider rejects this address

Once the script is used up the fake behaves like the provider. They listen
on 127.0.0.1, port 0; ``api.url`` is the base URL for ``?base_url=``.

``api.latency = 0.1`` makes every answer wait 100 ms, as a real API that far
away would (requests in flight together wait together: the server has a
thread per connection). ``api.delivered`` holds each message as the
provider would deliver it to its one reader, substitutions applied (the
anymail trap tests read it); ``api.keep = False`` keeps only counts, for
benchmarks.
"""

from __future__ import annotations

import email.message
import email.policy
import json
import re
import socket
import threading
import time
import uuid
from base64 import b64decode
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able, or str/bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Slow:
    seconds: float


class HangUp:
    """Close the connection without answering."""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, bytes]:
        """A multipart/form-data body as {field name: bytes} (the last of repeated fields)."""
        return dict(self.form_items())

    def form_items(self) -> list[tuple[str, bytes]]:
        """A multipart/form-data body as (field name, bytes) pairs, split byte-exactly by hand."""
        ctype = email.message.Message()
        ctype["Content-Type"] = self.headers["content-type"]
        boundary = str(ctype.get_param("boundary")).encode()
        fields = []
        for chunk in self.body.split(b"--" + boundary)[1:-1]:
            head, _, value = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
            disposition = email.message.Message()
            for line in head.decode().split("\r\n"):
                name, _, header_value = line.partition(":")
                disposition[name.strip()] = header_value.strip()
            name = str(disposition.get_param("name", header="content-disposition"))
            fields.append((name, value.removesuffix(b"\r\n")))
        return fields


class FakeApi:
    """The shared machinery; subclasses implement ``behave`` like their provider."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.script: deque[Reply | Slow | HangUp] = deque()
        self.requests: list[Recorded] = []
        self.invalid: set[str] = set()
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.latency = 0.0
        self.keep = True
        self.delivered: list[dict[str, Any]] = []
        self.accepted_count = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def count_only(self, messages: int) -> bool:
        """Without ``keep`` (benchmarks), count accepted messages and model nothing more."""
        if self.keep:
            return False
        with self.lock:
            self.accepted_count += messages
        return True

    def deliver(
        self,
        to: list[str],
        subject: str,
        headers: dict[str, str],
        text: str,
        html: str,
        **extra: Any,
    ) -> None:
        """Record one message as the provider would hand it to its reader(s)."""
        with self.lock:
            self.accepted_count += 1
            if self.keep:
                entry = {"to": to, "subject": subject, "headers": headers, "text": text}
                self.delivered.append({**entry, "html": html, **extra})

    def then(self, *steps: Reply | Slow | HangUp) -> None:
        self.script.extend(steps)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def behave(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def behave_get(self, request: Recorded) -> Reply:
        """Read-only endpoints (key checks); none unless a provider has them."""
        return Reply(404, {"message": "not found"})

    def answer(self, request: Recorded) -> Reply | HangUp:
        with self.lock:
            # Without keep, only the request line is kept (the count matters, not the body).
            self.requests.append(
                request if self.keep else Recorded(request.method, request.path, {}, b"")
            )
            step = self.script.popleft() if self.script else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if isinstance(step, Slow):
                time.sleep(step.seconds)
                step = None
            if step:
                return step
            return self.behave_get(request) if request.method == "GET" else self.behave(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def start(self) -> FakeApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = fake.answer(Recorded(self.command, self.path, headers, body))
                if isinstance(reply, HangUp):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = reply.body
                if data is None:
                    data = b""
                elif not isinstance(data, str | bytes):
                    data = json.dumps(data)
                    reply.headers.setdefault("Content-Type", "application/json")
                raw = data.encode() if isinstance(data, str) else data
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FakeSendGrid(FakeApi):
    """v3 Mail Send: Bearer key, 1..1000 personalizations, 202 with X-Message-Id."""

    def __init__(self, key: str = "SG.test-key") -> None:
        super().__init__(key)
        self.accepted: list[dict[str, Any]] = []  # one entry per personalization
        self.scopes = ["mail.send", "user.profile.read"]

    def behave_get(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return self.error(401, "authorization required")
        if request.path == "/v3/scopes":
            return Reply(200, {"scopes": self.scopes})
        return self.error(404, "not found")

    @staticmethod
    def error(status: int, message: str, field: str | None = None) -> Reply:
        return Reply(status, {"errors": [{"message": message, "field": field, "help": None}]})

    def behave(self, request: Recorded) -> Reply:
        if request.path != "/v3/mail/send":
            return self.error(404, "not found")
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return self.error(
                401, "The provided authorization grant is invalid, expired, or revoked"
            )
        body = request.json
        people = body.get("personalizations") or []
        if not 1 <= len(people) <= 1000:
            return self.error(
                400, "The personalizations field must have 1 to 1000 items.", "personalizations"
            )
        if not body.get("from", {}).get("email"):
            return self.error(400, "The from email does not contain a valid address.", "from")
        if not body.get("content"):
            return self.error(400, "Unless a valid template_id is provided, ...", "content")
        errors = []
        for i, person in enumerate(people):
            if len(person.get("to") or []) != 1:
                errors.append(
                    {"message": "one recipient expected", "field": f"personalizations.{i}.to"}
                )
            elif person["to"][0]["email"] in self.invalid:
                errors.append(
                    {
                        "message": "Does not contain a valid address.",
                        "field": f"personalizations.{i}.to.0.email",
                        "help": "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html",
                    }
                )
        if errors:
            return Reply(400, {"errors": errors})
        parts = {c["type"]: c["value"] for c in body["content"]}
        for person in people:
            subs = person.get("substitutions") or {}
            if sum(len(k) + len(v) for k, v in subs.items()) > 10_000:
                return self.error(
                    400,
                    "The total size of substitutions may not exceed 10,000 bytes per "
                    "personalization object.",
                    "personalizations.substitutions",
                )

        if self.count_only(len(people)):
            return Reply(202, None, {"X-Message-Id": uuid.uuid4().hex[:22]})

        def apply(value: str, subs: dict[str, str]) -> str:
            # SendGrid replaces each tag with this personalization's value, in one pass.
            if not subs:
                return value
            pattern = re.compile("|".join(re.escape(k) for k in sorted(subs, key=len)[::-1]))
            return pattern.sub(lambda m: subs[m.group(0)], value)

        for person in people:
            subs = person.get("substitutions") or {}
            with self.lock:
                if self.keep:
                    self.accepted.append(
                        {**person, "content": body["content"], "from": body["from"]}
                    )
            self.deliver(
                [t["email"] for t in person["to"]],
                apply(person.get("subject") or body.get("subject", ""), subs),
                {k: apply(v, subs) for k, v in (person.get("headers") or {}).items()},
                apply(parts.get("text/plain", ""), subs),
                apply(parts.get("text/html", ""), subs),
                metadata=person.get("custom_args") or {},
            )
        return Reply(202, None, {"X-Message-Id": uuid.uuid4().hex[:22]})


class FakeMailgun(FakeApi):
    """Messages API, MIME form: basic auth api:KEY, ``to`` + ``message`` fields."""

    def __init__(self, key: str = "key-test", domain: str = "mg.example.org") -> None:
        super().__init__(key)
        self.domain = domain
        self.state = "active"
        self.accepted: list[dict[str, bytes]] = []

    def _authorised(self, request: Recorded) -> bool:
        auth = request.headers.get("authorization", "")
        return auth.startswith("Basic ") and b64decode(auth[6:]).decode() == f"api:{self.key}"

    def behave_get(self, request: Recorded) -> Reply:
        if not self._authorised(request):
            return Reply(401, "Forbidden", {"Content-Type": "text/plain"})
        if request.path == f"/v3/domains/{self.domain}":
            return Reply(200, {"domain": {"name": self.domain, "state": self.state}})
        return Reply(404, {"message": "Domain not found"})

    def behave(self, request: Recorded) -> Reply:
        if not self._authorised(request):
            return Reply(401, "Forbidden", {"Content-Type": "text/plain"})
        if request.path == f"/v3/{self.domain}/messages":
            return self.batch(request)
        if request.path != f"/v3/{self.domain}/messages.mime":
            return Reply(404, {"message": f"Domain not found: {request.path.split('/')[2]}"})
        form = request.form()
        if "to" not in form or "message" not in form:
            return Reply(400, {"message": "'to' and 'message' parameters are missing"})
        if form["to"].decode() in self.invalid:
            return Reply(
                400, {"message": "to parameter is not a valid address. please check documentation"}
            )
        with self.lock:
            if self.keep:
                self.accepted.append(form)
        parsed = email.message_from_bytes(form["message"], policy=email.policy.default)
        text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
        self.deliver(
            [form["to"].decode()],
            str(parsed["Subject"]),
            {k: str(v) for k, v in parsed.items()},
            text.get_content() if text else "",
            html.get_content() if html else "",
            metadata={"delivery_id": form.get("v:delivery_id", b"").decode()},
        )
        return Reply(
            200, {"id": f"<{uuid.uuid4().hex}@{self.domain}>", "message": "Queued. Thank you."}
        )

    def batch(self, request: Recorded) -> Reply:
        """``/messages``: one message per ``to``, %recipient.x% filled from recipient-variables.

        Without recipient-variables Mailgun sends one message to all: every
        reader sees every address in To (the batch trap), as modelled here.
        """
        items = [(k, v.decode()) for k, v in request.form_items()]
        form = dict(items)
        to = [v for k, v in items if k == "to"]
        if not to or "from" not in form:
            return Reply(400, {"message": "'from' parameter is missing"})
        if len(to) > 1000:
            return Reply(400, {"message": "Too many recipients (max 1000)"})
        if any(address in self.invalid for address in to):
            return Reply(
                400, {"message": "to parameter is not a valid address. please check documentation"}
            )
        if self.count_only(len(to)):
            return Reply(
                200, {"id": f"<{uuid.uuid4().hex}@{self.domain}>", "message": "Queued. Thank you."}
            )
        variables = (
            json.loads(form["recipient-variables"]) if "recipient-variables" in form else None
        )
        for address in to:
            own = (variables or {}).get(address, {})

            def fill(value: str, own: dict[str, str] = own) -> str:
                return re.sub(
                    r"%recipient\.([^%]+)%",
                    lambda m: str(own[m.group(1)]) if m.group(1) in own else m.group(0),
                    value,
                )

            headers = {k[2:]: fill(v) for k, v in items if k.startswith("h:")}
            headers["To"] = address if variables is not None else ", ".join(to)
            self.deliver(
                [address],
                fill(form.get("subject", "")),
                headers,
                fill(form.get("text", "")),
                fill(form.get("html", "")),
                metadata={k[2:]: fill(v) for k, v in items if k.startswith("v:")},
            )
        with self.lock:
            if self.keep:
                self.accepted.append({k: v.encode() for k, v in items})
        return Reply(
            200, {"id": f"<{uuid.uuid4().hex}@{self.domain}>", "message": "Queued. Thank you."}
        )


class FakePostmark(FakeApi):
    """Batch API: X-Postmark-Server-Token, up to 500 messages, per-message ErrorCode."""

    def __init__(self, key: str = "00000000-test-token") -> None:
        super().__init__(key)
        self.inactive: set[str] = set()
        self.accepted: list[dict[str, Any]] = []

    def behave_get(self, request: Recorded) -> Reply:
        if request.headers.get("x-postmark-server-token") != self.key:
            return Reply(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
        if request.path == "/server":
            return Reply(200, {"ID": 1, "Name": "ODEI newsletters"})
        return Reply(404, {"ErrorCode": 404, "Message": "Not found"})

    def behave(self, request: Recorded) -> Reply:
        if request.headers.get("x-postmark-server-token") != self.key:
            return Reply(
                401,
                {
                    "ErrorCode": 10,
                    "Message": "The Server Token you provided in the X-Postmark-Server-Token "
                    "request header was invalid.",
                },
            )
        if request.path != "/email/batch":
            return Reply(404, {"ErrorCode": 404, "Message": "Not found"})
        if not self.keep:
            # Benchmarks: the real server parses on its own machine; this one shares the
            # benchmark's cores, so without keep it counts the messages and accepts them.
            count = request.body.count(b'"MessageStream":')
            self.count_only(count)
            ok = {"ErrorCode": 0, "Message": "OK", "MessageID": str(uuid.uuid4())}
            return Reply(200, [ok] * count)
        body = request.json
        if not isinstance(body, list):
            return Reply(422, {"ErrorCode": 402, "Message": "Received invalid JSON input."})
        if len(body) > 500:
            return Reply(
                422, {"ErrorCode": 410, "Message": "Too many batch messages (maximum 500)."}
            )
        answers = []
        for message in body:
            to = message.get("To", "")
            if to in self.inactive:
                answers.append(
                    {
                        "ErrorCode": 406,
                        "Message": "You tried to send to recipient(s) that have been marked "
                        "as inactive. Found inactive addresses: " + to,
                    }
                )
            elif to in self.invalid or "@" not in to:
                answers.append({"ErrorCode": 300, "Message": f"Invalid 'To' address: '{to}'."})
            else:
                if not self.count_only(1):
                    with self.lock:
                        self.accepted.append(message)
                    self.deliver(
                        [to],
                        message.get("Subject", ""),
                        {h["Name"]: h["Value"] for h in message.get("Headers") or []},
                        message.get("TextBody", ""),
                        message.get("HtmlBody", ""),
                        metadata=message.get("Metadata") or {},
                    )
                answers.append(
                    {
                        "ErrorCode": 0,
                        "Message": "OK",
                        "MessageID": str(uuid.uuid4()),
                        "SubmittedAt": "2026-03-02T10:00:00.0000000-05:00",
                        "To": to,
                    }
                )
        return Reply(200, answers)
