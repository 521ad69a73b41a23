"""Reading the dates real feeds write, after feedparser has given up.

feedparser knows RFC 822, ISO 8601 and a few dozen variants, in English. Real
feeds also write dates in the site's language ("Seg, 24 Set 2018 10:00:00
-0300" from a Portuguese WordPress), or loosely. :func:`lenient_date` asks
python-dateutil, told the month and weekday names of the languages such feeds
use most. It never guesses: a date it cannot read completely (a day, a month
and a year) is unknown, ``None``, and never "now".
"""

from __future__ import annotations

import datetime as dt

from dateutil import parser as dateutil_parser

# Month and weekday names (and their usual abbreviations) beyond English, lower case.
# Portuguese, Spanish, French, German, Italian. "mar" is only March (martes/mardi
# would shadow it: dateutil looks weekdays up first).
_MONTHS = (
    ("jan", "janeiro", "ene", "enero", "janv", "janvier", "januar", "gen", "gennaio"),
    ("feb", "fev", "fevereiro", "febrero", "févr", "fevr", "février", "februar", "febbraio"),
    ("mar", "março", "marco", "marzo", "mars", "märz", "maerz", "mrz"),
    ("apr", "abr", "abril", "avr", "avril", "aprile"),
    ("may", "mai", "maio", "mayo", "mag", "maggio"),
    ("jun", "junho", "junio", "juin", "juni", "giu", "giugno"),
    ("jul", "julho", "julio", "juil", "juillet", "juli", "lug", "luglio"),
    ("aug", "ago", "agosto", "août", "aout"),
    ("sep", "sept", "set", "setembro", "septiembre", "septembre", "settembre"),
    ("oct", "out", "outubro", "octubre", "octobre", "okt", "oktober", "ott", "ottobre"),
    ("nov", "novembro", "noviembre", "novembre"),
    ("dec", "dez", "dezembro", "dic", "diciembre", "déc", "decembre", "décembre", "dezember"),
)
_WEEKDAYS = (
    ("mon", "seg", "segunda", "lun", "lunes", "lundi", "mo", "montag", "lunedì"),
    ("tue", "ter", "terça", "terca", "martes", "mardi", "di", "dienstag", "martedì"),
    ("wed", "qua", "quarta", "mié", "mie", "miércoles", "mer", "mercredi", "mi", "mittwoch"),
    ("thu", "qui", "quinta", "jue", "jueves", "jeu", "jeudi", "do", "donnerstag", "gio"),
    ("fri", "sex", "sexta", "vie", "viernes", "ven", "vendredi", "fr", "freitag", "venerdì"),
    ("sat", "sáb", "sab", "sábado", "sabado", "sam", "samedi", "sa", "samstag", "sabato"),
    ("sun", "dom", "domingo", "dim", "dimanche", "so", "sonntag", "domenica"),
)


class _ParserInfo(dateutil_parser.parserinfo):
    """dateutil's English names plus those above (weekdays are only checked, never used)."""

    JUMP = [*dateutil_parser.parserinfo.JUMP, "de", "del", "le", "der"]

    MONTHS = [
        (*english, *others)
        for english, others in zip(
            dateutil_parser.parserinfo.MONTHS, (m[1:] for m in _MONTHS), strict=True
        )
    ]
    WEEKDAYS = [
        (*english, *others)
        for english, others in zip(
            dateutil_parser.parserinfo.WEEKDAYS, (w[1:] for w in _WEEKDAYS), strict=True
        )
    ]


_INFO = _ParserInfo()
# A default with impossible parts, to notice a date that lacks its day, month or year.
_PROBE_A = dt.datetime(1901, 1, 1)
_PROBE_B = dt.datetime(1902, 2, 2)


def lenient_date(raw: str, warnings: list[str], where: str = "") -> dt.datetime | None:
    """``raw`` read by dateutil as an aware UTC time, or ``None`` (with a warning)."""
    text = " ".join(raw.split())
    try:
        # Parsed twice with different defaults: a part dateutil had to fill in differs.
        first = dateutil_parser.parse(text, parserinfo=_INFO, default=_PROBE_A)
        second = dateutil_parser.parse(text, parserinfo=_INFO, default=_PROBE_B)
    except (ValueError, OverflowError):
        first = second = None
    if first is None or first.date() != second.date():
        label = f"{where} " if where else ""
        warnings.append(f"{label}date {raw[:60]!r} is unreadable; the item is treated as undated")
        return None
    if first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)  # RSS dates without a zone are GMT (RFC 822)
    return first.astimezone(dt.UTC)
