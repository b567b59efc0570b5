"""Writing the assurance registers: a clause assessment, findings and their follow-up, a gate decision.

The CLI, the import and the pages all write through here, so that a rule that needs the plan or
the progress (a go for a gate that is not met) is checked by the store under its lock, with the
progress as it is at that moment, whoever asks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from rollout import access, gates, readiness
from rollout.access import Acting
from rollout.plan import Plan
from rollout.progress import SaveResult
from rollout.records import SIGNS_OFF, WORDS


def assess(
    store: Any,
    clause: str,
    result: str,
    *,
    by: Acting,
    source: str = "self",
    on: Any = None,
    evidence: str = "",
    notes: str = "",
    assessor: str = "",
    origin: str = "cli",
    today: dt.date | None = None,
) -> SaveResult:
    """Record one assessment of a clause; the assessor is the person recording it unless named."""
    fields = {"clause": clause, "result": result, "source": source, "assessed_on": on or today or dt.date.today()}
    fields |= {"assessor": assessor or access.name_of(by), "evidence": evidence, "notes": notes}
    return store.save_records("assessments", [fields], {}, None, by=by, source=origin)


def add_findings(store: Any, findings: list[dict[str, Any]], *, by: Acting, origin: str = "cli") -> SaveResult:
    """Record new findings (open unless a status is given), all or none."""
    return store.save_records("findings", findings, {}, None, by=by, source=origin)


def change_finding(
    store: Any, finding_id: str, fields: dict[str, Any], *, by: Acting, revision: int | None = None, origin: str = "cli"
) -> SaveResult:
    """Change a finding: its action, owner, due date, status (closing needs an action; verifying, someone else)."""
    revisions = None if revision is None else {finding_id: revision}
    return store.save_records("findings", [], {finding_id: fields}, revisions, by=by, source=origin)


def decide(
    store: Any,
    plan: Plan,
    stage: Any,
    decision: str,
    *,
    by: Acting,
    deciders: str = "",
    on: Any = None,
    conditions: str = "",
    minutes: str = "",
    today: dt.date,
    origin: str = "cli",
    at: dt.datetime | None = None,
) -> SaveResult:
    """Record the committee's decision on a stage gate; go is refused for a gate that is not met."""
    fields = {"stage": stage, "decision": decision, "decided_on": on or today, "by": deciders or access.name_of(by)}
    fields |= {"conditions": conditions, "minutes": minutes}
    return store.save_records(
        "decisions",
        [fields],
        {},
        None,
        by=by,
        source=origin,
        check=lambda progress, new: _gates_met(plan, progress, new, today),
        at=at,
    )


def _gates_met(plan: Plan, progress: pd.DataFrame, new: dict[str, dict], today: dt.date) -> list[tuple[str, str, str]]:
    """A go or go with conditions needs the gate met, with the progress as it is under the store's lock."""
    signing = {i: r for i, r in new.items() if r["decision"] in SIGNS_OFF}
    if not signing:
        return []
    stage_gates = {g.stage: g for g in gates.gates(plan, readiness.task_table(plan, progress), today)}
    problems = []
    for record_id, row in signing.items():
        gate = stage_gates[row["stage"]]
        if not gate.met:
            problems.append(
                (
                    record_id,
                    "decision",
                    f"{WORDS[row['decision']].lower()} needs the gate of stage {row['stage']} met; it is "
                    f"{gate.state}: {gate.why()}",
                )
            )
    return problems
