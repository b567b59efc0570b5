"""Roles: what each may see and change, from the claims of a sign-in; the store refuses the rest, changing nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rollout import access
from rollout.access import AccessConfigError, AccessError, Actor
from rollout.stores.files import FileStore

TASKS = ["P1.001", "P1.002", "P1.003"]
ACTORS = {role: Actor(f"{role.title()} Person", f"{role}@example.org", frozenset({role})) for role in access.ROLES}
VIEWER_PAGES = {
    "app.py",
    "pages/1_Plan.py",
    "pages/3_Readiness.py",
    "pages/4_Timeline.py",
    "pages/7_Assurance.py",
    "pages/6_Steering_committee.py",
}


# who and which roles -----------------------------------------------------------
def test_the_history_names_a_person_by_name_and_email():
    assert Actor("Ann Lead", "ann@example.org").by == "Ann Lead <ann@example.org>"
    assert Actor("", "ann@example.org").by == "ann@example.org"
    assert Actor("Ann Lead", "").by == "Ann Lead"
    assert access.name_of("Local Operator") == "Local Operator"


@pytest.mark.parametrize(
    "claim, roles",
    [
        (["lead"], {"lead"}),
        ("auditor", {"auditor"}),
        ("contributor, committee", {"contributor", "committee"}),
        (["Lead", "sms-auditors"], {"lead", "auditor"}),
        (["everyone"], {"viewer"}),
        (None, {"viewer"}),
        ([], {"viewer"}),
    ],
)
def test_roles_come_from_the_claim_and_the_map_and_add_up(claim, roles):
    assert access.roles_from(claim, {"sms-auditors": "auditor"}) == roles


def test_the_role_claim_and_map_come_from_the_settings():
    claims = {"name": "Ann Lead", "email": "ann@example.org", "groups": ["sms-leads"], "roles": ["viewer"]}
    actor = access.actor_from(claims, {"role_claim": "groups", "role_map": {"sms-leads": "lead"}})
    assert actor == Actor("Ann Lead", "ann@example.org", frozenset({"lead"}))
    assert access.actor_from(claims).roles == {"viewer"}  # the roles claim by default
    assert access.actor_from({"sub": "u-123"}).by == "u-123"  # a provider that gives neither name nor email


def test_a_map_to_no_role_is_a_configuration_error():
    with pytest.raises(AccessConfigError, match='"sms-leads" = "admin"'):
        access.role_settings({"role_map": {"sms-leads": "admin"}})
    with pytest.raises(AccessConfigError, match="is not a table"):
        access.role_settings({"role_map": "sms-leads"})


def test_the_pages_of_each_role():
    assert access.pages_for({"viewer"}) == VIEWER_PAGES
    assert access.pages_for({"committee"}) == VIEWER_PAGES
    assert access.pages_for({"contributor"}) == access.pages_for({"auditor"}) == VIEWER_PAGES | {"pages/2_Progress.py"}
    assert access.pages_for({"lead"}) == VIEWER_PAGES | {"pages/2_Progress.py", "pages/5_Import.py"}
    assert access.pages_for({"committee", "contributor"}) == VIEWER_PAGES | {"pages/2_Progress.py"}
    assert access.pages_for(set()) == VIEWER_PAGES


@pytest.mark.parametrize(
    "role, assessments, findings, decisions",
    [
        ("viewer", False, False, False),
        ("contributor", False, False, False),
        ("auditor", True, True, False),
        ("committee", False, False, True),
        ("lead", True, True, True),
    ],
)
def test_who_records_assessments_findings_and_decisions(role, assessments, findings, decisions):
    allowed = {kind: not access.refuse_records(ACTORS[role], kind) for kind in access.RECORDS}
    assert allowed == {"assessments": assessments, "findings": findings, "decisions": decisions}
    assert all(not access.refuse_records("Local Operator", kind) for kind in access.RECORDS)


def test_a_contributor_owns_a_task_by_name_or_email_in_any_case():
    kim = Actor("Kim Park", "kim@example.org", frozenset({"contributor"}))
    assert access.may_change(kim, "KIM@example.org") and access.may_change(kim, " kim park ")
    assert not access.may_change(kim, "") and not access.may_change(kim, "Kim")
    assert not access.may_verify(ACTORS["viewer"], "Viewer Person")


# the store refuses, whatever the caller --------------------------------------------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three tasks saved by a local operator: the contributor owns P1.001, someone else the done P1.003."""
    data = tmp_path / "data"
    store = FileStore(data, TASKS)
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    store.save({"P1.001": {"owner": "CONTRIBUTOR@example.org", "status": "in_progress", "percent": 20}}, None,
               by="Local Operator", source="cli", at=at)  # fmt: skip
    store.save({"P1.002": {"owner": "Lee Other"}, "P1.003": {"owner": "Lee Other", "evidence": "DOC-7"}}, None,
               by="Local Operator", source="cli", at=at)  # fmt: skip
    store.save({"P1.003": {"status": "done"}}, None, by="Lee Other", source="cli", at=at)
    return data


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


WRITES = {
    "change a task": lambda s, by: s.save({"P1.002": {"percent": 10}}, None, by=by, source="ui"),
    "verify a task": lambda s, by: s.verify(["P1.003"], by=by),
    "migrate": lambda s, by: s.migrate(by=by),
    "restore": lambda s, by: s.restore(s.backups()[-1], by=by),
    "convert": lambda s, by: s.convert("parquet", by=by),
    "compact": lambda s, by: s.compact(by=by),
    "record an assessment": lambda s, by: s.save_records(
        "assessments", [{"clause": "8.1", "result": "conforming", "source": "self", "assessed_on": dt.date(2026, 11, 2),
                         "assessor": "Someone"}], {}, None, by=by, source="ui"),
    "record a finding": lambda s, by: s.save_records(
        "findings", [{"clauses": "8.1", "grade": "minor", "source": "self", "description": "No records"}], {}, None,
        by=by, source="ui"),
    "record a decision": lambda s, by: s.save_records(
        "decisions", [{"stage": 1, "decision": "no_go", "decided_on": dt.date(2026, 11, 2), "by": "The committee"}],
        {}, None, by=by, source="ui"),
}  # fmt: skip
ALLOWED = {
    "lead": set(WRITES),
    "auditor": {"verify a task", "record an assessment", "record a finding"},
    "committee": {"record a decision"},
}
REFUSED = [(role, write) for role in access.ROLES for write in WRITES if write not in ALLOWED.get(role, set())]


@pytest.mark.parametrize("role, write", REFUSED)
def test_a_write_the_role_may_not_make_is_refused_and_changes_nothing(folder, role, write):
    before = files(folder)
    with pytest.raises(AccessError) as refused:
        WRITES[write](FileStore(folder, TASKS), ACTORS[role])
    assert refused.value.problems and all(len(p) == 3 for p in refused.value.problems)
    assert files(folder) == before


@pytest.mark.parametrize("write", ["change a task", "verify a task", "restore"])
def test_the_lead_may_make_every_write_and_the_history_names_them(folder, write):
    store = FileStore(folder, TASKS)
    WRITES[write](store, ACTORS["lead"])
    assert store.history()["by"].iloc[-1] == "Lead Person <lead@example.org>"


@pytest.mark.parametrize(
    "role, write",
    [("auditor", "record an assessment"), ("auditor", "record a finding"), ("committee", "record a decision"),
     ("lead", "record a finding")],
)  # fmt: skip
def test_the_auditor_and_the_committee_write_their_registers(tmp_path, bundled_plan, role, write):
    store = FileStore(tmp_path, bundled_plan)
    WRITES[write](store, ACTORS[role])
    assert store.history()["by"].iloc[-1] == ACTORS[role].by


def test_an_auditor_verifies_any_task_and_a_contributor_changes_only_their_own(folder):
    store = FileStore(folder, TASKS)
    store.verify(["P1.003"], by=ACTORS["auditor"])
    assert (
        store.load().progress.set_index("task_id").loc["P1.003", "verified_by"]
        == "Auditor Person <auditor@example.org>"
    )
    store.save({"P1.001": {"percent": 60}}, None, by=ACTORS["contributor"], source="ui")
    with pytest.raises(AccessError, match=r"P1\.002: is owned by Lee Other"):
        store.save({"P1.001": {"percent": 70}, "P1.002": {"percent": 5}}, None, by=ACTORS["contributor"], source="ui")
    assert store.load().progress.set_index("task_id").loc["P1.001", "percent"] == 60  # all or nothing


def test_ownership_is_judged_on_the_rows_under_the_lock_not_on_what_the_caller_loaded(folder):
    store = FileStore(folder, TASKS)
    loaded = store.load().revisions
    store.save({"P1.001": {"owner": "Lee Other"}}, None, by=ACTORS["lead"], source="ui")
    with pytest.raises(AccessError):
        store.save({"P1.001": {"percent": 30}}, loaded, by=ACTORS["contributor"], source="ui")


def test_a_plain_name_is_a_local_operator_with_every_right(folder):
    store = FileStore(folder, TASKS)
    store.save({"P1.002": {"percent": 10}}, None, by="Local Operator", source="cli")
    store.verify(["P1.003"], by="Local Operator")
    assert store.convert("parquet").startswith("converted")
