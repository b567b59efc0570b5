"""The plan as objects: clauses of both editions, stages and tasks, as loaded from phases/ (rollout.plan.load)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rollout.plan.yamlnodes import Issue

EDITIONS = ("2011", "2018")
DEFAULT_EDITION = "2018"  # the edition certified against today (with Amendment 1:2024)
WITHDRAWN = ("2011",)  # no certificates since 2021; kept to compare with an old gap analysis
# how each edition is named to people, everywhere: the one certified against today first
EDITION_NAMES = {
    "2018": "ISO/IEC 20000-1:2018 with Amendment 1:2024",
    "2011": "ISO/IEC 20000-1:2011 (withdrawn)",
}
KINDS = ("sms", "project", "certification")  # only sms tasks build the SMS and count for clause readiness
KIND_LABELS = {"sms": "SMS", "project": "Project", "certification": "Certification"}  # as people read them
STAGES = (0, 1, 2, 3, 4)
STAGE_FILE = re.compile(r"^phase-(\d+)(-[a-z0-9-]+)?\.ya?ml$")
TASK_ID = re.compile(r"^P(\d)\.(\d+)$")
T = TypeVar("T")


class PlanError(Exception):
    """The plan is invalid; ``issues`` holds every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    edition: str
    parent: str | None
    children: tuple[str, ...]
    depth: int

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class Task:
    id: str
    stage: int
    title: str
    deliverable: str
    role: str
    effort_days: float
    description: str = ""
    kind: str = "sms"
    clauses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # edition -> leaf clause ids
    depends_on: tuple[str, ...] = ()
    mandatory: bool = True
    min_weeks: int | None = None  # the schedule never ends the task sooner than this after its start

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def builds_sms(self) -> bool:
        """Counts for clause readiness: mandatory work that builds the SMS itself."""
        return self.kind == "sms" and self.mandatory


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    objective: str
    gate: tuple[str, ...]
    task_ids: tuple[str, ...]
    file: str


@dataclass
class Plan:
    organisation: str
    scope: str
    start_date: dt.date
    target_date: dt.date
    stages: list[Stage]
    tasks: dict[str, Task]
    clauses: dict[str, dict[str, Clause]]
    correspondence: dict[str, tuple[str, ...]]
    edition: str = DEFAULT_EDITION
    folder: str = ""
    renames: dict[str, str] = field(default_factory=dict)  # old task id -> new, from renames.yaml
    warnings: list[Issue] = field(default_factory=list)  # printed by validate; the plan is still valid
    # what follows from the plan alone: plain data, so that a Plan still pickles; not an init
    # field, so that dataclasses.replace starts a changed plan with an empty one
    _derived: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def stage(self, number: int) -> Stage:
        return next(s for s in self.stages if s.number == number)

    def leaves(self, edition: str) -> list[str]:
        return [c.id for c in self.clauses[edition].values() if c.is_leaf]

    def clauses_of(self, task: Task, edition: str) -> tuple[str, ...]:
        """The leaf clauses a task names in an edition: its explicit tags only."""
        return task.clauses.get(edition, ())

    def corresponding(self, clause_id: str, edition: str) -> tuple[str, ...]:
        """The leaves of the other edition that a leaf corresponds to (navigation only, never figures)."""
        if edition == "2011":
            return self.correspondence.get(clause_id, ())
        return tuple(old for old, new in self.correspondence.items() if clause_id in new)

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """What ``build`` makes of this plan, built on the first call for ``key`` only."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def ancestors(self, clause_id: str, edition: str) -> list[str]:
        """The clause and every clause above it, nearest first."""
        out, tree = [], self.clauses[edition]
        current: str | None = clause_id
        while current is not None:
            out.append(current)
            current = tree[current].parent
        return out
