"""Import in a real browser: upload a workbook exported by the tool, edited, and apply it."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from e2e_helpers import screenshot, wait_ready

from rollout.sheets.exporter import export_bytes
from rollout.stores.files import FileStore

pytestmark = pytest.mark.e2e


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

    page.goto(f"{url}/Import")
    wait_ready(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Rows with changes").wait_for()
    wait_ready(page)
    apply = page.get_by_role("button", name="Apply 1 change(s)")
    apply.wait_for()
    screenshot(page, "Import-preview")
    apply.click()
    page.get_by_text("Saved 1 field change(s) to 1 task(s) from edited.xlsx.").wait_for()
    saved = pd.read_csv(data / "progress.csv", dtype=str, keep_default_na=False).set_index("task_id")
    assert saved.loc[task_id, "owner"] == "Uploaded Owner"
