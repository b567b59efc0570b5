"""Import progress from spreadsheets: match tasks, validate, diff, preview, then apply on request.

``preview_import`` reads a file (``spreadsheet``), maps its columns (``mapping``), normalises
them (``columns``) and compares them with the saved progress, all column-wise; the status,
percent and date rules are the store's own (``store.apply_change``). Nothing is written until
``apply_import``, which makes one atomic save.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rollout import values
from rollout.access import Acting
from rollout.plan import Plan
from rollout.progress import SaveResult, Snapshot
from rollout.sheets import columns, mapping
from rollout.sheets.compare import Comparison
from rollout.sheets.preview import Preview
from rollout.sheets.spreadsheet import SpreadsheetError, open_workbook
from rollout.stores.files import FileStore


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
    preview = Comparison(rows, layout, plan, snapshot, dates, book.file, store.history).preview()
    preview.remember = not layout.own and layout.mapping != layout.auto
    return preview


def apply_import(preview: Preview, store: FileStore, by: Acting, *, valid_rows_only: bool = False) -> SaveResult:
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
