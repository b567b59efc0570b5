"""The spreadsheet commands: import (progress or audit findings), export and the import template."""

from __future__ import annotations

import argparse
import datetime as dt

from rollout import values
from rollout.cli.common import CliError, UsageError, by_of, loaded, outside, plan_of, store_of
from rollout.records import FINDING_SOURCES
from rollout.sheets.limits import Remedy, SpreadsheetError
from rollout.sheets.targets import IGNORE, TARGETS

# Every remedy an import message may carry, said as the flag that does it; one sentence each.
REMEDIES = {
    "sheet": lambda _: "choose another sheet with --sheet NAME",
    "header_row": lambda _: "say which row names the columns with --header-row N, and what they hold with --map",
    "map_columns": lambda field: f"map a column with --map COLUMN={field or 'FIELD'}",
    "map_key": lambda _: "name the column with --map COLUMN=task_id (or =title)",
    "dates": lambda order: f"use --dates {order}" if order else "say the order with --dates dayfirst or monthfirst",
    "valid_rows_only": lambda _: "add --valid-rows-only to apply the valid rows and leave the others out",
    "overwrite_newer": lambda _: "add --overwrite-newer to overwrite them, or leave those rows out of the file",
    "as_of": lambda _: "say when its changes happened with --as-of YYYY-MM-DD",
    "records": lambda kind: f"import it with --records {kind}",
    "finding_source": lambda _: f"say where they come from with --source ({', '.join(FINDING_SOURCES)})",
}


def wording(remedy: Remedy) -> str:
    return REMEDIES[remedy.action](remedy.argument)


def day(text: str) -> dt.date:
    try:
        found = values.normalise_date(text)
    except values.ValueProblem as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if found is None:
        raise argparse.ArgumentTypeError("a date is needed, like 2026-09-30")
    return found


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    fields = TARGETS[args.records].fields
    overrides = {}
    for item in args.map or []:
        column, sep, field = item.rpartition("=")
        if not sep or not column or field not in (*fields, IGNORE):
            raise UsageError(
                f"import: --map {item!r} is not COLUMN=FIELD with FIELD one of {', '.join(fields)} or ignore"
            )
        overrides[column] = field
    return overrides


def cmd_import(args: argparse.Namespace) -> None:
    overrides = _overrides(args)
    plan = plan_of(args)
    store = store_of(args, plan)
    choices = {"sheet": args.sheet, "header": args.header_row, "overrides": overrides, "dates": args.dates}
    try:
        if args.records == "findings":
            _import_findings(args, plan, store, choices)
        else:
            _import_progress(args, plan, store, choices)
    except SpreadsheetError as exc:
        raise CliError(exc.text(wording)) from None


def _import_progress(args: argparse.Namespace, plan, store, choices: dict) -> None:
    from rollout.sheets import importer

    if args.source:
        raise UsageError("import: --source says where findings come from; add --records findings")
    preview = importer.preview_import(args.file, plan, store, as_of=args.as_of, **choices)
    print(importer.describe(preview, wording))
    _save(
        args, preview,
        lambda by: importer.apply_import(preview, store, by, valid_rows_only=args.valid_rows_only, overwrite_newer=True),
        lambda result: f"{len(result.tasks)} tasks, {result.history_rows} fields",
    )  # fmt: skip


def _import_findings(args: argparse.Namespace, plan, store, choices: dict) -> None:
    from rollout.sheets import findings

    if args.as_of or args.overwrite_newer:
        raise UsageError("import: --as-of and --overwrite-newer are for progress; a finding keeps its own dates")
    preview = findings.preview_findings(args.file, plan, store, found_in=args.source, **choices)
    print(findings.describe_findings(preview, wording))
    _save(
        args, preview,
        lambda by: findings.apply_findings(preview, store, by, valid_rows_only=args.valid_rows_only),
        lambda result: ", ".join(result.tasks),
    )  # fmt: skip


def _save(args: argparse.Namespace, preview, apply, saved) -> None:
    """Refused (exit 1) as applying would be, a dry run too; else saved. ``apply(by)`` saves; ``saved(result)`` says
    what was."""
    problem = preview.refusal(args.valid_rows_only, args.overwrite_newer)
    if problem is not None:
        raise CliError(problem.text(wording))
    if args.dry_run:
        print("dry run: nothing saved")
        return
    result = apply(by_of(args))
    skipped = f"; {preview.refusals()}, not applied" if preview.refused else ""
    print(
        f"saved as change {result.seq}: {saved(result)}{skipped}"
        if result.history_rows
        else f"nothing to save{skipped}"
    )


def cmd_export(args: argparse.Namespace) -> None:
    from rollout.sheets.exporter import ExportError, write_export

    plan, store, snapshot, _ = loaded(args)
    try:
        rows = write_export(outside(store, args.file), plan, snapshot.progress, snapshot.records)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(f"wrote {rows} tasks to {args.file}")


def cmd_template(args: argparse.Namespace) -> None:
    from rollout.sheets.exporter import ExportError, write_template

    plan = plan_of(args)
    try:
        rows = write_template(outside(store_of(args, plan, existing=False), args.file), plan)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(f"wrote the import template with {rows} tasks to {args.file}")


def register(command) -> None:
    """Add the spreadsheet commands: ``command(name, func, help)`` makes one."""
    p = command("import", cmd_import, "preview and apply progress, or audit findings, from a spreadsheet")
    p.add_argument("file", metavar="FILE", help=".xlsx, .xlsm, .xls, .ods or .csv")
    p.add_argument("--records", choices=list(TARGETS), default="progress", help="what the file holds")
    p.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first one with a header row)")
    p.add_argument("--header-row", type=int, metavar="N", help="the row that names the columns (default: found)")
    p.add_argument(
        "--map",
        action="append",
        metavar="COLUMN=FIELD",
        help="read COLUMN as FIELD, or ignore; split at the last =. Progress: "
        + ", ".join(TARGETS["progress"].fields)
        + "; findings: "
        + ", ".join(TARGETS["findings"].fields),
    )
    p.add_argument("--dates", choices=list(values.DATE_ORDERS), help="the order of d/m/y text dates")
    p.add_argument("--source", choices=FINDING_SOURCES, help="findings: where they come from, for rows that do not say")
    p.add_argument("--as-of", type=day, metavar="DATE", help="when the file's changes happened (default: now)")
    p.add_argument("--valid-rows-only", action="store_true", help="apply the valid rows when others are rejected")
    p.add_argument(
        "--overwrite-newer", action="store_true", help="overwrite values changed in the tool after the file was saved"
    )
    p.add_argument("--dry-run", action="store_true", help="preview only; exit 1 when the import would be refused")
    p.add_argument("--by", metavar="NAME", help="who makes the change (env ROLLOUT_USER, else the login name)")
    command("export", cmd_export, "write progress and plan to FILE (.csv, .parquet, .xlsx)").add_argument(
        "file", metavar="FILE"
    )
    command(
        "template", cmd_template, "write a blank import workbook (.xlsx) or .csv listing the plan's tasks"
    ).add_argument("file", metavar="FILE")
