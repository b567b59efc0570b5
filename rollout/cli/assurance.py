"""The assurance commands: assess a clause, keep the findings register, record the committee's gate decisions."""

from __future__ import annotations

import argparse

import pandas as pd

from rollout import assurance, config, registers
from rollout.cli.common import UsageError, by_of, emit_json, overview_of, plan_of, store_of
from rollout.records import ASSESSMENT_SOURCES, DECISIONS, FINDING_SOURCES, FINDINGS, GRADES, RESULTS, WORDS


def cmd_assess(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    store = store_of(args, plan)
    result = registers.assess(
        store, args.clause, args.result, by=by_of(args), source=args.source, on=args.on,
        evidence=args.evidence or "", notes=args.notes or "", today=config.today(),
    )  # fmt: skip
    print(
        f"{result.tasks[0]}: {args.clause} assessed {WORDS.get(args.result, args.result).lower()} (change {result.seq})"
    )


def cmd_assessments(args: argparse.Namespace) -> None:
    plan, figures = overview_of(args)
    table = assurance.clause_conformity(plan, figures.snapshot.records["assessments"])
    records = [
        {
            "clause": r.id,
            "conformity": r.conformity,
            "assessed_on": None if pd.isna(r.assessed_on) else f"{r.assessed_on:%Y-%m-%d}",
            "source": r.source,
            "assessor": r.assessor,
            "id": r.assessment,
            "inherited": bool(r.inherited),
        }
        for r in table.itertuples()
    ]
    if args.json:
        emit_json(records)
        return
    print(f"{'clause':<12}{'conformity':<16}{'assessed':<12}{'source':<18}{'assessor':<20}id")
    for r, depth in zip(records, table["depth"], strict=True):
        name = "  " * depth + r["clause"]
        conformity = WORDS[r["conformity"]] + (" (above)" if r["inherited"] else "")
        source = WORDS.get(r["source"], r["source"])
        print(f"{name:<12}{conformity:<16}{r['assessed_on'] or '':<12}{source:<18}{r['assessor'][:18]:<20}{r['id']}")


def cmd_finding_add(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    fields = {"clauses": args.clauses, "grade": args.grade, "source": args.source, "description": args.text}
    fields |= {k: v for k, v in (("owner", args.owner), ("due", args.due)) if v}
    result = registers.add_findings(store_of(args, plan), [fields], by=by_of(args))
    print(result.tasks[0])


def cmd_finding_set(args: argparse.Namespace) -> None:
    fields = {}
    for item in args.assignments:
        name, sep, value = item.partition("=")
        if not sep or name not in FINDINGS.fields:
            raise UsageError(f"finding set: {item!r} is not FIELD=VALUE with FIELD one of {', '.join(FINDINGS.fields)}")
        fields[name] = value
    plan = plan_of(args)
    result = registers.change_finding(
        store_of(args, plan), args.finding_id, fields, by=by_of(args), revision=args.if_revision
    )
    print(
        f"{args.finding_id}: saved as change {result.seq}"
        if result.history_rows
        else f"{args.finding_id}: nothing changed"
    )


def cmd_findings(args: argparse.Namespace) -> None:
    _, figures = overview_of(args)
    table = figures.snapshot.records["findings"]
    if args.open:
        table = table[table["status"].isin(("open", "action_planned"))]
    records = [_finding_json(r) for _, r in table.iterrows()]
    if args.json:
        emit_json(records)
        return
    if not records:
        print("no findings recorded" + (" open" if args.open else ""))
    for r in records:
        due = f", due {r['due']}" if r["due"] else ""
        print(
            f"{r['id']}  {WORDS[r['grade']]:<12}{WORDS[r['status']]:<16}{'; '.join(r['clauses']):<14}{r['description'][:60]}{due}"
        )


def _finding_json(row: pd.Series) -> dict:
    out = {name: ("" if pd.isna(row[name]) else row[name]) for name in ("id", *FINDINGS.fields)}
    out["clauses"] = [c for c in row["clauses"].split("; ") if c]
    for name in FINDINGS.dates:
        out[name] = None if pd.isna(row[name]) else f"{row[name]:%Y-%m-%d}"
    return out


def cmd_decide(args: argparse.Namespace) -> None:
    plan = plan_of(args)
    result = registers.decide(
        store_of(args, plan), plan, args.stage, args.decision, by=by_of(args), on=args.on,
        conditions=args.conditions or "", minutes=args.minutes or "", today=config.today(),
    )  # fmt: skip
    print(
        f"{result.tasks[0]}: stage {args.stage} {WORDS.get(args.decision, args.decision).lower()} (change {result.seq})"
    )


def cmd_decisions(args: argparse.Namespace) -> None:
    _, figures = overview_of(args)
    table = figures.snapshot.records["decisions"]
    records = [assurance.decision_json(r) for _, r in table.iterrows()]
    if args.json:
        emit_json(records)
        return
    if not records:
        print("no gate decisions recorded")
    for r in records:
        extra = f"; conditions: {r['conditions']}" if r["conditions"] else ""
        print(f"{r['id']}  stage {r['stage']}  {WORDS[r['decision']]:<20}{r['decided_on']}  by {r['by']}{extra}")


def register(command, parents: list[argparse.ArgumentParser]) -> None:
    """Add the assurance commands: ``command(name, func, help)`` makes one; ``parents`` hold the shared options."""
    p = command("assess", cmd_assess, "record an assessment of a clause (gap analysis, internal audit, ...)")
    p.add_argument("clause", metavar="CLAUSE")
    p.add_argument("result", metavar="RESULT", help=f"one of {', '.join(RESULTS)}")
    p.add_argument("--source", default="self", help=f"one of {', '.join(ASSESSMENT_SOURCES)} (default self)")
    p.add_argument("--on", metavar="DATE", help="the day of the assessment (default today)")
    p.add_argument("--evidence", metavar="TEXT")
    p.add_argument("--notes", metavar="TEXT")
    p.add_argument("--by", metavar="NAME", help="the assessor (env ROLLOUT_USER, else the login name)")
    command("assessments", cmd_assessments, "every clause's conformity and its latest assessment").add_argument(
        "--json", action="store_true"
    )
    finding = command("finding", None, "add a finding, or change one").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = finding.add_parser("add", parents=parents, help="record a finding; prints its id")
    p.set_defaults(func=cmd_finding_add)
    p.add_argument("text", metavar="TEXT", help="what was found")
    p.add_argument("--clauses", required=True, metavar="C[,C...]", help="the leaf clauses it is about")
    p.add_argument("--grade", required=True, help=f"one of {', '.join(GRADES)}")
    p.add_argument("--source", required=True, help=f"one of {', '.join(FINDING_SOURCES)}")
    p.add_argument("--owner", metavar="NAME")
    p.add_argument("--due", metavar="DATE")
    p.add_argument("--by", metavar="NAME")
    p = finding.add_parser(
        "set", parents=parents, help="change a finding: FIELD=VALUE (status, action, cause, owner, due, ...)"
    )
    p.set_defaults(func=cmd_finding_set)
    p.add_argument("finding_id", metavar="F-NNNN")
    p.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    p.add_argument("--by", metavar="NAME")
    p.add_argument("--if-revision", type=int, metavar="N", help="refuse when the finding is no longer at revision N")
    p = command("findings", cmd_findings, "the findings register")
    p.add_argument("--open", action="store_true", help="only the open findings")
    p.add_argument("--json", action="store_true")
    p = command("decide", cmd_decide, "record the steering committee's decision on a stage gate")
    p.add_argument("stage", type=int, metavar="STAGE")
    p.add_argument("decision", choices=DECISIONS)
    p.add_argument("--conditions", metavar="TEXT", help="needed for go_with_conditions")
    p.add_argument("--minutes", metavar="REF", help="a reference to the minutes")
    p.add_argument("--on", metavar="DATE", help="the day of the decision (default today)")
    p.add_argument("--by", metavar="NAME", help="who decided (the committee's names)")
    command("decisions", cmd_decisions, "the gate log").add_argument("--json", action="store_true")
