"""The rules every save follows beyond values: four-eyes verification, no exclusion of a requirement,
folders written before these rules existed, and changes that state when they happened.

On the minimal plan (tests/plans/minimal, edition 2018): P1.01 is the only mandatory sms task on
5.2, P1.02 the only one on 8.6.1 and 8.6.2, P3.01 the only one on 5.1; P0.01 is a project task.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rollout.plan import load_plan
from rollout.progress import EARLIER_COLUMNS, ChangeError
from rollout.stores import filehistory as hist
from rollout.stores.files import FileStore

DONE = {"status": "done", "evidence": "https://docs.example.org/policy-v1.pdf"}


@pytest.fixture
def plan(minimal_plan):
    return load_plan(minimal_plan)


@pytest.fixture
def store(kind, new_store, plan):
    s = new_store(kind, plan)
    s.save({"P0.01": {"owner": "Pat"}}, None, by="Lead", source="cli")
    return s


def row(s: FileStore, task_id: str) -> pd.Series:
    return s.load().progress.set_index("task_id").loc[task_id]


def refusal(call) -> list[tuple[str, str, str]]:
    with pytest.raises(ChangeError) as caught:
        call()
    return caught.value.problems


# verification ------------------------------------------------------------------
def test_a_second_person_verifies_a_done_task_and_it_is_in_the_history(store):
    store.save({"P1.01": DONE}, None, by="Ann Owner", source="ui")
    result = store.verify(["P1.01"], by="Vic Auditor", at=dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC))
    got = row(store, "P1.01")
    assert (got["verified_by"], got["verified_at"]) == ("Vic Auditor", "2026-07-01T09:00:00Z")
    events = store.history("P1.01")
    assert events[events["seq"] == result.seq][["field", "new", "by"]].values.tolist() == [
        ["verified_by", "Vic Auditor", "Vic Auditor"],
        ["verified_at", "2026-07-01T09:00:00Z", "Vic Auditor"],
    ]


def test_the_person_who_set_it_done_cannot_verify_it(store):
    store.save({"P1.01": {**DONE, "owner": "Ann Owner"}}, None, by="Ann Owner", source="ui")
    store.save({"P1.01": {"notes": "reviewed"}}, None, by="Bob", source="ui")  # a later note: still Ann's done
    before = store.history()
    assert refusal(lambda: store.verify(["P1.01"], by="ann owner")) == [
        ("P1.01", "verified_by", "was set done by Ann Owner; a second person verifies it (four eyes)")
    ]
    pd.testing.assert_frame_equal(store.history(), before)  # a refusal changes nothing
    assert store.verify(["P1.01"], by="Bob").history_rows == 2


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": "in_progress", "percent": 50}, "is in progress; only a done task's evidence is verified"),
        ({"status": "done"}, "has no evidence to verify; add the link or reference to the evidence first"),
    ],
)
def test_only_done_work_with_evidence_is_verified(store, change, problem):
    store.save({"P1.01": change}, None, by="Ann", source="ui")
    assert refusal(lambda: store.verify(["P1.01"], by="Vic")) == [("P1.01", "verified_by", problem)]


def test_a_later_change_of_status_percent_or_evidence_clears_the_verification(store):
    store.save({"P1.01": DONE, "P1.02": DONE}, None, by="Ann", source="ui")
    store.verify(["P1.01", "P1.02"], by="Vic")
    store.save({"P1.01": {"owner": "Cy", "notes": "kept"}}, None, by="Ann", source="ui")
    assert row(store, "P1.01")["verified_by"] == "Vic"  # owner and notes leave it standing
    store.save({"P1.01": {"evidence": "https://docs.example.org/policy-v2.pdf"}}, None, by="Ann", source="ui")
    store.save({"P1.02": {"percent": 90}}, None, by="Ann", source="ui")
    assert row(store, "P1.01")["verified_by"] == row(store, "P1.02")["verified_by"] == ""
    cleared = store.history("P1.01")
    last = cleared[cleared["seq"] == cleared["seq"].max()]
    assert last[["field", "old", "new"]].values.tolist()[1:] == [
        ["verified_by", "Vic", ""],
        ["verified_at", last.iloc[2]["old"], ""],
    ]


def test_a_conflict_is_checked_before_a_verification(store):
    store.save({"P1.01": DONE}, None, by="Ann", source="ui")
    loaded = store.load().revisions
    store.save({"P1.01": {"notes": "x"}}, None, by="Ann", source="ui")
    with pytest.raises(Exception, match="conflict"):
        store.verify(["P1.01"], by="Vic", revisions={"P1.01": loaded["P1.01"]})


# not applicable ----------------------------------------------------------------
def test_not_applicable_needs_a_note(store):
    assert refusal(lambda: store.save({"P2.01": {"status": "not_applicable"}}, None, by="a", source="ui")) == [
        ("P2.01", "notes", "not applicable needs a note saying why the work is not needed")
    ]
    store.save({"P0.01": {"status": "not_applicable", "notes": "Funded by the group."}}, None, by="a", source="ui")
    assert refusal(lambda: store.save({"P0.01": {"notes": ""}}, None, by="a", source="ui"))[0][1] == "notes"


def test_not_applicable_is_refused_where_it_would_leave_a_clause_without_work(store):
    problems = refusal(
        lambda: store.save({"P1.02": {"status": "not_applicable", "notes": "outsourced"}}, None, by="a", source="ui")
    )
    assert problems == [
        (
            "P1.02",
            "status",
            "not applicable would leave clause 8.6.1, 8.6.2 (2018) with no mandatory task; ISO/IEC 20000-1 permits "
            "no exclusion of a requirement, so the work is needed",
        )
    ]
    assert row(store, "P1.02")["status"] == "not_started"  # nothing was written
    store.save({"P0.01": {"status": "not_applicable", "notes": "project work may go"}}, None, by="a", source="ui")


def test_a_task_list_without_the_plan_has_no_clause_rules(plan, tmp_path):
    s = FileStore(tmp_path / "data", list(plan.tasks))
    s.save({"P1.02": {"status": "not_applicable", "notes": "outsourced"}}, None, by="a", source="ui")


# folders written before these rules --------------------------------------------
def test_a_folder_of_the_earlier_format_reads_and_gains_the_new_columns_on_its_next_save(plan, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    progress = pd.DataFrame(
        [["P1.01", "done", "100", "Ann", "", "", "ref", "", "2026-06-01T09:00:00Z", "Ann", "1", "1"]],
        columns=EARLIER_COLUMNS,
    )
    progress.to_csv(folder / "progress.csv", index=False)
    old_log = ['"seq","at","by","source","task_id","field","old","new"']
    old_log += [f'"1","2026-06-01T09:00:00Z","Ann","ui","P1.01","{f}","{o}","{n}"' for f, o, n in (
        ("status", "not_started", "done"), ("percent", "0", "100"), ("owner", "", "Ann"), ("evidence", "", "ref"))]  # fmt: skip
    (folder / "history.csv").write_text("\n".join(old_log) + "\n")
    s = FileStore(folder, plan)
    assert row(s, "P1.01")["verified_by"] == ""
    assert s.history()["recorded_at"].tolist() == ["2026-06-01T09:00:00Z"] * 4  # read as at
    s.verify(["P1.01"], by="Vic")
    assert pd.read_csv(folder / "progress.csv").columns.tolist()[10:12] == ["verified_by", "verified_at"]
    assert (folder / "history.csv").read_text().splitlines()[0].endswith('"new","recorded_at"')
    assert len(s.history()) == 6 and s.history()["by"].tolist()[:4] == ["Ann"] * 4


def test_older_parquet_history_parts_read_recorded_at_as_at(new_store, plan):
    store = new_store("parquet", plan)
    store.save({"P0.01": {"owner": "Pat"}}, None, by="Lead", source="cli")
    part = next((store.folder / "history").glob("part-*.parquet"))
    frame = pd.read_parquet(part).drop(columns="recorded_at")
    frame.to_parquet(part, index=False)
    got = store.history()
    assert (got["recorded_at"] == got["at"]).all()


# changes that state when they happened -----------------------------------------
def test_a_change_can_say_when_it_happened_and_the_history_keeps_both_times(store):
    saved_at = dt.datetime(2026, 7, 10, 9, tzinfo=dt.UTC)
    happened = {"P1.01": dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)}
    store.save({"P1.01": DONE, "P1.02": {"owner": "Ann"}}, None, by="a", source="import:x.xlsx", at=saved_at,
               happened=happened)  # fmt: skip
    events = store.history()
    p101 = events[events["task_id"] == "P1.01"]
    assert set(p101["at"]) == {"2026-06-15T12:00:00Z"} and set(p101["recorded_at"]) == {"2026-07-10T09:00:00Z"}
    p102 = events[events["task_id"] == "P1.02"]
    assert set(p102["at"]) == set(p102["recorded_at"]) == {"2026-07-10T09:00:00Z"}
    assert list(hist.COLUMNS) == ["seq", "at", "by", "source", "task_id", "field", "old", "new", "recorded_at"]


# tasks the plan renamed ----------------------------------------------------------
def test_progress_of_a_renamed_task_is_refused_until_migrated_then_carried_over(minimal_plan, tmp_path, capsys):
    from support import run_cli

    from rollout import readiness, timeline
    from rollout.progress import StoreError

    (minimal_plan / "renames.yaml").write_text("P2.09: P1.02  # moved to phase 1\n")
    plan = load_plan(minimal_plan)
    folder = tmp_path / "data"
    earlier = FileStore(folder, [*plan.tasks, "P2.09"])  # the previous release's plan had P2.09
    earlier.save({"P2.09": {"status": "in_progress", "percent": 40, "owner": "Ann"}}, None, by="Ann", source="ui",
                 at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))  # fmt: skip
    earlier.save({"P2.09": {"percent": 60}}, None, by="Ann", source="ui", at=dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC))
    store = FileStore(folder, plan)
    with pytest.raises(StoreError, match=r"renamed tasks this progress still names \(P2\.09 -> P1\.02\).*migrate"):
        store.load()
    code, _, err = run_cli(capsys, "--phases", minimal_plan, "--data", folder, "status")
    assert code == 1 and "migrate" in err
    code, out, _ = run_cli(capsys, "--phases", minimal_plan, "--data", folder, "migrate", "--by", "Lead")
    assert code == 0 and "carried 1 renamed tasks over" in out and "P2.09 -> P1.02" in out
    got = row(store, "P1.02")
    assert (got["status"], got["percent"], got["owner"]) == ("in_progress", 60, "Ann")
    assert "P2.09" not in store.load().progress["task_id"].tolist()
    events = store.history("P1.02")
    assert events["task_id"].tolist()[:4] == ["P2.09"] * 4  # the earlier rows are kept, under their id
    assert ["P2.09", "renamed_to", "", "P1.02"] in events[["task_id", "field", "old", "new"]].values.tolist()
    weekly = timeline.burnup(plan, store.history(), dt.date(2026, 3, 11))
    assert weekly["done"].iloc[-1] == 0.6 * plan.tasks["P1.02"].effort_days  # replayed under its new id
    table = readiness.task_table(plan, store.load().progress)
    assert table.set_index("task_id").loc["P1.02", "percent"] == 60
    code, out, _ = run_cli(capsys, "--phases", minimal_plan, "--data", folder, "migrate")
    assert code == 0 and "nothing to migrate" in out
