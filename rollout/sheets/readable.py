"""An import's preview as people read it: headers, fields and values in words, never the codes the files keep."""

from __future__ import annotations

import pandas as pd

from rollout import values
from rollout.plan import Plan
from rollout.progress import text_of
from rollout.records import WORDS
from rollout.sheets.preview import Preview, Reading
from rollout.sheets.targets import FINDINGS, IGNORE_LABEL, PROGRESS, Target


def value_words(field: str, text: str) -> str:
    """A value as the history writes it, in words: "In progress", "90 %", "Major"."""
    if not text:
        return ""
    if field == "status" and text in values.STATUS_LABELS:
        return values.STATUS_LABELS[text]
    if field == "percent":
        return f"{text} %"
    return WORDS.get(text, text) if field in ("grade", "status", "source") else text


def field_words(target: Target, field: str) -> str:
    return target.labels.get(field, IGNORE_LABEL)


def _values(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    out = frame.copy()
    for name in names:
        out[name] = [value_words(f, t) for f, t in zip(frame["field"], frame[name], strict=True)]
    return out


def _titles(plan: Plan, ids: pd.Series) -> list[str]:
    return [plan.tasks[t].title if t in plan.tasks else "" for t in ids]


def _place(preview: Reading, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Where each row is: its row number, and its sheet when several were read."""
    return ({"Sheet": frame["sheet"]} if len(preview.sheets) > 1 else {}) | {"Row": frame["row"]}


def _task_rows(preview: Preview, frame: pd.DataFrame, plan: Plan, **more: pd.Series | str) -> pd.DataFrame:
    """Where each row is, its task (with the title beside, so that a row matched by title shows which), the field,
    then ``more``; the values in words."""
    frame = _values(frame, "old", "new")
    columns = {
        **_place(preview, frame),
        "Task": frame["task_id"],
        "Title": _titles(plan, frame["task_id"]),
        "Field": [field_words(PROGRESS, f) for f in frame["field"]],
        **{label: frame[column] if isinstance(column, str) else column for label, column in more.items()},
    }
    return pd.DataFrame({label: list(column) for label, column in columns.items()})  # by position, not index


def changes(preview: Preview, plan: Plan) -> pd.DataFrame:
    """Every change, old and new."""
    kinds = preview.changes["kind"].map({"change": "Change", "clear": "Cleared"})
    return _task_rows(
        preview, preview.changes, plan, **{"Saved now": "old", "After the import": "new", "Change": kinds}
    )


def conflicts(preview: Preview, plan: Plan) -> pd.DataFrame:
    """Tasks of an exported workbook changed in the tool since: the value now and the file's, never applied."""
    return _task_rows(
        preview, preview.conflicts, plan,
        **{"Now in the tool": "old", "In the file": "new", "Changed by": "updated_by",
           "Revision exported": "exported_revision", "Revision now": "revision"},
    )  # fmt: skip


def newer(preview: Preview, plan: Plan) -> pd.DataFrame:
    """Values the file would overwrite that were changed in the tool after the file was saved."""
    day = preview.newer["changed_at"].str.slice(0, 10)
    return _task_rows(
        preview, preview.newer, plan,
        **{"Now in the tool": "old", "In the file": "new", "Changed in the tool on": day, "By": "changed_by"},
    )  # fmt: skip


def problems(preview: Reading) -> pd.DataFrame:
    """The rejected rows: where, the value, why, and the close ids offered (never applied)."""
    frame = preview.problems
    return pd.DataFrame(
        {
            **_place(preview, frame),
            "Column": frame["column"],
            "Cell": frame["cell"],
            "Value": frame["value"],
            "Why it cannot be imported": frame["message"],
            "Did you mean": frame["suggestions"].map(", ".join),
        }
    )


SHOWN_FIRST = ("grade", "clauses", "description", "owner", "due", "status", "source")  # what a reader looks for


def new_findings(preview) -> pd.DataFrame:
    """The findings a findings import would add, in words, the grade and the finding first."""
    frame = preview.added
    order = [*SHOWN_FIRST, *(n for n in FINDINGS.imported if n not in SHOWN_FIRST)]
    shown = {
        FINDINGS.labels[n]: [value_words(n, "" if pd.isna(v) else text_of(v)) for v in frame[n]]
        for n in order
        if frame[n].notna().any()
    }
    return pd.DataFrame({**_place(preview, frame), **shown})


def finding_changes(preview) -> pd.DataFrame:
    """The changes a findings import would make to findings of the register, field by field, in words."""
    frame = _values(preview.changes, "old", "new")
    return pd.DataFrame(
        {
            **_place(preview, frame),
            "Finding": frame["id"],
            "Field": [field_words(FINDINGS, f) for f in frame["field"]],
            "Saved now": frame["old"],
            "After the import": frame["new"],
        }
    )
