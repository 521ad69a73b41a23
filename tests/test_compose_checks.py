"""`check_snapshot`: a clean bill for our editions, and each rule fires on its fault."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mailer.compose.checks import Finding, check_snapshot, has_errors
from mailer.compose.render import render_announcement, render_transactional
from mailer.compose.samples import ANNOUNCEMENT
from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from tests.compose_helpers import SETTINGS, demo_snapshot, maximal_snapshot, odei_list


def _rules(findings: list[Finding], level: str | None = None) -> set[str]:
    return {f.rule for f in findings if level is None or f.level == level}


def _with(snapshot: Snapshot, **changes: object) -> Snapshot:
    return dataclasses.replace(snapshot, **changes)


def _swap(snapshot: Snapshot, old: str, new: str, count: int = -1) -> Snapshot:
    assert old in snapshot.html, old
    return _with(snapshot, html=snapshot.html.replace(old, new, count))


@pytest.mark.parametrize("make", [demo_snapshot, maximal_snapshot], ids=["demo", "maximal"])
def test_our_editions_have_no_findings(make) -> None:  # type: ignore[no-untyped-def]
    assert check_snapshot(make()) == []


def test_announcement_and_transactional_messages_have_no_findings() -> None:
    assert check_snapshot(render_announcement(ANNOUNCEMENT, odei_list(), SETTINGS)) == []
    for kind in ("confirm", "welcome", "unsubscribed"):
        snap = render_transactional(
            kind, odei_list(), SETTINGS, confirm_url="https://news.example.org/c/T"
        )
        assert check_snapshot(snap) == [], kind


def test_html_over_gmails_clip_is_an_error_and_near_it_a_warning() -> None:
    snap = demo_snapshot()
    filler = "<!-- " + "x" * 1000 + " -->"
    big = _swap(snap, "</body>", filler * 100 + "</body>")
    findings = check_snapshot(big)
    assert "html-size" in _rules(findings, "error")
    assert has_errors(findings)
    near = _swap(snap, "</body>", filler * 80 + "</body>")
    assert "html-size" in _rules(check_snapshot(near), "warning")
    assert "html-size" not in _rules(check_snapshot(near), "error")


def test_size_counts_real_recipient_values_not_short_placeholders() -> None:
    snap = demo_snapshot()
    # Just under the clip with placeholders, over it once 1,000 links are personalised.
    links = f'<a href="{PLACEHOLDERS["unsubscribe_url"]}"></a>' * 1000
    pad = 101_500 - len(snap.html.encode()) - len(links)
    grown = _swap(snap, "</body>", "<!--" + "x" * pad + "-->" + links + "</body>")
    assert len(grown.html.encode()) < 102_000
    assert "html-size" in _rules(check_snapshot(grown), "error")


def test_image_without_alt_is_an_error() -> None:
    img = '<img src="https://x.example.org/a.png">'
    snap = _swap(demo_snapshot(), "</td></tr>", img + "</td></tr>", 1)
    findings = check_snapshot(snap)
    assert "img-alt" in _rules(findings, "error")
    assert "img-width" in _rules(findings, "warning")
    assert any("https://x.example.org/a.png" in f.message for f in findings)


def test_relative_and_plain_http_links() -> None:
    snap = demo_snapshot()
    relative = _swap(snap, 'href="https://diversity.wustl.edu/about/"', 'href="/about/"')
    assert "links" in _rules(check_snapshot(relative), "error")
    script = _swap(snap, 'href="https://diversity.wustl.edu/about/"', 'href="javascript:go()"')
    assert "links" in _rules(check_snapshot(script), "error")
    http = _swap(snap, 'href="https://diversity.wustl.edu/about/"', 'href="http://example.org/"')
    findings = check_snapshot(http)
    assert "links" in _rules(findings, "warning") and "links" not in _rules(findings, "error")
    relative_img = _swap(snap, 'src="https://diversity.wustl.edu/wp-content', 'src="/wp-content')
    assert "img-src" in _rules(check_snapshot(relative_img), "error")


def test_missing_text_part_is_an_error() -> None:
    assert "text-part" in _rules(check_snapshot(_with(demo_snapshot(), text="")), "error")


def test_missing_unsubscribe_is_an_error_in_each_part() -> None:
    snap = demo_snapshot()
    unsub = PLACEHOLDERS["unsubscribe_url"]
    no_html = _with(snap, html=re.sub(rf'<a href="{unsub}"[^>]*>Unsubscribe</a>', "", snap.html))
    assert no_html.html != snap.html
    assert "unsubscribe" in _rules(check_snapshot(no_html), "error")
    no_text = _with(snap, text=snap.text.replace(f"Unsubscribe: {unsub}", ""))
    assert "unsubscribe" in _rules(check_snapshot(no_text), "error")
    # A confirmation request is not bulk mail: no unsubscribe is needed.
    confirm = render_transactional("confirm", odei_list(), SETTINGS, confirm_url="https://e.org/c")
    assert "unsubscribe" not in _rules(check_snapshot(confirm))


def test_subject_length_title_and_preheader() -> None:
    snap = demo_snapshot()
    long_subject = "ODEI Weekly — March 3, 2025: " + "a very long headline " * 4
    findings = check_snapshot(_with(snap, subject=long_subject))
    assert "subject" in _rules(findings, "warning")
    assert "title" in _rules(findings, "error")  # <title> no longer equals the subject
    assert "subject" in _rules(check_snapshot(_with(snap, subject=" ")), "error")
    assert "preheader" in _rules(check_snapshot(_with(snap, preheader="")), "warning")


def test_image_heavy_mail_gets_an_image_ratio_warning() -> None:
    imgs = "".join(
        f'<img src="https://cdn.example.org/{i}.png" alt="" width="536">' for i in range(20)
    )
    snap = _swap(demo_snapshot(), "</td></tr>", imgs + "</td></tr>", 1)
    assert "image-ratio" in _rules(check_snapshot(snap), "warning")


def test_script_lang_tables_fonts_and_template_leftovers() -> None:
    snap = demo_snapshot()
    assert "script" in _rules(
        check_snapshot(_swap(snap, "</body>", "<script>alert(1)</script></body>")), "error"
    )
    assert "lang" in _rules(check_snapshot(_swap(snap, '<html lang="en"', "<html")), "error")
    assert "tables" in _rules(
        check_snapshot(_swap(snap, "</body>", "<table><tr><td>x</td></tr></table></body>")),
        "warning",
    )
    small = _swap(snap, "font-size:14px", "font-size:11px", 1)
    assert "font-size" in _rules(check_snapshot(small), "warning")
    leftover = _with(snap, text=snap.text + "{{ recipient.nam }}")
    assert "template" in _rules(check_snapshot(leftover), "error")


def test_text_part_that_drifts_from_the_html_is_flagged() -> None:
    snap = demo_snapshot()
    short = _with(snap, text="Hello. Unsubscribe: " + PLACEHOLDERS["unsubscribe_url"] + "\n")
    rules = _rules(check_snapshot(short), "warning")
    assert {"text-links", "text-words"} <= rules


def test_poor_contrast_in_the_palette_is_an_error() -> None:
    snap = demo_snapshot()
    palette = dict(snap.meta["palette"])  # type: ignore[call-overload]
    palette["body text"] = ["#aaaaaa", "#ffffff"]
    palette["header"] = ["#ffffff", "#f4c542"]
    findings = check_snapshot(_with(snap, meta={**snap.meta, "palette": palette}))
    assert any(f.rule == "contrast" and f.level == "error" for f in findings)
    assert any(f.rule == "contrast" and f.level == "warning" for f in findings)
