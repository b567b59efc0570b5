"""The implementation plan: load the YAML files of phases/ and validate them in one pass (rollout.plancheck)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rollout import cache
from rollout.yamlnodes import Issue, NotPlain

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


def load_plan(folder: str | Path) -> Plan:
    """Load and validate the plan in ``folder``; raise PlanError listing every problem.

    A valid plan is kept in the disk cache per state of its files, so an unchanged plan is
    read back instead of parsed and checked again.
    """
    folder = Path(folder)
    key = (str(folder.resolve()), cache.stamp(sorted(folder.glob("*.y*ml"))))
    plan = cache.cached("plan", key, lambda: _checked(folder))
    plan.folder = str(folder)
    return plan


def _checked(folder: Path) -> Plan:
    plan, issues = validate_folder(folder)
    if issues or plan is None:
        raise PlanError(issues)
    return plan


def validate_folder(folder: str | Path) -> tuple[Plan | None, list[Issue]]:
    """The plan and no issues, or None and every issue found."""
    from rollout.plancheck import Checker  # here: the checker builds this module's classes

    folder = Path(folder)
    shown = str(folder)
    if not folder.is_dir():
        return None, [
            Issue(shown, 1, "the plan folder does not exist; expected plan.yaml, clauses.yaml and phase-*.yaml")
        ]
    try:
        with _gc_paused():
            return Checker(folder, fast=True).run(), []
    except NotPlain:
        checker = Checker(folder, fast=False)
        plan = checker.run()
        return (None if checker.issues else plan), checker.issues


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Cyclic garbage collection off meanwhile, for a read that makes no cycles.

    A large plan's YAML nodes and values are hundreds of thousands of objects, which the collector
    would scan again and again: a third of the reading time. Reference counting still frees memory.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
