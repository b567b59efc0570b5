"""What people do first, done as they do it: navigate from the sidebar, then click, type, build and download."""

from __future__ import annotations

import pandas as pd
import pytest
from e2e_helpers import ERRORS, screenshot, sidebar_to, type_and_save, wait_ready
from pypdf import PdfReader

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "page_name, control",
    [
        ("Steering committee", lambda p: p.get_by_text("The pack for the meeting's papers").click()),
        ("Readiness", lambda p: p.get_by_role("radio", name="Clause by stage").click()),
        ("Plan", lambda p: p.get_by_role("tab").nth(2).click()),
    ],
)
def test_a_control_works_after_the_first_sidebar_click_of_a_new_session(app_server, page, page_name, control):
    url, _ = app_server
    page.goto(url)
    wait_ready(page)
    sidebar_to(page, page_name)
    edition = page.locator('[data-testid="stSidebar"]').get_by_role("radiogroup", name="Clauses of")
    assert edition.get_by_role("radio", checked=True).count() == 1  # the edition still shows as chosen
    control(page)
    wait_ready(page)
    assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).first.inner_text()
    sidebar_to(page, "Overview")
    assert page.locator(ERRORS).count() == 0


def test_the_committee_builds_the_pdf_pack_in_the_page_and_downloads_it(app_server, page, tmp_path):
    url, _ = app_server
    page.goto(url)
    wait_ready(page)
    sidebar_to(page, "Steering committee")
    page.get_by_text("The pack for the meeting's papers").click()
    page.get_by_role("button", name="Build the pack").click()
    download_button = page.get_by_role("button", name="Download steering-committee-pack-")
    download_button.wait_for(timeout=90_000)
    assert page.locator(ERRORS).count() == 0
    with page.expect_download() as started:
        download_button.click()
    saved = tmp_path / started.value.suggested_filename
    started.value.save_as(saved)
    assert saved.name.endswith(".pdf") and saved.read_bytes().startswith(b"%PDF-")
    assert "Steering committee pack" in PdfReader(saved).pages[0].extract_text()
    screenshot(page, "journey-committee-pdf")


def test_evidence_typed_into_the_progress_grid_is_saved_as_typed(app_server, page):
    url, data = app_server
    page.goto(url)
    wait_ready(page)
    sidebar_to(page, "Progress")
    typed = "https://intranet.northwind.example/sms/business-case-v1.pdf"
    task = type_and_save(page, "Evidence", 4, typed)
    saved = pd.read_csv(data / "progress.csv", dtype=str, keep_default_na=False).set_index("task_id")
    assert saved.loc[task, "evidence"] == typed
