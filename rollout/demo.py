"""A realistic mid-rollout state relative to a given day, written as real saves.

Initiation and phase 1 are done, verified by a second person and signed off by the steering
committee (phase 1 with conditions); phase 2 is under way with a few overdue and blocked tasks;
later stages are planned. The assurance registers hold a baseline gap analysis of every clause
and a pilot internal audit of the phase 1 processes with its findings, some closed and
verified. The same day always gives the same state.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from rollout.fileio import scratch
from rollout.plan import Plan, Task
from rollout.progress import StoreError
from rollout.stores.base import Store

WEEKS = 26
PEOPLE = {
    "Top management": "Helen Marsh",
    "SMS manager": "Priya Natarajan",
    "Project manager": "Tom Okafor",
    "Document controller": "Grace Lin",
    "HR manager": "Sam Whitfield",
    "Internal auditor": "Marta Kowalska",
    "Service owner": "Daniel Reyes",
    "Business relationship manager": "Aisha Khan",
    "Supplier manager": "Owen Price",
    "Information security manager": "Lena Fischer",
    "Capacity manager": "Raj Patel",
    "Continuity and availability manager": "Chloe Martin",
    "Finance manager": "Peter Byrne",
}
FALLBACK_PEOPLE = ["Ben Carter", "Nora Lindqvist", "Yusuf Demir", "Ellie Shaw"]
BLOCKED_NOTES = [
    "Waiting for the service desk tool vendor to enable the required module.",
    "On hold until the budget for the new tooling is approved.",
    "Waiting for the data centre provider to sign the underpinning agreement.",
]
DONE_NOTES = [
    "Approved at the SMS steering meeting.",
    "Reviewed with the process owners; comments incorporated.",
    "Signed off by the service owner.",
]


VERIFIED_SHARE = 0.85  # of the done tasks with evidence; the rest wait for their second pair of eyes
SIGNED_OFF = 1  # the last stage whose gate the committee signed off
BASELINE = (0.4, 0.45)  # shares of the baseline gap analysis found a major and a minor gap; the rest conforming


class FolderNotEmpty(StoreError):
    """The data folder holds progress already: the demo never writes over it."""


@dataclass
class Event:
    at: dt.datetime
    by: str
    task_id: str
    change: dict  # empty for a verification of the task's evidence by ``by``


def owner_of(task: Task) -> str:
    if task.role in PEOPLE:
        return PEOPLE[task.role]
    if task.role.startswith("Process owner"):
        return FALLBACK_PEOPLE[sum(map(ord, task.role)) % len(FALLBACK_PEOPLE)]
    return PEOPLE["SMS manager"]


def topological(plan: Plan) -> list[Task]:
    """Tasks in an order where every dependency comes first (stage by stage)."""
    order, seen = [], set()

    def visit(task: Task) -> None:
        if task.id in seen:
            return
        seen.add(task.id)
        for dep in task.depends_on:
            visit(plan.tasks[dep])
        order.append(task)

    for task in sorted(plan.tasks.values(), key=lambda t: (t.stage, t.id)):
        visit(task)
    return order


def fates(plan: Plan, rng: random.Random) -> dict[str, str]:
    """Where each task stands on the demo's day: done, in_progress, blocked, planned or untouched."""
    order = topological(plan)
    by_stage = defaultdict(list)
    for task in order:
        by_stage[task.stage].append(task.id)
    done_share = {0: 1.0, 1: 1.0, 2: 0.3, 3: 0.0, 4: 0.0}  # stages 0 and 1 finished and signed off
    result: dict[str, str] = {}
    for stage, ids in by_stage.items():
        cut = round(len(ids) * done_share.get(stage, 0))
        for i, tid in enumerate(ids):
            deps_done = all(result.get(d) == "done" for d in plan.tasks[tid].depends_on)
            if i < cut and deps_done:
                result[tid] = "done"
            elif stage in (1, 2) and i < cut + max(2, round(len(ids) * 0.35)):
                result[tid] = "in_progress"
            elif stage in (2, 3) and rng.random() < 0.5:
                result[tid] = "planned"
            else:
                result[tid] = "untouched"
    progressing = [t for t in result if result[t] == "in_progress" and plan.tasks[t].stage >= 2]
    for tid in rng.sample(progressing, min(3, len(progressing))):
        result[tid] = "blocked"
    return result


def timeline(plan: Plan, today: dt.date, rng: random.Random) -> list[Event]:
    """Every change of the demo, as dated events."""
    begin = today - dt.timedelta(weeks=WEEKS)
    span = (today - begin).days - 3
    status = fates(plan, rng)
    done = [t for t in topological(plan) if status[t.id] == "done"]
    total = sum(t.effort_days for t in done) or 1
    events, cumulative, finish = [], 0.0, {}
    for task in done:
        cumulative += task.effort_days
        end = begin + dt.timedelta(days=max(2, round(span * cumulative / total)))
        end = max([end] + [finish[d] + dt.timedelta(days=1) for d in task.depends_on if d in finish])
        finish[task.id] = min(end, today - dt.timedelta(days=1))
    for task in topological(plan):
        events.extend(_task_events(task, status[task.id], finish.get(task.id), begin, today, rng))
    return sorted(events, key=lambda e: (e.at, e.task_id))


def _task_events(
    task: Task, fate: str, finish: dt.date | None, begin: dt.date, today: dt.date, rng: random.Random
) -> list[Event]:
    who = owner_of(task)
    lead = PEOPLE["SMS manager"]
    length = max(3, round(task.effort_days * 2.5))
    if fate == "done":
        start = max(begin, finish - dt.timedelta(days=length))
        due = finish + dt.timedelta(days=rng.choice([-4, -2, 0, 3, 7, 10]))
        signed = task.stage <= SIGNED_OFF  # a stage signed off has every task's evidence verified
        evidence = "" if rng.random() < 0.06 and not signed else f"https://sms.example.org/evidence/{task.id}"
        checked = signed or (evidence and rng.random() < VERIFIED_SHARE and finish + dt.timedelta(days=2) < today)
        checker = PEOPLE["Internal auditor"] if who != PEOPLE["Internal auditor"] else lead
        return [
            _event(start - dt.timedelta(days=3), lead, task, owner=who, start=start, due=max(due, start)),
            _event(start, who, task, status="in_progress", percent=rng.choice([10, 20, 25])),
            _event(start + (finish - start) / 2, who, task, percent=rng.choice([50, 60, 70])),
            _event(
                finish,
                who,
                task,
                status="done",
                evidence=evidence,
                **({"notes": rng.choice(DONE_NOTES)} if rng.random() < 0.3 else {}),
            ),
            *([_event(finish + dt.timedelta(days=rng.randint(2, 6)), checker, task)] if checked else []),
        ]
    if fate in ("in_progress", "blocked"):
        start = today - dt.timedelta(days=rng.randint(10, 50))
        due = today + dt.timedelta(days=rng.randint(-12, 40))
        events = [
            _event(
                start - dt.timedelta(days=2),
                lead,
                task,
                owner=who,
                start=start,
                due=max(due, start + dt.timedelta(days=3)),
            ),
            _event(start, who, task, status="in_progress", percent=rng.choice([10, 20])),
            _event(start + (today - start) / 2, who, task, percent=rng.choice([30, 40, 50, 60])),
        ]
        if fate == "blocked":
            events.append(
                _event(
                    today - dt.timedelta(days=rng.randint(3, 9)),
                    who,
                    task,
                    status="blocked",
                    notes=rng.choice(BLOCKED_NOTES),
                )
            )
        return events
    if fate == "planned":
        start = today + dt.timedelta(days=rng.randint(7, 60))
        return [
            _event(
                today - dt.timedelta(days=rng.randint(2, 20)),
                lead,
                task,
                owner=who,
                start=start,
                due=start + dt.timedelta(days=length + 7),
            )
        ]
    return []


def _event(day: dt.date, by: str, task: Task, **change) -> Event:
    at = dt.datetime.combine(day, dt.time(9 + sum(map(ord, task.id)) % 8, sum(map(ord, by)) % 60), dt.UTC)
    return Event(at, by, task.id, change)


def _last_hour(today: dt.date) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=1), dt.time(17), dt.UTC)


def write_demo(plan: Plan, store: Store, today: dt.date) -> int:
    """Fill an empty store with the demo; returns the number of saves."""
    if store.load().seq or store.backups():
        raise FolderNotEmpty(
            f"{store.location} already holds progress; the demo only fills an empty data folder or database"
        )
    rng = random.Random(today.toordinal())
    events = timeline(plan, today, rng)
    saves: dict[tuple[dt.datetime, str, bool], dict] = {}
    for event in events:
        key = (min(event.at.replace(minute=0), _last_hour(today)), event.by, not event.change)
        saves.setdefault(key, {}).setdefault(event.task_id, {}).update(event.change)
    actions = [(at, lambda by=by, c=c, v=v, at=at: _save(store, by, c, v, at)) for (at, by, v), c in saves.items()]
    actions += _registers(plan, store, events, today, rng)
    with scratch():  # a folder of its own: a flush per save would cost most of the time
        for _, act in sorted(actions, key=lambda a: a[0]):
            act()
    return len(actions)


def _save(store: Store, by: str, changes: dict, verifying: bool, at: dt.datetime) -> None:
    if verifying:
        store.verify(list(changes), by=by, source="ui", at=at)
    else:
        store.save(changes, None, by=by, source="ui", at=at)


def _registers(plan: Plan, store: Store, events: list[Event], today: dt.date, rng: random.Random) -> list:
    """The assurance records, dated among the progress: gap analysis, pilot audit, findings, decisions."""
    begin = today - dt.timedelta(weeks=WEEKS)
    lead, auditor = PEOPLE["SMS manager"], PEOPLE["Internal auditor"]
    verified = {}
    for event in events:
        if not event.change:
            verified[event.task_id] = event.at
    signed = [
        max(at for tid, at in verified.items() if plan.tasks[tid].stage <= stage and plan.tasks[tid].mandatory)
        for stage in range(SIGNED_OFF + 1)
    ]
    baseline = _at(begin + dt.timedelta(days=12), 10)
    audit = _at(today - dt.timedelta(weeks=5), 14)
    actions = [(baseline, lambda: _baseline(plan, store, lead, baseline, rng))]
    actions.append((audit, lambda: _pilot_audit(plan, store, auditor, audit)))
    for when, (stage, decision, conditions) in zip(
        signed,
        [
            (0, "go", ""),
            (1, "go_with_conditions", "Close the corrective actions of the pilot internal audit by stage 2"),
        ],
        strict=True,
    ):
        day = when + dt.timedelta(days=4)
        actions.append((day, lambda s=stage, d=decision, c=conditions, day=day: _decide(plan, store, s, d, c, day)))
    actions += _follow_up(store, audit, today)
    return actions


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def _baseline(plan: Plan, store: Store, lead: str, at: dt.datetime, rng: random.Random) -> None:
    major, minor = BASELINE
    rows = []
    for leaf in plan.leaves(plan.edition):
        draw = rng.random()
        result = "major_gap" if draw < major else "minor_gap" if draw < major + minor else "conforming"
        rows.append({"clause": leaf, "result": result, "source": "gap_analysis", "assessed_on": at.date(),
                     "assessor": lead, "evidence": "https://sms.example.org/evidence/gap-analysis-v1.xlsx"})  # fmt: skip
    store.save_records("assessments", rows, {}, None, by=lead, source="ui", at=at)


def _pilot_audit(plan: Plan, store: Store, auditor: str, at: dt.datetime) -> None:
    """The pilot internal audit of the phase 1 processes: what it assessed and what it found."""
    phase_one = sorted(
        {c for t in plan.tasks.values() if t.stage == 1 and t.builds_sms for c in plan.clauses_of(t, plan.edition)}
    )
    gaps = set(phase_one[2::5])  # a few minor gaps among clauses otherwise conforming
    rows = [
        {"clause": leaf, "result": "minor_gap" if leaf in gaps else "conforming", "source": "internal_audit",
         "assessed_on": at.date(), "assessor": auditor, "evidence": "https://sms.example.org/audit/pilot-report.pdf"}
        for leaf in phase_one
    ]  # fmt: skip
    store.save_records("assessments", rows, {}, None, by=auditor, source="ui", at=at)
    due = at.date() + dt.timedelta(weeks=8)
    findings = [
        {"clauses": leaf, "source": "internal_audit", "grade": "minor", "owner": _owner_of(plan, leaf), "due": due,
         "status": "action_planned",
         "description": f"Records of clause {leaf} incomplete for part of the audited period",
         "cause": "The procedure was introduced mid-period; older records were not back-filled.",
         "action": "Complete the records and add the check to the monthly process review."}
        for leaf in sorted(gaps)
    ]  # fmt: skip
    findings.append(
        {"clauses": phase_one[0], "source": "internal_audit", "grade": "observation", "owner": PEOPLE["SMS manager"],
         "description": "Policy briefing attendance is not recorded for the night shift."}
    )  # fmt: skip
    store.save_records("findings", findings, {}, None, by=auditor, source="ui", at=at)


def _owner_of(plan: Plan, leaf: str) -> str:
    task = next(t for t in plan.tasks.values() if leaf in plan.clauses_of(t, plan.edition) and t.builds_sms)
    return owner_of(task)


def _decide(plan: Plan, store: Store, stage: int, decision: str, conditions: str, at: dt.datetime) -> None:
    from rollout import registers  # the decision is checked against the gate, as every caller's is

    registers.decide(
        store, plan, stage, decision, by=PEOPLE["Top management"], deciders="Helen Marsh, Tom Okafor, Priya Natarajan",
        on=at.date(), conditions=conditions, minutes=f"SC-{at:%Y-%m}", today=at.date(), origin="ui", at=at,
    )  # fmt: skip


def _follow_up(store: Store, audit: dt.datetime, today: dt.date) -> list:
    """Two weeks after the audit the first findings are closed, one of them already checked by the auditor."""
    closed = audit + dt.timedelta(weeks=2)
    checked = closed + dt.timedelta(days=7)
    if checked.date() >= today:
        return []
    return [
        (closed, lambda: store.save_records("findings", [], {"F-0001": {"status": "closed"}, "F-0002": {"status": "closed"}},
                                            None, by=PEOPLE["SMS manager"], source="ui", at=closed)),
        (checked, lambda: store.save_records("findings", [], {"F-0001": {"status": "verified"}}, None,
                                             by=PEOPLE["Internal auditor"], source="ui", at=checked)),
    ]  # fmt: skip
