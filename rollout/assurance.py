"""Conformity readiness, the certification question: which clauses were assessed conforming, which findings are
open, which gates the committee signed off, and whether the rollout is ready for the stage 2 audit.

- A clause's conformity is its own latest assessment (latest assessed_on, then highest id),
  else that of its nearest assessed parent; none: not assessed.
- A leaf clause of the plan's edition is conformant when it is implemented, its conformity is
  conforming from an assessment dated on or after the day its tasks last changed status, and no
  major or minor finding on it is open.
- Ready for stage 2, as certification practice has it: no major finding open; no leaf with a
  major gap or not assessed; every minor gap and open minor finding has an action with a due
  date; every leaf assessed by an internal audit in the last 12 months; the gate of stage 3
  signed off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rollout import readiness
from rollout.gates import Gate
from rollout.plan import Plan
from rollout.records import ASSESSMENT_SOURCES, GRADES, OPEN, SIGNS_OFF, WORDS
from rollout.words import counted

AUDIT_MONTHS = 12
AUDIT_DAYS = 365  # "the last 12 months"
NOT_ASSESSED = "not_assessed"
CONFORMANT = "Conformant clauses"
CONFORMANT_HELP = (
    "A leaf clause is conformant when its tasks are done and verified, it was assessed conforming after its tasks "
    "last changed, and no major or minor finding on it is open."
)
STAGE2 = "Ready for stage 2"
STAGE2_RULE = (
    "Ready for the stage 2 audit: no major finding open; no clause with a major gap or not assessed; every minor "
    f"gap and open minor finding with an action and a due date; every clause assessed by an internal audit in the "
    f"last {AUDIT_MONTHS} months; the gate of the plan's stage 3, its last phase before certification, signed off."
)


@dataclass(frozen=True)
class Conformity:
    """The conformity figures of a plan's edition, leaf by leaf, and the stage 2 verdict with its reasons."""

    leaves: (
        pd.DataFrame
    )  # id, title, implemented, conformity, assessed_on, current, open_findings, audited_on, conformant
    open_major: list[str]  # ids of the open major findings
    ready: bool
    reasons: list[str] = field(default_factory=list)  # why not ready, most serious first

    def as_json(self) -> dict[str, Any]:
        leaves = self.leaves
        return {
            "clauses": len(leaves),
            "conformant": int(leaves["conformant"].sum()),
            "not_assessed": int((leaves["conformity"] == NOT_ASSESSED).sum()),
            "open_major": len(self.open_major),
            "ready_for_stage2": self.ready,
        }


def clause_conformity(plan: Plan, assessments: pd.DataFrame, edition: str | None = None) -> pd.DataFrame:
    """Every clause of an edition in tree order with its conformity and the assessment it comes from.

    Columns: id, title, depth, conformity, assessed_on, source, assessor, assessment (its id),
    inherited (True when it comes from a parent).
    """
    edition = edition or plan.edition
    tree = plan.clauses[edition]
    own = _latest(assessments, "clause")
    rows = []
    for cid, clause in tree.items():
        source = next((c for c in plan.ancestors(cid, edition) if c in own.index), None)
        found = own.loc[source] if source is not None else None
        rows.append(
            {
                "id": cid,
                "title": clause.title,
                "depth": clause.depth,
                "conformity": found["result"] if found is not None else NOT_ASSESSED,
                "assessed_on": found["assessed_on"] if found is not None else pd.NaT,
                "source": found["source"] if found is not None else "",
                "assessor": found["assessor"] if found is not None else "",
                "assessment": found["id"] if found is not None else "",
                "inherited": source is not None and source != cid,
            }
        )
    return pd.DataFrame(rows)


def _latest(records: pd.DataFrame, by: str, day: str = "assessed_on") -> pd.DataFrame:
    """Each key's latest record: the latest day, then the highest id."""
    if records.empty:
        return records.set_index(by)
    ordered = records.sort_values([day, "id"], kind="stable")
    return ordered.drop_duplicates(by, keep="last").set_index(by)


def source_grid(plan: Plan, assessments: pd.DataFrame, edition: str | None = None) -> pd.DataFrame:
    """Clause by source: the result of each source's latest assessment of each clause (no inheritance).

    Rows are every clause of the edition in tree order (id, title, depth); one column per source.
    """
    edition = edition or plan.edition
    tree = plan.clauses[edition]
    frame = pd.DataFrame(
        {"id": list(tree), "title": [c.title for c in tree.values()], "depth": [c.depth for c in tree.values()]}
    )
    latest = _latest(assessments.assign(key=assessments["clause"] + "|" + assessments["source"]), "key")
    for source in ASSESSMENT_SOURCES:
        frame[source] = [latest["result"].get(f"{cid}|{source}", "") for cid in frame["id"]]
    return frame


def audit_coverage(plan: Plan, assessments: pd.DataFrame, today: dt.date, edition: str | None = None) -> pd.DataFrame:
    """Each leaf: the latest internal audit that assessed it or a clause above it, and whether that is recent."""
    edition = edition or plan.edition
    audits = assessments[assessments["source"] == "internal_audit"]
    last = audits.groupby("clause")["assessed_on"].max()
    since = pd.Timestamp(today - dt.timedelta(days=AUDIT_DAYS))
    rows = []
    for cid in plan.leaves(edition):
        days = [last[c] for c in plan.ancestors(cid, edition) if c in last.index]
        latest = max(days) if days else pd.NaT
        rows.append({"id": cid, "title": plan.clauses[edition][cid].title, "audited_on": latest})
    frame = pd.DataFrame(rows)
    frame["covered"] = frame["audited_on"].notna() & (frame["audited_on"] >= since)
    return frame


def last_status_change(plan: Plan, history: pd.DataFrame, edition: str | None = None) -> pd.Series:
    """Each leaf: the day its mandatory sms tasks last changed status (NaT when they never did)."""
    edition = edition or plan.edition
    status = history[history["field"] == "status"]
    ids = status["task_id"].map(lambda t: plan.renames.get(t, t))
    days = pd.to_datetime(status["at"].str.slice(0, 10), format="%Y-%m-%d").astype("datetime64[ns]")
    per_task = days.groupby(ids.to_numpy()).max()
    links = readiness.clause_links(plan, edition)
    links = links[links["clause_id"].isin(set(plan.leaves(edition)))]
    last = per_task.reindex(links["task_id"]).to_numpy()  # NaT for a task that never changed status
    return pd.Series(last, index=links["clause_id"].to_numpy()).groupby(level=0).max().reindex(plan.leaves(edition))


def findings_on(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per (finding, clause) it names: id, clause, grade, status, action, due."""
    if findings.empty:
        return pd.DataFrame(columns=["id", "clause", "grade", "status", "action", "due"])
    split = findings.assign(clause=findings["clauses"].str.split("; ")).explode("clause")
    return split[["id", "clause", "grade", "status", "action", "due"]]


def findings_summary(findings: pd.DataFrame, today: dt.date) -> str:
    """The open findings by grade and how many are past due: '1 major, 3 minor; 2 overdue', or 'none'."""
    open_ = findings[findings["status"].isin(OPEN)]
    counts = open_["grade"].value_counts()
    text = ", ".join(f"{counts[g]} {WORDS[g].lower()}" for g in GRADES if g in counts) or "none"
    overdue = int((open_["due"] < pd.Timestamp(today)).sum())
    return f"{text}; {overdue} overdue" if overdue else text


def conformity(
    plan: Plan,
    clauses: pd.DataFrame,
    records: dict[str, pd.DataFrame],
    history: pd.DataFrame,
    gates: list[Gate],
    today: dt.date,
) -> Conformity:
    """The conformity figures of the plan's edition; ``clauses`` is its clause_readiness table."""
    assessments, findings = records["assessments"], records["findings"]
    leaves = clauses[clauses["implemented"].notna()][["id", "title", "implemented"]].reset_index(drop=True)
    found = clause_conformity(plan, assessments).set_index("id")
    leaves["conformity"] = leaves["id"].map(found["conformity"])
    leaves["assessed_on"] = leaves["id"].map(found["assessed_on"])
    changed = last_status_change(plan, history)
    leaves["current"] = leaves["assessed_on"].notna() & ~(leaves["id"].map(changed) > leaves["assessed_on"])
    open_rows = findings_on(findings[findings["status"].isin(OPEN)])
    serious = open_rows[open_rows["grade"].isin(["major", "minor"])]
    leaves["open_findings"] = leaves["id"].map(serious.groupby("clause").size()).fillna(0).astype(int)
    coverage = audit_coverage(plan, assessments, today).set_index("id")
    leaves["audited_on"] = leaves["id"].map(coverage["audited_on"])
    leaves["conformant"] = (
        leaves["implemented"].astype(bool)
        & (leaves["conformity"] == "conforming")
        & leaves["current"]
        & (leaves["open_findings"] == 0)
    )
    majors = sorted(set(open_rows.loc[open_rows["grade"] == "major", "id"]))
    states = decision_states(gates, records["decisions"])
    unsigned = next((g.name for g, s in zip(gates, states, strict=True) if g.stage == 3 and not s["signed_off"]), None)
    reasons = _not_ready(leaves, open_rows, majors, coverage, unsigned)
    return Conformity(leaves, majors, not reasons, reasons)


def _not_ready(
    leaves: pd.DataFrame, open_rows: pd.DataFrame, majors: list[str], coverage: pd.DataFrame, unsigned: str | None
) -> list[str]:
    reasons = []
    if majors:
        reasons.append(f"{counted(len(majors), 'open major finding')}: {_listed(majors)}")
    for result, words in (("major_gap", "with a major gap"), (NOT_ASSESSED, "not assessed")):
        ids = leaves.loc[leaves["conformity"] == result, "id"].tolist()
        if ids:
            reasons.append(f"{counted(len(ids), 'clause')} {words}: {_listed(ids)}")
    planned = open_rows[open_rows["action"].ne("") & open_rows["due"].notna()]
    gaps = leaves.loc[(leaves["conformity"] == "minor_gap") & ~leaves["id"].isin(planned["clause"]), "id"].tolist()
    if gaps:
        reasons.append(
            f"{counted(len(gaps), 'minor gap')} without a finding with an action and a due date: {_listed(gaps)}"
        )
    unplanned = open_rows[(open_rows["grade"] == "minor") & (open_rows["action"].eq("") | open_rows["due"].isna())]
    if len(unplanned):
        ids = sorted(set(unplanned["id"]))
        reasons.append(f"{counted(len(ids), 'open minor finding')} without an action and a due date: {_listed(ids)}")
    unaudited = coverage.index[~coverage["covered"]].tolist()
    if unaudited:
        reasons.append(
            f"{counted(len(unaudited), 'clause')} not assessed by an internal audit in the last {AUDIT_MONTHS} months: "
            f"{_listed(unaudited)}"
        )
    if unsigned:  # by the stage's name: beside "stage 2" (the audit), a bare "stage 3" read as a later audit
        reasons.append(f"the gate of {unsigned} is not signed off by the steering committee")
    return reasons


def _listed(ids: list[str], shown: int = 6) -> str:
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


# the committee's gate log --------------------------------------------------------
def decision_states(gates: list[Gate], decisions: pd.DataFrame) -> list[dict[str, Any]]:
    """Per stage: the latest decision (or None), whether the gate is signed off, and whether a decision is needed.

    Signed off: the latest decision is go or go with conditions; a later no go withdraws it.
    Needed: the gate is met and not signed off.
    """
    latest = _latest(decisions.assign(key=decisions["stage"]), "key", "decided_on") if len(decisions) else None
    out = []
    for gate in gates:
        row = latest.loc[gate.stage] if latest is not None and gate.stage in latest.index else None
        decision = decision_json(row) if row is not None else None
        signed = decision is not None and decision["decision"] in SIGNS_OFF
        out.append({"stage": gate.stage, "decision": decision, "signed_off": signed, "needed": gate.met and not signed})
    return out


def decision_json(row: pd.Series) -> dict[str, Any]:
    """A decision as `decisions --json` and `status --json` write it."""
    return {
        "id": row["id"],
        "stage": int(row["stage"]),
        "decision": row["decision"],
        "decided_on": None if pd.isna(row["decided_on"]) else f"{row['decided_on']:%Y-%m-%d}",
        "by": row["by"],
        "conditions": row["conditions"],
        "minutes": row["minutes"],
    }
