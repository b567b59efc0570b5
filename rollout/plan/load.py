"""Load the plan folder: read and check its YAML files in one pass, keep a valid plan in the disk cache."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

from rollout import cache
from rollout.plan.check import Checker
from rollout.plan.model import Plan, PlanError
from rollout.plan.yamlnodes import Issue, NotPlain


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
    folder = Path(folder)
    shown = str(folder)
    if not folder.is_dir():
        return None, [
            Issue(shown, 1, "the plan folder does not exist; expected plan.yaml, clauses.yaml and phase-*.yaml")
        ]
    try:
        with _gc_paused():
            plan = Checker(folder, fast=True).run()
        if plan is not None and not plan.warnings:
            return plan, []
    except NotPlain:
        pass
    # read again with positions: every issue, and every warning, with its line and column
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
