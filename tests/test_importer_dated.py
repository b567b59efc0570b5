"""Dated imports and the file's own date: changes that happened in the past land in their weeks of the burn-up;
a date in the future or before a task's last change is refused; values changed in the tool after the file
was saved are shown and overwritten only when confirmed."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import openpyxl
import pytest
from support import DEMO_TODAY

from rollout import timeline
from rollout.sheets import compare, docprops, importer
from rollout.sheets.limits import Note, Remedy
from rollout.sheets.spreadsheet import SpreadsheetError

pytestmark = pytest.mark.usefixtures("demo_today")

TODAY = dt.date.fromisoformat(DEMO_TODAY)
D = dt.date


def xlsx(path, rows: list[list]):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


PAST = [  # a tracker kept since June: each row says when it was last updated
    ["Task ID", "Status", "% complete", "Last updated"],
    ["P0.01", "Done", "", D(2026, 6, 19)],
    ["P0.02", "Done", "", D(2026, 7, 15)],
    ["P0.03", "Done", "", D(2026, 8, 12)],
    ["P0.04", "In progress", 50, D(2026, 10, 7)],
    ["P0.05", "Done", "", D(2026, 11, 4)],
    ["P0.07", "Done", "", D(2026, 11, 18)],
]


def test_a_tracker_of_past_months_lands_in_its_weeks_of_the_burn_up_and_gives_a_forecast(tmp_path, bundled_plan, store):
    p = importer.preview_import(xlsx(tmp_path / "tracker.xlsx", PAST), bundled_plan, store)
    assert p.mapping["Last updated"] == "as_of" and p.rejected == 0
    importer.apply_import(p, store, by="Priya")
    history = store.history()
    assert history.loc[history["task_id"] == "P0.01", "at"].unique().tolist() == ["2026-06-19T23:59:59Z"]
    assert (history["at"] < history["recorded_at"]).all(), "when it happened, and when it was recorded"
    weekly = timeline.burnup(bundled_plan, history, TODAY).set_index("week_end")["done"]
    effort = {t: bundled_plan.tasks[t].effort_days for t in ("P0.01", "P0.02", "P0.03", "P0.04")}
    assert weekly[:"2026-06-18"].eq(0).all() and weekly["2026-06-19":"2026-06-26"].iloc[0] == effort["P0.01"]
    assert weekly["2026-07-15":"2026-07-22"].iloc[0] == effort["P0.01"] + effort["P0.02"]
    assert weekly["2026-10-07":"2026-10-14"].iloc[0] == pytest.approx(
        effort["P0.01"] + effort["P0.02"] + effort["P0.03"] + effort["P0.04"] / 2
    )
    outlook = timeline.plan_forecast(bundled_plan, _tasks(bundled_plan, store), history, TODAY)
    assert outlook.likely is not None, outlook.reason  # three of the last eight weeks show progress


def _tasks(plan, store):
    from rollout import readiness

    return readiness.task_table(plan, store.load().progress)


def test_one_date_for_the_whole_file_dates_every_row_without_a_date_of_its_own(tmp_path, bundled_plan, store):
    path = xlsx(
        tmp_path / "f.xlsx", [["Task ID", "Status", "As of"], ["P1.01", "done", ""], ["P1.02", "wip", "2026-09-01"]]
    )
    importer.apply_import(importer.preview_import(path, bundled_plan, store, as_of=D(2026, 10, 2)), store, by="t")
    at = store.history().groupby("task_id")["at"].first()
    assert at["P1.01"] == "2026-10-02T23:59:59Z" and at["P1.02"] == "2026-09-01T23:59:59Z"


def test_without_a_date_nothing_changes(tmp_path, bundled_plan, store):
    path = xlsx(tmp_path / "f.xlsx", [["Task ID", "Status"], ["P1.01", "done"]])
    importer.apply_import(importer.preview_import(path, bundled_plan, store), store, by="t")
    history = store.history()
    assert (history["at"] == history["recorded_at"]).all() and history["at"].iloc[0] > "2026-12"


def test_a_date_in_the_future_is_refused_naming_sheet_row_and_column(tmp_path, bundled_plan, store):
    path = xlsx(tmp_path / "f.xlsx", [["Task ID", "Status", "Updated"], ["P1.01", "done", D(2026, 12, 24)]])
    (problem,) = importer.preview_import(path, bundled_plan, store).problems.itertuples()
    assert (problem.sheet, problem.row, problem.column, problem.cell) == ("Sheet", 2, "Updated", "C2")
    assert problem.message == "the date 2026-12-24 is in the future; an import records what has happened"
    with pytest.raises(SpreadsheetError, match="2026-12-24, is in the future"):
        importer.preview_import(path, bundled_plan, store, as_of=D(2026, 12, 24))


def test_a_date_before_the_tasks_last_change_is_refused_the_same_day_is_not(tmp_path, bundled_plan, store):
    store.save({"P1.01": {"owner": "Ana"}, "P1.02": {"owner": "Bo"}}, None, by="Ana", source="ui",
               at=dt.datetime(2026, 10, 1, 15, tzinfo=dt.UTC))  # fmt: skip
    rows = [["Task ID", "Status", "Status date"], ["P1.01", "done", D(2026, 9, 30)], ["P1.02", "done", D(2026, 10, 1)]]
    p = importer.preview_import(xlsx(tmp_path / "f.xlsx", rows), bundled_plan, store)
    assert p.problems["message"].tolist() == [
        "P1.01 was last changed on 2026-10-01; a change dated 2026-09-30 would come before it and rewrite its "
        "history out of order"
    ]
    assert p.problems["column"].tolist() == ["Status date"] and p.changed == 1
    importer.apply_import(p, store, by="t", valid_rows_only=True)
    assert store.history("P1.02")["at"].tolist()[-1] == "2026-10-01T23:59:59Z"  # after the change made that day


def test_day_month_text_in_the_date_column_needs_the_order(tmp_path, bundled_plan, store):
    path = tmp_path / "f.csv"
    path.write_text("Task ID,Status,As of\nP1.01,done,03/10/2026\n")
    with pytest.raises(SpreadsheetError) as caught:
        importer.preview_import(path, bundled_plan, store)
    assert caught.value.column == "As of" and caught.value.remedy == Remedy("dates")
    p = importer.preview_import(path, bundled_plan, store, dates="dayfirst")
    assert p.happened["P1.01"] == dt.datetime(2026, 10, 3, 23, 59, 59, tzinfo=dt.UTC)


# the file's own date ---------------------------------------------------------------------
def test_a_workbook_says_when_it_was_saved_and_an_odd_one_says_nothing(tmp_path):
    path = xlsx(tmp_path / "f.xlsx", [["a"]])
    saved = docprops.saved_on(path.read_bytes())
    assert saved is not None and abs(saved - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/core.xml":
                data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
            target.writestr(item, data)
    assert docprops.saved_on(out.getvalue()) is None


def test_values_changed_in_the_tool_after_the_file_was_saved_are_listed_and_need_confirming(
    tmp_path, bundled_plan, store
):
    path = tmp_path / "status.csv"
    path.write_text("Task ID,Status,Owner,Notes\nP0.06,done,Sam,from the file\nP0.07,wip,Ana,\n")
    written = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    os.utime(path, (written.timestamp(), written.timestamp()))
    store.save({"P0.06": {"status": "blocked"}}, None, by="Grace", source="ui", at=written - dt.timedelta(days=9))
    store.save({"P0.06": {"notes": "waits on budget"}, "P0.07": {"owner": "Bo"}}, None, by="Grace", source="ui",
               at=written + dt.timedelta(days=3))  # fmt: skip
    p = importer.preview_import(path, bundled_plan, store)
    assert p.saved_on == written
    assert p.newer[["task_id", "field", "old", "new", "changed_at", "changed_by"]].values.tolist() == [
        ["P0.06", "notes", "waits on budget", "from the file", "2026-11-23T12:00:00Z", "Grace"],
        ["P0.07", "owner", "Bo", "Ana", "2026-11-23T12:00:00Z", "Grace"],
    ], "the status was changed before the file was saved: the file is newer there"
    with pytest.raises(SpreadsheetError, match="refused: 2 values were changed in the tool after the file") as caught:
        importer.apply_import(p, store, by="t")
    assert caught.value.remedy == Remedy("overwrite_newer")
    importer.apply_import(p, store, by="t", overwrite_newer=True)
    assert store.load().progress.set_index("task_id").loc["P0.06", "notes"] == "from the file"


def test_a_file_saved_after_the_tools_changes_overwrites_nothing_newer(tmp_path, bundled_plan, store):
    store.save({"P0.06": {"notes": "old"}}, None, by="Grace", source="ui", at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    path = xlsx(tmp_path / "f.xlsx", [["Task ID", "Notes"], ["P0.06", "new"]])
    p = importer.preview_import(path, bundled_plan, store)
    assert p.saved_on > dt.datetime(2026, 11, 1, tzinfo=dt.UTC) and p.newer.empty and p.changed == 1


def test_an_upload_that_does_not_say_when_it_was_saved_is_said_to_be_undated(bundled_plan, store):
    content = b"Task ID,Notes\nP0.06,from the file\n"
    fresh = importer.preview_import(content, bundled_plan, store, name="s.csv")
    assert fresh.saved_on is None and Note(compare.UNDATED, Remedy("as_of")) not in fresh.notes, "nothing to overwrite"
    store.save({"P0.06": {"notes": "set in the tool"}}, None, by="Grace", source="ui")
    p = importer.preview_import(content, bundled_plan, store, name="s.csv")
    assert Note(compare.UNDATED, Remedy("as_of")) in p.notes and p.newer.empty
    dated = importer.preview_import(content, bundled_plan, store, name="s.csv", as_of=TODAY)
    assert Note(compare.UNDATED, Remedy("as_of")) not in dated.notes and dated.rejected == 1, (
        "a dated row is checked against the history instead: set in the tool after that day, it is refused"
    )
