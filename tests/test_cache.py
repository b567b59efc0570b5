"""The disk cache: a value is computed once per state of its files, and anything doubtful is recomputed."""

from __future__ import annotations

import os

import pytest

from rollout import cache, overview
from rollout.stores.files import FileStore


@pytest.fixture
def private(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ROLLOUT_CACHE", str(folder))
    return folder


def counting():
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    return calls, compute


def test_a_value_is_computed_once_per_key(private, tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("one")
    calls, compute = counting()
    first = cache.cached("test", cache.stamp([source]), compute)
    again = cache.cached("test", cache.stamp([source]), compute)
    assert first == again == {"value": 1} and len(calls) == 1
    source.write_text("one and more")
    assert cache.cached("test", cache.stamp([source]), compute) == {"value": 2}
    assert oct(private.stat().st_mode & 0o777) == oct(0o700)


def test_off_means_always_computed(monkeypatch):
    monkeypatch.setenv("ROLLOUT_CACHE", "off")
    calls, compute = counting()
    cache.cached("test", (), compute)
    cache.cached("test", (), compute)
    assert len(calls) == 2


def test_a_folder_others_can_write_is_not_trusted(private):
    private.mkdir(mode=0o777)
    os.chmod(private, 0o777)
    assert cache.folder() is None
    calls, compute = counting()
    cache.cached("test", (), compute)
    cache.cached("test", (), compute)
    assert len(calls) == 2


def test_a_damaged_entry_is_recomputed(private):
    _, compute = counting()
    cache.cached("test", ("k",), compute)
    for entry in private.glob("test-*.pickle"):
        entry.write_bytes(b"\x80\x05 torn")
    assert cache.cached("test", ("k",), compute) == {"value": 2}


def test_old_entries_are_pruned(private):
    for i in range(cache.KEEP + 5):
        cache.cached("test", (i,), lambda i=i: i)
    assert len(list(private.glob("test-*.pickle"))) == cache.KEEP


def test_the_overview_follows_every_save(private, bundled_plan, demo_data):
    import datetime as dt

    store = FileStore(demo_data, bundled_plan)
    today = dt.date(2026, 11, 28)
    before = overview.load(bundled_plan, store, today)
    assert overview.load(bundled_plan, store, today).status == before.status
    store.save({"P4.03": {"status": "done", "evidence": "https://example.org/x"}}, None, by="t", source="cli")
    after = overview.load(bundled_plan, store, today)
    assert after.status["done"] == before.status["done"] + 1
    assert after.status == overview.compute(bundled_plan, store, today).status


def test_an_unchanged_plan_is_read_back_and_a_changed_one_checked_again(private, minimal_plan, monkeypatch):
    from rollout.plan import load as plan_module

    checked = []
    real = plan_module.validate_folder
    monkeypatch.setattr(plan_module, "validate_folder", lambda folder: checked.append(1) or real(folder))
    first = plan_module.load_plan(minimal_plan)
    again = plan_module.load_plan(minimal_plan)
    assert len(checked) == 1 and again.tasks == first.tasks
    text = (minimal_plan / "phase-1.yaml").read_text().replace("effort_days: 4", "effort_days: 0")
    (minimal_plan / "phase-1.yaml").write_text(text)
    with pytest.raises(plan_module.PlanError, match="effort_days is 0"):
        plan_module.load_plan(minimal_plan)
    assert len(checked) == 2
