"""Stage gates: met, waiting, at risk or not met, what keeps each shut, and the rule in words.

A gate is cumulative: it is met only when its own stage's mandatory tasks are finished (done
with evidence verified by a second person, or not applicable with a note) and every earlier
gate is met. Its own tasks ready while an earlier gate is not met: waiting. Otherwise at
risk when a mandatory task is overdue or blocked, or the forecast falls after the target
(waiting wins over at risk). Only mandatory tasks count; ``min_weeks`` does not affect a gate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rollout.plan import Plan
from rollout.readiness import overdue
from rollout.words import agreeing, counted, sentence

if TYPE_CHECKING:
    from rollout.timeline import Forecast

STATES = ("met", "waiting", "at risk", "not met")
RULE = (
    "A gate is met when every mandatory task of its stage is done, with its evidence verified by a second "
    "person, or not applicable with a note, and every earlier gate is met. It is waiting when its own tasks "
    "are ready but an earlier gate is not met, and at risk when a mandatory task is overdue or blocked, or "
    "the forecast falls after the target."
)
MET_WHY = "every mandatory task is done and verified, or not applicable with a note"
SHOWN_IDS = 4  # task ids named in a sentence before "and N more"


@dataclass(frozen=True)
class Gate:
    """One stage's gate."""

    stage: int
    name: str
    criteria: tuple[str, ...]  # the exit criteria of the stage file, shown to the committee
    state: str
    missing: tuple[dict[str, str], ...]  # the stage's mandatory tasks that keep it shut: task_id, reason
    risks: tuple[dict[str, Any], ...]  # what puts it at risk: task_id (None for the forecast), reason
    waiting_for: tuple[int, ...]  # the earlier stages whose gates are not met

    @property
    def met(self) -> bool:
        return self.state == "met"

    def as_json(self) -> dict[str, Any]:
        """The gate's keys of `status --json`."""
        return {
            "gate": self.state,
            "gate_met": self.met,
            "gate_at_risk": self.state == "at risk",
            "gate_missing": list(self.missing),
            "gate_risks": list(self.risks),
            "gate_waiting_for": list(self.waiting_for),
        }

    def why(self) -> str:
        """The gate's state in words, for the pages, the CLI and the pack: what keeps it shut, counted by reason."""
        if self.met:
            return MET_WHY
        if self.state == "waiting":
            earlier = " and ".join(str(s) for s in self.waiting_for)
            gate = agreeing(len(self.waiting_for), "the gate of stage", "the gates of stages")
            return f"its own tasks are ready; waiting for {gate} {earlier}"
        why = f"kept shut by {counted(len(self.missing), 'mandatory task')}: {grouped_text(list(self.missing))}"
        return f"{why}. At risk: {risk_text(list(self.risks))}" if self.risks else why

    def sentence(self) -> str:
        """``why`` as a sentence of its own, as the overview's cards and the committee's gate table show it."""
        return sentence(self.why())


def gates(plan: Plan, table: pd.DataFrame, today: dt.date, forecast: Forecast | None = None) -> list[Gate]:
    """Each stage's gate, in stage order."""
    ids, stage = table["task_id"].to_numpy(dtype=object), table["stage"].to_numpy()
    missing, risky = _missing_reasons(table), _risk_reasons(table, today)
    plan_risks = _forecast_risk(forecast)
    out: list[Gate] = []
    for s in plan.stages:
        mine = stage == s.number
        shut = _listed(ids[mine], missing[mine])
        earlier = tuple(g.stage for g in out if not g.met)
        risks = [*_listed(ids[mine], risky[mine]), *plan_risks] if shut else []
        out.append(Gate(s.number, s.name, s.gate, _state(shut, earlier, risks), tuple(shut), tuple(risks), earlier))
    return out


def _state(shut: list, earlier: tuple[int, ...], risks: list) -> str:
    if shut:
        return "at risk" if risks else "not met"
    return "waiting" if earlier else "met"


def _missing_reasons(table: pd.DataFrame) -> np.ndarray:
    """Why each mandatory task keeps its stage's gate shut; "" when it does not."""
    status = table["status"].to_numpy(dtype=object)
    not_applicable, done = status == "not_applicable", status == "done"
    reason = np.select(
        [
            not_applicable & (table["notes"].to_numpy(dtype=object) == ""),
            ~not_applicable & ~done,
            done & (table["evidence"].to_numpy(dtype=object) == ""),
            done & ~table["verified"].to_numpy(dtype=bool),
        ],
        ["not applicable without a note", "not done", "done without evidence", "done, not verified"],
        default="",
    )
    return np.where(table["mandatory"].to_numpy(dtype=bool), reason, "")


def _risk_reasons(table: pd.DataFrame, today: dt.date) -> np.ndarray:
    """Why each mandatory task puts its stage's gate at risk (blocked, overdue); "" when it does not."""
    late = overdue(table, today).to_numpy(dtype=bool)
    blocked = table["status"].to_numpy(dtype=object) == "blocked"
    flagged = np.flatnonzero(table["mandatory"].to_numpy(dtype=bool) & (late | blocked))
    due = np.datetime_as_string(pd.to_datetime(table["due"]).to_numpy()[flagged], unit="D")
    reasons = np.full(len(table), "", dtype=object)
    reasons[flagged] = [
        "; ".join((["blocked"] if is_blocked else []) + ([f"overdue (due {day})"] if is_late else []))
        for is_blocked, is_late, day in zip(
            blocked[flagged].tolist(), late[flagged].tolist(), due.tolist(), strict=True
        )
    ]
    return reasons


def _listed(task_ids: np.ndarray, reasons: np.ndarray) -> list[dict[str, str]]:
    keep = reasons != ""
    return [{"task_id": t, "reason": r} for t, r in zip(task_ids[keep].tolist(), reasons[keep].tolist(), strict=True)]


def _forecast_risk(forecast: Forecast | None) -> list[dict[str, Any]]:
    if forecast is None or not forecast.late:
        return []
    return [{"task_id": None, "reason": f"the forecast {forecast.likely} is after the target {forecast.target}"}]


# in words ------------------------------------------------------------------------
def grouped_text(items: list[dict[str, Any]]) -> str:
    """Task reasons counted by reason: '4 not done (P2.01, P2.02, P2.03, P2.04); 1 blocked (P2.07)'."""
    by_reason: dict[str, list[str]] = {}
    for item in items:
        by_reason.setdefault(item["reason"], []).append(item["task_id"])
    parts = []
    for reason, ids in by_reason.items():
        more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
        parts.append(f"{len(ids)} {reason} ({', '.join(ids[:SHOWN_IDS])}{more})")
    return "; ".join(parts)


def risk_words(reason: str) -> str:
    """A task's risk without its due date, which is said beside it: 'blocked and overdue'."""
    return reason.split(" (due")[0].replace("; ", " and ")


def risk_text(risks: list[dict[str, Any]]) -> str:
    """A gate's risks in one line: the tasks counted by reason, then the forecast's."""
    tasks = [{**r, "reason": risk_words(r["reason"])} for r in risks if r["task_id"]]
    plan_wide = [r["reason"] for r in risks if not r["task_id"]]
    return "; ".join(filter(None, [grouped_text(tasks), *plan_wide]))
