"""Small locator helpers for the browser tests: wait on the app's state, reach elements by role and test id."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def wait_ready(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running and nothing is still loading."""
    page.wait_for_selector(READY, timeout=timeout)
    page.wait_for_load_state("networkidle")
    page.wait_for_selector(READY, timeout=timeout)


def settled(read, expected, timeout: float = 15):
    """What ``read()`` returns once it equals ``expected``, or when ``timeout`` seconds have passed: a page
    that has finished its run may still be redrawing a part (a change seen elsewhere, a sign-in's return)."""
    deadline = time.monotonic() + timeout
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sidebar_to(page, name: str) -> None:
    """Click a page's link in the sidebar and wait for that page to finish drawing."""
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith(name.replace(" ", "_")) or name == "Overview")
    wait_ready(page)


def grid_cell(page, column: str, row: int, grid: int = 0):
    """Select a data grid's cell by its column title and row (from 0) with the keyboard, as a person would.

    The grid is drawn on a canvas; its accessible table names the columns and tells which cell
    is selected, so the cell is reached from the first one with the arrow keys and checked there.
    """
    frame = page.locator('[data-testid="stDataFrame"]').nth(grid)
    header = frame.locator('th[role="columnheader"]', has_text=column).first
    index = int(header.get_attribute("aria-colindex")) - 1
    frame.locator('[data-testid="data-grid-canvas"]').click(force=True)  # the scroller above it takes the click
    page.keyboard.press("Control+Home")
    for _ in range(index):
        page.keyboard.press("ArrowRight")
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    cell = frame.locator(f'[data-testid="glide-cell-{index}-{row}"]')
    cell.and_(page.locator('[aria-selected="true"]')).wait_for(state="attached")
    return cell


def type_and_save(page, column: str, row: int, typed: str) -> str:
    """Type into a cell of the Progress grid as a person does (no click into an editor first) and save;
    returns the task the page says it saved."""
    grid_cell(page, column=column, row=row)
    page.keyboard.type(typed[0])  # opens the cell's editor holding that key: the key a link column once dropped
    expect(page.locator("textarea.gdg-input")).to_have_value(typed[0])
    page.keyboard.type(typed[1:], delay=30)
    page.keyboard.press("Enter")
    wait_ready(page)
    page.get_by_role("button", name="Save 1 changed task").click()
    saved = page.locator('[data-testid="stAlertContentSuccess"]')
    saved.wait_for()
    return saved.inner_text().split(": ")[-1].rstrip(".")


def sign_in(page, url: str, provider, sub: str, claims: dict) -> None:
    """Sign in as a person does, on the provider's page: the app's Sign in, the subject typed, Authorize.

    The provider's form takes only the subject: its claims are set beforehand. Streamlit brings
    everyone back to the overview after a sign-in.
    """
    provider.set_user(sub, claims)
    page.goto(url)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/oauth2/authorize?**")
    page.locator("input[name='sub']").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{url}/")
    page.locator('[data-testid="stSidebar"]').get_by_text("Signed in as").wait_for(timeout=60_000)
    wait_ready(page)
