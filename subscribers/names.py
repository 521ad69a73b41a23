"""A person's name as we store it: one line of text, whatever way it came in.

Names go into the ``To:`` header of every message. A CR or LF there is header
injection, and the message builder refuses it, so a name with a line break
made its reader unmailable. CSV cells, the CLI, the web forms and the API
all pass names through ``clean_name``: every run of control characters (CR,
LF, tab, NUL, the Unicode line and paragraph separators ...) becomes one
space, and the ends are trimmed.
"""

from __future__ import annotations

import re

#: The longest name we keep (the column's size).
NAME_LIMIT = 200

# Unicode category Cc (C0, DEL, C1 controls, NEL among them) and the line and paragraph separators.
_CONTROL_RUN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean_name(value: str | None) -> str:
    """One line, trimmed, at most ``NAME_LIMIT`` characters."""
    if not value:
        return ""
    return _CONTROL_RUN.sub(" ", value).strip()[:NAME_LIMIT].strip()
