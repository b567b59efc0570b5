"""The app in a real browser: every page renders, the sidebar reaches every page, edits survive, charts show."""

from __future__ import annotations

import pandas as pd
import pytest
from e2e_helpers import screenshot, wait_ready

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
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


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
    canvas = page.locator('[data-testid="data-grid-canvas"]').first
    box = canvas.bounding_box()
    row = 2  # P0.03: header row, then rows of 35 px
    page.mouse.click(box["x"] + 30, box["y"] + 35 + 17 + 35 * row)
    page.locator('#glide-cell-0-2[aria-selected="true"]').wait_for(state="attached")
    for _ in range(5):  # Task, Title, Stage, Status, % -> Owner
        page.keyboard.press("ArrowRight")
    page.locator('#glide-cell-5-2[aria-selected="true"]').wait_for(state="attached")
    page.keyboard.press("Enter")
    cell_editor = page.locator("textarea.gdg-input")
    cell_editor.fill("Owner From Browser")
    cell_editor.press("Enter")
    page.wait_for_function("document.querySelector('#glide-cell-5-2').innerText === 'Owner From Browser'")
    wait_ready(page)
    page.get_by_role("button", name="Save 1 changed task(s)").click()
    page.locator('[data-testid="stAlertContentSuccess"]').wait_for()
    assert "P0.03" in page.locator('[data-testid="stAlertContentSuccess"]').inner_text()
    page.reload()
    wait_ready(page)
    assert page.locator("#glide-cell-5-2").inner_text() == "Owner From Browser"
    saved = pd.read_csv(data / "progress.csv", dtype=str, keep_default_na=False).set_index("task_id")
    assert saved.loc["P0.03", "owner"] == "Owner From Browser" and saved.loc["P0.03", "updated_by"] == "Browser Tester"
