"""`python -m rollout ...`: a thin command line over the core; every rule lives in rollout/."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from rollout import config, readiness, values
from rollout.cli import assurance, sheets
from rollout.cli.common import (
    CliError,
    Printable,
    UsageError,
    advised,
    by_of,
    emit_json,
    loaded,
    locations,
    outside,
    overview_of,
    plan_of,
    store_of,
)
from rollout.plan import EDITION_NAMES, PlanError
from rollout.progress import ChangeError, ConflictError, StoreError
from rollout.records import is_record_id
from rollout.stores import open_store
from rollout.stores.files import FORMATS, FileStore
from rollout.summary import IMPLEMENTED, PROGRESS, done_text, implemented_text
from rollout.timeline import FORECAST_CAVEAT
from rollout.words import counted


# commands ----------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    covered = {e: len(plan.leaves(e)) for e in sorted(plan.clauses, key=lambda e: e != plan.edition)}
    print(
        f"{plan.folder}: valid: {len(plan.stages)} stages, {len(plan.tasks)} tasks, edition {plan.edition}, "
        + ", ".join(f"{n} of {n} {e} leaf clauses served" for e, n in covered.items())
    )
    for warning in plan.warnings:
        print(f"warning: {warning}")


def cmd_status(args: argparse.Namespace) -> None:
    plan, figures = overview_of(args)
    summary = figures.status
    if args.json:
        emit_json(summary)
        return
    print(f"{plan.organisation} · {EDITION_NAMES[plan.edition]}")
    print(
        f"{PROGRESS}: {readiness.percent_text(summary['overall'])} "
        f"({done_text(summary)} applicable tasks done, {summary['not_applicable']} not applicable)"
    )
    print(f"{IMPLEMENTED}: {implemented_text(summary)}")
    print(f"{'stage':<6}{'name':<48}{'tasks':>6}{'done':>6}{'progress':>10}  gate")
    for p, gate in zip(summary["phases"], figures.gates, strict=True):
        state = gate.state + (f", kept shut by {counted(len(gate.missing), 'task')}" if gate.missing else "")
        progress = readiness.percent_text(p["readiness"])
        print(f"{p['stage']:<6}{p['name'][:46]:<48}{p['tasks']:>6}{p['done']:>6}{progress:>10}  {state}")
    print(f"forecast: {figures.forecast.sentence()}")
    if figures.orphans:
        print(f"orphaned progress (tasks no longer in the plan, kept): {', '.join(figures.orphans)}")


def cmd_set(args: argparse.Namespace) -> None:
    changes = {}
    for item in args.assignments:
        name, sep, value = item.partition("=")
        if not sep or name not in values.FIELDS:
            raise UsageError(f"set: {item!r} is not FIELD=VALUE with FIELD one of {', '.join(values.FIELDS)}")
        changes[name] = value
    plan = plan_of(args)
    store = store_of(args, plan)
    if args.task_id not in plan.tasks:
        raise CliError(f"set: {args.task_id} is not a task of the plan")
    revisions = {args.task_id: args.if_revision} if args.if_revision is not None else None
    result = store.save({args.task_id: changes}, revisions, by=by_of(args), source="cli")
    if not result.history_rows:
        print(f"{args.task_id}: nothing changed")
        return
    row = store.load().progress.set_index("task_id").loc[args.task_id]
    print(
        f"{args.task_id}: saved as change {result.seq}, revision {row['revision']}: status {row['status']}, {row['percent']} %"
    )


def cmd_verify(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    if args.task_id not in plan.tasks:
        raise CliError(f"verify: {args.task_id} is not a task of the plan")
    by = by_of(args)
    result = store_of(args, plan).verify([args.task_id], by=by, source="cli")
    print(f"{args.task_id}: verified by {by} (change {result.seq})")


def cmd_migrate(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    result = store_of(args, plan).migrate(by=by_of(args))
    moved = [(old, new) for old, new in plan.renames.items() if new in result.tasks]
    print(
        f"carried {len(moved)} renamed tasks over (change {result.seq}): " + ", ".join(f"{o} -> {n}" for o, n in moved)
        if moved
        else "nothing to migrate: the progress names no task the plan renamed"
    )


def cmd_history(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    frame = store_of(args, plan).history(args.task_id)
    known = not args.task_id or args.task_id in plan.tasks or is_record_id(args.task_id)
    if frame.empty and not known:  # a task that left the plan keeps its history, shown above
        raise CliError(f"history: {args.task_id} is not a task of the plan, nor a record id such as F-0001")
    if args.json:
        emit_json(frame.to_dict("records"))
        return
    if frame.empty:
        print("no changes recorded yet" + (f" for {args.task_id}" if args.task_id else ""))
        return
    for r in frame.itertuples(index=False):
        print(f"{r.seq:>6}  {r.at}  {r.by:<18} {r.source:<16} {r.task_id:<8} {r.field:<9} {r.old!r} -> {r.new!r}")


def cmd_convert(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    store = store_of(args, plan)
    if config.is_database(args.to) or args.into:
        target = open_store(args.to if config.is_database(args.to) else args.into, plan)
        dump = store.dump()
        if isinstance(target, FileStore):
            target.fill(dump, args.to)
        else:
            target.fill(dump)
        print(f"copied {store.location} into {target.location}: {len(dump.progress)} progress rows, "
              f"{len(dump.history)} history rows, up to change {dump.seq}; the source was left as it was")  # fmt: skip
    elif isinstance(store, FileStore):
        print(store.convert(args.to))
    else:
        raise UsageError(f"{store.location} is a database: name the folder to write it into with --into DIR")


def cmd_compact(args: argparse.Namespace) -> None:
    merged = store_of(args, plan_of(args)).compact()
    print(f"merged {merged} history parts into one" if merged else "nothing to compact")


def cmd_restore(args: argparse.Namespace) -> None:
    store = store_of(args, plan_of(args))
    if args.to_seq is not None:
        result = store.restore_to(args.to_seq, by=by_of(args))
        print(f"restored the progress of change {args.to_seq}: {len(result.tasks)} tasks changed (change {result.seq})")
        return
    if args.backup is None:
        names = store.restorable()
        print("\n".join(names) if names else f"no backups in {store.location} yet; restore to a change with --to-seq N")
        return
    result = store.restore(args.backup, by=by_of(args))
    if result.repaired:
        print(f"restored {args.backup}: {result.repaired}")
    elif result.tasks:
        print(f"restored {args.backup}: {counted(len(result.tasks), 'task')} changed (change {result.seq})")
    else:
        print(f"{args.backup} matches the current progress; nothing changed")


def cmd_demo(args: argparse.Namespace) -> None:
    from rollout.demo import FolderNotEmpty, write_demo

    plan = plan_of(args)
    store = store_of(args, plan, existing=False)
    try:
        saves = write_demo(plan, store, config.today(args.today))
    except FolderNotEmpty as exc:
        raise CliError(f"{exc}; write it to a new folder instead: python -m rollout --data NEW_FOLDER demo") from None
    print(f"wrote the demo into {store.location}: {saves} saves")


def cmd_readiness(args: argparse.Namespace) -> None:
    plan, figures = overview_of(args)
    frame = figures.stages if args.by in ("stage", "phase") else figures.clauses[args.edition or plan.edition]
    records = readiness.figure_records(frame)
    if args.json:
        emit_json(records)
        return
    depths = frame["depth"].tolist() if "depth" in frame else [0] * len(frame)
    # the title last, in full: a column of its own would cut the long ones
    print(f"{'stage' if args.by in ('stage', 'phase') else 'clause':<16}{'ready':>9}{'tasks':>7}  title")
    for record, depth in zip(records, depths, strict=True):
        name = "  " * depth + str(record["id"])
        ready = readiness.percent_text(record["readiness"])
        print(f"{name:<16}{ready:>9}{record['tasks']:>7}  {record['title']}")


def cmd_forecast(args: argparse.Namespace) -> None:
    _, figures = overview_of(args)
    outlook = figures.forecast
    if args.json:
        emit_json(outlook.as_json())
        return
    print(outlook.sentence())
    weekly = ", ".join(f"{v:g}" for v in outlook.velocities)
    print(f"remaining {outlook.remaining:g} of {outlook.ceiling:g} effort-days; done per week, last 8 weeks: {weekly}")
    if outlook.likely:
        print(FORECAST_CAVEAT)


def cmd_report(args: argparse.Namespace) -> None:
    from rollout import committee, report

    plan, store, snapshot, table = loaded(args)
    today = config.today()
    try:
        since = committee.since_date(args.since, today)
        pack = committee.build_pack(plan, table, store.history(), today, since, args.edition, snapshot.records)
        written = report.write_report(outside(store, args.file), pack, png_dir=outside(store, args.png))
    except (committee.CommitteeError, report.ReportError) as exc:
        raise CliError(str(exc)) from None
    print(f"wrote the steering committee pack to {written[0]} (changes since {since})")
    if args.png:
        print(f"wrote {len(written) - 1} charts to {args.png}: {', '.join(p.name for p in written[1:])}")


# parser ------------------------------------------------------------------------
def _target(text: str) -> str:
    if text in FORMATS or config.is_database(text):
        return text
    raise argparse.ArgumentTypeError(f"{text!r}: expected csv, parquet or a postgresql:// URL")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rollout", description="ISO 20000 Rollout Tracker")
    locations(parser)
    common = argparse.ArgumentParser(add_help=False)
    locations(common, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    command("validate", cmd_validate, "check the plan")
    command("status", cmd_status, "per-stage counts, readiness and gates").add_argument("--json", action="store_true")
    p = command(
        "set", cmd_set, "change one task: FIELD=VALUE with FIELD status, percent, owner, start, due, evidence or notes"
    )
    p.add_argument("task_id", metavar="TASK_ID")
    p.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    p.add_argument("--by", metavar="NAME", help="who makes the change (env ROLLOUT_USER, else the login name)")
    p.add_argument("--if-revision", type=int, metavar="N", help="refuse when the task is no longer at revision N")
    p = command("verify", cmd_verify, "verify a done task's evidence: a person other than the one who set it done")
    p.add_argument("task_id", metavar="TASK_ID")
    p.add_argument("--by", metavar="NAME", help="who checked the evidence (env ROLLOUT_USER, else the login name)")
    command(
        "migrate", cmd_migrate, "carry progress of tasks the plan renamed (phases/renames.yaml) to their new ids"
    ).add_argument("--by", metavar="NAME", help="who applies the renames (env ROLLOUT_USER, else the login name)")
    p = command("history", cmd_history, "the change log, oldest first")
    p.add_argument("task_id", nargs="?", metavar="TASK_ID")
    p.add_argument("--json", action="store_true")
    p = command("convert", cmd_convert, "switch the data between csv, parquet and a database, losslessly")
    p.add_argument("--to", required=True, metavar="csv|parquet|URL", type=_target)
    p.add_argument("--into", metavar="DIR", help="the new folder to write the data into (from a database)")
    command("compact", cmd_compact, "merge Parquet history parts")
    p = command("restore", cmd_restore, "list backups, restore one by name, or restore progress to a change")
    p.add_argument("backup", nargs="?", metavar="BACKUP")
    p.add_argument("--to-seq", type=int, metavar="N", help="progress as it stood after change N, as a new save")
    p.add_argument("--by", metavar="NAME")
    command("demo", cmd_demo, "fill an empty data folder with a realistic demo state").add_argument(
        "--today", metavar="DATE"
    )
    p = command("readiness", cmd_readiness, "readiness by clause (every level, tree order) or by stage")
    p.add_argument("--by", choices=["clause", "stage", "phase"], default="clause", help="phase: the same as stage")
    p.add_argument("--edition", choices=list(EDITION_NAMES), help="the clauses of this edition (default: the plan's)")
    p.add_argument("--json", action="store_true")
    command("forecast", cmd_forecast, "likely completion date and range against the target").add_argument(
        "--json", action="store_true"
    )
    sheets.register(command)
    p = command("report", cmd_report, "write the steering committee pack to FILE (.html or .pdf)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--since", metavar="DATE", help="the day of the last meeting (default: 30 days before today)")
    p.add_argument("--png", metavar="DIR", help="also write the charts as PNG files into DIR")
    p.add_argument("--edition", choices=list(EDITION_NAMES), help="the clauses of this edition (default: the plan's)")
    assurance.register(command, [common])
    return parser


def main(argv: list[str] | None = None) -> int:
    with contextlib.redirect_stdout(Printable(sys.stdout)), contextlib.redirect_stderr(Printable(sys.stderr)):
        return run(argv)


def run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PlanError as exc:
        print(f"the plan has {counted(len(exc.issues), 'error')}:\n{exc}", file=sys.stderr)
        return 1
    except ConflictError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ChangeError as exc:
        print(f"refused, nothing saved:\n{exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader stopped early (`| head`): nothing failed, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())  # nor at exit, when Python flushes
        return 0
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.advice:
            print(advised(exc.advice, args), file=sys.stderr)
        return 1
    except (CliError, config.ConfigError, values.ValueProblem, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
