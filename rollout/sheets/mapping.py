"""Which columns of a spreadsheet hold which fields: header row, column-name synonyms, remembered mappings.

A mapping confirmed in an import is kept beside the data (``mappings.yaml`` in a folder, a row of
settings in a database), per kind of record, and reused for spreadsheets with the same columns;
what the user says (a header row, a column read as a field) always wins.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from rollout import values
from rollout.plan.yamlnodes import NotPlain, plain_value
from rollout.records import SCHEMAS
from rollout.sheets import exporter
from rollout.sheets.limits import Note, Remedy, SpreadsheetError
from rollout.sheets.spreadsheet import Grid, Workbook
from rollout.sheets.targets import IGNORE, PROGRESS, Target
from rollout.stores.base import Store

MAPPINGS_FILE = "mappings.yaml"
HEADER_SCAN_ROWS = 30
HEAD_TEXT = 40  # characters of a cell shown when choosing the header row
# the sheets of this tool's xlsx export, by their columns: a sheet of another kind is never read as this one
EXPORTED = {"progress": exporter.COLUMNS, **{kind: schema.columns for kind, schema in SCHEMAS.items()}}
HOLDS = {"progress": "task progress", "findings": "audit findings"}


def column_key(name: Any) -> str:
    """A column name without case, spaces, punctuation or a bracketed remark ("Progress (%)" is "progress")."""
    text = str(name).casefold()
    key = re.sub(r"[^\w%#]|_", "", re.sub(r"\(.*?\)", "", text))
    return key or re.sub(r"[^\w%#]|_", "", text)


@functools.cache
def _field_by_key(target: Target) -> dict[str, str]:
    return {column_key(word): name for name, words in target.synonyms.items() for word in (name, *words)}


def guess_mapping(columns: list[str], target: Target = PROGRESS) -> dict[str, str]:
    """Column name -> field by the synonyms; the first column wins a field."""
    mapping: dict[str, str] = {}
    for name in columns:
        found = _field_by_key(target).get(column_key(name))
        if found and found not in mapping.values():
            mapping[name] = found
    return mapping


# remembered mappings ---------------------------------------------------------------
def _signature(columns: list[Any]) -> list[str]:
    return sorted(column_key(c) for c in columns)


def _entries(store: Store) -> list[Any]:
    """Every entry kept; a text that does not read counts as none (it is only a convenience)."""
    try:
        entries = plain_value(store.setting(MAPPINGS_FILE) or "[]")
    except NotPlain:
        return []
    return entries if isinstance(entries, list) else []


def _kind(entry: Any) -> str | None:
    return entry.get("records", PROGRESS.records) if isinstance(entry, dict) else None


def load_mappings(store: Store, target: Target = PROGRESS) -> list[dict[str, Any]]:
    """Mappings of this kind of record confirmed in earlier imports."""
    return [e for e in _entries(store) if _kind(e) == target.records and _valid_entry(e, target)]


def _valid_entry(entry: dict, target: Target) -> bool:
    return (
        isinstance(entry.get("columns"), list)
        and isinstance(entry.get("fields"), dict)
        and all(f in (*target.fields, IGNORE) for f in entry["fields"].values())
    )


def remembered_mapping(store: Store, columns: list[str], target: Target = PROGRESS) -> dict[str, str] | None:
    signature = _signature(columns)
    for entry in load_mappings(store, target):
        if _signature(entry["columns"]) == signature:
            fields = {column_key(c): f for c, f in entry["fields"].items()}
            return {c: fields[column_key(c)] for c in columns if fields.get(column_key(c), IGNORE) != IGNORE}
    return None


def remember_mapping(store: Store, columns: list[str], mapping: Mapping[str, str], target: Target = PROGRESS) -> None:
    """Keep a confirmed mapping for spreadsheets with these columns, beside the data (a file, or a table)."""
    signature = _signature(columns)
    entries = [
        e
        for e in _entries(store)
        if isinstance(e, dict) and not (_kind(e) == target.records and _signature(e.get("columns") or []) == signature)
    ]
    entry = {"columns": list(columns), "fields": {c: mapping.get(c, IGNORE) for c in columns}}
    entries.append(entry if target is PROGRESS else {"records": target.records, **entry})
    text = "# Column mappings confirmed in imports, reused for spreadsheets with the same columns.\n"
    text += yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    store.keep_setting(MAPPINGS_FILE, text)


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

    target: Target
    file: str
    sheets: list[Sheet]
    own: bool  # a workbook this tool exported: emptied cells clear, revisions are checked
    columns: list[str]
    auto: dict[str, str]
    mapping: dict[str, str]
    notes: list[Note]
    head: list[list[str]]  # the first rows of the sheet read, as text: where a person picks the header row

    @property
    def header(self) -> int:
        """The header's row number as the spreadsheet shows it."""
        return self.sheets[0].header + 1

    def problem(self) -> MappingNeeded | None:
        """What the mapping lacks before the rows can be read, if anything."""
        for need in self.target.needs:
            if not set(need.fields) & set(self.mapping.values()):
                hint = f"the columns are: {', '.join(self.columns)}"
                return MappingNeeded(need.missing, self.head, self, file=self.file, hint=hint, remedy=need.remedy)
        return None


class MappingNeeded(SpreadsheetError):
    """The columns cannot be read as they stand: the header row, or what a column holds, must be said.

    ``head`` holds the first rows to choose the header from; ``layout`` the columns found, when a header was.
    """

    def __init__(self, message: str, head: list[list[str]], layout: Layout | None = None, **where: Any):
        super().__init__(message, **where)
        self.head, self.layout = head, layout


def names_of(row: list[Any]) -> list[str]:
    return [values.normalise_text(c) for c in row]


def head_of(grid: Grid) -> list[list[str]]:
    """The first rows as short texts, for choosing the header row."""
    return [[values.normalise_text(c)[:HEAD_TEXT] for c in row] for row in grid.rows[:HEADER_SCAN_ROWS]]


def examples(head: list[list[str]], header: int, columns: list[str]) -> list[str]:
    """The first value below the header (a row number) in each column, to show what a column holds."""
    names = head[header - 1] if 0 < header <= len(head) else []
    below = [row for row in head[header:] if any(row)]
    return [next((r[names.index(c)] for r in below if r[names.index(c)]), "") if c in names else "" for c in columns]


def find_header(
    grid: Grid, target: Target, overrides: Mapping[str, str], confirmed: set[tuple[str, ...]]
) -> int | None:
    """The row among the first ones naming the most fields, an anchor among them, or a row whose columns a
    remembered mapping names; title rows above it are skipped."""
    known = _field_by_key(target) | {column_key(c): f for c, f in overrides.items() if f != IGNORE}
    best, best_score = None, 1
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        names = [n for n in names_of(row) if n]
        if tuple(_signature(names)) in confirmed:
            return index
        found = {known.get(column_key(n)) for n in names} - {None}
        if found & set(target.anchors) and len(found) > best_score:
            best, best_score = index, len(found)
    return best


def exported_kind(grid: Grid) -> str | None:
    """Which records a sheet of this tool's export holds, by its columns (None: not such a sheet)."""
    names = set(names_of(grid.rows[0])) if grid.rows else set()
    return next((kind for kind, columns in EXPORTED.items() if set(columns) <= names), None)


def layout(
    book: Workbook,
    target: Target,
    sheet: str | None,
    header: int | None,
    overrides: Mapping[str, str],
    store: Store,
) -> Layout:
    """This tool's own sheets when the file is an export of it; else the sheet and header row chosen, or the
    first sheet with a header row. ``header`` is a row number as the spreadsheet shows it."""
    grids = [book.grid(s) for s in ([sheet] if sheet else book.sheet_names)]
    if not any(not values.is_blank(c) for g in grids for row in g.rows for c in row):
        raise SpreadsheetError("is empty: no cells to import", file=book.file, sheet=sheet)
    kinds = {g.sheet: exported_kind(g) for g in grids}
    if header is not None:
        return _chosen(book, target, grids, header, overrides, store)
    own = [Sheet(g, 0, names_of(g.rows[0])) for g in grids if kinds[g.sheet] == target.records]
    if own:
        return _own(book, target, grids, own, overrides, kinds)
    confirmed = {tuple(_signature(e["columns"])) for e in load_mappings(store, target)}
    readable = [g for g in grids if kinds[g.sheet] is None]
    for grid in readable:
        found = find_header(grid, target, overrides, confirmed)
        if found is not None:
            return _foreign(book, target, grids, grid, found, overrides, store)
    first = (readable or grids)[0]
    raise MappingNeeded(
        f"has no header row in its first {HEADER_SCAN_ROWS} rows",
        head_of(first),
        file=book.file,
        sheet=first.sheet,
        remedy=Remedy("header_row"),
    )


def _chosen(book, target, grids, header, overrides, store) -> Layout:
    grid = grids[0]
    if not 1 <= header <= len(grid.rows):
        raise SpreadsheetError(
            f"has no row {header}", file=book.file, sheet=grid.sheet, hint=f"its rows are 1 to {len(grid.rows)}"
        )
    return _foreign(book, target, grids, grid, header - 1, overrides, store)


def _own(book, target, grids, own, overrides, kinds) -> Layout:
    notes = [Note("a workbook exported by this tool: an emptied cell clears the field, revisions are checked")]
    skipped = [g.sheet for g in grids if g.sheet not in {s.name for s in own}]
    if skipped:
        notes.append(Note(f"skipped, not {target.own_sheet}: {quoted(skipped)}"))
    for other in ("progress", "findings"):
        holding = [s for s in skipped if kinds[s] == other]
        if holding:
            notes.append(Note(f"{quoted(holding)} hold {HOLDS[other]}", Remedy("records", other)))
    columns = [n for n in own[0].names if n]
    auto = target.own_mapping(columns)
    mapping = _override(auto, columns, overrides, book.file)
    return Layout(target, book.file, own, True, columns, auto, mapping, notes, head_of(own[0].grid))


def quoted(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _foreign(book, target, grids, grid, header, overrides, store) -> Layout:
    names = names_of(grid.rows[header])
    columns = list(dict.fromkeys(n for n in names if n))
    auto = guess_mapping(columns, target)
    remembered = remembered_mapping(store, columns, target)
    notes = [Note(f"sheet {g.sheet!r} not read", Remedy("sheet", g.sheet)) for g in grids if g is not grid]
    if header:
        notes.append(Note(f"header on row {header + 1}; the rows above it are titles"))
    if remembered is not None and remembered != auto:
        notes.append(Note("using the column mapping remembered for these columns"))
    mapping = _override(remembered if remembered is not None else auto, columns, overrides, book.file)
    sheets = [Sheet(grid, header, names)]
    return Layout(target, book.file, sheets, False, columns, auto, mapping, notes, head_of(grid))


def _override(base: dict[str, str], columns: list[str], overrides: Mapping[str, str], file: str) -> dict[str, str]:
    mapping = dict(base)
    for wanted, field in overrides.items():
        name = next((c for c in columns if c == wanted), None) or next(
            (c for c in columns if column_key(c) == column_key(wanted)), None
        )
        if name is None:
            raise SpreadsheetError(
                f"has no column {wanted!r} to map", file=file, hint=f"the columns are: {', '.join(columns)}"
            )
        mapping = {c: f for c, f in mapping.items() if c != name and f != field}
        if field != IGNORE:
            mapping[name] = field
    return mapping
