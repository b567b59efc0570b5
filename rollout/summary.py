"""The figures of `status --json`, the overview's cards and the pack's first page, in one dictionary.

Implementation progress (overall and per stage, every applicable task) and clause readiness
(clauses implemented, N of M leaves of the plan's edition) side by side, never mixed; each
stage with its gate.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from rollout import readiness
from rollout.assurance import Conformity
from rollout.gates import Gate
from rollout.plan import Plan

# the two questions, named the same way on every screen, in the CLI and in the pack
PROGRESS = "Implementation progress"
PROGRESS_HELP = (
    "How much of the planned work is done: the effort-weighted mean completion of every applicable task "
    "(effort x percent summed, over the effort summed), project and certification work included."
)
IMPLEMENTED = "Clauses implemented"
IMPLEMENTED_HELP = (
    "How far the SMS is built: a leaf clause of the plan's edition is implemented when every mandatory SMS "
    "task that names it is done and its evidence verified by a second person."
)


def status_summary(
    plan: Plan,
    table: pd.DataFrame,
    gates: list[Gate],
    clauses: pd.DataFrame,
    conformity: Conformity | None = None,
    decisions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `status --json` shape: overall, counts, implemented clauses, conformity, and per stage its progress,
    gate and latest decision."""
    stages = table["stage"].to_numpy()
    done = table["status"].to_numpy(dtype=object) == "done"
    applicable = table["applicable"].to_numpy(dtype=bool)
    effort, completion = table["effort"].to_numpy(dtype=float), table["completion"].to_numpy(dtype=float)
    per_stage = []
    for stage, gate in zip(plan.stages, gates, strict=True):
        mine = stages == stage.number
        counted = mine & applicable
        per_stage.append(
            {
                "phase": stage.number,
                "stage": stage.number,
                "name": stage.name,
                "tasks": int(mine.sum()),
                "done": int(done[mine].sum()),
                "readiness": readiness.weighted_mean(effort[counted], completion[counted]),
                **gate.as_json(),
                "decision": decisions[len(per_stage)]["decision"] if decisions else None,
            }
        )
    return {
        "edition": plan.edition,
        "overall": readiness.weighted_mean(effort[applicable], completion[applicable]),
        "tasks": len(table),
        "done": int(done.sum()),
        "not_applicable": int((~applicable).sum()),
        "applicable": int(applicable.sum()),
        "implemented": readiness.implemented_count(clauses),
        **({"conformity": conformity.as_json()} if conformity is not None else {}),
        "phases": per_stage,  # its items name their stage as "stage" and, as before, "phase"
    }


def done_text(summary: dict[str, Any]) -> str:
    """'12 of 113': the done tasks among the applicable ones (not applicable tasks are not owed)."""
    return f"{summary['done']} of {summary['applicable']}"


def implemented_text(summary: dict[str, Any]) -> str:
    """'12 of 57': the leaves implemented among the leaves of the plan's edition."""
    counts = summary["implemented"]
    return f"{counts['implemented']} of {counts['clauses']}"


def conformant_text(summary: dict[str, Any]) -> str:
    """'3 of 57': the leaves conformant among the leaves of the plan's edition."""
    counts = summary["conformity"]
    return f"{counts['conformant']} of {counts['clauses']}"
