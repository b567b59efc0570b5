"""A realistic mid-rollout state relative to a given day, written as real saves.

Initiation and most of phase 1 are done, most of it verified by a second person, phase 2 is
under way with a few overdue and blocked tasks, and later stages are planned. The same day
always gives the same state.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from rollout.plan import Plan, Task
from rollout.progress import StoreError
from rollout.stores.files import FileStore

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
    done_share = {0: 1.0, 1: 0.88, 2: 0.3, 3: 0.0, 4: 0.0}
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
    progressing = [t for t in result if result[t] == "in_progress"]
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
        evidence = "" if rng.random() < 0.06 else f"https://sms.example.org/evidence/{task.id}"
        checked = evidence and rng.random() < VERIFIED_SHARE and finish + dt.timedelta(days=2) < today
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


def write_demo(plan: Plan, store: FileStore, today: dt.date) -> int:
    """Fill an empty data folder with the demo; returns the number of saves."""
    if store.progress_path().exists() or store.backups():
        raise StoreError(f"{store.folder} already holds progress; the demo only fills an empty data folder")
    rng = random.Random(today.toordinal())
    saves: dict[tuple[dt.datetime, str, bool], dict] = {}
    for event in timeline(plan, today, rng):
        key = (min(event.at.replace(minute=0), _last_hour(today)), event.by, not event.change)
        saves.setdefault(key, {}).setdefault(event.task_id, {}).update(event.change)
    for (at, by, verifying), changes in sorted(saves.items()):
        if verifying:
            store.verify(list(changes), by=by, source="ui", at=at)
        else:
            store.save(changes, None, by=by, source="ui", at=at)
    return len(saves)
