"""Progress joined with the plan, written as a file a person opens in a spreadsheet program; and the import template.

The xlsx export has a summary sheet, one sheet per stage with the export columns, and the
findings, assessments and decisions on sheets of their own (their machine columns and codes);
the importer recognises each by its columns and reads it back exactly (``undefuse``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from rollout import readiness, values
from rollout.fileio import atomic_write_bytes
from rollout.plan import EDITION_NAMES, EDITIONS, Plan
from rollout.records import SCHEMAS
from rollout.summary import PROGRESS

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

COLUMNS = [
    "task_id",
    "stage",
    "title",
    "clauses",
    "deliverable",
    "role",
    "status",
    "percent",
    "owner",
    "start",
    "due",
    "evidence",
    "notes",
    "updated_at",
    "updated_by",
    "revision",
]
# after the columns the importer recognises its own workbook by: read by people, never imported
MORE_COLUMNS = ["kind", "other_clauses", "verified_by", "verified_at"]
TEXT_COLUMNS = ["title", "clauses", "deliverable", "role", "owner", "evidence", "notes", "updated_by"]
RecordTables = dict[str, pd.DataFrame] | None  # kind -> the assurance records, as a snapshot holds them
FORMULA_START = values.FORMULA_START
EXPORT_FORMATS = (".csv", ".parquet", ".xlsx")
TEMPLATE_FORMATS = (".csv", ".xlsx")
SUMMARY_SHEET = "Summary"
TEMPLATE_SHEET = "Import"
ALLOWED_SHEET = "Allowed values"
TEMPLATE_COLUMNS = ["Task ID", "Title", "Status", "% complete", "Owner", "Start date", "Due date", "Evidence", "Notes"]
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")


class ExportError(ValueError):
    """The export cannot be written; names the file."""


def export_table(plan: Plan, progress: pd.DataFrame) -> pd.DataFrame:
    """The export columns, in order, for every task of the plan: clauses in the plan's edition, then the other's."""
    table = readiness.task_table(plan, progress)
    other = next(e for e in EDITIONS if e != plan.edition)
    table["clauses"] = ["; ".join(plan.clauses_of(plan.tasks[t], plan.edition)) for t in table["task_id"]]
    table["other_clauses"] = ["; ".join(plan.clauses_of(plan.tasks[t], other)) for t in table["task_id"]]
    for name in ("start", "due"):
        table[name] = table[name].dt.strftime("%Y-%m-%d").fillna("")
    return table[COLUMNS + MORE_COLUMNS].rename(columns={"other_clauses": f"clauses_{other}"}).reset_index(drop=True)


def defuse(value: str) -> str:
    """Prefix a quote so that a spreadsheet program shows a cell as text, never runs it as a formula.

    A value that already starts with a quote before such a character is quoted too, so that
    ``undefuse(defuse(v)) == v`` for every text.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_START) or undefuse(value) != value):
        return "'" + value
    return value


def undefuse(value: str) -> str:
    """The value before ``defuse``, for reading back the tool's own export."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1] in (*FORMULA_START, "'"):
        return value[1:]
    return value


def safe_for_spreadsheets(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for name in TEXT_COLUMNS:
        if name in out:
            out[name] = out[name].map(defuse)
    return out


# export --------------------------------------------------------------------------
def export_bytes(plan: Plan, progress: pd.DataFrame, kind: str = ".xlsx", records: RecordTables = None) -> bytes:
    """The export as file content (.csv, .parquet or .xlsx, which carries the ``records`` too), e.g. for a download."""
    table = export_table(plan, progress)
    if kind == ".csv":
        return _csv_bytes(safe_for_spreadsheets(table))
    if kind == ".parquet":
        out = io.BytesIO()
        table.to_parquet(out, index=False)
        return out.getvalue()
    if kind == ".xlsx":
        _refuse_unfit(table)
        return _xlsx_bytes(lambda book: _export_sheets(book, plan, progress, table, records or {}))
    raise ExportError(f"unknown export format {kind or '(none)'}; expected {', '.join(EXPORT_FORMATS)}")


def write_export(path: str | Path, plan: Plan, progress: pd.DataFrame, records: RecordTables = None) -> int:
    """Write the export by the file's extension; returns the number of task rows."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in EXPORT_FORMATS:
        raise ExportError(f"{path}: unknown export format {kind or '(none)'}; expected {', '.join(EXPORT_FORMATS)}")
    atomic_write_bytes(path, export_bytes(plan, progress, kind, records))
    return len(plan.tasks)


def _refuse_unfit(table: pd.DataFrame) -> None:
    """A workbook cuts long text and cannot hold control characters: name such cells rather than lose them.

    Saves refuse such text; a value saved before that rule can still hold it.
    """
    unfit = [
        f"{task_id} {name} {problem}"
        for name in TEXT_COLUMNS
        for task_id, text in zip(table["task_id"], table[name], strict=True)
        if isinstance(text, str) and (problem := values.text_problem(text))
    ]
    if unfit:
        raise ExportError(
            f"a workbook cannot keep {len(unfit)} value(s) whole: {'; '.join(unfit[:5])}. "
            "Correct them, or export as .csv or .parquet, which keep them."
        )


def stage_sheet(number: int) -> str:
    return f"Stage {number}"


def record_sheet(kind: str) -> str:
    return kind.capitalize()


def _export_sheets(book: Workbook, plan: Plan, progress: pd.DataFrame, table: pd.DataFrame, records: dict) -> None:
    _summary_sheet(book, plan, progress)
    safe = safe_for_spreadsheets(table)
    for name in ("start", "due"):
        safe[name] = [dt.date.fromisoformat(d) if d else None for d in safe[name]]
    for stage in plan.stages:
        rows = safe[safe["stage"] == stage.number]
        sheet = _table_sheet(book, stage_sheet(stage.number), rows, dates=("start", "due"))
        _validations(sheet, list(rows.columns), len(rows), "status", "percent")
    for kind, schema in SCHEMAS.items():
        frame = records.get(kind, pd.DataFrame(columns=schema.columns))[schema.columns].astype(object)
        for name in schema.fields:
            frame[name] = [
                None if v is None or v is pd.NaT or v != v else v.date() if name in schema.dates else defuse(v)
                for v in frame[name]
            ]
        _table_sheet(book, record_sheet(kind), frame, dates=schema.dates)


def _summary_sheet(book: Workbook, plan: Plan, progress: pd.DataFrame) -> None:
    tasks = readiness.task_table(plan, progress)
    sheet = book.create_sheet(SUMMARY_SHEET)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 48
    title = WriteOnlyCell(sheet, value=f"ISO/IEC 20000 rollout: {plan.organisation}")
    title.font = Font(bold=True, size=14)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    edition = ["Edition", EDITION_NAMES[plan.edition]]
    rows = ([title], ["Scope", defuse(plan.scope)], edition, ["Target date", plan.target_date], ["Exported", stamp], [])
    for row in rows:
        sheet.append([_dated(sheet, v) for v in row])
    sheet.append(_header(sheet, ["Stage", "Name", "Tasks", "Done", "Not applicable", PROGRESS]))
    for stage in plan.stages:
        rows = tasks[tasks["stage"] == stage.number]
        figure = readiness.percent_text(readiness.weighted(rows))
        counts = rows["status"].value_counts()
        sheet.append(
            [stage.number, stage.name, len(rows), counts.get("done", 0), counts.get("not_applicable", 0), figure]
        )
    sheet.append([])
    for line in (
        "Edit status, percent, owner, start, due, evidence and notes on the stage sheets, then import this file.",
        "An emptied cell clears the field. Keep task_id and revision as they are: a task changed in the tool",
        "since this export is shown as a conflict at import and never overwritten. Verification is made",
        "in the tool by a second person, never by an import. The Findings, Assessments and Decisions sheets hold",
        "the assurance records; the Findings sheet imports back as audit findings.",
        f"Status codes: {', '.join(values.STATUSES)}. Percent: 0 to 100. Dates: YYYY-MM-DD.",
    ):
        sheet.append([line])


# template ------------------------------------------------------------------------
def template_table(plan: Plan) -> pd.DataFrame:
    """A blank import sheet: every task's id and title, the columns to fill left empty."""
    table = pd.DataFrame({c: "" for c in TEMPLATE_COLUMNS}, index=range(len(plan.tasks)))
    table["Task ID"] = list(plan.tasks)
    table["Title"] = [t.title for t in plan.tasks.values()]
    return table


def template_bytes(plan: Plan, kind: str = ".xlsx") -> bytes:
    """The import template as file content: .xlsx (with an "Allowed values" sheet) or .csv."""
    table = template_table(plan)
    table["Title"] = table["Title"].map(defuse)
    if kind == ".csv":
        return _csv_bytes(table)
    if kind == ".xlsx":
        return _xlsx_bytes(lambda book: _template_sheets(book, table))
    raise ExportError(f"unknown template format {kind or '(none)'}; expected {', '.join(TEMPLATE_FORMATS)}")


def write_template(path: str | Path, plan: Plan) -> int:
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in TEMPLATE_FORMATS:
        raise ExportError(f"{path}: unknown template format {kind or '(none)'}; expected .xlsx or .csv")
    atomic_write_bytes(path, template_bytes(plan, kind))
    return len(plan.tasks)


def _template_sheets(book: Workbook, table: pd.DataFrame) -> None:
    sheet = _table_sheet(book, TEMPLATE_SHEET, table, dates=())
    _validations(sheet, list(table.columns), len(table), "Status")
    allowed = book.create_sheet(ALLOWED_SHEET)
    allowed.column_dimensions["A"].width = 18
    allowed.column_dimensions["B"].width = 100
    allowed.append(_header(allowed, ["Status", "Words accepted (case, spaces, hyphens and underscores ignored)"]))
    for code, words in values.status_words().items():
        allowed.append([code, ", ".join(w for w in words if w != code)])
    allowed.append([])
    allowed.append(_header(allowed, ["Column", "What to write"]))
    for name, text in (
        ("% complete", "0 to 100, like 50 or 50%; a column holding only numbers 0 to 1 is read as fractions"),
        ("Dates", "a date cell or YYYY-MM-DD; day/month/year text needs the order chosen at import"),
        ("Empty cells", "keep the value saved in the tool"),
        ("Task ID", "identifies the task; the title is for reading only"),
    ):
        allowed.append([name, text])


# xlsx helpers --------------------------------------------------------------------
def _xlsx_bytes(build: Callable[[Workbook], None]) -> bytes:
    book = Workbook(write_only=True)
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_bytes(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def _header(sheet: WriteOnlyWorksheet, names: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cells.append(cell)
    return cells


def _dated(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        cell.alignment = Alignment(horizontal="left")
        return cell
    return value


def _table_sheet(book: Workbook, title: str, table: pd.DataFrame, dates: tuple[str, ...]) -> WriteOnlyWorksheet:
    """A sheet with a frozen, filtered header row, readable widths and dates shown as YYYY-MM-DD."""
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "B2"
    for index, name in enumerate(table.columns, start=1):
        longest = int(table[name].fillna("").astype(str).str.len().max()) if len(table) else 0
        width = len(DATE_FORMAT) if name in dates else longest
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(len(name), width) + 2)
    sheet.append(_header(sheet, list(table.columns)))
    date_positions = [table.columns.get_loc(d) for d in dates]
    for record in table.itertuples(index=False):
        row = list(record)
        for position in date_positions:
            row[position] = _dated(sheet, row[position])
        sheet.append(row)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    return sheet


def _validations(
    sheet: WriteOnlyWorksheet, columns: list[str], rows: int, status: str, percent: str | None = None
) -> None:
    """A drop-down of the status codes (other accepted words only warn); whole percents 0 to 100 if asked."""
    last = max(rows + 1, 2)
    codes = DataValidation(
        type="list",
        formula1=f'"{",".join(values.STATUSES)}"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Status",
        error=f"Expected one of {', '.join(values.STATUSES)} (words like done, wip or n/a are read too).",
    )
    whole = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Percent",
        error="A whole percent from 0 to 100.",
    )
    for validation, name in ((codes, status), (whole, percent)):
        if name is None:
            continue
        letter = get_column_letter(columns.index(name) + 1)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.data_validations.append(validation)
