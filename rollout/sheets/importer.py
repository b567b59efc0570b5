"""Import progress from spreadsheets: match tasks, validate, diff, preview, then apply on request.

``preview_import`` reads a file (``spreadsheet``), maps its columns (``mapping``), normalises
them (``columns``) and compares them with the saved progress, all column-wise; the status,
percent and date rules are the store's own (``store.apply_change``). Nothing is written until
``apply_import``, which makes one atomic save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from rollout import config, values
from rollout.access import Acting
from rollout.plan import Plan
from rollout.progress import SaveResult, Snapshot
from rollout.sheets import columns, mapping
from rollout.sheets.compare import Comparison
from rollout.sheets.limits import Wording
from rollout.sheets.preview import Preview
from rollout.sheets.spreadsheet import SpreadsheetError, Workbook, open_workbook
from rollout.sheets.targets import IGNORE, PROGRESS, Target
from rollout.stores.base import Store


def check_choices(target: Target, overrides: Mapping[str, str], dates: str | None) -> None:
    """Refuse a date order or a field that does not exist, before the file is read."""
    if dates not in (None, *values.DATE_ORDERS):
        raise SpreadsheetError(f"unknown date order {dates!r}", hint="use dayfirst or monthfirst")
    for column, field in overrides.items():
        if field not in (*target.fields, IGNORE):
            raise SpreadsheetError(
                f"cannot map {column!r} to {field!r}", hint=f"fields: {', '.join(target.fields)} or ignore"
            )


def read_layout(
    book: Workbook,
    target: Target,
    store: Store,
    *,
    sheet: str | None = None,
    header: int | None = None,
    overrides: Mapping[str, str] | None = None,
) -> mapping.Layout:
    """Where the rows are and what each column holds; MappingNeeded while the user must still say either."""
    layout = mapping.layout(book, target, sheet, header, dict(overrides or {}), store)
    problem = layout.problem()
    if problem is not None:
        raise problem
    return layout


def preview_import(
    source: str | Path | bytes,
    plan: Plan,
    store: Store,
    *,
    name: str | None = None,
    sheet: str | None = None,
    header: int | None = None,
    overrides: Mapping[str, str] | None = None,
    dates: str | None = None,
    as_of: dt.date | None = None,
    snapshot: Snapshot | None = None,
) -> Preview:
    """Read a spreadsheet (a path, or uploaded bytes named ``name``) and compare it with the saved progress.

    ``header`` is the header's row number, when the user says it; ``as_of`` the day the file's
    changes happened (a date column of the file wins for its rows). ``snapshot`` may be one the
    caller has just loaded; a save of the preview still refuses tasks changed since it was loaded.
    """
    overrides = dict(overrides or {})
    check_choices(PROGRESS, overrides, dates)
    today = config.today()
    if as_of is not None and as_of > today:
        raise SpreadsheetError(
            f"the date given for the whole file, {as_of}, is in the future; an import records what has happened"
        )
    book = open_workbook(source, name)
    layout = read_layout(book, PROGRESS, store, sheet=sheet, header=header, overrides=overrides)
    rows = columns.extract(layout)
    snapshot = snapshot or store.load()
    history = lambda: store.history(committed=snapshot.seq)  # noqa: E731 - read only when needed
    preview = Comparison(
        rows, layout, plan, snapshot, history, order=dates, today=today, as_of=as_of, saved_on=book.saved_on
    ).preview()
    preview.remember = not layout.own and layout.mapping != layout.auto
    return preview


def apply_import(
    preview: Preview, store: Store, by: Acting, *, valid_rows_only: bool = False, overwrite_newer: bool = False
) -> SaveResult:
    """Save the previewed changes in one atomic save; refused while rows are rejected or in conflict unless valid
    rows only, and while values changed in the tool after the file was saved would be overwritten unconfirmed."""
    problem = preview.refusal(valid_rows_only, overwrite_newer)
    if problem is not None:
        raise problem
    result = store.save(preview.payload, preview.revisions, by=by, source=preview.source, happened=preview.happened)
    if preview.remember:
        mapping.remember_mapping(store, preview.columns, preview.mapping)
    return result


def describe(preview: Preview, wording: Wording) -> str:
    """The preview as text: what was read, every change, clear, conflict and rejected row, and the counts."""
    sheets = ", ".join(repr(s) for s in preview.sheets)
    mapped = ", ".join(f"{c} -> {f}" for c, f in preview.mapping.items())
    left = [c for c in preview.columns if c not in preview.mapping and not (preview.own_export and c == "revision")]
    lines = [f"{preview.file} (sheet {sheets}, header on row {preview.header}): {mapped}"]
    lines += [f"  not imported: {', '.join(left)}"] if left else []
    lines += [f"  dates read {preview.date_order}"] if preview.date_order else []
    lines += [f"  changes dated {preview.as_of} unless a row says otherwise"] if preview.as_of else []
    lines += [f"  note: {n.words(wording)}" for n in preview.notes]
    for title, table in (("changes", preview.changes[preview.changes["kind"] == "change"]), ("clears", preview.clears)):
        if len(table):
            lines.append(f"{title} ({len(table)}):")
            lines += [f"  row {r.row:<6}{r.task_id:<9}{r.field:<9} {r.old!r} -> {r.new!r}" for r in table.itertuples()]
    if len(preview.newer):
        lines.append(f"changed in the tool after the file was saved ({preview.saved_on:%Y-%m-%d %H:%M} UTC):")
        lines += [
            f"  row {r.row:<6}{r.task_id:<9}{r.field:<9} {r.old!r} set on {r.changed_at} by {r.changed_by or 'someone'}"
            f", the file says {r.new!r}"
            for r in preview.newer.itertuples()
        ]
    if len(preview.conflicts):
        lines.append(f"conflicts ({preview.conflicted} tasks changed in the tool since the export, not overwritten):")
        lines += [
            f"  row {r.row:<6}{r.task_id:<9}{r.field:<9} now {r.old!r} (revision {r.revision} by "
            f"{r.updated_by or 'someone'}), file {r.new!r} (exported at revision {r.exported_revision})"
            for r in preview.conflicts.itertuples()
        ]
    lines += problem_lines(preview)
    lines.append(
        f"{preview.unchanged} rows unchanged, {preview.changed} changed, {preview.rejected} rejected"
        + (f", {preview.in_conflict} in conflict" if preview.in_conflict else "")
    )
    return "\n".join(lines)


def problem_lines(preview) -> list[str]:
    """The rejected rows of any import's preview, as text."""
    if not len(preview.problems):
        return []
    lines = [f"rejected rows ({preview.rejected}):"]
    return lines + [
        f"  {r.sheet!r} row {r.row}{f', column {r.column!r}' if r.column else ''}{f' ({r.cell})' if r.cell else ''}: "
        f"{r.message}"
        for r in preview.problems.itertuples()
    ]
