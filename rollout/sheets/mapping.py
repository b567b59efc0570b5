"""Which columns of a spreadsheet hold which fields: header row, column-name synonyms, remembered mappings.

A mapping confirmed in an import is kept in ``<data folder>/mappings.yaml`` and reused for
spreadsheets with the same columns; the user's ``--map COLUMN=FIELD`` always wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rollout import values
from rollout.fileio import atomic_write
from rollout.sheets import exporter
from rollout.sheets.spreadsheet import Grid, SpreadsheetError, Workbook

KEYS = ("task_id", "title")
MAP_FIELDS = (*KEYS, *values.FIELDS)
IGNORE = "ignore"  # --map COLUMN=ignore leaves a column out
MAPPINGS_FILE = "mappings.yaml"
HEADER_SCAN_ROWS = 30
SYNONYMS: dict[str, tuple[str, ...]] = {
    "task_id": ("task id", "id", "ref", "#", "reference", "task ref", "task no", "task number", "task #", "ref no"),
    "title": ("task", "title", "activity", "name", "task name", "task title", "action", "item"),
    "status": ("status", "state", "task status", "current status"),
    "percent": (
        "% complete",
        "progress",
        "percent",
        "complete",
        "%",
        "percent complete",
        "pct complete",
        "% done",
        "done %",
        "completion",
        "progress %",
        "complete %",
    ),
    "owner": ("owner", "responsible", "assignee", "assigned to", "task owner", "lead", "who", "action owner"),
    "start": ("start", "start date", "begin", "planned start"),
    "due": ("due", "due date", "target date", "deadline", "end", "end date", "finish", "planned end", "target"),
    "evidence": ("evidence", "link", "evidence link", "url", "document link", "evidence location"),
    "notes": ("notes", "comments", "remarks", "comment", "note", "remark", "latest update"),
}


def column_key(name: Any) -> str:
    """A column name without case, spaces, punctuation or a bracketed remark ("Progress (%)" is "progress")."""
    text = str(name).casefold()
    key = re.sub(r"[^\w%#]|_", "", re.sub(r"\(.*?\)", "", text))
    return key or re.sub(r"[^\w%#]|_", "", text)


_FIELD_BY_KEY = {column_key(word): name for name, words in SYNONYMS.items() for word in (name, *words)}


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """Column name -> field by the synonyms; the first column wins a field."""
    mapping: dict[str, str] = {}
    for name in columns:
        found = _FIELD_BY_KEY.get(column_key(name))
        if found and found not in mapping.values():
            mapping[name] = found
    return mapping


# remembered mappings ---------------------------------------------------------------
def _signature(columns: list[Any]) -> list[str]:
    return sorted(column_key(c) for c in columns)


def load_mappings(folder: str | Path) -> list[dict[str, Any]]:
    """Mappings confirmed in earlier imports; an unreadable file counts as none (it is only a convenience)."""
    path = Path(folder) / MAPPINGS_FILE
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    return [e for e in entries if _valid_entry(e)] if isinstance(entries, list) else []


def _valid_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("columns"), list)
        and isinstance(entry.get("fields"), dict)
        and all(f in (*MAP_FIELDS, IGNORE) for f in entry["fields"].values())
    )


def remembered_mapping(folder: str | Path, columns: list[str]) -> dict[str, str] | None:
    signature = _signature(columns)
    for entry in load_mappings(folder):
        if _signature(entry["columns"]) == signature:
            fields = {column_key(c): f for c, f in entry["fields"].items()}
            return {c: fields[column_key(c)] for c in columns if fields.get(column_key(c), IGNORE) != IGNORE}
    return None


def remember_mapping(folder: str | Path, columns: list[str], mapping: Mapping[str, str]) -> Path:
    """Keep a confirmed mapping for spreadsheets with these columns; written atomically under the data folder."""
    path = Path(folder) / MAPPINGS_FILE
    signature = _signature(columns)
    entries = [e for e in load_mappings(folder) if _signature(e["columns"]) != signature]
    entries.append({"columns": list(columns), "fields": {c: mapping.get(c, IGNORE) for c in columns}})
    text = "# Column mappings confirmed in imports, reused for spreadsheets with the same columns.\n"
    text += yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8"))
    return path


# sheets and header ------------------------------------------------------------------
@dataclass
class Sheet:
    """A sheet to read: its cells and the row that names its columns."""

    grid: Grid
    header: int  # index of the header row in grid.rows
    names: list[str]

    @property
    def name(self) -> str:
        return self.grid.sheet


@dataclass
class Layout:
    """The sheets to read and how their columns map to fields."""

    sheets: list[Sheet]
    own: bool  # a workbook this tool exported: emptied cells clear, revisions are checked
    columns: list[str]
    auto: dict[str, str]
    mapping: dict[str, str]
    notes: list[str]


def names_of(row: list[Any]) -> list[str]:
    return [values.normalise_text(c) for c in row]


def find_header(grid: Grid, extra: set[str], confirmed: set[tuple[str, ...]]) -> int | None:
    """The row among the first ones naming the most fields, a key among them, or a row whose columns a
    remembered mapping names; title rows above it are skipped."""
    best, best_score = None, 1
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        names = [n for n in names_of(row) if n]
        if tuple(_signature(names)) in confirmed:
            return index
        found = {_FIELD_BY_KEY.get(column_key(n)) for n in names} | {n for n in names if n in extra}
        found.discard(None)
        if found & set(KEYS) and len(found) > best_score:
            best, best_score = index, len(found)
    return best


def layout(book: Workbook, sheet: str | None, overrides: Mapping[str, str], folder: str | Path) -> Layout:
    """The tool's own stage sheets when the file is an export of it; else the first sheet with a header row."""
    grids = [book.grid(s) for s in ([sheet] if sheet else book.sheet_names)]
    if not any(not values.is_blank(c) for g in grids for row in g.rows for c in row):
        raise SpreadsheetError("is empty: no cells to import", file=book.file, sheet=sheet)
    own = [
        Sheet(g, 0, names_of(g.rows[0])) for g in grids if g.rows and set(exporter.COLUMNS) <= set(names_of(g.rows[0]))
    ]
    if own:
        notes = ["a workbook exported by this tool: an emptied cell clears the field, revisions are checked"]
        notes += [
            f"sheet {g.sheet!r} skipped (not a stage sheet)" for g in grids if g.sheet not in {s.name for s in own}
        ]
        columns = [n for n in own[0].names if n]
        auto = {c: c for c in columns if c in MAP_FIELDS and c != "title"}
        return Layout(own, True, columns, auto, _override(auto, columns, overrides, book.file), notes)
    confirmed = {tuple(_signature(e["columns"])) for e in load_mappings(folder)}
    for grid in grids:
        header = find_header(grid, set(overrides), confirmed)
        if header is not None:
            return _foreign(book, grids, grid, header, overrides, folder)
    raise SpreadsheetError(
        f"has no header row in its first {HEADER_SCAN_ROWS} rows",
        file=book.file,
        sheet=sheet or grids[0].sheet,
        hint="name the columns like Task ID, Title, Status, % complete, Owner, Due date, or map them with "
        "--map COLUMN=FIELD",
    )


def _foreign(
    book: Workbook, grids: list[Grid], grid: Grid, header: int, overrides: Mapping[str, str], folder: str | Path
) -> Layout:
    names = names_of(grid.rows[header])
    columns = list(dict.fromkeys(n for n in names if n))
    auto = guess_mapping(columns)
    remembered = remembered_mapping(folder, columns)
    notes = [f"sheet {g.sheet!r} not read (choose a sheet with --sheet)" for g in grids if g is not grid]
    if header:
        notes.append(f"header found on row {header + 1}; the rows above it are titles")
    if remembered is not None and remembered != auto:
        notes.append("using the column mapping remembered for these columns")
    mapping = _override(remembered if remembered is not None else auto, columns, overrides, book.file)
    return Layout([Sheet(grid, header, names)], False, columns, auto, mapping, notes)


def _override(base: dict[str, str], columns: list[str], overrides: Mapping[str, str], file: str) -> dict[str, str]:
    mapping = dict(base)
    for wanted, target in overrides.items():
        name = next((c for c in columns if c == wanted), None) or next(
            (c for c in columns if column_key(c) == column_key(wanted)), None
        )
        if name is None:
            raise SpreadsheetError(
                f"has no column {wanted!r} to map", file=file, hint=f"the columns are: {', '.join(columns)}"
            )
        mapping = {c: f for c, f in mapping.items() if c != name and f != target}
        if target != IGNORE:
            mapping[name] = target
    if not set(KEYS) & set(mapping.values()):
        raise SpreadsheetError(
            "has no task id or title column",
            file=file,
            hint=f"name one with --map COLUMN=task_id (or =title); the columns are: {', '.join(columns)}",
        )
    if not set(values.FIELDS) & set(mapping.values()):
        raise SpreadsheetError(
            "has no column to import (status, percent, owner, start, due, evidence or notes)",
            file=file,
            hint=f"map one with --map COLUMN=FIELD; the columns are: {', '.join(columns)}",
        )
    return mapping
