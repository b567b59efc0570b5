"""A sheet's mapped columns read into normalised values, with one Python call per distinct cell value.

A column is factorised (``Column``): the shared normaliser in ``rollout.values`` runs once for each
distinct value and the result is broadcast to every row, so a 50,000-row sheet with a few status
words, percents and dates costs little more than reading it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils.cell import get_column_letter

from rollout import values
from rollout.plan import Plan
from rollout.progress import text_of
from rollout.sheets import exporter
from rollout.sheets.limits import Note, Remedy, SpreadsheetError
from rollout.sheets.mapping import Layout
from rollout.sheets.targets import AS_OF

SUGGEST_CUTOFF = 0.75
MAX_SUGGESTED = 50  # difflib against a large plan is slow; later unknown keys get no suggestion
_PLAIN_NUMBER = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")


class Column:
    """A column's cells as codes into its distinct values (the last one stands for a missing cell)."""

    def __init__(self, codes: np.ndarray, uniques: list[Any]):
        self.codes, self.uniques = codes, uniques

    @classmethod
    def of(cls, cells: np.ndarray) -> Column:
        codes, uniques = pd.factorize(cells)
        if any(type(u) is bool for u in uniques):  # True == 1 would merge a TRUE cell with the number 1
            codes, uniques = pd.factorize(np.array([str(c).upper() if type(c) is bool else c for c in cells], object))
        return cls(np.where(codes < 0, len(uniques), codes), [*uniques, ""])

    def take(self, keep: np.ndarray) -> Column:
        return Column(self.codes[keep], self.uniques)

    def cell(self, position: int) -> Any:
        return self.uniques[self.codes[position]]

    def blank(self) -> np.ndarray:
        # most distinct values are text: strip() is is_blank for text, and far cheaper to call
        return np.array([not u.strip() if type(u) is str else values.is_blank(u) for u in self.uniques], dtype=bool)[
            self.codes
        ]

    def map(self, fn: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray]:
        """``fn`` of every cell, and the ValueProblem where it refused one (else None)."""
        results, errors = [], []
        for value in self.uniques:
            try:
                results.append(fn(value))
                errors.append(None)
            except values.ValueProblem as exc:
                results.append(None)
                errors.append(exc)
        return _objects(results)[self.codes], _objects(errors)[self.codes]


def _objects(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


@dataclass
class Rows:
    """The mapped cells of every data row, column-wise, and where each row came from."""

    file: str
    sheet: np.ndarray
    row: np.ndarray
    columns: dict[str, Column]  # field -> cells
    names: dict[str, str]  # field -> column name
    letters: dict[tuple[str, str], str]  # (sheet, field) -> column letter

    def __len__(self) -> int:
        return len(self.row)


def extract(layout: Layout) -> Rows:
    """The mapped columns of every sheet below its header, rows with no mapped value left out."""
    fields = {f: c for c, f in layout.mapping.items() if not (f == "title" and "task_id" in layout.mapping.values())}
    if layout.own:
        fields["revision"] = "revision"
    parts: dict[str, list[np.ndarray]] = {f: [] for f in fields}
    sheets, numbers, letters = [], [], {}
    for sheet in layout.sheets:
        body = sheet.grid.rows[sheet.header + 1 :]
        if not body:
            continue
        table = np.array(body, dtype=object).reshape(len(body), -1)
        for name, column in fields.items():
            index = sheet.names.index(column)
            parts[name].append(table[:, index])
            letters[(sheet.name, name)] = get_column_letter(index + 1)
        sheets.append(np.full(len(body), sheet.name, dtype=object))
        numbers.append(np.arange(sheet.header + 2, sheet.header + 2 + len(body)))
    columns = {f: Column.of(np.concatenate(p) if p else np.array([], dtype=object)) for f, p in parts.items()}
    keep = ~np.logical_and.reduce([c.blank() for c in columns.values()])
    return Rows(
        layout.file,
        np.concatenate(sheets)[keep] if sheets else np.array([], dtype=object),
        np.concatenate(numbers)[keep] if numbers else np.array([], dtype=int),
        {f: c.take(keep) for f, c in columns.items()},
        fields,
        letters,
    )


def shown(value: Any) -> str:
    """A cell as a person reads it in a message."""
    return values.normalise_text(text_of(value))


def texts(cells: np.ndarray) -> np.ndarray:
    """Values as the history writes them (dates ISO, numbers plain, None empty)."""
    if not len(cells):
        return np.array([], dtype=object)
    return Column.of(cells).map(text_of)[0]


# readers: cell -> value ----------------------------------------------------------------
def as_number(value: Any) -> Any:
    """A CSV has no cell types: plain numeric text counts as a number (text with % is read as written)."""
    if isinstance(value, str) and _PLAIN_NUMBER.match(value):
        number = float(value.strip().replace(",", "."))
        return int(number) if number.is_integer() else number
    return value


def reader(name: str, column: Column, own: bool, order: str | None) -> Callable[[Any], Any]:
    """The shared normaliser for a field; an exported workbook's texts are read back with ``undefuse``."""
    if name == "status":
        return values.normalise_status
    if name == "percent":
        return _percent_reader(column, own)
    if name in (*values.DATE_FIELDS, AS_OF):
        return lambda v: values.normalise_date(v, order)
    if name == "revision":
        return _revision
    if own:
        return lambda v: _text(exporter.undefuse(v))
    return _text


def _text(value: Any) -> str:
    # normalise_text of text is strip(); most distinct values of a text column are text
    return value.strip() if type(value) is str else values.normalise_text(value)


def _percent_reader(column: Column, own: bool) -> Callable[[Any], int | None]:
    numbers = [n for n in map(as_number, column.uniques) if isinstance(n, int | float) and not isinstance(n, bool)]
    fraction = not own and values.percent_is_fraction(numbers)  # the tool itself writes whole percents

    def read(value: Any) -> int | None:
        number = as_number(value)
        if not isinstance(number, int | float | str):
            raise values.ValueProblem(f"percent {shown(value)!r} is not a number; expected 0 to 100")
        return values.normalise_percent(number, fraction)

    return read


def _revision(value: Any) -> int:
    number = as_number(value)
    if isinstance(number, int | float) and not isinstance(number, bool) and float(number).is_integer():
        return int(number)
    raise values.ValueProblem(f"revision {shown(value)!r} is not the number exported; leave this column as it is")


def order_dependent(value: Any) -> bool:
    """Day/month/year text that a day-first or month-first reading turns into a date: an import reads such a
    column only in the order the user chose, never one cell at a time (the cells of a column share an order)."""
    return isinstance(value, str) and values.is_dmy(value) and any(_reads(value, o) for o in values.DATE_ORDERS)


def _reads(value: str, order: str) -> bool:
    try:
        values.normalise_date(value, order)
        return True
    except values.ValueProblem:
        return False


def check_date_order(column: Column, rows: Rows, name: str) -> None:
    """Day-first or month-first text needs the user's choice; say which order fits when only one does."""
    texts = [i for i, u in enumerate(column.uniques) if order_dependent(u)]
    if not texts:
        return
    first = int(np.flatnonzero(np.isin(column.codes, texts))[0])
    fits = values.date_order_hint(u for u in column.uniques if isinstance(u, str))
    raise SpreadsheetError(
        f"dates like {column.uniques[texts[0]]!r} could be day-first or month-first; the import never guesses"
        + (f" (only {fits} reads every date of this column)" if fits else ""),
        file=rows.file,
        sheet=rows.sheet[first],
        row=int(rows.row[first]),
        column=rows.names[name],
        remedy=Remedy("dates", fits or ""),
    )


def order_notes(column: Column, name: str, order: str | None) -> list[Note]:
    """When some dates of a column were refused: the order that reads them all, if it is not the one chosen."""
    fits = values.date_order_hint(u for u in column.uniques if isinstance(u, str))
    if fits and fits != order:
        return [Note(f"only {fits} reads every date of column {name!r}", Remedy("dates", fits))]
    return []


# tasks ----------------------------------------------------------------------------
class NoTask(values.ValueProblem):
    """A key that names no task; ``suggestions`` holds close task ids, never applied by themselves."""

    def __init__(self, message: str, suggestions: list[str]):
        super().__init__(message)
        self.suggestions = suggestions


def title_key(value: Any) -> str:
    return " ".join(values.normalise_text(value).casefold().split())


def match_tasks(column: Column, key: str, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """The task id of every cell, or why it names none: ids trimmed and compared without case, titles
    also without extra spaces; close matches are offered, never applied."""
    if key == "task_id":
        lookup = {t.upper(): [t] for t in plan.tasks}
        wanted = [_text(u).upper() for u in column.uniques]
    else:
        lookup = {}
        for task in plan.tasks.values():
            lookup.setdefault(title_key(task.title), []).append(task.id)
        wanted = [title_key(u) for u in column.uniques]
    found = [lookup.get(w, []) for w in wanted]
    tasks = [f[0] if len(f) == 1 else None for f in found]
    errors: list[values.ValueProblem | None] = [None] * len(tasks)
    what = "task id" if key == "task_id" else "title"
    misses = [i for i, t in enumerate(tasks) if t is None]
    for count, i in enumerate(misses):
        if found[i]:
            errors[i] = values.ValueProblem(
                f"{what} matches several tasks ({', '.join(found[i])}); add a task id column"
            )
        elif not wanted[i]:
            errors[i] = values.ValueProblem(f"the row has values but no {what}")
        else:
            errors[i] = _no_task(column.uniques[i], wanted[i], lookup, plan, what, count < MAX_SUGGESTED)
    return _objects(tasks)[column.codes], _objects(errors)[column.codes]


def _no_task(value: Any, text: str, lookup: dict[str, list[str]], plan: Plan, what: str, suggest: bool) -> NoTask:
    close = difflib.get_close_matches(text, lookup, n=3, cutoff=SUGGEST_CUTOFF) if suggest else []
    ids = [i for c in close for i in lookup[c]]
    offer = "; did you mean " + " or ".join(f"{i} {plan.tasks[i].title!r}" for i in ids) + "?" if ids else ""
    return NoTask(f"{what} {shown(value)!r} is not a task of the plan{offer}", ids)
