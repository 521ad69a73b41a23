"""One settings object for the whole mailer.

Values come, lowest priority first, from the defaults below, an optional
``mailer.toml`` (path in ``MAILER_CONFIG``, else ``./mailer.toml``) and
environment variables ``MAILER_<FIELD>``. Secrets (the signing key, backend
passwords inside URLs, DKIM keys) are read from the environment only, so a
config file can be committed or shared without leaking them.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

SECRET_FIELDS = frozenset(
    {"secret_key", "mailgun_webhook_signing_key", "postmark_webhook_password"}
)


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the setting and its source."""


@dataclass(frozen=True)
class Settings:
    # storage and transport
    database_url: str = "sqlite:///mailer.db"
    backend: str = "maildir:./outbox"
    # public identity
    base_url: str = "http://localhost:8000"
    org_name: str = "Office of Diversity, Equity and Inclusion"
    org_short_name: str = "ODEI"
    org_postal_address: str = (
        "Washington University School of Medicine, 660 S. Euclid Ave., St. Louis, MO 63110"
    )
    org_website: str = "https://diversity.wustl.edu"
    brand_color: str = "#a51417"
    brand_text_color: str = "#ffffff"
    logo_url: str = ""
    from_email: str = "odei-news@example.org"
    from_name: str = "WashU Med ODEI"
    reply_to: str = ""
    # envelope and message identity
    bounce_domain: str = "bounces.example.org"
    message_id_domain: str = "mailer.example.org"
    unsubscribe_mailto: str = "unsubscribe@example.org"
    feedback_id_sender: str = "odei"
    # composition
    templates_dir: str = ""
    default_timezone: str = "America/Chicago"
    news_limit: int = 8
    # Events per digest (soonest first); the rest are behind a "N more events" link.
    events_limit: int = 12
    # content: seconds one source may take in all (connect, redirects, every read)
    fetch_deadline: float = 60.0
    greeting_fallback: str = "friend"
    # sending
    batch_size: int = 500
    rate_per_second: float = 0.0
    rate_per_hour: int = 0
    max_attempts: int = 5
    max_consecutive_failures: int = 50
    # first retry after 30-60 s, then doubling (with jitter); a server's Retry-After wins
    retry_base_seconds: float = 30.0
    # a worker is dead once its lease is this old unrenewed; its batch is then resent
    lease_seconds: float = 30.0
    # a delivery whose sending stopped its worker this often is failed, not resent again
    max_crashes: int = 3
    smtp_connections: int = 1
    smtp_timeout: float = 30.0
    # web: how many reverse proxies in front of `mailer web` set X-Forwarded-* headers
    trusted_proxies: int = 0
    # DKIM (optional)
    dkim_domain: str = ""
    dkim_selector: str = ""
    dkim_private_key_path: str = ""
    # a second, Ed25519 signature beside the RSA one (RFC 8463), when both are set
    dkim_ed25519_selector: str = ""
    dkim_ed25519_key_path: str = ""
    # audience
    confirm_token_max_age: int = 7 * 24 * 3600
    soft_bounce_limit: int = 3
    soft_bounce_days: int = 30
    bounce_mailbox: str = ""
    # provider feedback webhooks (/hooks/<provider>); empty = that webhook refuses everything
    sendgrid_webhook_public_key: str = ""
    mailgun_webhook_signing_key: str = field(default="", repr=False)
    postmark_webhook_user: str = ""
    postmark_webhook_password: str = field(default="", repr=False)
    # scheduler (`mailer scheduler`)
    digest_grace_hours: int = 6
    run_workers_in_scheduler: bool = True
    scheduler_reconcile_seconds: int = 60
    scheduler_lock_seconds: int = 30
    # Testing and demos only: fire every list's digest job every N seconds instead of
    # weekly (the ISO-week edition key still allows one edition per list and week).
    scheduler_digest_every_seconds: int = 0
    # secrets (environment only)
    secret_key: str = field(default="", repr=False)
    secret_key_file: str = ".mailer-secret"
    # where values came from, for `mailer config check`
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def signing_key(self) -> str:
        """The key used to sign personal links.

        Taken from MAILER_SECRET_KEY; otherwise a random key is created once in
        ``secret_key_file`` (mode 0600) so that links stay valid across
        processes of one installation, as Django and Mailman do for new sites.
        """
        if self.secret_key:
            return self.secret_key
        path = Path(self.secret_key_file)
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _coerce(name: str, raw: Any, kind: Any, source: str) -> Any:
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"not a boolean: {raw!r}")
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is str:
            if not isinstance(raw, str | int | float):
                raise ValueError(f"expected text, got {type(raw).__name__}")
            return str(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} from {source}: {exc}") from None
    raise ConfigError(f"{name} from {source}: unsupported setting type")


def load_settings(env: dict[str, str] | None = None, config_path: str | None = None) -> Settings:
    """Build the settings from defaults, ``mailer.toml`` and the environment."""
    env = dict(os.environ if env is None else env)
    hints = get_type_hints(Settings)
    known = {f.name for f in fields(Settings) if f.name != "sources"}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    path = Path(config_path or env.get("MAILER_CONFIG") or "mailer.toml")
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        table = data.get("mailer", data)
        for key, raw in table.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            if key in SECRET_FIELDS:
                raise ConfigError(
                    f"{path}: {key} is a secret; "
                    f"set MAILER_{key.upper()} in the environment instead"
                )
            values[key] = _coerce(key, raw, hints[key], str(path))
            sources[key] = str(path)

    for key in known:
        env_name = f"MAILER_{key.upper()}"
        if env_name in env:
            values[key] = _coerce(key, env[env_name], hints[key], env_name)
            sources[key] = env_name
    return Settings(**values, sources=sources)


_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def set_settings(settings: Settings | None) -> None:
    """Install settings for this process (the CLI's --config, tests)."""
    global _current
    _current = settings


def check_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """Problems an operator should know about: (level, setting, message)."""
    problems: list[tuple[str, str, str]] = []
    if not settings.secret_key:
        problems.append(
            (
                "warning",
                "secret_key",
                f"MAILER_SECRET_KEY is not set; links are signed with the key in "
                f"{settings.secret_key_file}. Set it in production so all machines agree.",
            )
        )
    if not settings.base_url.startswith("https://"):
        problems.append(
            (
                "warning",
                "base_url",
                f"{settings.base_url!r} is not https; Gmail and Yahoo require an https "
                "List-Unsubscribe link for bulk mail.",
            )
        )
    if settings.database_url.startswith("sqlite"):
        problems.append(
            ("info", "database_url", "SQLite: fine for one machine; use PostgreSQL to scale out.")
        )
    if settings.backend.startswith("maildir:"):
        problems.append(
            ("info", "backend", "Maildir outbox: messages are written to files, not sent.")
        )
    if bool(settings.dkim_domain) != bool(settings.dkim_selector) or (
        settings.dkim_domain and not settings.dkim_private_key_path
    ):
        problems.append(
            (
                "error",
                "dkim_domain",
                "DKIM needs dkim_domain, dkim_selector and dkim_private_key_path together.",
            )
        )
    if settings.dkim_private_key_path and not Path(settings.dkim_private_key_path).exists():
        problems.append(
            ("error", "dkim_private_key_path", f"{settings.dkim_private_key_path} does not exist.")
        )
    if bool(settings.dkim_ed25519_selector) != bool(settings.dkim_ed25519_key_path) or (
        settings.dkim_ed25519_selector and not settings.dkim_domain
    ):
        problems.append(
            (
                "error",
                "dkim_ed25519_selector",
                "Ed25519 DKIM needs dkim_ed25519_selector and dkim_ed25519_key_path together, "
                "beside the RSA settings (dkim_domain, dkim_selector, dkim_private_key_path).",
            )
        )
    if settings.dkim_ed25519_key_path and not Path(settings.dkim_ed25519_key_path).exists():
        problems.append(
            ("error", "dkim_ed25519_key_path", f"{settings.dkim_ed25519_key_path} does not exist.")
        )
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(settings.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            ("error", "default_timezone", f"unknown time zone {settings.default_timezone!r}")
        )
    if settings.lease_seconds < 1:
        problems.append(
            ("error", "lease_seconds", "must be at least 1 (a heartbeat renews it every third)")
        )
    if settings.max_crashes < 1:
        problems.append(("error", "max_crashes", "must be at least 1"))
    if settings.templates_dir and not Path(settings.templates_dir).is_dir():
        problems.append(("error", "templates_dir", f"{settings.templates_dir} is not a directory"))
    return problems
