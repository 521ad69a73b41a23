"""The SMTP backend's URL: ``smtp://``, ``smtp+starttls://`` or ``smtps://`` plus options.

Kept apart from the transport so ``mailer config check`` and the CLI can
validate a URL without opening a connection; every error names the bad part
of the URL (with the password masked) and what would be right.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from mailer.config import Settings
from mailer.delivery.backends.base import BackendError

DEFAULT_PORTS = {"plain": 25, "starttls": 587, "tls": 465}
QUERY_KEYS = {"starttls", "connections", "timeout", "verify", "helo"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "plain", "starttls" or "tls" (implicit)
    username: str = ""
    password: str = ""
    connections: int = 1
    timeout: float = 30.0
    verify: bool = True
    helo: str | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def _flag(url: str, key: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise BackendError(f"backend URL {_redact(url)}: {key}={value!r} should be 1 or 0")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def parse_smtp_url(url: str, settings: Settings) -> SmtpConfig:
    """Read an ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URL; errors name the bad part."""
    parts = urlsplit(url)
    shown = _redact(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(query) - QUERY_KEYS
    if unknown:
        raise BackendError(
            f"backend URL {shown}: unknown option(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(QUERY_KEYS))})"
        )
    if parts.scheme == "smtps":
        security = "tls"
    elif parts.scheme == "smtp+starttls":
        security = "starttls"
    elif parts.scheme == "smtp":
        security = "starttls" if _flag(url, "starttls", query.get("starttls", "0")) else "plain"
    else:
        raise BackendError(f"backend URL {shown}: scheme should be smtp, smtp+starttls or smtps")
    if not parts.hostname:
        raise BackendError(f"backend URL {shown}: no host, e.g. smtp://mail.example.org:587")
    try:
        port = parts.port or DEFAULT_PORTS[security]
        connections = int(query.get("connections", settings.smtp_connections))
        timeout = float(query.get("timeout", settings.smtp_timeout))
    except ValueError as exc:
        raise BackendError(f"backend URL {shown}: {exc}") from None
    if not 1 <= connections <= 64:
        raise BackendError(f"backend URL {shown}: connections should be 1 to 64")
    if timeout <= 0:
        raise BackendError(f"backend URL {shown}: timeout should be a positive number of seconds")
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        connections=connections,
        timeout=timeout,
        verify=_flag(url, "verify", query.get("verify", "1")),
        helo=query.get("helo") or None,
    )
