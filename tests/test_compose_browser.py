"""The demo and maximal digests in headless Chromium at phone (375 px) and desktop (600 px).

No horizontal overflow at either width, the container keeps to 600 px on wide
screens, and dark mode keeps body text readable. Screenshots are kept under
``test-artifacts/compose/`` for people to look at. No request leaves the
machine: images are answered with a locally made PNG, everything else aborted.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from mailer.compose import colors
from mailer.compose.personalise import personalise, sample_values
from tests.compose_helpers import SETTINGS, demo_snapshot, maximal_snapshot

pytestmark = pytest.mark.browser

EDITIONS = {"demo": demo_snapshot, "maximal": maximal_snapshot}


def _png(width: int, height: int, rgb: tuple[int, int, int] = (165, 20, 23)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


IMAGE = _png(1072, 600)


def _offline(route: Any) -> None:
    if route.request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=IMAGE)
    else:
        route.abort()


def _open(browser: Any, html: str, width: int, scheme: str = "light") -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.route("**/*", _offline)
    page.set_content(html, wait_until="load")
    return page


OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 0.5) {
      wide.push(el.tagName + '.' + el.className + ' ' + r.right);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_no_horizontal_overflow(
    browser: Any, artifacts_dir: Path, edition: str, width: int
) -> None:
    html, _ = personalise(EDITIONS[edition](), sample_values(SETTINGS.base_url))
    page = _open(browser, html, width)
    try:
        result = page.evaluate(OVERFLOW_JS)
        assert result["scroll"] <= result["width"], result
        assert result["wide"] == [], result
        container = page.eval_on_selector(".container", "e => e.getBoundingClientRect().width")
        assert container <= width
        # Body text stays readable on the phone too.
        size = page.eval_on_selector(
            ".card p:not(.meta)", "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert size >= 14
        images = page.eval_on_selector_all(
            "img",
            "els => els.map(e => [e.complete, e.naturalWidth, e.getBoundingClientRect().right])",
        )
        assert images and all(
            done and natural > 0 and right <= width for done, natural, right in images
        )
        out = artifacts_dir / "compose"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / f"{edition}-{width}px.png"), full_page=True)
        assert (out / f"{edition}-{width}px.png").stat().st_size > 10_000
    finally:
        page.context.close()


def test_wide_screens_keep_the_600px_column(browser: Any) -> None:
    html, _ = personalise(demo_snapshot(), sample_values(SETTINGS.base_url))
    page = _open(browser, html, 1024)
    try:
        width = page.eval_on_selector(".container", "e => e.getBoundingClientRect().width")
        assert width == pytest.approx(600, abs=1)
    finally:
        page.context.close()


def _css_hex(rgb: str) -> str:
    parts = [int(float(x)) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    return "#" + "".join(f"{p:02x}" for p in parts)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rendered_body_text_contrast(browser: Any, artifacts_dir: Path, scheme: str) -> None:
    html, _ = personalise(demo_snapshot(), sample_values(SETTINGS.base_url))
    page = _open(browser, html, 600, scheme)
    try:
        text, background = page.eval_on_selector(
            ".card p:not(.meta)",
            "e => [getComputedStyle(e).color, getComputedStyle(e.closest('td')).backgroundColor]",
        )
        link = page.eval_on_selector(".card p a", "e => getComputedStyle(e).color")
        assert colors.contrast(_css_hex(text), _css_hex(background)) >= colors.AA
        assert colors.contrast(_css_hex(link), _css_hex(background)) >= colors.AA
        if scheme == "dark":
            assert colors.luminance(_css_hex(background)) < 0.1  # the dark rules applied
            out = artifacts_dir / "compose"
            out.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out / "demo-600px-dark.png"), full_page=True)
    finally:
        page.context.close()


def _other(kind: str) -> Any:
    from mailer.compose.render import render_announcement, render_transactional
    from mailer.compose.samples import ANNOUNCEMENT
    from tests.compose_helpers import odei_list

    if kind == "announcement":
        return render_announcement(ANNOUNCEMENT, odei_list(), SETTINGS)
    from subscribers.tokens import TokenSigner

    # A real token, and a long one: the bare link must wrap on a phone.
    token = TokenSigner(SETTINGS.secret_key).make("confirm", 123456789, 4321)
    return render_transactional(
        kind,
        odei_list(),
        SETTINGS,
        confirm_url=f"https://news.example.org/subscriptions/confirm/{token}",
        resubscribe_url="https://news.example.org/s/odei-weekly",
    )


@pytest.mark.parametrize("kind", ["announcement", "confirm", "welcome", "unsubscribed"])
def test_other_messages_fit_a_phone(browser: Any, artifacts_dir: Path, kind: str) -> None:
    html, _ = personalise(_other(kind), sample_values(SETTINGS.base_url))
    page = _open(browser, html, 375)
    try:
        result = page.evaluate(OVERFLOW_JS)
        assert result["scroll"] <= result["width"], result
        assert result["wide"] == [], result
        out = artifacts_dir / "compose"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / f"{kind}-375px.png"), full_page=True)
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [375, 600])
def test_layout_holds_when_a_client_strips_the_style_block(
    browser: Any, artifacts_dir: Path, width: int
) -> None:
    # Some clients (Gmail for non-Google accounts, forwards) drop <style>: the inlined
    # CSS alone must keep the column readable and within the screen.
    html, _ = personalise(maximal_snapshot(), sample_values(SETTINGS.base_url))
    start, end = html.index("<style"), html.index("</style>") + len("</style>")
    page = _open(browser, html[:start] + html[end:], width)
    try:
        result = page.evaluate(OVERFLOW_JS)
        assert result["scroll"] <= result["width"], result
        assert result["wide"] == [], result
        size = page.eval_on_selector(
            ".card p:not(.meta)", "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert size == 16
        out = artifacts_dir / "compose"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / f"maximal-{width}px-no-style.png"), full_page=True)
    finally:
        page.context.close()
