"""Fetching one source over HTTP, bounded in size, redirects and total time.

requests' ``timeout`` bounds each socket operation, not the request: a server
that sends one byte every two seconds never trips a 20 s read timeout and can
hold ``mailer content ingest`` for as long as it likes. So every fetch also has
a total deadline (``MAILER_FETCH_DEADLINE``): a watchdog timer shuts down the
sockets of the fetch in progress when it passes, which wakes a blocked read at
once, and the fetch fails with a message saying so. The sockets are known
because :func:`fetch_session` mounts an adapter whose connection pools record
every connection they open.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from mailer.config import Settings
from mailer.content.models import SourceKind

NEWS_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    "application/json",
)
EVENT_TYPES = ("text/calendar", "application/ics", "text/x-calendar")
# Servers often say nothing useful; these do not disqualify a document.
NEUTRAL_TYPES = ("", "text/plain", "application/octet-stream")
PERMANENT_REDIRECTS = (301, 308)


@dataclass(frozen=True)
class FetchOptions:
    timeout: float = 20.0  # each connect and each read
    deadline: float = 60.0  # the whole fetch of one source, redirects included
    max_bytes: int = 5 * 1024 * 1024
    max_items: int = 500
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchOptions:
        return cls(deadline=settings.fetch_deadline)


class FetchError(Exception):
    """The source could not be fetched; the message is what the admin sees."""


@dataclass(frozen=True)
class Fetched:
    body: bytes
    url: str
    content_type: str
    etag: str
    last_modified: str
    # Where the source now lives when it answered with a permanent redirect (301/308).
    moved_to: str = ""


class _WatchedAdapter(HTTPAdapter):
    """An adapter that can cut every connection it opened (the deadline's lever)."""

    def __init__(self) -> None:
        # The sockets themselves: http.client lets go of a connection's socket when
        # the response says "Connection: close", while the body is still being read.
        self.sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        opened = self.sockets

        class Conn(HTTPConnection):
            def _new_conn(self) -> socket.socket:
                sock = super()._new_conn()
                opened.add(sock)
                return sock

        class TLSConn(HTTPSConnection):
            def _new_conn(self) -> socket.socket:
                sock = super()._new_conn()
                opened.add(sock)  # so a handshake that drips can be cut too
                return sock

            def connect(self) -> None:
                super().connect()
                opened.add(self.sock)  # the TLS socket replaces the plain one

        class Pool(HTTPConnectionPool):
            ConnectionCls = Conn

        class TLSPool(HTTPSConnectionPool):
            ConnectionCls = TLSConn

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}

    def cut(self) -> None:
        """Shut down every socket (a blocked read returns at once); pools reconnect later."""
        for sock in list(self.sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def fetch_session() -> requests.Session:
    """A requests session whose fetches the deadline can interrupt."""
    http = requests.Session()
    adapter = _WatchedAdapter()
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def user_agent(settings: Settings) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("odei-mailer")
    except PackageNotFoundError:
        ver = "dev"
    return (
        f"odei-mailer/{ver} (feed reader of the {settings.org_short_name} newsletter; "
        f"+{settings.base_url})"
    )


def fetch(
    url: str,
    *,
    etag: str,
    last_modified: str,
    settings: Settings,
    options: FetchOptions,
    http: requests.Session | None = None,
    kind: str = SourceKind.NEWS,
) -> Fetched | None:
    """GET ``url`` within ``options.deadline``; ``None`` means 304 Not Modified."""
    if http is None:
        with fetch_session() as own:
            return fetch(
                url,
                etag=etag,
                last_modified=last_modified,
                settings=settings,
                options=options,
                http=own,
                kind=kind,
            )
    wanted = NEWS_TYPES if kind == SourceKind.NEWS else EVENT_TYPES
    headers = {"User-Agent": user_agent(settings), "Accept": ", ".join(wanted) + ", */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    http.max_redirects = options.max_redirects
    adapter = http.get_adapter(url)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        if isinstance(adapter, _WatchedAdapter):
            adapter.cut()

    watchdog = threading.Timer(options.deadline, expire)
    watchdog.daemon = True
    ends = time.monotonic() + options.deadline
    late = f"took longer than the {options.deadline:g} s deadline fetching {url}"
    watchdog.start()
    try:
        timeout = min(options.timeout, options.deadline)
        with http.get(url, headers=headers, timeout=timeout, stream=True) as resp:
            if resp.status_code == 304:
                return None
            if resp.status_code >= 400:
                raise FetchError(f"HTTP {resp.status_code} {resp.reason} from {resp.url}")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > options.max_bytes:
                raise FetchError(_too_big(int(declared), options.max_bytes))
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_content(64 * 1024):
                if expired.is_set() or time.monotonic() > ends:
                    raise FetchError(late)
                size += len(chunk)
                if size > options.max_bytes:
                    raise FetchError(_too_big(size, options.max_bytes))
                chunks.append(chunk)
            if expired.is_set():  # the cut socket looked like the end of the body
                raise FetchError(late)
            content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return Fetched(
                body=b"".join(chunks),
                url=resp.url,
                content_type=content_type,
                etag=resp.headers.get("ETag", ""),
                last_modified=resp.headers.get("Last-Modified", ""),
                moved_to=_permanent_location(url, resp),
            )
    except requests.TooManyRedirects:
        raise FetchError(f"more than {options.max_redirects} redirects from {url}") from None
    except requests.RequestException as exc:
        if expired.is_set():
            raise FetchError(late) from None
        if isinstance(exc, requests.Timeout):
            raise FetchError(f"timed out after {options.timeout:g} s fetching {url}") from None
        raise FetchError(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}") from None
    finally:
        watchdog.cancel()


def _permanent_location(url: str, resp: requests.Response) -> str:
    """The new address if the chain of redirects began with permanent ones, else ""."""
    hops = [*resp.history, resp]
    moved = url
    for hop, following in itertools.pairwise(hops):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        moved = following.url
    return "" if moved == url else moved


def _too_big(size: int, cap: int) -> str:
    return f"response is larger than the {cap // 1024} KiB cap (at least {size // 1024} KiB)"


def check_type(kind: str, content_type: str) -> None:
    """Refuse an HTML page or an image where a feed was expected (a common wrong URL)."""
    allowed = NEWS_TYPES if kind == SourceKind.NEWS else EVENT_TYPES
    if content_type in allowed or content_type in NEUTRAL_TYPES:
        return
    what = "an RSS, Atom or JSON feed" if kind == SourceKind.NEWS else "an iCalendar file"
    raise FetchError(
        f"content type {content_type!r} is not {what}; check the URL points at the feed itself"
    )
