"""What the pages show, built in the core: history and gates in words, edits as they will be saved, links."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from support import DEMO_TODAY

from rollout import gates, readiness, values, views
from rollout.stores.files import FileStore

TODAY = dt.date.fromisoformat(DEMO_TODAY)


@pytest.fixture(scope="module")
def demo(bundled_plan, demo_master):
    """(plan, task table, history) of the demo, read-only."""
    store = FileStore(demo_master, bundled_plan)
    return bundled_plan, readiness.task_table(bundled_plan, store.load().progress), store.history()


def test_a_tasks_history_reads_in_words(demo):
    plan, table, history = demo
    shown = views.task_detail(plan, table, history, "P0.06").history
    assert shown.columns.tolist() == ["at", "by", "source", "field", "old", "new"]
    status = shown[shown["field"] == "Status"]
    assert set(status["new"]) <= set(values.STATUS_LABELS.values()) and "Done" in set(status["new"])
    assert set(shown["source"]) == {"Updated in the app"}
    assert shown["at"].str.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC").all()
    percents = shown.loc[shown["field"] == "Percent", "new"]
    assert percents.str.fullmatch(r"\d+ %").all()
    assert not shown["field"].str.contains("_").any()


@pytest.mark.parametrize(
    ("source", "words"),
    [("ui", "Updated in the app"), ("cli", "Command line"), ("import:tracker.xlsx", "Imported from tracker.xlsx"),
     ("restore:progress-20261101T100000Z.csv", "Restored from progress-20261101T100000Z.csv")],
)  # fmt: skip
def test_where_a_change_came_from_reads_in_words(source, words):
    assert views.source_text(source) == words


def test_history_values_read_as_the_pages_write_them():
    assert views.value_text("status", "not_started") == "Not started"
    assert views.value_text("due", "2026-12-01") == "01 Dec 2026"
    assert views.value_text("verified_at", "2026-07-06T13:00:00Z") == "06 Jul 2026, 13:00 UTC"
    assert views.value_text("owner", "") == "" and views.value_text("notes", "as typed") == "as typed"
    assert views.value_text("status", "action_planned") == "Action planned"  # a finding's
    assert (
        views.value_text("grade", "minor") == "Minor" and views.value_text("closed_on", "2026-11-02") == "02 Nov 2026"
    )


def test_a_task_done_before_its_operating_period_could_end_is_flagged(demo):
    plan, table, history = demo
    task = next(t for t in plan.tasks.values() if t.min_weeks)
    start = TODAY - dt.timedelta(weeks=2)
    done = table.assign(
        status=lambda f: f["status"].where(f["task_id"] != task.id, "done"),
        start=lambda f: f["start"].where(f["task_id"] != task.id, pd.Timestamp(start)),
    )
    events = pd.DataFrame(
        [{"seq": 999, "at": f"{TODAY}T10:00:00Z", "by": "Ann", "source": "ui", "task_id": task.id,
          "field": "status", "old": "in_progress", "new": "done", "recorded_at": f"{TODAY}T10:00:00Z"}]
    )  # fmt: skip
    early = views.task_detail(plan, done, pd.concat([history, events]), task.id).early
    assert early and early.startswith("Done 2 weeks after its start")


def test_the_tasks_keeping_a_gate_shut_read_in_words(demo):
    plan, table, _ = demo
    phase2 = gates.gates(plan, table, TODAY)[2]
    rows = views.gate_table(phase2, table).set_index("task_id")
    assert rows.loc["P2.02", "reason"] == "Done, not verified" and rows.loc["P2.02", "risk"] == ""
    assert rows.loc["P2.15", "risk"] == "Blocked" and rows.loc["P2.14", "risk"] == "Overdue"
    assert not rows["risk"].str.contains("due 20").any()  # the due date has a column of its own


def test_a_status_or_percent_changed_alone_shows_the_pair_that_will_be_saved(demo):
    _, table, _ = demo
    page = table[table["task_id"].isin(["P2.13", "P3.01", "P3.02", "P3.03"])][["task_id", "status", "percent"]]
    edits = {0: {"status": "Done"}, 1: {"percent": 40}, 2: {"status": "Blocked", "percent": 100}, 3: {"owner": "Kim"}}
    shown = views.as_edited(page, edits).set_index("task_id")
    # the field typed is left to the grid's edit, which it drops when the row given already holds it
    assert tuple(shown.loc["P2.13"]) == ("in_progress", 100)
    assert tuple(shown.loc["P3.01"]) == ("in_progress", 0)
    assert tuple(shown.loc["P3.02"]) == ("not_started", 0)  # both given: shown as typed, the save explains
    assert tuple(shown.loc["P3.03"]) == ("not_started", 0)
    assert page.set_index("task_id").loc["P2.13", "percent"] != 100  # the rows given are left as they were


@pytest.mark.parametrize(
    ("evidence", "link"),
    [("https://intranet.example/sms/policy.pdf", True), ("HTTP://example.org", True),
     ("DMS-0042", False), ("SharePoint > SMS > 01 Initiation > Gap analysis v1.2.xlsx", False),
     ("www.example.org/a", False), ("https://a.example/x y", False), ("", False)],
)  # fmt: skip
def test_only_web_addresses_are_links(evidence, link):
    assert values.web_address(evidence) is link
