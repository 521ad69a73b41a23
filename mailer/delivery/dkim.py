"""DKIM signing: dkimpy's rules, OpenSSL's arithmetic (relaxed/relaxed, an explicit header list).

Why an explicit list: dkimpy's default set leaves out List-Unsubscribe-Post
and Feedback-ID, and RFC 8058 requires List-Unsubscribe and
List-Unsubscribe-Post to be covered by a valid DKIM signature before Gmail and
Yahoo offer one-click unsubscribe. So we list what we sign, and only the
headers the message actually has (listing an absent header would "oversign"
it, which is what we do on purpose for From only: nobody can add a second
From after signing without breaking the signature).

Why relaxed/relaxed: relays re-fold headers and trim trailing spaces; simple
canonicalisation breaks on that, relaxed does not.

Why not ``dkim.sign``: dkimpy does RSA in pure Python (about 6 ms per
2048-bit signature), so with DKIM on, signing rather than SMTP bounded a
worker. Here dkimpy still parses the header, canonicalises and hashes the
header fields and folds the DKIM-Signature exactly as ``dkim.sign`` does
(``rfc822_parse``, ``Relaxed.canonicalize_headers``, ``hash_headers``,
``fold``), while the signature itself is made by OpenSSL through
``cryptography``. The relaxed body rule is dkimpy's, restated in
``relaxed_body`` so that it touches only the whitespace it changes (dkimpy's
version rewrites every single space, which cost as much as the RSA);
tests/test_dkim.py pins it byte for byte to dkimpy's and dkimpy verifies
every signature the tests make.

Keys: RSA of at least 2048 bits (1024-bit keys are no longer accepted by the
large receivers), refused when the signer is made, not when the first
message goes out. Optionally an Ed25519 key as well (RFC 8463): each message
then carries two signatures, RSA first, and receivers that know Ed25519 may
use either.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils
from dkim.canonicalization import CanonicalizationPolicy, correct_empty_body, strip_trailing_lines

from mailer.config import Settings

# Signed when present, in this order (RFC 6376 section 5.4.1 and RFC 8058).
SIGNED_HEADERS = (
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Post",
    "List-Help",
    "List-Archive",
    "Feedback-ID",
    "Precedence",
    "Auto-Submitted",
)
OVERSIGNED = ("From",)
MIN_KEY_BITS = 2048
RELAXED = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
SIGNATURE_HEADER = b"DKIM-Signature"
_SIGNED = [h.lower().encode() for h in SIGNED_HEADERS]
_OVERSIGNED = [h.lower().encode() for h in OVERSIGNED]
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")


class DkimError(ValueError):
    """The DKIM settings or key cannot be used; the message says which and what to do."""


def relaxed_body(body: bytes) -> bytes:
    """dkimpy's relaxed body canonicalisation (RFC 6376 3.4.4), same bytes, less work.

    dkimpy's ``Relaxed.canonicalize_body`` strips WSP before each CRLF, then
    replaces every run of WSP by one space (a regex match per space in the
    message: milliseconds for a 100 KB digest), then drops trailing empty
    lines. Here the same result comes from byte replacements, which run at
    memory speed: tabs become spaces, runs of spaces halve until none is
    left, and the one space a run leaves before a CRLF goes.
    """
    if b"\t" in body:
        body = body.replace(b"\t", b" ")
    while b"  " in body:
        body = body.replace(b"  ", b" ")
    if b" \r\n" in body:
        body = body.replace(b" \r\n", b"\r\n")
    return correct_empty_body(strip_trailing_lines(body))


def split_message(raw: bytes) -> tuple[list[list[bytes]], bytes]:
    """(header fields, body with CRLF line ends), as ``dkim.rfc822_parse`` returns them.

    dkimpy's parser splits the whole message into lines; only the header
    needs that, so the body is cut off first and its line ends made CRLF the
    way dkimpy's join would.
    """
    end = raw.find(b"\r\n\r\n")  # our messages: CRLF throughout, found at memory speed
    if end >= 0 and b"\n\n" not in raw[:end] and b"\n\r\n" not in raw[:end]:
        start, end = end, end + 4
    else:  # bare LFs somewhere in the header: the general rule
        match = _BLANK_LINE.search(raw)
        if match is None:
            return dkim.rfc822_parse(raw)
        start, end = match.start(), match.end()
    headers, _ = dkim.rfc822_parse(raw[:start] + b"\r\n\r\n")
    body = raw[end:]
    if body.count(b"\n") != body.count(b"\r\n"):  # a bare LF: make every line end CRLF
        body = _LINE_END.sub(b"\r\n", body)
    return headers, body


@dataclass(frozen=True)
class _Key:
    """One signing key: its DKIM algorithm name, selector and OpenSSL key object."""

    algorithm: bytes
    selector: bytes
    private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

    def sign(self, digest: bytes) -> bytes:
        if isinstance(self.private, rsa.RSAPrivateKey):
            return self.private.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        # RFC 8463: Ed25519 signs the SHA-256 hash of the canonical header fields.
        return self.private.sign(digest)


def _load_rsa(pem: bytes) -> rsa.RSAPrivateKey:
    hint = "make one with: openssl genrsa -out dkim.pem 2048"
    try:
        key = serialization.load_pem_private_key(pem.replace(b"\r\n", b"\n"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = str(exc).split("\n", 1)[0]
        raise DkimError(
            f"the DKIM private key is not an RSA key in PEM form ({reason}); {hint}"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DkimError(f"the DKIM private key is not an RSA key in PEM form; {hint}")
    if key.key_size < MIN_KEY_BITS:
        raise DkimError(
            f"the DKIM key has {key.key_size} bits; use at least {MIN_KEY_BITS} "
            "(openssl genrsa -out dkim.pem 2048) and publish its public half"
        )
    return key


def _load_ed25519(data: bytes) -> ed25519.Ed25519PrivateKey:
    """A PEM key (``openssl genpkey -algorithm ed25519``) or dknewkey's base64 seed."""
    hint = "make one with: openssl genpkey -algorithm ed25519 -out dkim-ed25519.pem"
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(text.replace(b"\r\n", b"\n"), password=None)
        else:
            key = ed25519.Ed25519PrivateKey.from_private_bytes(
                base64.b64decode(text, validate=True)
            )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = str(exc).split("\n", 1)[0]
        raise DkimError(f"the DKIM Ed25519 key cannot be read ({reason}); {hint}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise DkimError(f"the DKIM Ed25519 key is not an Ed25519 key; {hint}")
    return key


def public_record(private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    """The DNS TXT record that publishes ``private``'s public half (RFC 6376, RFC 8463)."""
    public = private.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return b"v=DKIM1; k=ed25519; p=" + base64.b64encode(raw)
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def _read(path_text: str, setting: str) -> bytes:
    path = Path(path_text)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DkimError(f"{setting} {str(path)!r} cannot be read: {exc.strerror}") from None


def _present(headers: list[list[bytes]]) -> list[bytes]:
    """The names of SIGNED_HEADERS among these parsed fields, and the oversigned ones."""
    present = {field[0].strip().lower() for field in headers}
    return [h for h in _SIGNED if h in present] + _OVERSIGNED


class DkimSigner:
    """Signs finished messages for one domain: RSA, and Ed25519 beside it when given."""

    def __init__(
        self,
        domain: str,
        selector: str,
        private_key_pem: bytes | str,
        *,
        ed25519_selector: str = "",
        ed25519_key: bytes | str = b"",
    ) -> None:
        if not domain or not selector:
            raise DkimError("DKIM needs both a domain (dkim_domain) and a selector (dkim_selector)")
        if bool(ed25519_selector) != bool(ed25519_key):
            raise DkimError(
                "Ed25519 DKIM needs both dkim_ed25519_selector and dkim_ed25519_key_path"
            )
        pem = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
        self.domain = domain.encode("idna")
        self.keys = [_Key(b"rsa-sha256", selector.encode("ascii"), _load_rsa(pem))]
        if ed25519_key:
            seed = ed25519_key.encode() if isinstance(ed25519_key, str) else ed25519_key
            self.keys.append(
                _Key(b"ed25519-sha256", ed25519_selector.encode("ascii"), _load_ed25519(seed))
            )
        self.selector = self.keys[0].selector

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimSigner | None:
        """The signer the settings describe, or None when DKIM is not configured."""
        if not settings.dkim_domain:
            return None
        pem = _read(settings.dkim_private_key_path, "dkim_private_key_path")
        ed_key = b""
        if settings.dkim_ed25519_key_path:
            ed_key = _read(settings.dkim_ed25519_key_path, "dkim_ed25519_key_path")
        return cls(
            settings.dkim_domain,
            settings.dkim_selector,
            pem,
            ed25519_selector=settings.dkim_ed25519_selector,
            ed25519_key=ed_key,
        )

    def headers_to_sign(self, raw: bytes) -> list[bytes]:
        """The names of SIGNED_HEADERS present in ``raw`` (plus the oversigned ones)."""
        return _present(split_message(raw)[0])

    def sign(self, raw: bytes) -> bytes:
        """``raw`` with its DKIM-Signature header(s) prepended (CRLF line endings kept)."""
        headers, body = split_message(raw)
        canonical = RELAXED.canonicalize_headers(headers)
        include = _present(headers)
        bodyhash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest())
        now = str(int(time.time())).encode("ascii")
        return (
            b"".join(self._signature(k, canonical, include, bodyhash, now) for k in self.keys) + raw
        )

    def _signature(
        self,
        key: _Key,
        canonical: list[tuple[bytes, bytes]],
        include: list[bytes],
        bodyhash: bytes,
        now: bytes,
    ) -> bytes:
        """One DKIM-Signature field, made as dkimpy's ``DomainSigner.gen_header`` makes it."""
        fields = [
            (b"v", b"1"),
            (b"a", key.algorithm),
            (b"c", b"relaxed/relaxed"),
            (b"d", self.domain),
            (b"i", b"@" + self.domain),
            (b"q", b"dns/txt"),
            (b"s", key.selector),
            (b"t", now),
            (b"h", b" : ".join(include)),
            (b"bh", bodyhash),
            (b"b", b"0" * 60),  # forces b= onto a line of its own, as dkimpy does
        ]
        namelen = len(SIGNATURE_HEADER)
        value = dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=namelen)
        value = dkim.RE_BTAG.sub(rb"\1", value)
        hasher = hashlib.sha256()
        dkim.hash_headers(
            hasher, RELAXED, canonical, include, (SIGNATURE_HEADER, b" " + value), None
        )
        fields[-1] = (b"b", base64.b64encode(key.sign(hasher.digest())))
        value = b"; ".join(b"=".join(f) for f in fields) + b"\r\n"
        return SIGNATURE_HEADER + b": " + dkim.fold(value, namelen=namelen, linesep=b"\r\n")
