"""A loopback HTTP server that serves feeds the way real publishers do (for content tests).

Routes map a path to a status, headers, body and an optional delay (or a drip of
one byte every few seconds, the slow-loris publisher); ETag and
Last-Modified get a 304 when the client sends them back, as Apache and nginx do.
Every request's headers are recorded so tests can check what we sent.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    etag: str = ""
    last_modified: str = ""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Location for a 301
    # A hostile server: send one byte of the body (or, with drip_headers, of the whole
    # response) every ``drip`` seconds, for ever, until the client hangs up.
    drip: float = 0.0
    drip_headers: bool = False


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.drip:
                    self._drip(route)
                    return
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if (route.etag and inm == route.etag) or (
                    not route.etag and route.last_modified and ims == route.last_modified
                ):
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def _drip(self, route: Route) -> None:
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {route.content_type}\r\n"
                    "Connection: close\r\n\r\n"
                ).encode()
                if not route.drip_headers:
                    self.wfile.write(head)
                    self.wfile.flush()
                    head = b""
                stream = head + route.body
                n = 0
                with contextlib.suppress(OSError):
                    while not server.closing.is_set():
                        byte = stream[n : n + 1] or b" "
                        self.wfile.write(byte)
                        self.wfile.flush()
                        n += 1
                        server.closing.wait(route.drip)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve_file(self, path: str, name: str, content_type: str, **kw: object) -> str:
        self.routes[path] = Route((DATA / name).read_bytes(), content_type, **kw)  # type: ignore[arg-type]
        return self.url(path)

    def close(self) -> None:
        self.closing.set()  # ends any dripping response
        self.httpd.shutdown()
        self.httpd.server_close()
