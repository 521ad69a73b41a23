"""The audience's one-line rules, each in its one home: identity key, names, the CSV guard."""

from __future__ import annotations

import csv
import io

import pytest

from subscribers.addresses import email_key
from subscribers.csvsafe import SafeWriter, guard, unguard
from subscribers.names import clean_name


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Grace.Hopper@Example.ORG", "grace.hopper@example.org"),
        ("  GRACE.HOPPER@example.org ", "grace.hopper@example.org"),
        ("Zoë@XN--BCHER-KVA.example", "zoë@bücher.example"),
        ("not an address", "not an address"),  # a bounce may name anything: found nobody
    ],
)
def test_email_key_is_the_whole_address_lower_cased(typed: str, key: str) -> None:
    assert email_key(typed) == key


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Ada\r\nLovelace", "Ada Lovelace"),
        ("Ada\n\n\tLovelace\x00", "Ada Lovelace"),
        ("Ada\u2028Lovelace\x85", "Ada Lovelace"),
        ("  Ada  ", "Ada"),
        ("Zoë 👩🏽‍⚕️", "Zoë 👩🏽‍⚕️"),  # the zero-width joiner is not a control character
        ("x" * 300, "x" * 200),
    ],
)
def test_names_are_one_line(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+1 555", "-5", "@SUM(A1)", "\tx", "\rx", "'=1", "''+x", "'plain", "plain", ""],
)
def test_the_guard_is_undone_exactly(cell: str) -> None:
    guarded = guard(cell)
    assert guarded[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert unguard(guarded) == cell


def test_safe_writer_guards_every_cell() -> None:
    out = io.StringIO()
    SafeWriter(out).writerow(["=cmd|' /C calc'!A0", 7, None, "ok"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=cmd|' /C calc'!A0", "7", "", "ok"]
