"""The implementation plan: the model (clauses, stages, tasks), its checks and its loading from phases/."""

from rollout.plan.load import load_plan, validate_folder
from rollout.plan.model import EDITIONS, STAGES, Clause, Plan, PlanError, Stage, Task

__all__ = ["EDITIONS", "STAGES", "Clause", "Plan", "PlanError", "Stage", "Task", "load_plan", "validate_folder"]
