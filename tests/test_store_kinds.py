"""What every store does alike, on a folder of CSV, one of Parquet and a PostgreSQL database: the assurance
records, restoring progress to a change, moving everything between stores, and hearing of commits."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rollout.access import AccessError, Actor
from rollout.progress import ChangeError, ConflictError, StoreError
from rollout.stores import live
from rollout.stores.files import FileStore

AT = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
FINDING = {"clauses": "8.1", "grade": "minor", "source": "internal_audit", "description": "No operating records"}


def test_records_are_kept_with_revisions_conflicts_and_history(kind, new_store, bundled_plan):
    s = new_store(kind, bundled_plan)
    added = s.save_records("findings", [FINDING], {}, None, by="Ida Auditor", source="ui", at=AT)
    assert added.tasks == ["F-0001"] and s.load().records["findings"]["status"].tolist() == ["open"]
    loaded = dict(zip(*(s.records("findings")[c] for c in ("id", "revision")), strict=True))
    s.save_records("findings", [], {"F-0001": {"action": "Keep the records", "owner": "Sam"}}, loaded, by="Sam",
                   source="ui", at=AT)  # fmt: skip
    with pytest.raises(ConflictError):
        s.save_records("findings", [], {"F-0001": {"cause": "late"}}, loaded, by="Bob", source="ui", at=AT)
    with pytest.raises(ChangeError, match="verified"):
        s.save_records("findings", [], {"F-0001": {"status": "verified"}}, None, by="Sam", source="ui", at=AT)
    record = s.records("findings").set_index("id").loc["F-0001"]
    assert (record["action"], record["revision"], record["updated_by"]) == ("Keep the records", 2, "Sam")
    events = s.history("F-0001")
    assert set(events["field"]) >= {"clauses", "grade", "action", "owner"} and events["seq"].max() == s.load().seq


def test_a_save_of_progress_and_one_of_records_share_one_sequence(kind, new_store, bundled_plan):
    s = new_store(kind, bundled_plan)
    s.save({"P1.01": {"owner": "Ann"}}, None, by="Ann", source="cli", at=AT)
    s.save_records("findings", [FINDING], {}, None, by="Ida", source="cli", at=AT)
    s.save({"P1.01": {"owner": "Bob"}}, None, by="Bob", source="cli", at=AT)
    assert s.history()["seq"].unique().tolist() == [1, 2, 3] and s.load().seq == 3


def test_progress_restores_to_a_change_as_a_new_save(kind, new_store, bundled_plan):
    s = new_store(kind, bundled_plan)
    s.save({"P1.01": {"status": "in_progress", "percent": 30, "owner": "Ann"}}, None, by="Ann", source="cli")
    s.save({"P1.01": {"percent": 80, "notes": "nearly"}, "P1.02": {"owner": "Bob"}}, None, by="Bob", source="cli")
    s.save_records("findings", [FINDING], {}, None, by="Ida", source="cli")
    result = s.restore_to(1, by="Lead")
    row = s.load().progress.set_index("task_id")
    assert (row.loc["P1.01", "percent"], row.loc["P1.01", "notes"], row.loc["P1.02", "owner"]) == (30, "", "")
    assert result.seq == 4 and row.loc["P1.01", "revision"] == 3 and len(s.records("findings")) == 1
    assert set(s.history()[lambda f: f["seq"] == 4]["source"]) == {"restore:change 1"}
    with pytest.raises(StoreError, match="no change 9"):
        s.restore_to(9, by="Lead")
    with pytest.raises(AccessError):
        s.restore_to(1, by=Actor("Vic Viewer", "vic@example.org"))


def test_a_role_refused_changes_nothing(kind, new_store, bundled_plan):
    s = new_store(kind, bundled_plan)
    s.save({"P1.01": {"owner": "Ann"}}, None, by="Ann", source="cli")
    before = s.version(), s.dump().history
    committee = Actor("Cleo Board", "cleo@example.org", frozenset({"committee"}))
    for write in (lambda: s.save({"P1.01": {"notes": "x"}}, None, by=committee, source="ui"),
                  lambda: s.save_records("findings", [FINDING], {}, None, by=committee, source="ui"),
                  lambda: s.verify(["P1.01"], by=committee)):  # fmt: skip
        with pytest.raises(AccessError):
            write()
    assert s.version() == before[0]
    pd.testing.assert_frame_equal(s.dump().history, before[1])


def test_everything_moves_between_stores_without_a_changed_value(kind, new_store, bundled_plan, demo_master, tmp_path):
    source = FileStore(demo_master, bundled_plan)
    if kind == "postgresql":
        target = new_store(kind, bundled_plan)
        target.fill(source.dump())
    else:  # a new folder, of either format
        target = FileStore(tmp_path / "moved", bundled_plan)
        target.fill(source.dump(), kind)
    a, b = source.load(), target.load()
    assert a.seq == b.seq
    pd.testing.assert_frame_equal(a.progress, b.progress)
    for kind_of in a.records:
        pd.testing.assert_frame_equal(a.records[kind_of], b.records[kind_of])
    pd.testing.assert_frame_equal(source.history(), target.history())
    with pytest.raises(StoreError, match="empty"):
        target.fill(source.dump())
    target.save({"P2.03": {"notes": "after the move"}}, b.revisions, by="Ann", source="ui")
    assert target.load().seq == a.seq + 1


def test_a_watcher_hears_of_a_commit_made_elsewhere(kind, new_store, bundled_plan):
    s = new_store(kind, bundled_plan)
    watcher = s.watcher().start()
    try:
        assert watcher.ready.wait(5), "it has looked once"
        seen = watcher.version
        elsewhere = new_store(kind, bundled_plan, folder=getattr(s, "folder", None))
        elsewhere.save({"P1.01": {"owner": "Ann"}}, None, by="Ann", source="cli")
        assert watcher.wait_past(seen, 3), "a commit is heard within the refresh time"
    finally:
        watcher.stop()


def test_a_watcher_asked_to_look_sees_a_commit_at_once(kind, new_store, bundled_plan, monkeypatch):
    """A page that has just saved asks its watcher to look, and draws itself at that commit only once."""
    if kind != "postgresql":  # a folder is not looked at again while the test waits; a database announces
        monkeypatch.setattr(live, "LOOK_EVERY", 30.0)
    s = new_store(kind, bundled_plan)
    watcher = s.watcher().start()
    try:
        assert watcher.ready.wait(5), "it has looked once"
        seen = watcher.version
        s.save({"P1.01": {"owner": "Ann"}}, None, by="Ann", source="ui")
        watcher.look()
        assert watcher.wait_past(seen, 2), "seen within two seconds, not at the next round 30 s on"
    finally:
        watcher.stop()
