"""Import in a real browser: an edited export applied; a CSV whose header is not recognised given its header row
and its columns on the page; an audit report's findings added. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from e2e_helpers import ERRORS, screenshot, sidebar_to, wait_ready
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from support import ROOT

from rollout.sheets.exporter import export_bytes
from rollout.stores.files import FileStore

pytestmark = pytest.mark.e2e
WIDTHS = (1280, 390)


def upload(page, path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    wait_ready(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a select box by its label, as a person does: open it, click the option."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_ready(page)


def read_as(page, row: int, field: str, then: str) -> None:
    """Say what the column on this row of the Columns table holds: reach its "Read as" cell by keyboard from the
    first cell (the column names, never edited), type the field, and wait for the page to show ``then`` and the
    table, drawn anew, to show the choice."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    index = int(grid.locator('th[role="columnheader"]', has_text="Read as").first.get_attribute("aria-colindex")) - 1
    cell = grid.locator(f'[data-testid="glide-cell-{index}-{row}"]')
    for attempt in range(3):  # a grid drawn anew a moment after the page settles can miss the first click
        grid.locator('[data-testid="data-grid-canvas"]').click(position={"x": 8, "y": 50}, force=True)
        page.keyboard.press("Control+Home")
        for key in ["ArrowRight"] * index + ["ArrowDown"] * row:
            page.keyboard.press(key)
        try:
            cell.and_(page.locator('[aria-selected="true"]')).wait_for(state="attached", timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    page.keyboard.press("Enter")
    page.get_by_role("option", name=field, exact=True).wait_for()
    page.keyboard.type(field, delay=20)  # the list narrows to the field, which Enter takes
    page.keyboard.press("Enter")
    page.get_by_text(then).first.wait_for()
    wait_ready(page)
    expect(cell).to_have_text(field)


def shots(page, name: str) -> None:
    """The page at a desk's width and a phone's (where the sidebar folds away), tall enough to hold it all: the
    app scrolls inside itself, so that a full-page shot holds only the window."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 2400})
        wait_ready(page)
        if width < 600:
            page.locator('[data-testid="stSidebar"][data-collapsed="true"]').wait_for(state="attached")
            page.wait_for_timeout(600)  # the sidebar slides away
        for grid in page.locator('[data-testid="stDataFrame"]').all():
            grid.locator('[data-testid="glide-cell-0-0"]').wait_for(state="attached")
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1440, "height": 1000})


def go_to_import(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    sidebar_to(page, "Import")


def test_an_edited_export_is_uploaded_previewed_and_applied(app_server, page, tmp_path, bundled_plan):
    url, data = app_server
    store = FileStore(data, bundled_plan)
    book = openpyxl.load_workbook(io.BytesIO(export_bytes(bundled_plan, store.load().progress)))
    sheet = book[next(n for n in book.sheetnames if "3" in n)]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("owner") + 1, value="Uploaded Owner")
    path = tmp_path / "edited.xlsx"
    book.save(path)
    task_id = sheet.cell(row=2, column=1).value

    go_to_import(page, url)
    upload(page, path)
    apply = page.get_by_role("button", name="Apply 1 change")
    apply.wait_for()
    screenshot(page, "Import-preview")
    apply.click()
    page.get_by_text("Saved 1 field change to 1 task from edited.xlsx.").wait_for()
    saved = pd.read_csv(data / "progress.csv", dtype=str, keep_default_na=False).set_index("task_id")
    assert saved.loc[task_id, "owner"] == "Uploaded Owner"


def test_an_unrecognised_header_is_chosen_and_its_columns_mapped_on_the_page(app_server, page, tmp_path):
    url, data = app_server
    path = tmp_path / "team-list.csv"
    path.write_text("Teamliste, KW 48\nKennung,Stand,Verantwortlich\nP4.02,wip,Farah Q.\nP4.03,on hold,Farah Q.\n")
    go_to_import(page, url)
    upload(page, path)
    page.get_by_text("has no header row in its first 30 rows").wait_for()
    assert "--" not in page.locator('[data-testid="stAlertContentError"]').inner_text()
    shots(page, "Import-no-header")

    choose(page, "Header row", "Row 2: Kennung · Stand · Verantwortlich")
    page.get_by_text("has no task id or title column").wait_for()
    shots(page, "Import-map-columns")
    read_as(page, 0, "Task ID", then="has no column to import")
    read_as(page, 1, "Status", then="Apply 2 changes")
    read_as(page, 2, "Owner", then="Apply 4 changes")
    apply = page.get_by_role("button", name="Apply 4 changes")
    assert page.locator(ERRORS).count() == 0
    shots(page, "Import-mapped-preview")
    apply.click()
    page.get_by_text("from team-list.csv.").wait_for()
    saved = pd.read_csv(data / "progress.csv", dtype=str, keep_default_na=False).set_index("task_id")
    assert saved.loc["P4.02", ["status", "owner"]].tolist() == ["in_progress", "Farah Q."]
    assert saved.loc["P4.03", "status"] == "blocked"
    assert "Verantwortlich" in (data / "mappings.yaml").read_text()


def test_an_audit_report_is_uploaded_and_its_findings_added(app_server, page):
    url, data = app_server
    before = pd.read_csv(data / "findings.csv", dtype=str, keep_default_na=False)
    go_to_import(page, url)
    page.get_by_role("radio", name="Audit findings").click()
    wait_ready(page)
    upload(page, ROOT / "data" / "samples" / "stage1-audit-report.xlsx")
    page.get_by_text("does not say where the findings come from").wait_for()
    choose(page, "Findings from", "Stage 1 audit")
    apply = page.get_by_role("button", name="Apply 4 findings")
    apply.wait_for()
    assert page.locator(ERRORS).count() == 0
    shots(page, "Import-findings-preview")
    apply.click()
    page.get_by_text("from stage1-audit-report.xlsx.").wait_for()
    after = pd.read_csv(data / "findings.csv", dtype=str, keep_default_na=False)
    added = after[~after["id"].isin(before["id"])]
    assert added["grade"].tolist() == ["minor", "minor", "observation", "opportunity"]
    assert set(added["source"]) == {"stage1"} and added["description"].iloc[0].startswith("S1-NC-01: ")
