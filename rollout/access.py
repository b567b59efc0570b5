"""Who may see and change what: the roles of people who sign in, and the writes each role may make.

A write is made by a plain name (the CLI, or the app in local mode: a local operator, trusted
because they can reach the files or the database anyway) or by an ``Actor`` who signed in, whose
roles come from a claim of their identity provider. Stores ask the ``refuse_*`` functions inside
their lock, against the rows as they are, so a refusal holds whatever the caller and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rollout.progress import StoreError

ROLES = ("viewer", "contributor", "auditor", "committee", "lead")
DEFAULT_ROLE_CLAIM = "roles"

# what a role may change; a viewer changes nothing
TASKS, OWN_TASKS = "tasks", "own tasks"
VERIFICATION, OWN_VERIFICATION = "verification", "own verification"
ASSESSMENTS, FINDINGS, DECISIONS = "assessments", "findings", "decisions"
STORE = "store"  # migrate, restore, convert, compact: the whole data folder or database
RIGHTS: dict[str, frozenset[str]] = {
    "viewer": frozenset(),
    "contributor": frozenset({OWN_TASKS, OWN_VERIFICATION}),
    "auditor": frozenset({VERIFICATION, ASSESSMENTS, FINDINGS}),
    "committee": frozenset({DECISIONS}),
    "lead": frozenset({TASKS, VERIFICATION, ASSESSMENTS, FINDINGS, DECISIONS, STORE}),
}
RECORDS = {"assessments": ASSESSMENTS, "findings": FINDINGS, "decisions": DECISIONS}

# the pages in each role's navigation, by script path; a deep link to any other lands on the overview
VIEWER_PAGES = (
    "app.py",
    "pages/1_Plan.py",
    "pages/3_Readiness.py",
    "pages/4_Timeline.py",
    "pages/7_Assurance.py",
    "pages/6_Steering_committee.py",
)
PAGES: dict[str, tuple[str, ...]] = {
    "viewer": VIEWER_PAGES,
    "contributor": (*VIEWER_PAGES, "pages/2_Progress.py"),
    "auditor": (*VIEWER_PAGES, "pages/2_Progress.py"),
    "committee": VIEWER_PAGES,
    "lead": (*VIEWER_PAGES, "pages/2_Progress.py", "pages/5_Import.py"),
}


class AccessError(StoreError):
    """A write the acting person's role does not allow; ``problems`` lists (task_id, field, message). Nothing was written."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{t}: {f}: {m}" if f else f"{t}: {m}" for t, f, m in problems))


class AccessConfigError(ValueError):
    """The role settings cannot be used; the message says which and what is expected."""


@dataclass(frozen=True)
class Actor:
    """A person who signed in: their name and email as the identity provider gave them, and their roles."""

    name: str
    email: str
    roles: frozenset[str] = frozenset({"viewer"})

    @property
    def by(self) -> str:
        """What the history records as who made a change: "Ann Lead <ann@example.org>"."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email

    @property
    def roles_text(self) -> str:
        return ", ".join(r for r in ROLES if r in self.roles)


Acting = str | Actor  # who makes a write: a local operator's name, or a person who signed in


def name_of(by: Acting) -> str:
    return by.by if isinstance(by, Actor) else by


# roles from an identity ---------------------------------------------------------
def role_settings(section: Mapping[str, Any] | None) -> tuple[str, dict[str, str]]:
    """The claim that carries roles and the map of its values to roles, from the ``[rollout]`` settings."""
    section = section or {}
    claim = str(section.get("role_claim") or DEFAULT_ROLE_CLAIM)
    table = section.get("role_map") or {}
    if not isinstance(table, Mapping):
        raise AccessConfigError('[rollout.role_map] is not a table; expected lines such as "sms-leads" = "lead"')
    mapping = {str(k): str(v) for k, v in table.items()}
    unknown = {k: v for k, v in mapping.items() if v not in ROLES}
    if unknown:
        named = ", ".join(f'"{k}" = "{v}"' for k, v in unknown.items())
        raise AccessConfigError(f"[rollout.role_map] maps to no role in {named}; the roles are {', '.join(ROLES)}")
    return claim, mapping


def claim_values(value: Any) -> list[str]:
    """A claim as a list of values: providers send a list, one string, or comma-separated text."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def roles_from(value: Any, role_map: Mapping[str, str]) -> frozenset[str]:
    """The roles a claim gives: a value named as a role (any case) is that role, others as mapped; none is a viewer."""
    roles = set()
    for item in claim_values(value):
        if item in role_map:
            roles.add(role_map[item])
        elif item.casefold() in ROLES:
            roles.add(item.casefold())
    return frozenset(roles or {"viewer"})


def actor_from(claims: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> Actor:
    """The Actor of a signed-in person's identity claims and the ``[rollout]`` settings."""
    claim, mapping = role_settings(settings)
    name = str(claims.get("name") or claims.get("preferred_username") or "").strip()
    email = str(claims.get("email") or "").strip()
    return Actor(name or ("" if email else str(claims.get("sub") or "")), email, roles_from(claims.get(claim), mapping))


# what a role may see and do ---------------------------------------------------------
def pages_for(roles: Iterable[str]) -> frozenset[str]:
    """The pages these roles may open (every role sees what a viewer sees)."""
    return frozenset(page for role in {"viewer", *roles} for page in PAGES.get(role, ()))


def may(by: Acting, right: str) -> bool:
    """Whether ``by`` holds a right; a local operator holds every one."""
    if not isinstance(by, Actor):
        return True
    return any(right in RIGHTS.get(role, ()) for role in by.roles)


def owns(by: Acting, owner: str) -> bool:
    """A task is a person's own when its owner is their name or email, in any case."""
    names = {by.name, by.email} if isinstance(by, Actor) else {by}
    return owner.strip().casefold() in {n.strip().casefold() for n in names if n.strip()}


def may_change(by: Acting, owner: str) -> bool:
    return may(by, TASKS) or (may(by, OWN_TASKS) and owns(by, owner))


def may_verify(by: Acting, owner: str) -> bool:
    return may(by, VERIFICATION) or (may(by, OWN_VERIFICATION) and owns(by, owner))


def _role(by: Actor) -> str:
    return f"your role ({by.roles_text})"


def refuse_progress(
    by: Acting, rows: Mapping[str, Mapping[str, Any]], changes: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """The tasks of a save ``by`` may not change, judged on their current owner in ``rows``."""
    if not isinstance(by, Actor):
        return []
    problems = []
    for task_id in changes:
        owner = str(rows.get(task_id, {}).get("owner", ""))
        if may_change(by, owner):
            continue
        if may(by, OWN_TASKS):
            reason = (
                f"is owned by {owner or 'nobody'}; you change only the tasks you own, ask the lead to assign it to you"
            )
        else:
            reason = f"{_role(by)} does not change the progress of tasks"
        problems.append((task_id, "", reason))
    return problems


def refuse_verify(
    by: Acting, rows: Mapping[str, Mapping[str, Any]], task_ids: Iterable[str]
) -> list[tuple[str, str, str]]:
    """The tasks whose evidence ``by`` may not verify."""
    if not isinstance(by, Actor):
        return []
    problems = []
    for task_id in task_ids:
        owner = str(rows.get(task_id, {}).get("owner", ""))
        if may_verify(by, owner):
            continue
        if may(by, OWN_VERIFICATION):
            reason = f"is owned by {owner or 'nobody'}; you verify only the tasks you own, an auditor or the lead verifies others"
        else:
            reason = f"{_role(by)} does not verify evidence; an auditor or the lead does"
        problems.append((task_id, "verified_by", reason))
    return problems


def refuse_records(by: Acting, kind: str) -> list[tuple[str, str, str]]:
    """Whether ``by`` may write assurance records of a kind (assessments, findings, decisions)."""
    if kind not in RECORDS:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(RECORDS)}")
    if may(by, RECORDS[kind]):
        return []
    who = "the committee or the lead" if kind == "decisions" else "an auditor or the lead"
    return [(kind, "", f"{_role(by)} does not record {kind}; {who} does")]


def refuse_store(by: Acting | None, action: str) -> list[tuple[str, str, str]]:
    """Whether ``by`` may act on the whole store (migrate, restore, convert, compact): the lead only."""
    if by is None or may(by, STORE):
        return []
    return [("", "", f"{_role(by)} may not {action} the data; the lead does")]


def check(problems: list[tuple[str, str, str]]) -> None:
    """Raise AccessError when there is any problem: called before anything is written."""
    if problems:
        raise AccessError(problems)
