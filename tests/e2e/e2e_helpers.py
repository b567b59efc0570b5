"""Small locator helpers for the browser tests."""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_ready(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running and nothing is still loading."""
    page.wait_for_selector(READY, timeout=timeout)
    page.wait_for_load_state("networkidle")
    page.wait_for_selector(READY, timeout=timeout)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
