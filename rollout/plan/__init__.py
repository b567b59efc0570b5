"""The implementation plan: the model (clauses, stages, tasks), its checks and its loading from phases/."""

from rollout.plan.load import load_plan, validate_folder
from rollout.plan.model import (
    DEFAULT_EDITION,
    EDITION_NAMES,
    EDITIONS,
    KIND_LABELS,
    KINDS,
    STAGES,
    Clause,
    Plan,
    PlanError,
    Stage,
    Task,
)

__all__ = [
    "DEFAULT_EDITION",
    "EDITIONS",
    "EDITION_NAMES",
    "KINDS",
    "KIND_LABELS",
    "STAGES",
    "Clause",
    "Plan",
    "PlanError",
    "Stage",
    "Task",
    "load_plan",
    "validate_folder",
]
