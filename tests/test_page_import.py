"""The Import page: upload, change the mapping, preview every change, confirm, and nothing saved before."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from support import DEMO_TODAY, ROOT, app

from rollout.plan import load_plan
from rollout.stores.files import FileStore

PAGE = "pages/5_Import.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("ROLLOUT_DATA", str(folder))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    monkeypatch.setenv("ROLLOUT_USER", "Importer")
    return folder


def store(folder) -> FileStore:
    return FileStore(folder, load_plan(ROOT / "phases"))


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def changes_table(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "kind" in d.value.columns)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_an_upload_is_previewed_and_applied_only_when_confirmed(data):
    at = app(PAGE)
    content = workbook([["Weekly status"], [], ["Ref", "State", "Progress", "Who"],
                        ["P1.01", "done", "", "Helen"], ["p1.02 ", "WIP", "0.5", ""]])  # fmt: skip
    at.file_uploader(key="import_file").set_value(("status.xlsx", content, XLSX)).run()
    assert not at.exception
    assert metrics(at)["Rows with changes"] == "2" and metrics(at)["Rows rejected"] == "0"
    changes = changes_table(at)
    assert set(zip(changes["task_id"], changes["field"], changes["new"], strict=True)) >= {
        ("P1.01", "status", "done"), ("P1.01", "owner", "Helen"), ("P1.02", "percent", "50")}  # fmt: skip
    assert not (data / "progress.csv").exists(), "a preview writes nothing"
    next(b for b in at.button if b.label.startswith("Apply")).click().run()
    assert any("Saved" in s.value and "status.xlsx" in s.value for s in at.success)
    events = store(data).history()
    assert set(events["source"]) == {"import:status.xlsx"} and set(events["by"]) == {"Importer"}


def test_the_mapping_can_be_changed_on_the_page(data):
    at = app(PAGE)
    content = workbook([["Ref", "Champion", "Status"], ["P0.01", "Grace", "done"]])
    at.file_uploader(key="import_file").set_value(("owners.xlsx", content, XLSX)).run()
    changes = changes_table(at)
    assert "owner" not in set(changes["field"])
    at.session_state["import_mapping"] = {"edited_rows": {1: {"field": "owner"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.session_state["import_overrides"] == {"Champion": "owner"}
    changes = changes_table(at)
    assert ("P0.01", "owner", "Grace") in set(zip(changes["task_id"], changes["field"], changes["new"], strict=True))


def test_a_rejected_row_refuses_the_import_unless_valid_rows_only(data):
    at = app(PAGE)
    content = workbook(
        [["ID", "Status", "% complete"], ["P1.01", "done", 40], ["P1.02", "wip", 30], ["P9.99", "done", ""]]
    )
    at.file_uploader(key="import_file").set_value(("bad.xlsx", content, XLSX)).run()
    assert metrics(at)["Rows rejected"] == "2"
    problems = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert any("P9.99" in str(v) for v in problems["value"]) and any(
        "needs percent 100" in m for m in problems["message"]
    )
    apply = next(b for b in at.button if b.label.startswith("Apply"))
    assert apply.disabled
    at.checkbox(key="import_valid_only").check().run()
    next(b for b in at.button if b.label.startswith("Apply")).click().run()
    saved = store(data).load().progress.set_index("task_id")
    assert saved.loc["P1.02", "percent"] == 30 and saved.loc["P1.01", "status"] == "not_started"


def test_a_hostile_file_changes_nothing_and_says_why(data):
    at = app(PAGE)
    at.file_uploader(key="import_file").set_value(("notes.xlsx", b"this is not a workbook", XLSX)).run()
    assert not at.exception and at.error and "notes.xlsx" in at.error[0].value
    assert not (data / "progress.csv").exists()


def test_the_samples_can_be_tried_from_the_page(data):
    at = app(PAGE)
    at.selectbox(key="import_sample").set_value("weekly-status.csv").run()
    assert any("day-first or month-first" in e.value for e in at.error)
    at.selectbox(key="import_dates").set_value("dayfirst").run()
    assert not at.error and int(metrics(at)["Rows with changes"]) > 0
    assert len(changes_table(at)) > 0
