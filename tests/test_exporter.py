"""The export and the template: the design's columns, a workbook people can work in, safe from formulas."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from rollout import values
from rollout.records import FINDING_STATUSES, GRADES, SCHEMAS
from rollout.sheets import exporter, importer
from rollout.sheets.exporter import ExportError, defuse, undefuse
from rollout.stores.files import FileStore


@pytest.fixture
def demo(demo_data, bundled_plan) -> FileStore:
    return FileStore(demo_data, bundled_plan)


@pytest.fixture
def book(demo, bundled_plan):
    snapshot = demo.load()
    data = exporter.export_bytes(bundled_plan, snapshot.progress, ".xlsx", snapshot.records)
    return load_workbook(io.BytesIO(data))


@pytest.mark.parametrize(
    "text",
    ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "'=already quoted", "''", "'", "plain", "O'Brien", "'quoted'", ""],
)
def test_defuse_makes_formulas_text_and_undefuse_gives_back_exactly(text):
    safe = defuse(text)
    assert undefuse(safe) == text
    assert not safe.startswith(exporter.FORMULA_START)


def test_the_workbook_has_a_summary_and_one_sheet_per_stage_with_the_export_columns(book, bundled_plan):
    stages = [f"Stage {s.number}" for s in bundled_plan.stages]
    assert book.sheetnames == [exporter.SUMMARY_SHEET, *stages, "Assessments", "Findings", "Decisions"]
    for stage in bundled_plan.stages:
        sheet = book[f"Stage {stage.number}"]
        assert [c.value for c in sheet[1]] == [*exporter.COLUMNS, "kind", "clauses_2011", "verified_by", "verified_at"]
        assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == list(stage.task_ids)


def test_the_assurance_records_have_sheets_of_their_own_in_their_machine_columns_and_codes(book, demo):
    records = demo.load().records
    for kind, schema in SCHEMAS.items():
        rows = [[c.value for c in row] for row in book[kind.capitalize()].iter_rows()]
        assert rows[0] == schema.columns and len(rows) - 1 == len(records[kind]) > 0
    findings = pd.DataFrame(rows_of(book["Findings"]))
    assert set(findings["grade"]) <= set(GRADES) and set(findings["status"]) <= set(FINDING_STATUSES)
    assert all(isinstance(d, dt.datetime) for d in findings["due"].dropna())


def rows_of(sheet) -> list[dict]:
    header, *rows = ([c.value for c in row] for row in sheet.iter_rows())
    return [dict(zip(header, r, strict=True)) for r in rows]


def test_stage_sheets_are_ready_to_work_in(book):
    sheet = book["Stage 2"]
    rows = sheet.max_row
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == f"A1:T{rows}"
    status, percent = sheet.data_validations.dataValidation
    assert status.type == "list" and status.formula1 == '"' + ",".join(values.STATUSES) + '"'
    assert str(status.sqref) == f"G2:G{rows}" and (percent.type, percent.formula1, percent.formula2) == (
        "whole",
        "0",
        "100",
    )
    assert 10 <= sheet.column_dimensions["C"].width <= exporter.MAX_WIDTH  # titles: readable, not endless
    assert sheet.column_dimensions["A"].width >= len("task_id")
    start = exporter.COLUMNS.index("start") + 1
    dated = [sheet.cell(r, start) for r in range(2, rows + 1) if sheet.cell(r, start).value is not None]
    assert dated and all(c.number_format == "yyyy-mm-dd" and c.is_date for c in dated)


def test_the_summary_gives_counts_and_readiness_per_stage(book, bundled_plan):
    sheet = book[exporter.SUMMARY_SHEET]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows.index(["Stage", "Name", "Tasks", "Done", "Not applicable", "Implementation progress"])
    stages = rows[header + 1 : header + 1 + len(bundled_plan.stages)]
    assert [r[0] for r in stages] == [s.number for s in bundled_plan.stages]
    assert sum(r[2] for r in stages) == len(bundled_plan.tasks) and all(r[5].endswith("%") for r in stages)


def test_text_that_looks_like_a_formula_is_written_as_text(demo, bundled_plan):
    demo.save({"P1.01": {"notes": '=HYPERLINK("http://evil")', "owner": "@admin"}}, None, by="t", source="cli")
    book = load_workbook(io.BytesIO(exporter.export_bytes(bundled_plan, demo.load().progress)))
    row = list(bundled_plan.stage(1).task_ids).index("P1.01") + 2
    notes = book["Stage 1"].cell(row, exporter.COLUMNS.index("notes") + 1)
    owner = book["Stage 1"].cell(row, exporter.COLUMNS.index("owner") + 1)
    assert (notes.data_type, notes.value) == ("s", '\'=HYPERLINK("http://evil")')
    assert owner.value == "'@admin"


def test_the_csv_export_is_defused_and_keeps_the_columns(demo, bundled_plan):
    demo.save({"P1.01": {"notes": "-3 days late"}}, None, by="t", source="cli")
    data = exporter.export_bytes(bundled_plan, demo.load().progress, ".csv")
    table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(table.columns[: len(exporter.COLUMNS)]) == exporter.COLUMNS
    assert table.set_index("task_id").loc["P1.01", "notes"] == "'-3 days late"


def test_write_export_by_extension(tmp_path, demo, bundled_plan):
    progress = demo.load().progress
    for suffix in exporter.EXPORT_FORMATS:
        assert exporter.write_export(tmp_path / f"x{suffix}", bundled_plan, progress) == len(bundled_plan.tasks)
    assert list(pd.read_parquet(tmp_path / "x.parquet").columns)[: len(exporter.COLUMNS)] == exporter.COLUMNS
    with pytest.raises(ExportError, match=r"unknown export format \.pdf"):
        exporter.write_export(tmp_path / "x.pdf", bundled_plan, progress)


def test_the_template_lists_tasks_and_allowed_values(bundled_plan):
    book = load_workbook(io.BytesIO(exporter.template_bytes(bundled_plan)))
    assert book.sheetnames == [exporter.TEMPLATE_SHEET, exporter.ALLOWED_SHEET]
    sheet = book[exporter.TEMPLATE_SHEET]
    assert [c.value for c in sheet[1]] == exporter.TEMPLATE_COLUMNS
    assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == list(bundled_plan.tasks)
    assert sheet.cell(2, 2).value == next(iter(bundled_plan.tasks.values())).title
    assert all(sheet.cell(r, 3).value is None for r in range(2, sheet.max_row + 1))
    allowed = [[c.value for c in row] for row in book[exporter.ALLOWED_SHEET].iter_rows()]
    codes = {r[0]: r[1] for r in allowed[1:6]}
    assert list(codes) == list(values.STATUSES) and "wip" in codes["in_progress"]


@pytest.mark.parametrize("suffix", exporter.TEMPLATE_FORMATS)
def test_a_filled_template_imports(tmp_path, bundled_plan, suffix):
    store = FileStore(tmp_path / "data", bundled_plan)
    blank = tmp_path / f"template{suffix}"
    exporter.write_template(blank, bundled_plan)
    assert importer.preview_import(blank, bundled_plan, store).changed == 0  # blank cells keep saved values
    table = exporter.template_table(bundled_plan)
    table.loc[0, ["Status", "% complete", "Due date"]] = ["wip", "30%", "2026-12-01"]
    filled = tmp_path / f"filled{suffix}"
    if suffix == ".csv":
        table.to_csv(filled, index=False)
    else:
        table.to_excel(filled, index=False)
    p = importer.preview_import(filled, bundled_plan, store)
    first = next(iter(bundled_plan.tasks))
    assert {(r.task_id, r.field, r.new) for r in p.changes.itertuples()} == {
        (first, "status", "in_progress"),
        (first, "percent", "30"),
        (first, "due", "2026-12-01"),
    }


def test_an_unknown_template_format_is_refused(tmp_path, bundled_plan):
    with pytest.raises(ExportError, match=r"unknown template format \.ods"):
        exporter.write_template(tmp_path / "t.ods", bundled_plan)


def test_an_exported_date_reads_back_as_the_same_day(demo, bundled_plan):
    demo.save({"P4.03": {"start": dt.date(2027, 2, 28), "due": dt.date(2027, 3, 1)}}, None, by="t", source="cli")
    data = exporter.export_bytes(bundled_plan, demo.load().progress)
    p = importer.preview_import(data, bundled_plan, demo, name="x.xlsx")
    assert p.changed == 0 and p.rejected == 0
