"""The report pages in Chromium at 1280 and 375 px: each page and chart shown, axe-core clean
of serious and critical findings, no console errors (the strict CSP would log a blocked
inline style or script there), and the page body never wider than the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import PASSWORD, Visitor, overflow

from mailer import auth
from tests.report_fixtures import seed_reports
from tests.test_web_console_browser import WIDEST_JS

pytest_plugins = ["web_fixtures"]

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_report_pages_and_charts_at_both_widths(
    browser: Any,
    live_server: Any,
    session_factory: sessionmaker[Session],
    axe_source: str,
    artifacts_dir: Path,
    width: int,
    db_url: str,
) -> None:
    with session_factory() as s:
        seeded = seed_reports(s)
        auth.create_user(s, "ada.admin@example.org", PASSWORD, "admin", "Ada Admin")
        auth.create_user(s, "sam.staff@example.org", PASSWORD, "staff", "Sam Staff")
        s.commit()
    out = artifacts_dir / "web" / "reports" / str(width)
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    v = Visitor(context.new_page(), live_server.url, axe_source, out)
    pages = {
        "overview": "/admin/",
        "campaign": f"/reports/campaigns/{seeded.campaign_id}",
        "older-campaign": f"/reports/campaigns/{seeded.older_id}",
        "lists": "/reports/lists/",
        "health": f"/reports/lists/{seeded.list_id}",
    }
    overflowing: dict[str, Any] = {}
    try:
        v.login("ada.admin@example.org")
        for name, path in pages.items():
            response = v.visit(path, name)
            assert response.status == 200, (path, response.status)
            if (extra := overflow(v.page)) > 0:
                overflowing[path] = (extra, v.page.evaluate(WIDEST_JS))
            for chart in v.page.locator("svg.chart").all():
                box = chart.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 80, (name, box)
                assert box["x"] + box["width"] <= width + 1, (name, box)
        # Each chart has its numbers in a table beside it, and a name for screen readers.
        v.visit(pages["health"], "health-again")
        figures = v.page.locator("figure.chart-figure")
        assert figures.count() == 4
        for i in range(figures.count()):
            figure = figures.nth(i)
            assert figure.locator("svg[role=img] title").count() == 1
            assert figure.locator("table tbody tr").count() >= 1
        v.page.get_by_role("link", name="Download this report as CSV").is_visible()
        # Staff see the overview from their own desk.
        v.logout()
        v.login("sam.staff@example.org")
        v.visit("/reports/", "staff-overview")
        assert v.page.get_by_role("heading", name="Overview").is_visible()
        if (extra := overflow(v.page)) > 0:
            overflowing["/reports/"] = (extra, v.page.evaluate(WIDEST_JS))
    finally:
        context.close()
    assert overflowing == {}, f"wider than {width} px by: {overflowing}"
    assert v.violations == {}, v.violations
    assert [e for e in v.console_errors if "status of 40" not in e] == []
