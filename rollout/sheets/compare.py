"""The comparison of a spreadsheet's rows with the saved progress, column-wise: match, check, diff.

The status, percent and date rules are the store's own (``progress.apply_change``), applied
once per distinct combination of values rather than once per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rollout import values
from rollout.plan import Plan
from rollout.progress import ChangeError, Snapshot, apply_change, default_row, text_of, utc_stamp
from rollout.sheets import columns, dating, mapping
from rollout.sheets.limits import Note, Remedy
from rollout.sheets.preview import CONFLICT_COLUMNS, NEWER_COLUMNS, PROBLEM_COLUMNS, RULED, Preview
from rollout.sheets.targets import AS_OF

UNDATED = "the file does not say when it was saved: values it would overwrite may have been changed in the tool since"


class Comparison:
    """One pass over the rows: normalise, match tasks, check, and diff against the saved progress."""

    def __init__(
        self,
        rows: columns.Rows,
        layout: mapping.Layout,
        plan: Plan,
        snapshot: Snapshot,
        history: Callable[[], pd.DataFrame],
        *,
        order: str | None,
        today: dt.date,
        as_of: dt.date | None = None,
        saved_on: dt.datetime | None = None,
    ):
        self.rows, self.layout, self.plan, self.order, self.file = rows, layout, plan, order, layout.file
        self.history, self.today, self.as_of, self.saved_on = history, today, as_of, saved_on
        self.now = dt.datetime.now(dt.UTC)
        self.own = layout.own
        self.key = "task_id" if "task_id" in rows.columns else "title"
        self.fields = [f for f in values.FIELDS if f in rows.columns]
        self.rejected = np.zeros(len(rows), dtype=bool)
        self.problems: list[tuple[int, str, Exception]] = []
        self.notes = list(layout.notes) + ([] if len(rows) else [Note("no rows with values below the header")])
        self.progress = snapshot.progress[~snapshot.progress["orphaned"]].reset_index(drop=True)

    def preview(self) -> Preview:
        new, given = self._normalise()
        task = self._match(given)
        self._duplicates(task)
        index = pd.Index(self.progress["task_id"]).get_indexer(task)
        saved = {f: self._saved(f, index) for f in [*values.FIELDS, "revision", "updated_at", "updated_by"]}
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
        happened = self._dated(touched & ~stale & ~self.rejected, task, new, given)
        applied = touched & ~stale & ~self.rejected
        cells = {f: np.flatnonzero(applied & (final[f] != saved[f])) for f in values.FIELDS}
        return Preview(
            file=self.file,
            records="progress",
            sheets=[s.name for s in self.layout.sheets],
            own_export=self.own,
            columns=self.layout.columns,
            mapping=self.layout.mapping,
            header=self.layout.header,
            head=self.layout.head,
            date_order=self.order,
            changes=self._changes(cells, task, final, saved),
            conflicts=self._conflicts(stale, task, new, saved, differs),
            newer=self._newer(applied & ~np.isin(task, list(happened)), cells, task, final, saved),
            problems=self._problem_table(task),
            unchanged=int((ok & ~touched).sum()),
            changed=int(applied.sum()),
            rejected=int(self.rejected.sum()),
            in_conflict=int(stale.sum()),
            notes=self.notes,
            as_of=self.as_of,
            saved_on=self.saved_on,
            updates={f: (task[at], final[f][at]) for f, at in cells.items()},
            revisions=dict(zip(task[applied].tolist(), saved["revision"][applied].tolist(), strict=True)),
            happened=happened,
        )

    def _problem(self, position: int, name: str, error: Exception) -> None:
        self.problems.append((position, name, error))
        self.rejected[position] = True

    def _normalise(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        new, given = {}, {}
        extra = [n for n in (AS_OF, "revision") if n in self.rows.columns]
        for name in [*self.fields, *extra]:
            column = self.rows.columns[name]
            dated = name in (*values.DATE_FIELDS, AS_OF)
            if dated and self.order is None:
                columns.check_date_order(column, self.rows, name)
            new[name], errors = column.map(columns.reader(name, column, self.own, self.order))
            given[name] = np.ones(len(self.rows), dtype=bool) if self.own else ~column.blank()
            refused = np.flatnonzero(given[name] & pd.notna(errors))
            for position in refused:
                self._problem(position, name, errors[position])
            if dated and len(refused):
                self.notes += columns.order_notes(column, self.rows.names[name], self.order)
        return new, given

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

    def _dated(self, rows: np.ndarray, task: np.ndarray, new, given) -> dict[str, dt.datetime]:
        """When each changed row's changes happened: its date cell, else the date for the whole file. A date in
        the future, or before the task's last change, is refused (the history is replayed by date)."""
        cell = given.get(AS_OF, np.zeros(len(task), dtype=bool))
        days = np.where(cell, new[AS_OF], self.as_of) if AS_OF in new else np.full(len(task), self.as_of, object)
        positions = [p for p in np.flatnonzero(rows) if days[p] is not None]
        last = dating.last_changed(self.history(), {task[p] for p in positions}) if positions else {}
        happened = {}
        for position in positions:
            day, name, before = days[position], AS_OF if cell[position] else "", last.get(task[position], "")[:10]
            if day > self.today:
                problem = f"the date {day} is in the future; an import records what has happened"
            elif before and day.isoformat() < before:
                problem = (
                    f"{task[position]} was last changed on {before}; a change dated {day} would come before it "
                    "and rewrite its history out of order"
                )
            else:
                happened[task[position]] = dating.happened_at(day, self.now)
                continue
            self._problem(position, name, values.ValueProblem(problem))
        return happened

    def _newer(self, rows: np.ndarray, cells, task, final, saved) -> pd.DataFrame:
        """Changes of values changed in the tool after the file was saved (the tasks saved since are looked up)."""
        if self.saved_on is None:
            if (rows & (saved["updated_at"] != "")).any():  # values set in the tool, of unknown age to the file
                self.notes.append(Note(UNDATED, Remedy("as_of")))
            return pd.DataFrame(columns=NEWER_COLUMNS)
        since = rows & (saved["updated_at"] > utc_stamp(self.saved_on))
        later = dating.changed_after(self.history(), set(task[since]), self.saved_on) if since.any() else {}
        records = [
            (self.rows.sheet[p], int(self.rows.row[p]), task[p], name, text_of(saved[name][p]),
             text_of(final[name][p]), *later[(task[p], name)])
            for name, positions in cells.items()
            for p in positions
            if since[p] and (task[p], name) in later
        ]  # fmt: skip
        return pd.DataFrame(records, columns=NEWER_COLUMNS).sort_values(["sheet", "row"], kind="stable")

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
