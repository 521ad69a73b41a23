"""Rendering rules of DESIGN.md section 5 on the demo and the maximal edition."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import lxml.html
import pytest

from mailer.compose import colors
from mailer.compose.checks import GMAIL_CLIP_BYTES, check_snapshot, personalised_sample
from mailer.compose.inline import PremailerInliner
from mailer.compose.render import (
    TemplateProblem,
    render_announcement,
    render_digest,
    render_transactional,
)
from mailer.compose.samples import ANNOUNCEMENT, demo_edition, maximal_edition
from mailer.compose.snapshot import PLACEHOLDERS, Snapshot
from mailer.content.edition import EditionContent, EventEntry
from tests.compose_helpers import SETTINGS, demo_snapshot, maximal_snapshot, odei_list

SNAPSHOTS = {"demo": demo_snapshot, "maximal": maximal_snapshot}
WEB_SAFE_FONTS = {"arial", "helvetica", "sans-serif", "georgia", "times new roman", "serif"}


def _doc(snapshot: Snapshot) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(snapshot.html)


def _style(el: lxml.html.HtmlElement) -> dict[str, str]:
    out = {}
    for part in (el.get("style") or "").split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            out[key.strip().lower()] = value.strip()
    return out


@pytest.fixture(params=sorted(SNAPSHOTS))
def snapshot(request: pytest.FixtureRequest) -> Snapshot:
    return SNAPSHOTS[request.param]()


def test_subject_and_preheader_of_the_demo_edition() -> None:
    snap = demo_snapshot()
    assert snap.subject == "ODEI Weekly — March 3, 2025: Women’s History Month"
    assert snap.preheader == (
        "Commemorate Women’s History Month. Also: 3 news stories and 3 upcoming events."
    )
    assert snap.meta["kind"] == "digest"
    assert snap.meta["items"] == {
        "features": ["womens-history-month"],
        "news": [1, 2, 3],
        "events": [1, 2, 3],
        "announcements": [],
    }


def test_document_basics(snapshot: Snapshot) -> None:
    doc = _doc(snapshot)
    assert doc.get("lang") == "en"
    assert doc.find(".//title").text == snapshot.subject
    assert doc.xpath("//meta[@name='color-scheme']/@content") == ["light dark"]
    assert doc.xpath("//meta[@name='viewport']")
    assert "<script" not in snapshot.html.lower()
    assert doc.xpath("//h1") and doc.xpath("//h2")
    assert snapshot.html.startswith("<!DOCTYPE html>")


def test_every_table_is_presentational_including_outlook_ghost_tables(snapshot: Snapshot) -> None:
    tables = re.findall(r"<table\b[^>]*>", snapshot.html)
    assert tables
    assert all('role="presentation"' in t for t in tables), tables
    # Classic Outlook gets a fixed 600 px ghost table, everyone else max-width.
    assert re.search(r'<!--\[if mso\]><table role="presentation"[^>]*width="600"', snapshot.html)
    assert "<!--[if mso]></td></tr></table><![endif]-->" in snapshot.html
    css = snapshot.html.lower()
    for banned in ("display:flex", "display: flex", "display:grid", "display: grid"):
        assert banned not in css


def test_css_is_inlined_and_only_media_queries_stay_in_style(snapshot: Snapshot) -> None:
    doc = _doc(snapshot)
    styles = doc.xpath("//style")
    assert len(styles) == 1
    kept = styles[0].text
    assert "@media only screen and (max-width: 620px)" in kept
    assert "prefers-color-scheme: dark" in kept
    # Outside the @media blocks only the dark-mode helpers remain.
    outside = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", kept)
    selectors = re.findall(r"([^{}]+)\{", outside)
    assert all(s.strip().startswith((":root", "[data-ogsc]")) for s in selectors), selectors
    for p in doc.xpath("//td[contains(@class,'card')]//p"):
        assert "font-family" in _style(p) and "color" in _style(p)


def test_every_image_has_alt_and_absolute_https_src(snapshot: Snapshot) -> None:
    images = _doc(snapshot).xpath("//img")
    assert images  # the history-wall story has a picture
    for img in images:
        assert img.get("alt") is not None
        assert img.get("src").startswith("https://")
        assert img.get("width", "").isdigit()  # classic Outlook sizes images by the attribute
        assert img.get("height") in (None, "") or img.get("height").isdigit()


def test_every_link_is_absolute_https_mailto_or_a_recipient_placeholder(snapshot: Snapshot) -> None:
    hrefs = _doc(snapshot).xpath("//a/@href")
    assert len(hrefs) > 5
    for href in hrefs:
        assert href.startswith(("https://", "mailto:")) or href in PLACEHOLDERS.values(), href


def test_fonts_are_web_safe_and_readable(snapshot: Snapshot) -> None:
    doc = _doc(snapshot)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        style = _style(el)
        if "display" in style and style["display"] == "none":
            continue  # the hidden preheader
        if "font-family" in style:
            families = {f.strip().strip("'\"").lower() for f in style["font-family"].split(",")}
            assert families <= WEB_SAFE_FONTS, style["font-family"]
        if "font-size" in style:
            assert int(style["font-size"].removesuffix("px")) >= 14, (el.tag, style)


def test_body_text_contrast_meets_wcag_aa(snapshot: Snapshot) -> None:
    doc = _doc(snapshot)
    card = doc.xpath("//td[contains(@class,'card')]")[0]
    background = _style(card)["background-color"]
    paragraph = card.xpath(".//p[not(contains(@class,'meta'))]")[0]
    meta = card.xpath(".//p[contains(@class,'meta')]")[0]
    link = doc.xpath("//td[contains(@class,'card')]//p/a")[0]
    header = doc.xpath("//td[contains(@class,'brand')]")[0]
    header_text = doc.xpath("//td[contains(@class,'brand')]//a")[0]
    assert colors.contrast(_style(paragraph)["color"], background) >= 4.5
    assert colors.contrast(_style(meta)["color"], background) >= 4.5
    assert colors.contrast(_style(link)["color"], background) >= 4.5
    assert colors.contrast(_style(header_text)["color"], _style(header)["background-color"]) >= 4.5


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert colors.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert colors.contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert colors.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert colors.contrast("#fff", "#a51417") > 7


def test_html_stays_under_gmail_clip_with_room_to_spare() -> None:
    content = maximal_edition()
    assert (len(content.news), len(content.events), len(content.announcements)) == (10, 10, 3)
    size = len(personalised_sample(maximal_snapshot().html).encode("utf-8"))
    assert size < GMAIL_CLIP_BYTES
    assert size < 90_000, f"maximal edition is {size} bytes; the aim is 90 KB"


def test_preheader_is_hidden_without_same_colour_text(snapshot: Snapshot) -> None:
    body = _doc(snapshot).find("body")
    first = next(el for el in body.iter() if el.get("class") == "preheader")
    style = _style(first)
    assert style["display"] == "none"
    assert "color" not in style
    assert first.text_content().startswith(snapshot.preheader)
    assert 0 < len(snapshot.preheader) <= 140


def test_recipient_placeholders_are_in_both_parts(snapshot: Snapshot) -> None:
    hrefs = _doc(snapshot).xpath("//a/@href")
    for key in ("unsubscribe_url", "preferences_url"):
        assert PLACEHOLDERS[key] in hrefs
        assert PLACEHOLDERS[key] in snapshot.text
    assert f"Hello {PLACEHOLDERS['name']}," in snapshot.html
    assert f"Hello {PLACEHOLDERS['name']}," in snapshot.text


def test_footer_says_who_why_and_where() -> None:
    snap = demo_snapshot()
    for part in (" ".join(snap.html.split()), " ".join(snap.text.split())):
        assert "You are receiving ODEI Weekly because you subscribed to it" in part
        assert "660 S. Euclid Ave., St. Louis, MO 63110" in part
        assert "Office of Diversity, Equity and Inclusion" in part


def test_events_show_in_the_lists_time_zone_and_all_day_events_as_dates() -> None:
    snap = demo_snapshot()
    for part in (snap.html, snap.text):
        assert "Wednesday, March 5, 12:00 PM – 1:00 PM CST" in part
        assert "Saturday, March 8 (all day)" in part
    west = dataclasses.replace(demo_edition(), timezone="America/Los_Angeles")
    snap = render_digest(west, odei_list(), SETTINGS)
    assert "Wednesday, March 5, 10:00 AM – 11:00 AM PST" in snap.text
    assert "Saturday, March 8 (all day)" in snap.text


def test_multi_day_all_day_events_follow_the_content_storage_convention() -> None:
    # Content stores all-day events at 00:00 UTC of their dates, the end exclusive
    # (RFC 5545 DTEND); the cases below give the last day, as people say it.
    def all_day(start: dt.date, end: dt.date | None) -> EventEntry:
        at = dt.datetime.combine(start, dt.time(), dt.UTC)
        until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC) if end else None
        return EventEntry(
            id=9, title="Pathways institute", starts_at=at, ends_at=until, all_day=True
        )

    cases = {
        (dt.date(2025, 6, 9), dt.date(2025, 6, 13)): "June 9–13, 2025 (all day)",
        (dt.date(2025, 6, 30), dt.date(2025, 7, 2)): "June 30 – July 2, 2025 (all day)",
        (dt.date(2025, 6, 9), None): "Monday, June 9 (all day)",
        (dt.date(2025, 6, 9), dt.date(2025, 6, 9)): "Monday, June 9 (all day)",
    }
    for (start, end), shown in cases.items():
        content = dataclasses.replace(demo_edition(), events=(all_day(start, end),))
        for part in ("text", "html"):
            rendered = getattr(render_digest(content, odei_list(), SETTINGS), part)
            assert shown in rendered, (start, end, part)
    # Far east of UTC, a date is still that date.
    tokyo = dataclasses.replace(demo_edition(), timezone="Asia/Tokyo")
    assert "Saturday, March 8 (all day)" in render_digest(tokyo, odei_list(), SETTINGS).text


def test_premailer_runs_once_per_edition() -> None:
    class Counting:
        def __init__(self) -> None:
            self.calls = 0
            self.inner = PremailerInliner()

        def inline(self, html: str) -> str:
            self.calls += 1
            return self.inner.inline(html)

    counting = Counting()
    snap = render_digest(maximal_edition(), odei_list(), SETTINGS, inliner=counting)
    assert counting.calls == 1
    assert 'style="' in snap.html


def test_rendering_is_deterministic() -> None:
    a = render_digest(demo_edition(), odei_list(), SETTINGS)
    assert a == demo_snapshot()  # meta (with its timestamp) is not compared


def test_brand_settings_reach_the_message() -> None:
    settings = SETTINGS.replace(
        org_name="Office of Inclusive Excellence",
        org_short_name="OIE",
        brand_color="#00356b",
        logo_url="https://cdn.example.org/oie-logo.png",
        org_postal_address="1 University Plaza, Springfield, IL 62701",
    )
    snap = render_digest(demo_edition(), odei_list(), settings)
    # The subject is the list's (its name), never the organisation's "Weekly".
    assert snap.subject.startswith("ODEI Weekly — ") and "OIE" not in snap.subject
    assert "#00356b" in snap.html
    logo = _doc(snap).xpath("//img[@src='https://cdn.example.org/oie-logo.png']")
    assert logo and logo[0].get("alt") == "Office of Inclusive Excellence"
    assert "1 University Plaza, Springfield, IL 62701" in snap.text


def test_a_brand_colour_too_pale_for_links_falls_back_to_text_colour() -> None:
    snap = render_digest(demo_edition(), odei_list(), SETTINGS.replace(brand_color="#f4c542"))
    assert snap.meta["palette"]["links"][0] == colors.TEXT


def test_a_malformed_brand_colour_is_named() -> None:
    with pytest.raises(TemplateProblem, match=r"brand_color.*MAILER_BRAND_COLOR"):
        render_digest(demo_edition(), odei_list(), SETTINGS.replace(brand_color="red;x"))


def test_empty_edition_still_renders_truthfully() -> None:
    empty = EditionContent(
        list_id=1,
        list_slug="odei-weekly",
        list_name="ODEI Weekly",
        edition_date=dt.date(2025, 7, 7),
        timezone="America/Chicago",
    )
    snap = render_digest(empty, odei_list(), SETTINGS)
    assert snap.subject == "ODEI Weekly — July 7, 2025"
    assert "Nothing new on the list this week." in snap.text


def test_announcement() -> None:
    snap = render_announcement(ANNOUNCEMENT, odei_list(), SETTINGS)
    assert snap.subject == "Nominations open for the Dean’s Impact Award"
    assert snap.preheader.startswith("Do you know a colleague")
    assert "https://diversity.wustl.edu/awards/" in snap.text
    assert PLACEHOLDERS["unsubscribe_url"] in snap.html
    assert snap.meta["kind"] == "announcement"


@pytest.mark.parametrize("kind", ["confirm", "welcome", "unsubscribed"])
def test_transactional_messages(kind: str) -> None:
    snap = render_transactional(
        kind,
        odei_list(),
        SETTINGS,
        confirm_url="https://news.example.org/c/TOKEN",
        resubscribe_url="https://news.example.org/s/odei-weekly",
    )
    doc = _doc(snap)
    assert doc.find(".//title").text == snap.subject
    assert "ODEI Weekly" in snap.subject
    assert PLACEHOLDERS["name"] in snap.text
    if kind == "confirm":
        assert "https://news.example.org/c/TOKEN" in doc.xpath("//a/@href")
        assert "https://news.example.org/c/TOKEN" in snap.text
        assert PLACEHOLDERS["unsubscribe_url"] not in snap.html  # not subscribed yet
    if kind == "welcome":
        assert PLACEHOLDERS["unsubscribe_url"] in snap.html
        assert PLACEHOLDERS["preferences_url"] in snap.text
    if kind == "unsubscribed":
        assert "https://news.example.org/s/odei-weekly" in snap.text
        assert PLACEHOLDERS["unsubscribe_url"] not in snap.text


def test_transactional_needs_its_context_and_a_known_kind() -> None:
    with pytest.raises(ValueError, match="confirm_url"):
        render_transactional("confirm", odei_list(), SETTINGS)
    with pytest.raises(ValueError, match="unknown transactional message 'goodbye'"):
        render_transactional("goodbye", odei_list(), SETTINGS)


def test_unknown_list_time_zone_is_named() -> None:
    content = dataclasses.replace(demo_edition(), timezone="")
    mailing_list = odei_list()
    mailing_list.timezone = "Mars/Olympus_Mons"
    with pytest.raises(TemplateProblem, match="Mars/Olympus_Mons"):
        render_digest(content, mailing_list, SETTINGS)


def test_user_override_of_a_partial_and_its_twin(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "_coming_up.html").write_text(
        '<tr><td class="card"><h2>On the calendar</h2>'
        "{% for item in edition.coming_up %}<p>{{ item.name }}</p>{% endfor %}</td></tr>\n"
    )
    (tmp_path / "partials" / "_coming_up.txt").write_text(
        "On the calendar\n{% for item in edition.coming_up %}{{ item.name }}\n{% endfor %}\n"
    )
    snap = render_digest(demo_edition(), odei_list(), SETTINGS.replace(templates_dir=str(tmp_path)))
    assert "<h2" in snap.html and "On the calendar</h2>" in snap.html
    assert "On the calendar\nRamadan\nHoli" in snap.text
    assert "Coming up" not in snap.text
    assert snap.meta["text_fallback"] is False


def test_user_html_without_a_twin_gets_an_html2text_part(tmp_path: Path) -> None:
    (tmp_path / "digest.html").write_text(
        '{% extends "base.html" %}{% block content %}<tr><td class="card">'
        "<h1>{{ title }}</h1><p>Hello {{ recipient.name }}, only the headlines:</p>"
        '{% for item in edition.news %}<p><a href="{{ item.url }}">{{ item.title }}</a></p>'
        "{% endfor %}</td></tr>{% endblock %}\n"
    )
    snap = render_digest(demo_edition(), odei_list(), SETTINGS.replace(templates_dir=str(tmp_path)))
    assert snap.meta["text_fallback"] is True
    assert "only the headlines" in snap.text
    assert "https://diversity.wustl.edu/news/happy-ramadan/" in snap.text
    assert PLACEHOLDERS["name"] in snap.text
    assert PLACEHOLDERS["unsubscribe_url"] in snap.text


def test_undefined_variable_names_the_template_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    bad = tmp_path / "partials" / "_news.html"
    bad.write_text(
        "{% if edition.news %}\n<tr><td>\n{{ edition.headlines }}\n</td></tr>\n{% endif %}\n"
    )
    with pytest.raises(TemplateProblem) as info:
        render_digest(demo_edition(), odei_list(), SETTINGS.replace(templates_dir=str(tmp_path)))
    message = str(info.value)
    assert str(bad) in message and "line 3" in message and "headlines" in message
    assert info.value.lineno == 3


def test_syntax_error_names_the_template_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "digest.txt"
    bad.write_text("{% extends 'base.txt' %}\n{% block content %}\n{% if %}\n{% endblock %}\n")
    (tmp_path / "digest.html").write_text("{% extends 'base.html' %}\n")
    with pytest.raises(TemplateProblem) as info:
        render_digest(demo_edition(), odei_list(), SETTINGS.replace(templates_dir=str(tmp_path)))
    assert str(bad) in str(info.value) and "line 3" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_templates_dir_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TemplateProblem, match="MAILER_TEMPLATES_DIR"):
        render_digest(
            demo_edition(), odei_list(), SETTINGS.replace(templates_dir=str(tmp_path / "nope"))
        )


def test_cssutils_stays_quiet_about_outlook_and_webkit_properties(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        snap = render_digest(demo_edition(), odei_list(), SETTINGS)
    assert "mso-line-height-rule:exactly" in snap.html.replace(" ", "")
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert noisy == [], [r.getMessage() for r in noisy]


def test_a_long_top_story_is_fitted_into_the_subject() -> None:
    content = dataclasses.replace(demo_edition(), features=())
    snap = render_digest(content, odei_list(), SETTINGS)
    assert snap.subject.startswith("ODEI Weekly — March 3, 2025: Happy Ramadan!")
    long_story = dataclasses.replace(
        demo_edition().news[2], id=7
    )  # "Recognizing our past, shaping our future: Desegregation History Wall ..."
    content = dataclasses.replace(content, news=(long_story,))
    subject = render_digest(content, odei_list(), SETTINGS).subject
    assert subject.startswith("ODEI Weekly — March 3, 2025: Recognizing our past")
    assert subject.endswith("…") and len(subject) <= 70


def test_every_message_and_section_has_a_text_twin() -> None:
    from mailer.compose.templating import BUILTIN_DIR

    layout_only = {"_header.html", "_preheader.html", "_macros.html"}
    html_files = [p for p in BUILTIN_DIR.rglob("*.html") if p.name not in layout_only]
    assert len(html_files) >= 12
    for html in html_files:
        assert html.with_suffix(".txt").exists(), f"{html} has no .txt twin"
        for extra in (".subject.txt", ".preheader.txt"):
            if html.parent == BUILTIN_DIR and html.stem != "base":
                assert (BUILTIN_DIR / f"{html.stem}{extra}").exists(), html.stem + extra


def test_preheader_without_a_feature_says_what_is_inside() -> None:
    content = dataclasses.replace(demo_edition(), features=())
    snap = render_digest(content, odei_list(), SETTINGS)
    assert snap.preheader == "This week: 3 news stories and 3 upcoming events."


def test_feature_named_as_its_title_is_not_repeated() -> None:
    feature = dataclasses.replace(
        demo_edition().features[0],
        title="Native American Heritage Month",
        name="Native American Heritage Month",
        starts_on=dt.date(2026, 11, 1),
        ends_on=dt.date(2026, 11, 30),
    )
    content = dataclasses.replace(demo_edition(), features=(feature,))
    text = render_digest(content, odei_list(), SETTINGS).text
    assert "Native American Heritage Month\n------------------------------\nNovember 1–30\n" in text
    demo = demo_snapshot().text
    assert "Commemorate Women’s History Month\n" in demo
    assert "\nWomen’s History Month · March 1–31\n" in demo


def test_the_inliner_never_fetches_stylesheets(tmp_path: Path) -> None:
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b"p { color: #ff0000; }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/brand.css"
        base = (Path(__file__).parents[1] / "templates" / "email" / "base.html").read_text()
        (tmp_path / "base.html").write_text(
            base.replace("</head>", f'<link rel="stylesheet" href="{url}">\n</head>')
        )
        settings = SETTINGS.replace(templates_dir=str(tmp_path))
        snap = render_digest(demo_edition(), odei_list(), settings)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert hits == []
    assert "#ff0000" not in snap.html
    assert "unsupported" in {f.rule for f in check_snapshot(snap)}
