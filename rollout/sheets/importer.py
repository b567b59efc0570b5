"""Import progress from spreadsheets: match tasks, validate, diff, preview, then apply on request.

``preview_import`` reads a file (``spreadsheet``), maps its columns (``mapping``), normalises
them (``columns``) and compares them with the saved progress, all column-wise; the status,
percent and date rules are the store's own (``store.apply_change``). Nothing is written until
``apply_import``, which makes one atomic save.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rollout import values
from rollout.plan import Plan
from rollout.progress import ChangeError, SaveResult, Snapshot, apply_change, default_row, text_of
from rollout.sheets import columns, mapping
from rollout.sheets.spreadsheet import SpreadsheetError, open_workbook
from rollout.stores.files import FileStore

RULED = ("status", "percent", "start", "due")  # the fields the store's rules tie together
CHANGE_COLUMNS = ["sheet", "row", "task_id", "field", "old", "new", "kind"]
CONFLICT_COLUMNS = ["sheet", "row", "task_id", "field", "old", "new", "exported_revision", "revision", "updated_by"]
PROBLEM_COLUMNS = ["sheet", "row", "column", "cell", "value", "task_id", "message", "suggestions"]


@dataclass
class Preview:
    """What an import would do; nothing is written until ``apply_import``.

    ``changes``: sheet, row, task_id, field, old, new, kind ("change" or "clear"), derived
    changes included (status done sets percent 100). ``conflicts``: rows of a workbook this
    tool exported whose task changed in the tool since: old is the value now, new the file's.
    ``problems``: why each rejected row is refused; ``suggestions`` holds close task ids.
    """

    file: str
    sheets: list[str]
    own_export: bool
    columns: list[str]
    mapping: dict[str, str]
    date_order: str | None
    changes: pd.DataFrame
    conflicts: pd.DataFrame
    problems: pd.DataFrame
    unchanged: int
    changed: int
    rejected: int
    notes: list[str] = field(default_factory=list)
    updates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)  # field: tasks, values
    revisions: dict[str, int] = field(default_factory=dict, repr=False)  # as loaded, checked again by the save
    remember: bool = False  # a mapping changed by the user, kept once applied

    @property
    def payload(self) -> dict[str, dict[str, Any]]:
        """The changes as ``store.save`` takes them."""
        out: dict[str, dict[str, Any]] = {}
        for name, (tasks, typed) in self.updates.items():
            for task_id, value in zip(tasks.tolist(), typed.tolist(), strict=True):
                out.setdefault(task_id, {})[name] = value
        return out

    @property
    def source(self) -> str:
        return f"import:{Path(self.file).name}"

    @property
    def refused(self) -> bool:
        """True when a row is rejected or in conflict: the import applies only with valid rows only chosen."""
        return self.rejected > 0

    @property
    def clears(self) -> pd.DataFrame:
        return self.changes[self.changes["kind"] == "clear"]

    @property
    def conflicted(self) -> int:
        return self.conflicts["task_id"].nunique()

    @property
    def suggestions(self) -> pd.DataFrame:
        return self.problems[self.problems["suggestions"].map(bool)]


def preview_import(
    source: str | Path | bytes,
    plan: Plan,
    store: FileStore,
    *,
    name: str | None = None,
    sheet: str | None = None,
    overrides: Mapping[str, str] | None = None,
    dates: str | None = None,
    snapshot: Snapshot | None = None,
) -> Preview:
    """Read a spreadsheet (a path, or uploaded bytes named ``name``) and compare it with the saved progress.

    ``snapshot`` may be one the caller has just loaded; a save of the preview still refuses
    tasks changed since it was loaded.
    """
    if dates not in (None, *values.DATE_ORDERS):
        raise SpreadsheetError(f"unknown date order {dates!r}", hint="use dayfirst or monthfirst")
    overrides = dict(overrides or {})
    for column, target in overrides.items():
        if target not in (*mapping.MAP_FIELDS, mapping.IGNORE):
            raise SpreadsheetError(
                f"cannot map {column!r} to {target!r}", hint=f"fields: {', '.join(mapping.MAP_FIELDS)} or ignore"
            )
    book = open_workbook(source, name)
    layout = mapping.layout(book, sheet, overrides, store.folder)
    rows = columns.extract(layout)
    snapshot = snapshot or store.load()
    preview = _Comparison(rows, layout, plan, snapshot, dates, book.file, store.history).preview()
    preview.remember = not layout.own and layout.mapping != layout.auto
    return preview


def apply_import(preview: Preview, store: FileStore, by: str, *, valid_rows_only: bool = False) -> SaveResult:
    """Save the previewed changes in one atomic save; refused while rows are rejected unless valid rows only."""
    if preview.refused and not valid_rows_only:
        raise SpreadsheetError(
            f"refused: {preview.rejected} rejected rows; nothing was saved",
            file=preview.file,
            hint="correct those rows, or apply the valid rows only (--valid-rows-only)",
        )
    result = store.save(preview.payload, preview.revisions, by=by, source=preview.source)
    if preview.remember:
        mapping.remember_mapping(store.folder, preview.columns, preview.mapping)
    return result


# comparison ----------------------------------------------------------------------
class _Comparison:
    """One pass over the rows: normalise, match tasks, check, and diff against the saved progress."""

    def __init__(
        self,
        rows: columns.Rows,
        layout: mapping.Layout,
        plan: Plan,
        snapshot: Snapshot,
        order: str | None,
        file: str,
        history: Callable[[], pd.DataFrame],
    ):
        self.rows, self.layout, self.plan, self.order, self.file = rows, layout, plan, order, file
        self.history = history
        self.own = layout.own
        self.key = "task_id" if "task_id" in rows.columns else "title"
        self.fields = [f for f in values.FIELDS if f in rows.columns]
        self.rejected = np.zeros(len(rows), dtype=bool)
        self.problems: list[tuple[int, str, Exception]] = []
        self.notes = list(layout.notes) + ([] if len(rows) else ["no rows with values below the header"])
        self.progress = snapshot.progress[~snapshot.progress["orphaned"]].reset_index(drop=True)

    def preview(self) -> Preview:
        new, given = self._normalise()
        task = self._match(given)
        self._duplicates(task)
        index = pd.Index(self.progress["task_id"]).get_indexer(task)
        saved = {f: self._saved(f, index) for f in [*values.FIELDS, "revision", "updated_by"]}
        ok = (index >= 0) & ~self.rejected
        differs = {f: ok & given[f] & (new[f] != saved[f]) for f in self.fields}
        touched = np.logical_or.reduce([differs[f] for f in self.fields])
        stale = np.zeros(len(task), dtype=bool)
        moved = touched & (new["revision"] != saved["revision"]) if self.own else stale
        if moved.any():  # changed in the tool since the export: a conflict where the file was edited too
            edited = self._edited(moved, task, new)
            differs = {f: differs[f] & (~moved | edited[f]) for f in self.fields}
            stale = moved & np.logical_or.reduce([differs[f] for f in self.fields])
            touched &= ~moved | stale
        final = self._final(touched & ~stale, new, saved, differs, given)
        applied = touched & ~stale & ~self.rejected
        cells = {f: np.flatnonzero(applied & (final[f] != saved[f])) for f in values.FIELDS}
        return Preview(
            file=self.file,
            sheets=[s.name for s in self.layout.sheets],
            own_export=self.own,
            columns=self.layout.columns,
            mapping=self.layout.mapping,
            date_order=self.order,
            changes=self._changes(cells, task, final, saved),
            conflicts=self._conflicts(stale, task, new, saved, differs),
            problems=self._problem_table(task),
            unchanged=int((ok & ~touched).sum()),
            changed=int(applied.sum()),
            rejected=int((self.rejected | stale).sum()),
            notes=self.notes,
            updates={f: (task[at], final[f][at]) for f, at in cells.items()},
            revisions=dict(zip(task[applied].tolist(), saved["revision"][applied].tolist(), strict=True)),
        )

    def _problem(self, position: int, name: str, error: Exception) -> None:
        self.problems.append((position, name, error))
        self.rejected[position] = True

    def _normalise(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        new, given = {}, {}
        for name in [*self.fields, *(["revision"] if self.own else [])]:
            column = self.rows.columns[name]
            if name in values.DATE_FIELDS and self.order is None:
                self._check_date_order(column, name)
            new[name], errors = column.map(columns.reader(name, column, self.own, self.order))
            given[name] = np.ones(len(self.rows), dtype=bool) if self.own else ~column.blank()
            refused = np.flatnonzero(given[name] & pd.notna(errors))
            for position in refused:
                self._problem(position, name, errors[position])
            if name in values.DATE_FIELDS and len(refused):
                fits = values.date_order_hint(u for u in column.uniques if isinstance(u, str))
                if fits and fits != self.order:
                    self.notes.append(f"only {fits} reads every date of column {self.rows.names[name]!r}")
        return new, given

    def _check_date_order(self, column: columns.Column, name: str) -> None:
        """Day-first or month-first text needs the user's choice; say which order fits when only one does."""
        texts = [i for i, u in enumerate(column.uniques) if columns.order_dependent(u)]
        if not texts:
            return
        first = int(np.flatnonzero(np.isin(column.codes, texts))[0])
        fits = values.date_order_hint(u for u in column.uniques if isinstance(u, str))
        raise SpreadsheetError(
            f"dates like {column.uniques[texts[0]]!r} could be day-first or month-first; the import never guesses",
            file=self.file,
            sheet=self.rows.sheet[first],
            row=int(self.rows.row[first]),
            column=self.rows.names[name],
            hint=f"only {fits} reads every date of this column: use --dates {fits}"
            if fits
            else "say which order the file uses: --dates dayfirst or --dates monthfirst",
        )

    def _match(self, given: dict[str, np.ndarray]) -> np.ndarray:
        task, errors = columns.match_tasks(self.rows.columns[self.key], self.key, self.plan)
        has_values = np.logical_or.reduce([given[f] for f in self.fields])
        bad = pd.notna(errors)
        for position in np.flatnonzero(bad & has_values):
            self._problem(position, self.key, errors[position])
        ignored = np.flatnonzero(bad & ~has_values)
        if len(ignored):
            where = ", ".join(f"{self.rows.sheet[p]!r} row {self.rows.row[p]}" for p in ignored[:10])
            self.notes.append(f"{len(ignored)} rows naming no task and holding no value skipped ({where})")
        task[bad] = None
        return task

    def _duplicates(self, task: np.ndarray) -> None:
        ids = pd.Series(task, dtype=object)
        twice = np.flatnonzero(ids.notna() & ids.duplicated(keep=False))
        for task_id, positions in pd.Series(twice).groupby(task[twice]):
            where = ", ".join(f"{self.rows.sheet[p]!r} row {self.rows.row[p]}" for p in positions[:5])
            where += f" and {len(positions) - 5} more" if len(positions) > 5 else ""
            for position in positions:
                self._problem(position, self.key, values.ValueProblem(f"{task_id} is on several rows ({where})"))

    def _saved(self, name: str, index: np.ndarray) -> np.ndarray:
        """A progress column aligned with the rows; rows without a task get the default."""
        column = self.progress[name]
        if name in values.DATE_FIELDS:
            saved = np.where(column.isna(), None, column.dt.date)
        else:
            saved = column.to_numpy(dtype=object)
        return np.append(saved, default_row("")[name])[index]

    def _final(self, touched, new, saved, differs, given) -> dict[str, np.ndarray]:
        """The rows' values after the store's rules, which run once per distinct combination, not per row.

        A foreign row's status and percent count together (done at 40 % is refused even when
        40 % is already saved); in an exported workbook only edited cells count.
        """
        final = {f: np.where(differs[f], new[f], saved[f]) if f in differs else saved[f].copy() for f in values.FIELDS}
        edited = {f: differs.get(f, np.zeros(len(touched), dtype=bool)) for f in RULED}
        pair = touched & (edited["status"] | edited["percent"])
        stated = {
            f: pair & (edited[f] | (given[f] if f in given and not self.own else False)) for f in ("status", "percent")
        }
        wanted = [np.where(stated[f], new[f], _ABSENT) if f in new else np.full(len(pair), _ABSENT) for f in stated]
        at = np.flatnonzero(pair)
        outcomes = _once_per_combination(
            _status_rule, saved["status"][at], saved["percent"][at], *(w[at] for w in wanted)
        )
        for position, outcome in zip(at, outcomes, strict=True):
            if isinstance(outcome, ChangeError):
                self._refused(position, outcome)
            else:
                final["status"][position], final["percent"][position] = outcome
        dated = touched & (edited["start"] | edited["due"]) & pd.notna(final["start"]) & pd.notna(final["due"])
        at = np.flatnonzero(dated)
        outcomes = _once_per_combination(_date_rule, final["start"][at], final["due"][at])
        for position, outcome in zip(at, outcomes, strict=True):
            if outcome is not None:
                self._refused(position, outcome)
        return final

    def _edited(self, moved: np.ndarray, task: np.ndarray, new: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The cells of moved rows that differ from the task as exported (rebuilt from the history)."""
        positions = np.flatnonzero(moved)
        exported = _as_exported(self.history(), task[positions].tolist(), new["revision"][positions].tolist())
        edited = {f: np.zeros(len(moved), dtype=bool) for f in self.fields}
        for position, state in zip(positions, exported, strict=True):
            for name in self.fields:
                edited[name][position] = state is None or text_of(new[name][position]) != state[name]
        return edited

    def _refused(self, position: int, error: ChangeError) -> None:
        for _, name, message in error.problems:
            self._problem(position, name, values.ValueProblem(message))

    def _changes(self, cells, task, final, saved) -> pd.DataFrame:
        """Every changed field, by row, as the history will write it."""
        at = np.concatenate(list(cells.values()))
        order = np.argsort(at, kind="stable")  # by row; within a row the fields in their usual order
        at = at[order]
        names = np.repeat(np.array(list(cells), dtype=object), [len(a) for a in cells.values()])[order]
        old, new = (
            np.concatenate([_texts(f, values_[f][a]) for f, a in cells.items()])[order] for values_ in (saved, final)
        )
        table = {
            "sheet": self.rows.sheet[at],
            "row": self.rows.row[at],
            "task_id": task[at],
            "field": names,
            "old": old,
            "new": new,
            "kind": np.where(new == "", "clear", "change").astype(object),
        }
        return pd.DataFrame({k: pd.Series(v, dtype=v.dtype) for k, v in table.items()})

    def _conflicts(self, stale, task, new, saved, differs) -> pd.DataFrame:
        records = [
            (
                self.rows.sheet[p],
                int(self.rows.row[p]),
                task[p],
                name,
                text_of(saved[name][p]),
                text_of(new[name][p]),
                int(new["revision"][p]),
                int(saved["revision"][p]),
                saved["updated_by"][p],
            )
            for p in np.flatnonzero(stale)
            for name in self.fields
            if differs[name][p]
        ]
        return pd.DataFrame(records, columns=CONFLICT_COLUMNS)

    def _problem_table(self, task: np.ndarray) -> pd.DataFrame:
        records = []
        for position, name, error in sorted(self.problems, key=lambda p: p[0]):
            sheet, row = self.rows.sheet[position], int(self.rows.row[position])
            letter = self.rows.letters.get((sheet, name), "")
            column = self.rows.columns.get(name)
            records.append(
                (
                    sheet,
                    row,
                    self.rows.names.get(name, name),
                    f"{letter}{row}" if letter else "",
                    columns.shown(column.cell(position)) if column else "",
                    task[position] or "",
                    str(error),
                    list(getattr(error, "suggestions", [])),
                )
            )
        return pd.DataFrame(records, columns=PROBLEM_COLUMNS)


def _texts(name: str, cells: np.ndarray) -> np.ndarray:
    return cells if name in ("status", *values.TEXT_FIELDS) else columns.texts(cells)  # text needs no conversion


def _as_exported(history: pd.DataFrame, tasks: list[str], revisions: list[int]) -> list[dict[str, str] | None]:
    """Each task's fields (as history text) at a revision: the n-th save of a task made revision n."""
    rows = history[history["task_id"].astype(object).isin(set(tasks))]
    groups = dict(list(rows.groupby("task_id", sort=False)))
    states: list[dict[str, str] | None] = []
    for task_id, revision in zip(tasks, revisions, strict=True):
        group = groups.get(task_id, rows.iloc[:0])
        saves = list(dict.fromkeys(group["seq"]))
        if not 0 <= revision <= len(saves):
            states.append(None)  # a history that does not reach back: count every cell as edited
            continue
        state = {f: text_of(v) for f, v in default_row(task_id).items()}
        last = saves[revision - 1] if revision else 0
        for name, value in zip(group["field"][group["seq"] <= last], group["new"][group["seq"] <= last], strict=True):
            state[name] = value
        states.append(state)
    return states


_ABSENT = object()  # a field the change does not give (None would mean a cleared value)


def _once_per_combination(rule: Callable[..., Any], *arrays: np.ndarray) -> list[Any]:
    outcomes: dict[tuple, Any] = {}
    for key in zip(*(a.tolist() for a in arrays), strict=True):
        if key not in outcomes:
            outcomes[key] = rule(*key)
    return [outcomes[key] for key in zip(*(a.tolist() for a in arrays), strict=True)]


def _status_rule(status: str, percent: int, new_status: Any, new_percent: Any) -> tuple[str, int] | ChangeError:
    """The store's status and percent rule: the resulting pair, or the refusal."""
    change = {k: v for k, v in (("status", new_status), ("percent", new_percent)) if v is not _ABSENT}
    try:
        # the note rule of not applicable is checked on the whole row, when the import is applied
        row = {"task_id": "", "status": status, "percent": percent, "start": None, "due": None, "notes": "-"}
        result = apply_change(row, change)
    except ChangeError as exc:
        return exc
    return result["status"], result["percent"]


def _date_rule(start: Any, due: Any) -> ChangeError | None:
    """The store's date rule (due not before start)."""
    try:
        apply_change({"task_id": "", **default_row(""), "start": None, "due": None}, {"start": start, "due": due})
    except ChangeError as exc:
        return exc
    return None


def describe(preview: Preview) -> str:
    """The preview as text: what was read, every change, clear, conflict and rejected row, and the counts."""
    sheets = ", ".join(repr(s) for s in preview.sheets)
    mapped = ", ".join(f"{c} -> {f}" for c, f in preview.mapping.items())
    left = [c for c in preview.columns if c not in preview.mapping and not (preview.own_export and c == "revision")]
    lines = [f"{preview.file} (sheet {sheets}): {mapped}"]
    lines += [f"  not imported: {', '.join(left)}"] if left else []
    lines += [f"  dates read {preview.date_order}"] if preview.date_order else []
    lines += [f"  note: {n}" for n in preview.notes]
    for title, table in (("changes", preview.changes[preview.changes["kind"] == "change"]), ("clears", preview.clears)):
        if len(table):
            lines.append(f"{title} ({len(table)}):")
            lines += [f"  row {r.row:<6}{r.task_id:<9}{r.field:<9} {r.old!r} -> {r.new!r}" for r in table.itertuples()]
    if len(preview.conflicts):
        lines.append(f"conflicts ({preview.conflicted} tasks changed in the tool since the export, not overwritten):")
        lines += [
            f"  row {r.row:<6}{r.task_id:<9}{r.field:<9} now {r.old!r} (revision {r.revision} by "
            f"{r.updated_by or 'someone'}), file {r.new!r} (exported at revision {r.exported_revision})"
            for r in preview.conflicts.itertuples()
        ]
    if len(preview.problems):
        lines.append(f"rejected rows ({preview.problems[['sheet', 'row']].drop_duplicates().shape[0]}):")
        lines += [
            f"  {r.sheet!r} row {r.row}, column {r.column!r}{f' ({r.cell})' if r.cell else ''}: {r.message}"
            for r in preview.problems.itertuples()
        ]
    lines.append(f"{preview.unchanged} rows unchanged, {preview.changed} changed, {preview.rejected} rejected")
    return "\n".join(lines)
