"""What a person sees while working on the pages: filters, the table's pairs, messages that go, nothing fetched
from the internet."""

from __future__ import annotations

import pytest
from e2e_helpers import grid_cell, sidebar_to, wait_ready
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_an_edit_keeps_the_filters_readable_and_shows_the_pair_it_will_save(app_server, page):
    url, _ = app_server
    page.goto(f"{url}/Progress")
    wait_ready(page)
    grid_cell(page, column="Status", row=3)  # P0.04, done: set back to not started
    page.keyboard.press("Enter")
    page.get_by_role("option", name="Not started", exact=True).wait_for()  # the status list, open
    page.keyboard.type("Not s")
    page.keyboard.press("Enter")
    wait_ready(page)
    stage = page.get_by_role("combobox", name="Stage")
    expect(stage).to_be_disabled()  # the filters wait for the edits to be saved or dropped
    expect(stage).to_have_value("All stages")  # not empty, which reads "Choose an option"
    expect(page.get_by_test_id("glide-cell-5-3")).to_have_text("0")  # as it will be saved, not 100


def test_a_request_for_a_name_goes_once_the_name_is_typed(app_server, page):
    url, _ = app_server
    page.goto(f"{url}/Progress")
    wait_ready(page)
    name = page.get_by_role("textbox", name="Your name")
    name.fill("")
    name.press("Enter")
    wait_ready(page)
    grid_cell(page, column="Owner", row=20)
    page.keyboard.press("Enter")
    page.locator("textarea.gdg-input").fill("Someone")
    page.keyboard.press("Enter")
    wait_ready(page)
    page.get_by_role("button", name="Save 1 changed task").click()
    wait_ready(page)
    asking = page.get_by_test_id("stAlertContentError").filter(has_text="Enter your name")
    expect(asking).to_be_visible()
    name.fill("Pat Lead")
    name.press("Enter")
    wait_ready(page)
    expect(asking).to_have_count(0)


def test_the_one_task_form_stays_open_after_a_save(app_server, page):
    url, _ = app_server
    page.goto(f"{url}/Progress")
    wait_ready(page)
    page.get_by_text("Update one task", exact=True).click()
    wait_ready(page)
    page.get_by_role("textbox", name="Owner").fill("Form Owner")
    page.get_by_role("button", name="Save this task").click()
    wait_ready(page)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()
    expect(page.get_by_role("button", name="Save this task")).to_be_visible()


def test_no_page_asks_for_anything_beyond_the_app(app_server, page):
    """Fonts, icons and scripts come from the app's own server: an intranet without internet access works."""
    url, _ = app_server
    elsewhere = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
    page.goto(url)
    wait_ready(page)
    for name in ("Plan", "Progress", "Readiness", "Timeline", "Steering committee", "Assurance", "Overview"):
        sidebar_to(page, name)
    icon = page.locator("link[rel~='icon']").first.get_attribute("href")
    assert not elsewhere and icon and icon.startswith(url)


@pytest.mark.parametrize("path", ["", "/Steering_committee"])
def test_no_figures_label_or_value_is_cut_short_at_1280_px(app_server, page, path):
    """A card of fixed width showed 'Implementation pro...' and '01 Jul 2...'."""
    url, _ = app_server
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(url + path)
    wait_ready(page)
    texts = page.locator('[data-testid="stMetricLabel"] p, [data-testid="stMetricValue"] > div')
    texts.nth(6).wait_for()  # the cards are drawn (a busy server may answer the first look before the script runs)
    cut = texts.evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)")
    assert cut == []


@pytest.mark.parametrize(
    "path", ["", "/Plan", "/Progress", "/Readiness", "/Timeline", "/Steering_committee", "/Assurance"]
)
def test_no_page_is_wider_than_a_phone(app_server, page, path):
    """At 390 px a wide table scrolls in its own row or grid; the page itself never scrolls sideways."""
    url, _ = app_server
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(url + path)
    wait_ready(page)
    assert page.get_by_test_id("stMain").evaluate("e => e.scrollWidth") <= 390
