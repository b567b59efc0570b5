"""The plan as objects: clauses of both editions, stages and tasks, as loaded from phases/ (rollout.plan.load)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rollout.plan.yamlnodes import Issue

EDITIONS = ("2011", "2018")
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
    clauses: tuple[str, ...]
    deliverable: str
    role: str
    effort_days: float
    description: str = ""
    clauses_2018: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    mandatory: bool = True


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
    folder: str = ""
    # caches of what follows from the plan alone: plain data, so that a Plan still pickles; not
    # init fields, so that dataclasses.replace starts a changed plan with empty ones
    _served_2018: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _derived: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def stage(self, number: int) -> Stage:
        return next(s for s in self.stages if s.number == number)

    def leaves(self, edition: str) -> list[str]:
        return [c.id for c in self.clauses[edition].values() if c.is_leaf]

    def clauses_of(self, task: Task, edition: str) -> tuple[str, ...]:
        """The leaf clauses a task serves in an edition (2018: correspondence plus extras)."""
        if edition == "2011":
            return task.clauses
        if task.id not in self._served_2018:
            mapped = [c for leaf in task.clauses for c in self.correspondence.get(leaf, ())]
            self._served_2018[task.id] = tuple(dict.fromkeys(mapped + list(task.clauses_2018)))
        return self._served_2018[task.id]

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
