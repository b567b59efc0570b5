"""Progress joined with the plan, written as a file a person opens in a spreadsheet program."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rollout import readiness
from rollout.fileio import atomic_write
from rollout.plan import Plan

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
TEXT_COLUMNS = ["title", "clauses", "deliverable", "role", "owner", "evidence", "notes", "updated_by"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """The export cannot be written; names the file."""


def export_table(plan: Plan, progress: pd.DataFrame) -> pd.DataFrame:
    """The export columns, in order, for every task of the plan."""
    table = readiness.task_table(plan, progress)
    table["clauses"] = ["; ".join(plan.tasks[t].clauses) for t in table["task_id"]]
    for name in ("start", "due"):
        table[name] = table[name].dt.strftime("%Y-%m-%d").fillna("")
    return table[COLUMNS].reset_index(drop=True)


def defuse(value: str) -> str:
    """Prefix a quote so that a spreadsheet program shows a cell as text, never runs it as a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def undefuse(value: str) -> str:
    """The value before ``defuse``, for reading back the tool's own export."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value


def safe_for_spreadsheets(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for name in TEXT_COLUMNS:
        out[name] = out[name].map(defuse)
    return out


def write_export(path: str | Path, plan: Plan, progress: pd.DataFrame) -> int:
    """Write the export by the file's extension; returns the number of task rows."""
    path = Path(path)
    table = export_table(plan, progress)
    kind = path.suffix.lower()
    if kind == ".csv":
        atomic_write(
            path,
            lambda temp: safe_for_spreadsheets(table).to_csv(
                temp, index=False, encoding="utf-8-sig", lineterminator="\n"
            ),
        )
    elif kind == ".parquet":
        atomic_write(path, lambda temp: table.to_parquet(temp, index=False))
    else:
        raise ExportError(f"{path}: unknown export format {kind or '(none)'}; expected .csv or .parquet")
    return len(table)
