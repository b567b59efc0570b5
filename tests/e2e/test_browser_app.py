"""The app in a real browser: every page renders, the sidebar reaches every page, edits survive, charts show."""

from __future__ import annotations

import pandas as pd
import pytest
from e2e_helpers import ERRORS, grid_cell, screenshot, wait_ready
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGES = {
    "": "Rollout overview",
    "Plan": "Plan",
    "Progress": "Progress",
    "Readiness": "Readiness",
    "Timeline": "Timeline",
    "Import": "Import",
    "Steering_committee": "Steering committee",
}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_without_an_error(app_server, page, path):
    url, _ = app_server
    page.goto(f"{url}/{path}")
    wait_ready(page)
    assert page.locator("h1").first.inner_text() == PAGES[path]
    assert page.locator(ERRORS).count() == 0
    page.set_viewport_size({"width": 1440, "height": 2400})
    wait_ready(page)
    screenshot(page, path or "Overview")


def test_the_sidebar_navigation_reaches_every_page(app_server, page):
    url, _ = app_server
    page.goto(url)
    wait_ready(page)
    for label, title in [("Plan", "Plan"), ("Progress", "Progress"), ("Readiness", "Readiness"),
                         ("Timeline", "Timeline"), ("Import", "Import"), ("Steering committee", "Steering committee"),
                         ("Overview", "Rollout overview")]:  # fmt: skip
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label, exact=True).click()
        page.wait_for_function(f"document.querySelector('h1') && document.querySelector('h1').innerText === {title!r}")
        wait_ready(page)
        assert page.locator(ERRORS).count() == 0


@pytest.mark.parametrize("path, charts", [("", 1), ("Readiness", 1), ("Timeline", 1), ("Steering_committee", 1)])
def test_the_charts_are_visible(app_server, page, path, charts):
    url, _ = app_server
    page.goto(f"{url}/{path}")
    wait_ready(page)
    plots = page.locator(".js-plotly-plot .main-svg")
    plots.first.wait_for(state="visible")
    visible = [p for p in plots.all() if p.is_visible()]
    assert len(visible) >= charts
    assert page.locator(".js-plotly-plot .bars path, .js-plotly-plot .scatterlayer path").count() > 0


def test_an_edit_in_the_data_editor_survives_a_reload(app_server, page):
    url, data = app_server
    page.goto(f"{url}/Progress")
    wait_ready(page)
    grid_cell(page, column="Owner", row=2)  # P0.03
    page.keyboard.press("Enter")
    cell_editor = page.locator("textarea.gdg-input")
    cell_editor.fill("Owner From Browser")
    cell_editor.press("Enter")
    expect(page.get_by_test_id("glide-cell-6-2")).to_have_text("Owner From Browser")
    wait_ready(page)
    page.get_by_role("button", name="Save 1 changed task").click()
    success = page.get_by_test_id("stAlertContentSuccess")
    expect(success).to_contain_text("P0.03")
    page.reload()
    wait_ready(page)
    expect(page.get_by_test_id("glide-cell-6-2")).to_have_text("Owner From Browser")
    saved = pd.read_csv(data / "progress.csv", dtype=str, keep_default_na=False).set_index("task_id")
    assert saved.loc["P0.03", "owner"] == "Owner From Browser" and saved.loc["P0.03", "updated_by"] == "Browser Tester"
