"""The assurance records: assessments of clauses, findings (the nonconformity register) and gate decisions.

Their columns and the rules every write follows, shared by every store, the CLI, the import and
the pages: values normalised the same way as progress, an unknown clause, grade or result
refused with the field named, a closing without an action refused, a finding's effectiveness
verified only by someone other than its owner. A record's id (A-0001, F-0001, D-0001) stands
where a task's id stands in the history.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rollout import config, values
from rollout.progress import RECORD_ID, ChangeError, Conflict, ConflictError, PlanRules, utc_stamp

RESULTS = ("conforming", "minor_gap", "major_gap", "not_assessed")
ASSESSMENT_SOURCES = ("gap_analysis", "internal_audit", "stage1", "stage2", "self")
FINDING_SOURCES = ("internal_audit", "stage1", "stage2", "management_review", "self")
GRADES = ("major", "minor", "observation", "opportunity")
FINDING_STATUSES = ("open", "action_planned", "closed", "verified")
OPEN = ("open", "action_planned")  # a finding is open until its action is closed
DECISIONS = ("go", "go_with_conditions", "no_go")
SIGNS_OFF = ("go", "go_with_conditions")
WORDS = {  # codes as people read them
    "conforming": "Conforming", "minor_gap": "Minor gap", "major_gap": "Major gap", "not_assessed": "Not assessed",
    "gap_analysis": "Gap analysis", "internal_audit": "Internal audit", "stage1": "Stage 1 audit",
    "stage2": "Stage 2 audit", "self": "Self-assessment", "management_review": "Management review",
    "major": "Major", "minor": "Minor", "observation": "Observation", "opportunity": "Opportunity",
    "open": "Open", "action_planned": "Action planned", "closed": "Closed", "verified": "Verified",
    "go": "Go", "go_with_conditions": "Go with conditions", "no_go": "No go",
}  # fmt: skip
BOOKKEEPING = ("updated_at", "updated_by", "revision", "seq")


@dataclass(frozen=True)
class Schema:
    """One kind of record: its fields in file order and the kind of value each holds."""

    kind: str
    prefix: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[str, ...] = ()
    past: tuple[str, ...] = ()  # dates that record what happened: never after today

    @property
    def columns(self) -> list[str]:
        return ["id", *self.fields, *BOOKKEEPING]


ASSESSMENTS = Schema(
    "assessments",
    "A",
    ("clause", "result", "source", "assessed_on", "assessor", "evidence", "notes"),
    required=("clause", "result", "source", "assessed_on"),
    choices={"result": RESULTS, "source": ASSESSMENT_SOURCES},
    dates=("assessed_on",),
    past=("assessed_on",),
)
FINDINGS = Schema(
    "findings",
    "F",
    (
        "clauses",
        "source",
        "grade",
        "description",
        "cause",
        "action",
        "owner",
        "due",
        "status",
        "closed_on",
        "verified_by",
        "verified_on",
    ),
    required=("clauses", "source", "grade", "description", "status"),
    choices={"source": FINDING_SOURCES, "grade": GRADES, "status": FINDING_STATUSES},
    dates=("due", "closed_on", "verified_on"),
    past=("closed_on", "verified_on"),
)
DECISIONS_LOG = Schema(
    "decisions",
    "D",
    ("stage", "decision", "decided_on", "by", "conditions", "minutes"),
    required=("stage", "decision", "decided_on", "by"),
    choices={"decision": DECISIONS},
    dates=("decided_on",),
    past=("decided_on",),
)
SCHEMAS = {s.kind: s for s in (ASSESSMENTS, FINDINGS, DECISIONS_LOG)}


def schema_of(kind: str) -> Schema:
    if kind not in SCHEMAS:
        raise ValueError(f"unknown kind of record {kind!r}; expected one of {', '.join(SCHEMAS)}")
    return SCHEMAS[kind]


def empty_row(schema: Schema, record_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {"id": record_id, **dict.fromkeys(schema.fields, "")}
    row |= {d: None for d in schema.dates}
    return row | {"updated_at": "", "updated_by": "", "revision": 0, "seq": 0}


def next_ids(schema: Schema, existing: list[str], count: int) -> list[str]:
    """The ids of ``count`` new records after the highest one kept: F-0012, F-0013..."""
    numbers = [int(m.group(2)) for i in existing if (m := RECORD_ID.match(i)) and m.group(1) == schema.prefix]
    first = max(numbers, default=0) + 1
    return [f"{schema.prefix}-{n:04d}" for n in range(first, first + count)]


# Words people write for the codes, besides the codes and their WORDS (case, spaces, hyphens, underscores ignored):
# audit reports say "Major NC", "OFI" or "Resolved"; one normaliser reads them for the CLI, the import and the pages.
SYNONYMS = {
    "major": ("major nc", "major nonconformity", "major nonconformance", "nc major", "major finding"),
    "minor": ("minor nc", "minor nonconformity", "minor nonconformance", "nc minor", "minor finding"),
    "observation": ("obs", "area of concern", "concern"),
    "opportunity": ("ofi", "opportunity for improvement", "improvement opportunity", "improvement"),
    "open": ("new", "raised", "not started", "to do"),
    "action_planned": ("planned", "in progress", "ongoing", "wip", "action agreed", "corrective action planned"),
    "closed": ("done", "complete", "completed", "resolved", "implemented"),
    "verified": ("effective", "closed verified", "verified effective"),
    "stage1": ("stage 1", "stage one"),
    "stage2": ("stage 2", "stage two"),
    "internal_audit": ("internal",),
    "management_review": ("mr",),
    "self": ("self assessment",),
    "go_with_conditions": ("go with condition", "conditional go"),
    "no_go": ("nogo",),
}  # fmt: skip


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text.casefold())


_CODES = {_key(w): code for code, words in SYNONYMS.items() for w in words} | {
    _key(w): code for code in WORDS for w in (code, WORDS[code])
}


def words_for(options: tuple[str, ...]) -> dict[str, list[str]]:
    """The words read as each code of ``options``, for templates and help texts."""
    return {code: [WORDS[code], *SYNONYMS.get(code, ())] for code in options}


def is_record_id(text: str) -> bool:
    """Whether text names an assessment, finding or decision (A-0001, F-0001, D-0001), as history takes them."""
    return bool(RECORD_ID.match(text))


def choice(value: Any, options: tuple[str, ...], name: str) -> str:
    """A code from the words people write: "Minor gap", "minor-gap", "MINOR_GAP" are all minor_gap."""
    code = _CODES.get(_key(values.normalise_text(value)))
    if code not in options:
        raise values.ValueProblem(f"{name} {value!r} is not one of {', '.join(options)}")
    return code


def apply_record_change(
    schema: Schema, row: dict[str, Any], change: Mapping[str, Any], rules: PlanRules, by: str, today: dt.date
) -> dict[str, Any]:
    """The record after a change, every rule applied; raises ChangeError naming the record and the field."""
    record_id, problems, new = row["id"], [], dict(row)
    for name, raw in change.items():
        try:
            new[name] = _value(schema, name, raw, rules, today)
        except values.ValueProblem as exc:
            problems.append((record_id, name, str(exc)))
    if not problems:
        problems += _whole(schema, row, new, by, today)
    if problems:
        raise ChangeError(problems)
    return new


def _value(schema: Schema, name: str, raw: Any, rules: PlanRules, today: dt.date) -> Any:
    if name not in schema.fields:
        raise values.ValueProblem(f"unknown field; expected one of {', '.join(schema.fields)}")
    if name in schema.choices:
        return choice(raw, schema.choices[name], name)
    if name in schema.dates:
        day = values.normalise_date(raw)
        if day is not None and name in schema.past and day > today:
            raise values.ValueProblem(f"{name} {day} is in the future; it records what happened")
        return day
    if name == "clause":
        return _clause(raw, rules, leaf=False)
    if name == "clauses":
        ids = [c for c in re.split(r"[;,\s]+", values.normalise_text(raw)) if c]
        if not ids:
            raise values.ValueProblem("clauses is empty; name at least one leaf clause, e.g. 8.2.4")
        return "; ".join(dict.fromkeys(_clause(c, rules, leaf=True) for c in ids))
    if name == "stage":
        return _stage(raw, rules)
    return values.normalise_text(raw)


def _clause(raw: Any, rules: PlanRules, leaf: bool) -> str:
    text = values.normalise_text(raw)
    known = rules.leaves if leaf else rules.clauses
    if text not in known:
        what = "a leaf clause" if leaf else "a clause"
        raise values.ValueProblem(f"{text!r} is not {what} of ISO/IEC 20000-1:{rules.edition}")
    return text


def _stage(raw: Any, rules: PlanRules) -> int:
    text = values.normalise_text(raw).removeprefix("stage").strip()
    if not text.isdigit() or int(text) not in rules.stages:
        raise values.ValueProblem(f"stage {raw!r} is not a stage of the plan; expected one of {rules.stages}")
    return int(text)


def _whole(schema: Schema, old: dict, new: dict, by: str, today: dt.date) -> list[tuple[str, str, str]]:
    """Rules over several fields; fills what a status change implies (closed_on, verified_by)."""
    record_id = new["id"]
    missing = [f for f in schema.required if new.get(f) in ("", None)]
    if missing:
        return [(record_id, f, f"{f} is missing; it is needed") for f in missing]
    if schema is FINDINGS:
        return _finding(old, new, by, today)
    if schema is DECISIONS_LOG and new["decision"] == "go_with_conditions" and not new["conditions"]:
        return [(record_id, "conditions", "go with conditions needs the conditions written down")]
    return []


def _finding(old: dict, new: dict, by: str, today: dt.date) -> list[tuple[str, str, str]]:
    record_id, status = new["id"], new["status"]
    if status != "open" and not new["action"]:
        return [(record_id, "action", f"a finding {WORDS[status].lower()} needs its action written down first")]
    if status in OPEN:
        new["closed_on"] = None
        new["verified_by"], new["verified_on"] = "", None
        return []
    new["closed_on"] = new["closed_on"] or today
    if status == "closed":
        new["verified_by"], new["verified_on"] = "", None
        return []
    new["verified_by"] = new["verified_by"] or by
    new["verified_on"] = new["verified_on"] or today
    if new["owner"] and new["verified_by"].casefold() == new["owner"].casefold():
        return [(record_id, "verified_by", f"{new['owner']} owns the action; someone else checks its effectiveness")]
    return []


def diff_records(schema: Schema, old: dict, new: dict) -> list[tuple[str, str, str]]:
    """(field, old, new) as the history writes them, for every field that changed."""
    return [(f, _text(old[f]), _text(new[f])) for f in schema.fields if _text(old[f]) != _text(new[f])]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def planned_records(
    schema: Schema,
    current: Mapping[str, dict],
    added: list[Mapping[str, Any]],
    changed: Mapping[str, Mapping[str, Any]],
    revisions: Mapping[str, int],
    rules: PlanRules,
    by: str,
    at: dt.datetime,
) -> dict[str, dict[str, Any]]:
    """Each written record after the save, new ones with their ids; ConflictError or ChangeError, all at once.

    Dates that record what happened may not lie after today (``ROLLOUT_TODAY`` when pinned) nor after the save.
    """
    _check_revisions(schema, current, changed, revisions)
    today, problems, updates = min(at.date(), config.today()), [], {}
    for record_id, change in changed.items():
        if record_id not in current:
            problems.append((record_id, "", f"is not a record of the {schema.kind}"))
            continue
        try:
            updates[record_id] = apply_record_change(schema, current[record_id], change, rules, by, today)
        except ChangeError as exc:
            problems.extend(exc.problems)
    for record_id, fields in zip(next_ids(schema, list(current), len(added)), added, strict=True):
        start = empty_row(schema, record_id) | ({"status": "open"} if schema is FINDINGS else {})
        try:
            updates[record_id] = apply_record_change(
                schema, start, {**start_values(schema), **fields}, rules, by, today
            )
        except ChangeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ChangeError(problems)
    return updates


def start_values(schema: Schema) -> dict[str, str]:
    """What a new record starts with where nothing is given."""
    return {"status": "open"} if schema is FINDINGS else {}


def _check_revisions(
    schema: Schema, current: Mapping[str, dict], changed: Mapping[str, Mapping], revisions: Mapping[str, int]
) -> None:
    conflicts = []
    for record_id, change in changed.items():
        row, loaded = current.get(record_id), revisions.get(record_id)
        if row is not None and loaded is not None and int(loaded) != row["revision"]:
            theirs = {f: _text(row[f]) for f in schema.fields}
            yours = {f: values.normalise_text(_text(v)) for f, v in change.items()}
            conflicts.append(
                Conflict(record_id, int(loaded), row["revision"], row["updated_by"], row["updated_at"], theirs, yours)
            )
    if conflicts:
        raise ConflictError(conflicts)


def committed_records(
    schema: Schema,
    current: dict[str, dict],
    updates: Mapping[str, dict],
    seq: int,
    by: str,
    source: str,
    at: dt.datetime,
) -> list[tuple]:
    """The history rows of a save of records (one per changed field), updating ``current`` in place."""
    stamp, history = utc_stamp(at), []
    for record_id, new in updates.items():
        old = current.get(record_id, empty_row(schema, record_id))
        diffs = diff_records(schema, old, new)
        if diffs:
            history += [(seq, stamp, by, source, record_id, f, o, n, stamp) for f, o, n in diffs]
            current[record_id] = {
                **new,
                "updated_at": stamp,
                "updated_by": by,
                "revision": old["revision"] + 1,
                "seq": seq,
            }
    return history
