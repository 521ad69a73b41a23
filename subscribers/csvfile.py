"""Reading an import CSV (encoding, delimiter, header, what a bad file looks like) and its rejects.

Undecodable bytes are kept as lone surrogates (``surrogateescape``) so that a
line with invalid UTF-8 is rejected with its number while the rest imports.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

from subscribers.csvsafe import SafeWriter

EMAIL_HEADERS = ("email", "e-mail", "email address", "e-mail address", "mail")
NAME_HEADERS = ("name", "full name", "fullname")
# Columns our own export writes that describe the subscription, not the person.
EXPORT_ONLY = {
    "status",
    "source",
    "subscribed_at",
    "confirmed_at",
    "unsubscribed_at",
    # The reader's own choices (subscribers.topics): an import never sets them.
    "topics",
    "mode",
    "choices_changed_at",
    "choices_source",
}


class ImportFailed(ValueError):
    """The file as a whole cannot be imported (no email column, unreadable)."""


def open_text(path: Path) -> tuple[io.BufferedReader, io.TextIOWrapper]:
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    # surrogateescape keeps undecodable bytes as lone surrogates: the row is
    # rejected with its line number instead of the whole file failing.
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    return raw, text


def not_utf8(fields: list[str]) -> bool:
    joined = "\x00".join(fields)
    if joined.isascii():
        return False
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def column_map(header: list[str]) -> tuple[int, int | None, list[tuple[int, str]]]:
    names = [h.strip().lower() for h in header]
    email_at = next((i for i, n in enumerate(names) if n in EMAIL_HEADERS), None)
    if email_at is None:
        raise ImportFailed(
            f"line 1: no email column (found: {', '.join(header) or 'nothing'}); "
            "name one column 'email'"
        )
    name_at = next((i for i, n in enumerate(names) if n in NAME_HEADERS), None)
    others = [(i, header[i].strip()) for i in range(len(header)) if i not in (email_at, name_at)]
    return email_at, name_at, [(i, n) for i, n in others if n and n.lower() not in EXPORT_ONLY]


class RejectsWriter:
    """The rejects CSV: ``line``, ``reason``, the file's own columns, then ``extra fields``.

    Every row has exactly as many cells as the header: a short line is padded,
    and the fields of a long line beyond the header are kept, joined with the
    file's delimiter, in the last column (nothing is lost). Cells are guarded
    against spreadsheet formulas like every CSV we write.
    """

    def __init__(self, out: IO[str]) -> None:
        self.writer = SafeWriter(out)
        self.width = 0
        self.delimiter = ","

    def header(self, header: list[str], delimiter: str) -> None:
        self.width, self.delimiter = len(header), delimiter
        self.writer.writerow(["line", "reason", *header, "extra fields"])

    def row(self, line: int, reason: str, fields: list[str]) -> None:
        own = fields[: self.width]
        own += [""] * (self.width - len(own))
        self.writer.writerow([line, reason, *own, self.delimiter.join(fields[self.width :])])
