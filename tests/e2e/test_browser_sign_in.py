"""Sign-in in a real browser against a real OpenID Connect provider: who may see and change what, and who did."""

from __future__ import annotations

import json

import itsdangerous
import pandas as pd
import pytest
from conftest import COOKIE_SECRET
from e2e_helpers import ERRORS, screenshot, settled, sidebar_to, sign_in, type_and_save, wait_ready
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SIDEBAR = '[data-testid="stSidebar"]'
PATHS = ["", "Plan", "Progress", "Readiness", "Timeline", "Import", "Steering_committee"]
LEAD = {"name": "Ann Lead", "email": "ann@example.org", "roles": ["sms-leads"]}
SIGN_IN_TEXT = "Sign in with your organisation's account to see the rollout."
VIEWER = {"name": "Vic Viewer", "email": "vic@example.org", "roles": ["sms-readers"]}


def links(page) -> dict[str, int]:
    sidebar = page.locator(SIDEBAR)
    names = ["Overview", "Plan", "Progress", "Readiness", "Timeline", "Import", "Steering committee"]
    return {name: sidebar.get_by_role("link", name=name, exact=True).count() for name in names}


def test_a_lead_edits_a_task_in_the_grid_and_the_history_names_them(signed_in_server, provider, page):
    url, data = signed_in_server
    sign_in(page, url, provider, "ann", LEAD)
    expect(page.locator(SIDEBAR).get_by_text("Role: lead")).to_be_visible()
    sidebar_to(page, "Progress")
    typed = "DOC-SMS-0042 signed business case"
    task = type_and_save(page, "Evidence", 3, typed)
    history = pd.read_csv(data / "history.csv", keep_default_na=False)
    saved = history[history["seq"] == history["seq"].max()]  # the evidence, and a verification it clears
    assert set(saved["by"]) == {"Ann Lead <ann@example.org>"} and set(saved["task_id"]) == {task}
    assert saved.set_index("field").loc["evidence", "new"] == typed
    screenshot(page, "sign-in-lead-progress")


def test_a_viewer_has_no_progress_or_import_and_a_deep_link_lands_on_the_overview(signed_in_server, provider, page):
    url, _ = signed_in_server
    sign_in(page, url, provider, "vic", VIEWER)
    shown = {"Overview": 1, "Plan": 1, "Progress": 0, "Readiness": 1, "Timeline": 1, "Import": 0,
             "Steering committee": 1}  # fmt: skip
    assert settled(lambda: links(page), shown) == shown
    page.goto(f"{url}/Progress")
    expect(page.get_by_text("Progress is not available to your role (viewer)")).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert page.url == f"{url}/"
    assert page.locator("h1").first.inner_text() == "Rollout overview"
    assert page.locator('[data-testid="stDataFrame"]').count() == 0 and page.locator(ERRORS).count() == 0
    screenshot(page, "sign-in-viewer-denied")


@pytest.mark.parametrize("path", PATHS)
def test_a_fresh_session_sees_only_the_sign_in_on_any_page(signed_in_server, page, path):
    url, _ = signed_in_server
    page.goto(f"{url}/{path}")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible(timeout=60_000)
    wait_ready(page)
    shown = page.locator('[data-testid="stMain"]').inner_text().split("\n\n")
    # "login" is the name of the button's icon
    assert shown == ["ISO 20000 Rollout Tracker", SIGN_IN_TEXT, "login", "Sign in"]
    assert page.locator(SIDEBAR).count() == 0
    assert (
        page.locator('[data-testid="stPageLink"], [data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0
    )


def forged(url: str, secret: str | None) -> str:
    """A user cookie naming a lead, signed as Streamlit signs it, with a secret other than the server's, or unsigned."""
    claims = {"sub": "mallory", "name": "Mallory", "email": "mallory@example.org", "roles": ["sms-leads"],
              "origin": url, "is_logged_in": True, "provider": "default"}  # fmt: skip
    text = json.dumps(claims)
    return itsdangerous.URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(text) if secret else text


@pytest.mark.parametrize("secret", ["another-secret-of-forty-characters-00000", None], ids=["other secret", "unsigned"])
def test_a_forged_cookie_is_ignored(signed_in_server, page, secret):
    url, _ = signed_in_server
    assert secret != COOKIE_SECRET
    page.context.add_cookies([{"name": "_streamlit_user", "value": forged(url, secret), "url": f"{url}/"}])
    page.goto(f"{url}/Import")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert "Mallory" not in page.inner_text("body")
    assert page.locator("h1").first.inner_text() == "ISO 20000 Rollout Tracker"
